//! The authorization matrix (issue "Délégation de saisie"): every API route of the OpenAPI
//! document × seven callers × the objects of two sides, each cell asserted.
//!
//! Callers: anonymous; Marie Dupont in a delegated session approved by Dr Jean Martin
//! ("delegate in session"); Marie signed in on another tablet without approval ("delegate
//! without session"); Dr Jean Martin ("the authorising professional"); Claire Bernard, who
//! practises in another structure ("another professional"); the Melun centre's account
//! ("manager"); a security officer. Objects: side A = Melun, Jean, Marie (own for the first
//! six), side B = Lyon, Claire and her delegate (foreign to them, own to Claire). Changing an
//! entry is also tried on two more kinds of side-A objects: an entry of Dr Hugo Lambert, who
//! practises in Melun too (not theirs: 403 `not_your_entry`), and an entry already
//! invalidated (409 `correction_closed`). Every allowed answer (GET or POST) is also searched
//! for the other side's object ids: a list that leaks fails; and it must say what it is for —
//! the object asked about, the caller's own name and authority, the list holding the caller's
//! own objects — checked against ids and names the test set up, not against server code. The
//! server runs with test routes off, as in production.
//!
//! A cell that may change state works on objects of its own (one entry, patient, lot number,
//! staff member, session, incident, freeze… per caller and side): no caller's success changes
//! what another caller sees, whatever the order, so every cell asserts one exact answer.

use std::{collections::HashMap, fmt::Write as _};

use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    access::Actor,
    auth::session::{self, Owner},
    config::Settings,
    demo::{CLAIRE_BERNARD_RPPS, DEMO_STAFF_CPE, JEAN_MARTIN_RPPS},
    entities::{
        delegation, practice, professional, role_grant, session as session_row, staff_member,
    },
    vaccination::service,
};
use vigie_shared::{
    ErrorCode, NationalId, Rpps,
    api::{
        approval::{ApprovalChallenge, ApprovalConfirm, ApprovalCreated},
        credentials::OwnerKind,
        session::{SessionStage, SessionState, SessionSummary},
        vaccination::{
            InjectionCorrection, InjectionSite, LotView, NewVaccination, VaccinationRecorded,
        },
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::{
    delegation::{scene_in, staff_sign_in},
    helpers::{Device, TestApp, ok_json},
};

const ROLES: [&str; 7] = [
    "anonyme",
    "délégué en session",
    "délégué sans session",
    "professionnel qui autorise",
    "autre professionnel",
    "gestionnaire",
    "officier de sécurité",
];
const CLAIRE: usize = 4;
const OFFICER_ROLE: usize = 6;

/// What a cell must answer.
#[derive(Clone, Copy, Debug)]
enum E {
    /// 2xx.
    O,
    /// 2xx with an empty JSON array: allowed, and nothing leaks.
    Z,
    /// This status, as a JSON `ApiError` with its French message.
    S(u16),
    /// Exactly this error code, with its status and a French message.
    X(ErrorCode),
}
use E::{O, Z};
const U: E = E::S(401);
const F: E = E::S(403);
const N: E = E::S(404);
const B: E = E::S(400);
const K: E = E::S(409);
/// Not the caller's entry: a right, whatever the entry's state.
const NOT_YOURS: E = E::X(ErrorCode::NotYourEntry);
/// The caller's entry, but closed to change.
const CLOSED: E = E::X(ErrorCode::CorrectionClosed);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Side {
    A,
    B,
    /// Side A's structure, an entry under another professional who practises there.
    Colleague,
    /// Side A, an entry of Jean's (typed by Marie) already invalidated.
    Invalidated,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
            Side::Colleague => "A, saisie d'un confrère",
            Side::Invalidated => "A, saisie invalidée",
        }
    }
}

/// What a cell's own object is for (one per caller and side).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Own {
    /// Entries (injection ids) typed for one row.
    Correct,
    Invalidate,
    Contest,
    Adverse,
    /// Patients (ids) for a new visit, and for a lookup by NIR.
    Visit,
    Lookup,
    /// Staff members: not chosen yet, chosen, to withdraw, to send a link to.
    StaffToChoose,
    StaffToDrop,
    StaffToWithdraw,
    StaffToEnrol,
    /// Enrolled terminals: to list and ask a nonce for; to revoke.
    Terminal,
    TerminalToRevoke,
    /// Another session of the side's professional; a delegated session under them.
    Session,
    DelegatedSession,
    Incident,
    /// A credential to revoke: the caller's own (a second passkey of Marie's, a phone of each
    /// professional's; Claire's on her side, B), else one of Paul's (nobody's among the callers).
    Credential,
    /// A staff member with a passkey of their own, and that passkey (the manager's revoke row).
    StaffKeyHolder,
    StaffCredential,
    /// A phone of Jean's, for the security officer's revoke row.
    OfficerTarget,
    /// The offline permit of the side's professional's session (Jean's, Claire's).
    Permit,
    /// An offline entry of the side's professional listed "À vérifier" (a refused one).
    ReviewEntry,
}

/// The device id each caller's offline permit names.
fn device_of(caller: usize) -> Uuid {
    Uuid::from_u128(caller as u128 + 1)
}

/// The objects of both sides.
struct Fx {
    s_a: Uuid,
    s_b: Uuid,
    marie: Uuid,
    paul: Uuid,
    p_a: Uuid,
    p_b: Uuid,
    i_a: Uuid,
    i_b: Uuid,
    lot_a: LotView,
    lot_b: LotView,
    ap_a: Uuid,
    ap_b: Uuid,
    ds_a: Uuid,
    ds_b: Uuid,
    jean: Uuid,
    claire: Uuid,
    hugo: Uuid,
    jean_nid: String,
    /// The objects of one cell only.
    own: HashMap<(Own, Side), [Uuid; 7]>,
    /// Identities whose push sign-in is frozen, one per caller (lifted by the officer).
    frozen: [String; 7],
    /// The approve row's bodies, one per caller: a real assertion of the caller's own phone
    /// where there is one (for a request of theirs), else a well-formed one.
    approve: [Value; 7],
    /// Each caller's credentials at setup (passkeys and phones; Marie's for both delegates):
    /// the first is a passkey no cell revokes.
    creds: [Vec<Uuid>; 7],
}

impl Fx {
    fn pick<T: Copy>(&self, side: Side, a: T, b: T) -> T {
        match side {
            Side::A => a,
            Side::B => b,
            other => panic!("no such object on side {other:?}"),
        }
    }

    fn own(&self, what: Own, side: Side, caller: usize) -> Uuid {
        self.own
            .get(&(what, side))
            .unwrap_or_else(|| panic!("no {what:?} object on side {side:?}"))[caller]
    }
}

type Build = Box<dyn Fn(&Fx, Side, usize) -> (String, Value)>;

/// An allowed answer, as received.
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    /// The body as JSON; an allowed answer that is not JSON where JSON is due is wrong.
    fn json(&self) -> Result<Value, String> {
        if !self.content_type.starts_with("application/json") {
            return Err(format!("content type {:?}, not JSON", self.content_type));
        }
        serde_json::from_str(&self.text).map_err(|e| format!("not JSON ({e})"))
    }
}

/// What an allowed (2xx, `O`) answer must say for this caller and side: checked on the body,
/// with an oracle written here (ids and names set up by the test), never by the server's code.
type Says = Box<dyn Fn(&Fx, Side, usize, &Answer) -> Result<(), String>>;

/// `Err(message)` unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

struct Row {
    method: Method,
    route: &'static str,
    /// Called for each cell: side and caller index.
    build: Build,
    sides: Vec<(Side, [E; 7])>,
    /// Required wherever a cell is `O`.
    says: Option<Says>,
    /// The answer may name objects of the other side: the full NIR opens that patient's national
    /// record, whichever structure typed its entries (asserted by `says` to be exactly that file).
    reads_record: bool,
}

impl Row {
    /// More cells on another kind of object.
    fn also(mut self, side: Side, expected: [E; 7]) -> Self {
        self.sides.push((side, expected));
        self
    }

    /// What every allowed answer of this row must contain.
    fn says(
        mut self,
        check: impl Fn(&Fx, Side, usize, &Answer) -> Result<(), String> + 'static,
    ) -> Self {
        self.says = Some(Box::new(check));
        self
    }

    /// Answers with a patient's national record (see `reads_record`).
    fn reads_record(mut self) -> Self {
        self.reads_record = true;
        self
    }
}

/// An event stream (its events are asserted in streams.rs).
fn stream(_: &Fx, _: Side, _: usize, a: &Answer) -> Result<(), String> {
    ensure!(
        a.content_type.starts_with("text/event-stream"),
        "content type {:?}, not an event stream",
        a.content_type
    );
    Ok(())
}

/// Done, nothing to say: exactly 204 and no body.
fn no_content(_: &Fx, _: Side, _: usize, a: &Answer) -> Result<(), String> {
    ensure!(
        a.status == StatusCode::NO_CONTENT && a.text.is_empty(),
        "expected 204 without body, got {} {:?}",
        a.status,
        a.text
    );
    Ok(())
}

/// The ids a JSON array names under `key`.
fn ids_in(list: &Value, key: &str) -> Result<Vec<String>, String> {
    let items = list.as_array().ok_or("not a JSON array")?;
    Ok(items
        .iter()
        .map(|item| item[key].as_str().unwrap_or("").to_owned())
        .collect())
}

/// `v[key]` is this id.
fn is_id(v: &Value, key: &str, id: Uuid) -> Result<(), String> {
    ensure!(
        v[key].as_str() == Some(id.to_string().as_str()),
        "{key} is {}, expected {id}",
        v[key]
    );
    Ok(())
}

/// `v[key]` is a UUID.
fn uuid_at(v: &Value, key: &str) -> Result<Uuid, String> {
    v[key]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| format!("{key} is {}, not a UUID", v[key]))
}

/// `v[key]` is a time still to come.
fn in_future(v: &Value, key: &str) -> Result<(), String> {
    let at = v[key]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| format!("{key} is {}, not a time", v[key]))?;
    ensure!(at > chrono::Utc::now(), "{key} {at} is past");
    Ok(())
}

/// A WebAuthn sign-in challenge naming exactly four credentials (real ones padded with decoys:
/// the count says nothing of the identifier), with user verification required.
fn four_credential_challenge(_: &Fx, _: Side, _: usize, a: &Answer) -> Result<(), String> {
    let v = a.json()?;
    uuid_at(&v, "ceremony_id")?;
    let key = &v["options"]["publicKey"];
    ensure!(
        key["challenge"].as_str().is_some_and(|c| c.len() >= 32),
        "challenge {}",
        key["challenge"]
    );
    ensure!(
        key["allowCredentials"].as_array().map(Vec::len) == Some(4),
        "credentials {}",
        key["allowCredentials"]
    );
    ensure!(
        key["userVerification"] == "required",
        "user verification {}",
        key["userVerification"]
    );
    Ok(())
}

/// The session names its caller, their kind and, for the delegate in session, Jean's authority.
fn who_is_signed_in(_: &Fx, _: Side, caller: usize, a: &Answer) -> Result<(), String> {
    let v = a.json()?;
    let name = v["display_name"].as_str().unwrap_or("");
    ensure!(
        name.contains(person(caller)),
        "display_name {name:?}, expected {}",
        person(caller)
    );
    let (kind, authority) = match caller {
        1 => ("delegate", Some("Jean Martin")),
        2 => ("delegate", None),
        5 => ("structure_account", None),
        _ => ("professional", None),
    };
    ensure!(v["kind"] == kind, "kind {}, expected {kind}", v["kind"]);
    match authority {
        Some(who) => ensure!(
            v["authority"].as_str().is_some_and(|a| a.contains(who)),
            "authority {}, expected {who}",
            v["authority"]
        ),
        None => ensure!(v["authority"].is_null(), "authority {}", v["authority"]),
    }
    Ok(())
}

/// A push request shown on a terminal: its id, a 6-digit code, a QR code, a lifetime.
fn new_request(_: &Fx, _: Side, _: usize, a: &Answer) -> Result<(), String> {
    let v = a.json()?;
    uuid_at(&v, "approval_id")?;
    let code = v["code"].as_str().unwrap_or("");
    ensure!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "code {code:?}"
    );
    ensure!(
        v["qr_svg"].as_str().is_some_and(|q| q.contains("<svg")),
        "no QR code"
    );
    in_future(&v, "expires_at")
}

/// A staff link: its token is in the link, it has a QR code and a lifetime.
fn enrolment_link(v: &Value) -> Result<(), String> {
    let token = v["enrolment_token"].as_str().unwrap_or("");
    let link = v["link"].as_str().unwrap_or("");
    ensure!(
        token.len() >= 32 && link.ends_with(token),
        "link {link:?} for token {token:?}"
    );
    ensure!(
        v["qr_svg"].as_str().is_some_and(|q| q.contains("<svg")),
        "no QR code"
    );
    in_future(v, "expires_at")
}

/// An open-data CSV file: `;`-separated vacsi header, at least one row, every row of `geo`
/// (`FR` for the national file).
fn csv_rows(geo: Option<&'static str>) -> impl Fn(&Fx, Side, usize, &Answer) -> Result<(), String> {
    move |_, _, _, a| {
        ensure!(
            a.content_type.starts_with("text/csv"),
            "content type {:?}",
            a.content_type
        );
        let mut lines = a.text.lines();
        let header = lines.next().unwrap_or("");
        ensure!(header.contains(";clage_vacsi;jour;"), "header {header:?}");
        let rows: Vec<&str> = lines.collect();
        ensure!(!rows.is_empty(), "no rows");
        let geo = geo.unwrap_or("FR");
        ensure!(
            rows.iter().all(|r| r.split(';').next() == Some(geo)),
            "a row is not of {geo}"
        );
        Ok(())
    }
}

/// The reason of the correction made at setup to the entries of both sides.
const SETUP_CORRECTION: &str = "Site corrigé à la relecture";

/// Who each caller is, as the server names them.
fn person(caller: usize) -> &'static str {
    match caller {
        1 | 2 => "Marie Dupont",
        3 => "Jean Martin",
        CLAIRE => "Claire Bernard",
        5 => "Responsable du centre",
        OFFICER_ROLE => "Sophie Leroy",
        _ => "",
    }
}

/// A row whose objects do not depend on the caller. `b`: `None` when the route addresses no
/// object of a side (one run).
fn row(
    method: Method,
    route: &'static str,
    a: [E; 7],
    b: Option<[E; 7]>,
    build: impl Fn(&Fx, Side) -> (String, Value) + 'static,
) -> Row {
    row_each(method, route, a, b, move |fx, side, _| build(fx, side))
}

/// A row whose cells each use the caller's own objects.
fn row_each(
    method: Method,
    route: &'static str,
    a: [E; 7],
    b: Option<[E; 7]>,
    build: impl Fn(&Fx, Side, usize) -> (String, Value) + 'static,
) -> Row {
    let mut sides = vec![(Side::A, a)];
    sides.extend(b.map(|b| (Side::B, b)));
    Row {
        method,
        route,
        build: Box::new(build),
        sides,
        says: None,
        reads_record: false,
    }
}

fn fixed(path: &'static str, body: Value) -> impl Fn(&Fx, Side) -> (String, Value) {
    move |_, _| (path.to_owned(), body.clone())
}

const ALL_O: [E; 7] = [O; 7];
const ALL_B: [E; 7] = [B; 7];
const ALL_N: [E; 7] = [N; 7];
const ALL_U: [E; 7] = [U; 7];
/// The approver app answers its own phones: Claire's and the officer's browsers hold one
/// (their passkey was created there), the others none.
const APPROVER_LIST: [E; 7] = [U, U, U, U, Z, U, Z];
const APPROVER_STREAM: [E; 7] = [U, U, U, U, O, U, O];
/// Jean's request, on someone else's phone: it does not exist for them.
const APPROVER_FOREIGN: [E; 7] = [U, U, U, U, N, U, N];

/// A well-formed national identifier nobody holds.
fn unknown_nid(prefix10: &str) -> String {
    format!("8{}", valid_rpps(prefix10).as_str())
}
/// Any session: 401 for the anonymous caller only.
const SIGNED: [E; 7] = [U, O, O, O, O, O, O];
/// Professionals only.
const PROS: [E; 7] = [U, F, F, O, O, F, O];
const OFFICER: [E; 7] = [U, F, F, F, F, F, O];
/// Patient data: the delegate in session and Jean on side A, Claire on side B.
const CARE_A: [E; 7] = [U, O, F, O, N, F, N];
const CARE_B: [E; 7] = [U, N, F, N, O, F, N];
/// Changing a colleague's entry: seen (same structure), not theirs to change.
const COLLEAGUE: [E; 7] = [U, NOT_YOURS, F, NOT_YOURS, N, F, N];
/// Changing an invalidated entry of theirs: closed.
const INVALIDATED: [E; 7] = [U, CLOSED, F, CLOSED, N, F, N];
/// Structure management: the manager on side A (Claire practises in B but does not manage it).
const MANAGE_A: [E; 7] = [U, F, F, F, N, O, N];
const MANAGE_B: [E; 7] = [U, N, N, N, F, N, N];

fn valid_nir(prefix13: &str) -> String {
    let n: u64 = prefix13.parse().expect("digits");
    format!("{prefix13}{:02}", 97 - n % 97)
}

/// The NIR of the patient made for one cell: distinct for every object, side and caller.
fn cell_nir(what: Own, side: Side, caller: usize) -> String {
    let dep = if side == Side::B { "69" } else { "77" };
    let side_n = match side {
        Side::A => 0,
        Side::B => 1,
        Side::Colleague => 2,
        Side::Invalidated => 3,
    };
    valid_nir(&format!(
        "18505{dep}{:06}",
        200_000 + what as usize * 1000 + side_n * 100 + caller
    ))
}

fn valid_rpps(prefix10: &str) -> Rpps {
    (0..10)
        .find_map(|d| Rpps::parse(&format!("{prefix10}{d}")).ok())
        .expect("a Luhn key exists")
}

async fn current_session(device: &Device) -> Uuid {
    let list: Vec<SessionSummary> = ok_json(device.get("/api/sessions").await).await;
    list.iter().find(|s| s.current).expect("current").session_id
}

fn new_patient(nir: &str, family: &str) -> Value {
    json!({ "kind": "new", "nir": nir, "family_name": family, "given_names": "Alex",
        "birth_date": "1985-05-10", "sex": "male", "residence_department": "69", "esms_finess": null })
}

fn vaccinate(structure: Uuid, patient: Value, lot: &LotView) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure,
        "patient": patient,
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    })
}

/// An entry typed by `actor` for a new patient of its own: (patient, injection).
async fn entry(
    app: &TestApp,
    actor: &Actor,
    structure: Uuid,
    lot: &LotView,
    nir: &str,
) -> (Uuid, Uuid) {
    let body: NewVaccination =
        serde_json::from_value(vaccinate(structure, new_patient(nir, "Cellule"), lot))
            .expect("body");
    let recorded = service::record(&app.state, actor, body)
        .await
        .expect("entry");
    (
        recorded.patient_id,
        recorded.injection.expect("injection").id,
    )
}

/// A staff member declared in `structure`, without passkey.
/// The public half (SPKI, base64url) of a device key made from one byte.
fn terminal_key(seed: u8) -> String {
    use base64::Engine;
    use p256::pkcs8::EncodePublicKey;
    let key = p256::ecdsa::SigningKey::from_slice(&[seed.max(1); 32]).expect("key");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        key.verifying_key()
            .to_public_key_der()
            .expect("spki")
            .as_bytes(),
    )
}

async fn enrol_terminal(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    structure: Uuid,
) -> Uuid {
    use vigie_backend::entities::enrolled_terminal;
    let id = Uuid::new_v4();
    enrolled_terminal::Entity::insert(enrolled_terminal::ActiveModel {
        id: Set(id),
        structure_id: Set(structure),
        name: Set("Tablette du hall".into()),
        public_key: Set(terminal_key(7)),
        enrolled_by: Set(Uuid::nil()),
        created_at: Set(now),
        revoked_at: Set(None),
    })
    .exec(db)
    .await
    .expect("enrolled terminal");
    id
}

/// Another passkey for `owner`: a copy of `like` under a credential id of its own.
async fn extra_passkey(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    like: &vigie_backend::entities::credential::Model,
    kind: OwnerKind,
    owner: Uuid,
) -> Uuid {
    use base64::Engine;
    let id = Uuid::new_v4();
    let cred_id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes());
    let mut pk: Value = serde_json::from_str(&like.passkey).expect("passkey json");
    assert!(pk["cred"]["cred_id"].is_string(), "passkey json {pk}");
    pk["cred"]["cred_id"] = json!(cred_id);
    vigie_backend::entities::credential::Entity::insert(
        vigie_backend::entities::credential::ActiveModel {
            id: Set(id),
            owner_kind: Set(kind),
            owner_id: Set(owner),
            credential_id: Set(cred_id),
            passkey: Set(pk.to_string()),
            label: Set("Clé de secours".into()),
            created_at: Set(now),
            last_used_at: Set(None),
            revoked_at: Set(None),
        },
    )
    .exec(db)
    .await
    .expect("passkey");
    id
}

/// Another activated phone for a professional.
async fn extra_phone(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    professional: Uuid,
) -> Uuid {
    use vigie_backend::entities::approver_device;
    let token = vigie_backend::approvals::approver::create(db, now, professional, "Tablette")
        .await
        .expect("phone");
    approver_device::Entity::find()
        .filter(approver_device::Column::TokenHash.eq(vigie_backend::auth::tokens::hash(&token)))
        .one(db)
        .await
        .expect("query")
        .expect("phone")
        .id
}

/// A principal's live credentials, a passkey first.
async fn credentials_of(db: &DatabaseConnection, kind: OwnerKind, owner: Uuid) -> Vec<Uuid> {
    use sea_orm::QueryOrder;
    use vigie_backend::entities::{approver_device, credential};
    let mut ids: Vec<Uuid> = credential::Entity::find()
        .filter(credential::Column::OwnerKind.eq(kind))
        .filter(credential::Column::OwnerId.eq(owner))
        .order_by_asc(credential::Column::Label)
        .all(db)
        .await
        .expect("query")
        .into_iter()
        // The real one ("Téléphone", "Tablette") before the copies ("Clé de secours").
        .map(|c| (c.label == "Clé de secours", c.id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    if kind == OwnerKind::Professional {
        ids.extend(
            approver_device::Entity::find()
                .filter(approver_device::Column::ProfessionalId.eq(owner))
                .all(db)
                .await
                .expect("query")
                .into_iter()
                .map(|d| d.id),
        );
    }
    assert!(!ids.is_empty(), "{owner} holds a passkey");
    ids
}

/// "Mes appareils": every item is one of the caller's, and their first passkey is there.
fn own_credentials(fx: &Fx, caller: usize, a: &Answer) -> Result<(), String> {
    let v = a.json()?;
    let listed = ids_in(&v, "id")?;
    let mine: Vec<String> = fx.creds[caller].iter().map(Uuid::to_string).collect();
    ensure!(
        listed.contains(&mine[0]),
        "credential {} missing from {listed:?}",
        mine[0]
    );
    ensure!(
        listed.iter().all(|id| mine.contains(id)),
        "{listed:?} not all among {mine:?}"
    );
    Ok(())
}

async fn declare_staff(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    structure: Uuid,
    cpe: &str,
    first_name: &str,
) -> Uuid {
    let id = Uuid::new_v4();
    staff_member::Entity::insert(staff_member::ActiveModel {
        id: Set(id),
        structure_id: Set(structure),
        cpe_number: Set(cpe.into()),
        first_name: Set(first_name.into()),
        last_name: Set("Petit".into()),
        role: Set("Agent d'accueil".into()),
        created_at: Set(now),
        withdrawn_at: Set(None),
        enrolment_token_hash: Set(None),
        enrolment_expires_at: Set(None),
    })
    .exec(db)
    .await
    .expect("staff");
    id
}

async fn grant(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    professional: Uuid,
    staff: Uuid,
) {
    delegation::Entity::insert(delegation::ActiveModel {
        professional_id: Set(professional),
        staff_member_id: Set(staff),
        granted_at: Set(now),
        withdrawn_at: Set(None),
    })
    .exec(db)
    .await
    .expect("delegation");
}

/// A session opened directly: the professional's own, or a staff member's approved under them.
async fn open_session(
    db: &DatabaseConnection,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
    professional: Uuid,
    staff: Option<(Uuid, Uuid)>,
) -> Uuid {
    let owner = match staff {
        Some((staff_member_id, structure_id)) => Owner::Staff {
            staff_member_id,
            structure_id,
        },
        None => Owner::Professional(professional),
    };
    let opened = session::open_for(
        db,
        settings,
        now,
        owner,
        SessionStage::Active,
        "passkey",
        Default::default(),
    )
    .await
    .expect("session");
    let id = opened.session.id;
    if staff.is_some() {
        session_row::Entity::update_many()
            .col_expr(
                session_row::Column::ProfessionalId,
                sea_orm::sea_query::Expr::value(professional),
            )
            .filter(session_row::Column::Id.eq(id))
            .exec(db)
            .await
            .expect("approved");
    }
    id
}

/// A professional of the directory, with no passkey.
async fn insert_professional(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    rpps: &Rpps,
    first_name: &str,
    last_name: &str,
) -> Uuid {
    let id = Uuid::new_v4();
    professional::Entity::insert(professional::ActiveModel {
        id: Set(id),
        national_id: Set(rpps.national_id().as_str().into()),
        rpps: Set(rpps.as_str().into()),
        civility: Set("Dr".into()),
        first_name: Set(first_name.into()),
        last_name: Set(last_name.into()),
        profession: Set("Médecin".into()),
        email: Set(Some(format!(
            "{}.{}@demo.vigie.example",
            first_name.to_lowercase(),
            last_name.to_lowercase()
        ))),
        mobile: Set(None),
        created_at: Set(now),
    })
    .exec(db)
    .await
    .expect("professional");
    id
}

/// A pending request of the phone's own professional, its code typed on the phone, the
/// assertion signed; the request is then cancelled from the terminal (so the phone's list
/// stays empty) while the ceremony stays open. The body to send to /approve.
async fn signed_approval(
    app: &TestApp,
    terminal: &Device,
    phone: &Device,
    key: &mut SoftPasskey,
    national_id: &NationalId,
) -> Value {
    let created: ApprovalCreated = ok_json(
        terminal
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id, "terminal_label": "Poste 9" }),
            )
            .await,
    )
    .await;
    let id = created.approval_id;
    let challenge: ApprovalChallenge = ok_json(
        phone
            .post(
                &format!("/api/approver/requests/{id}/code"),
                &json!({ "code": created.code }),
            )
            .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("phone signs");
    ok_json::<Value>(
        terminal
            .post_empty(&format!("/api/approvals/{id}/cancel"))
            .await,
    )
    .await;
    serde_json::to_value(ApprovalConfirm {
        ceremony_id: challenge.ceremony_id,
        credential,
    })
    .expect("json")
}

/// Both sides, every caller signed in.
async fn setup() -> (TestApp, Fx, [Device; 7]) {
    let app = TestApp::spawn_with(|s| s.testing = false).await;
    let mut s = scene_in(app).await;
    let db = s.app.state.db.clone();
    let settings = s.app.state.settings.clone();
    let now = s.app.state.now();

    // Side B: Lyon, where Claire (only) practises, with Paul typing under her authority.
    let s_b = s.app.lyon_centre().await;
    let claire = s.app.professional_id(CLAIRE_BERNARD_RPPS).await;
    practice::Entity::delete_many()
        .filter(practice::Column::ProfessionalId.eq(claire))
        .exec(&db)
        .await
        .expect("leave Melun");
    practice::Entity::insert(practice::ActiveModel {
        professional_id: Set(claire),
        structure_id: Set(s_b),
    })
    .exec(&db)
    .await
    .expect("practise in Lyon");
    let paul = declare_staff(&db, now, s_b, "3007654321", "Paul").await;
    grant(&db, now, claire, paul).await;

    // Callers.
    let anonymous = s.app.device();
    let approved = s.delegated_session().await;
    assert!(approved.authority.is_some());
    let ds_a = current_session(&s.tablet).await;
    let mut tablet_key = SoftPasskey::new(true);
    std::mem::swap(&mut tablet_key, &mut s.tablet_key);
    let waiting = s.app.device();
    ok_json::<SessionState>(staff_sign_in(&s.app, &waiting, &mut tablet_key).await).await;
    let jean = s.jean_computer().await;
    let (claire_device, mut claire_key) = s.app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let officer_rpps = valid_rpps("1000999888");
    let officer_id = insert_professional(&db, now, &officer_rpps, "Sophie", "Leroy").await;
    role_grant::Entity::insert(role_grant::ActiveModel {
        professional_id: Set(officer_id),
        role: Set("security_officer".into()),
        granted_at: Set(now),
    })
    .exec(&db)
    .await
    .expect("grant");
    let (officer, mut officer_key) = s.app.professional_device(officer_rpps.as_str()).await;

    // Side A objects: Marie's entry under Jean, his lot, Marie's approval request.
    let lot_a = s.lot().await;
    let recorded: VaccinationRecorded = ok_json(
        s.tablet
            .post(
                "/api/vaccinations",
                &vaccinate(
                    s.structure_id,
                    new_patient(&valid_nir("1850577006084"), "Martin-A"),
                    &lot_a,
                ),
            )
            .await,
    )
    .await;
    let p_a = recorded.patient_id;
    let i_a = recorded.injection.expect("injection").id;
    let ap_a = {
        use vigie_backend::entities::approval_request;
        approval_request::Entity::find()
            .filter(approval_request::Column::SessionId.eq(ds_a))
            .one(&db)
            .await
            .expect("query")
            .expect("Marie's request")
            .id
    };

    // Side B objects: Claire's lot, Paul's delegated session under her, his entry.
    let expires = (now + chrono::Duration::days(100)).date_naive();
    let lot_b: LotView = ok_json(
        claire_device
            .post(
                &format!("/api/structures/{s_b}/lots"),
                &json!({ "product_code": "comirnaty", "number": "LY0001", "expires_on": expires, "doses_received": 100000 }),
            )
            .await,
    )
    .await;
    let ds_b = open_session(&db, &settings, now, claire, Some((paul, s_b))).await;
    let paul_under_claire = Actor {
        professional_id: claire,
        professional_name: "Claire Bernard".into(),
        session_id: ds_b,
        staff_member_id: Some(paul),
        typist_name: Some("Paul Petit".into()),
        terminal_id: None,
        structure_scope: Some(s_b),
    };
    let body: NewVaccination = serde_json::from_value(vaccinate(
        s_b,
        new_patient(&valid_nir("1850569123456"), "Lyonnais-B"),
        &lot_b,
    ))
    .expect("body");
    let rec_b = service::record(&s.app.state, &paul_under_claire, body)
        .await
        .expect("Paul records");
    let p_b = rec_b.patient_id;
    let i_b = rec_b.injection.expect("injection").id;

    // A pending request from another terminal, an incident and a freeze for the officer.
    let terminal = s.app.device();
    let unknown =
        NationalId::parse(&format!("8{}", valid_rpps("1999999999").as_str())).expect("nid");
    let ap_b = ok_json::<ApprovalCreated>(
        terminal
            .post("/api/approvals", &json!({ "national_id": unknown }))
            .await,
    )
    .await
    .approval_id;
    let jean_id = s.jean_id;
    let jean_nid = crate::helpers::national_id(JEAN_MARTIN_RPPS)
        .as_str()
        .to_owned();
    {
        let txn = sea_orm::TransactionTrait::begin(&db).await.expect("txn");
        vigie_backend::incident::open(
            &txn,
            now,
            vigie_backend::incident::Concerning::Professional(jean_id),
            None,
            "push_fraud_report",
        )
        .await
        .expect("incident");
        // Frozen: an identity nobody here asks for (a delegate asking a suspended
        // professional is told so at once, a cell of its own would be needed).
        vigie_backend::approvals::limits::freeze_for_report(&txn, now, unknown.as_str())
            .await
            .expect("freeze");
        txn.commit().await.expect("commit");
    }

    // Dr Hugo Lambert practises in Melun too: his entries are seen there, not Jean's to change.
    let hugo = insert_professional(&db, now, &valid_rpps("1000999777"), "Hugo", "Lambert").await;
    practice::Entity::insert(practice::ActiveModel {
        professional_id: Set(hugo),
        structure_id: Set(s.structure_id),
    })
    .exec(&db)
    .await
    .expect("practise in Melun");
    let hugo_himself = Actor {
        professional_id: hugo,
        professional_name: "Hugo Lambert".into(),
        session_id: open_session(&db, &settings, now, hugo, None).await,
        staff_member_id: None,
        typist_name: None,
        terminal_id: None,
        structure_scope: None,
    };
    let marie_under_jean = Actor {
        professional_id: jean_id,
        professional_name: "Jean Martin".into(),
        session_id: ds_a,
        staff_member_id: Some(s.marie),
        typist_name: Some("Marie Dupont".into()),
        terminal_id: None,
        structure_scope: Some(s.structure_id),
    };

    // One revision on each side's entry, for the revisions row to read.
    for (actor, entry) in [(&marie_under_jean, i_a), (&paul_under_claire, i_b)] {
        let change = InjectionCorrection {
            reason: SETUP_CORRECTION.into(),
            lot_id: None,
            site: Some(InjectionSite::RightDeltoid),
            administered_at: None,
        };
        service::correct(&s.app.state, actor, entry, change)
            .await
            .expect("corrected at setup");
    }

    // The objects of one cell only, per caller and side.
    let mut own: HashMap<(Own, Side), [Uuid; 7]> = HashMap::new();
    let entries = [
        (Own::Correct, Side::A),
        (Own::Correct, Side::B),
        (Own::Correct, Side::Colleague),
        (Own::Correct, Side::Invalidated),
        (Own::Invalidate, Side::A),
        (Own::Invalidate, Side::B),
        (Own::Invalidate, Side::Colleague),
        (Own::Invalidate, Side::Invalidated),
        (Own::Contest, Side::A),
        (Own::Contest, Side::B),
        (Own::Adverse, Side::A),
        (Own::Adverse, Side::B),
        (Own::Visit, Side::A),
        (Own::Visit, Side::B),
        (Own::Lookup, Side::A),
        (Own::Lookup, Side::B),
    ];
    for (what, side) in entries {
        let (actor, structure, lot) = match side {
            Side::B => (&paul_under_claire, s_b, &lot_b),
            Side::Colleague => (&hugo_himself, s.structure_id, &lot_a),
            Side::A | Side::Invalidated => (&marie_under_jean, s.structure_id, &lot_a),
        };
        let mut ids = [Uuid::nil(); 7];
        for (caller, id) in ids.iter_mut().enumerate() {
            let (patient, injection) =
                entry(&s.app, actor, structure, lot, &cell_nir(what, side, caller)).await;
            if side == Side::Invalidated {
                service::invalidate(&s.app.state, actor, injection, "Doublon")
                    .await
                    .expect("invalidated");
            }
            *id = match what {
                Own::Visit | Own::Lookup => patient,
                _ => injection,
            };
        }
        own.insert((what, side), ids);
    }
    let staff = [
        Own::StaffToChoose,
        Own::StaffToDrop,
        Own::StaffToWithdraw,
        Own::StaffToEnrol,
    ];
    for (n, what) in staff.into_iter().enumerate() {
        for (side_n, (side, structure, professional)) in
            [(Side::A, s.structure_id, jean_id), (Side::B, s_b, claire)]
                .into_iter()
                .enumerate()
        {
            let mut ids = [Uuid::nil(); 7];
            for (caller, id) in ids.iter_mut().enumerate() {
                let cpe = format!("31{side_n}{n}{caller:02}0000");
                *id = declare_staff(&db, now, structure, &cpe, "Agent").await;
                if what == Own::StaffToDrop {
                    grant(&db, now, professional, *id).await;
                }
            }
            own.insert((what, side), ids);
        }
    }
    for what in [Own::Terminal, Own::TerminalToRevoke] {
        for (side, structure) in [(Side::A, s.structure_id), (Side::B, s_b)] {
            let mut ids = [Uuid::nil(); 7];
            for id in ids.iter_mut() {
                *id = enrol_terminal(&db, now, structure).await;
            }
            own.insert((what, side), ids);
        }
    }
    for (side, structure, professional, staff) in [
        (Side::A, s.structure_id, jean_id, s.marie),
        (Side::B, s_b, claire, paul),
    ] {
        let mut sessions = [Uuid::nil(); 7];
        let mut delegated = [Uuid::nil(); 7];
        for (session, delegated) in sessions.iter_mut().zip(delegated.iter_mut()) {
            *session = open_session(&db, &settings, now, professional, None).await;
            *delegated =
                open_session(&db, &settings, now, professional, Some((staff, structure))).await;
        }
        own.insert((Own::Session, side), sessions);
        own.insert((Own::DelegatedSession, side), delegated);
    }
    let mut incidents = [Uuid::nil(); 7];
    let frozen: [String; 7] =
        std::array::from_fn(|caller| unknown_nid(&format!("19999998{caller:02}")));
    {
        let txn = sea_orm::TransactionTrait::begin(&db).await.expect("txn");
        for (incident, national_id) in incidents.iter_mut().zip(&frozen) {
            *incident = vigie_backend::incident::open(
                &txn,
                now,
                vigie_backend::incident::Concerning::Professional(jean_id),
                None,
                "push_fraud_report",
            )
            .await
            .expect("incident");
            vigie_backend::approvals::limits::freeze_for_report(&txn, now, national_id)
                .await
                .expect("freeze");
        }
        txn.commit().await.expect("commit");
    }
    own.insert((Own::Incident, Side::A), incidents);

    // The approve row: Claire's and the officer's phones sign a ceremony of their own.
    let claire_signed = signed_approval(
        &s.app,
        &terminal,
        &claire_device,
        &mut claire_key,
        &crate::helpers::national_id(CLAIRE_BERNARD_RPPS),
    )
    .await;
    let officer_signed = signed_approval(
        &s.app,
        &terminal,
        &officer,
        &mut officer_key,
        &officer_rpps.national_id(),
    )
    .await;
    let approve = std::array::from_fn(|caller| match caller {
        CLAIRE => claire_signed.clone(),
        OFFICER_ROLE => officer_signed.clone(),
        // No phone: a body that parses, for a ceremony that does not exist.
        _ => {
            let mut body = claire_signed.clone();
            body["ceremony_id"] = json!(Uuid::new_v4());
            body
        }
    });

    // Credentials: each caller's own to revoke, Paul's (nobody's), staff members' with a key.
    let marie_key = vigie_backend::entities::credential::Entity::find()
        .filter(vigie_backend::entities::credential::Column::OwnerId.eq(s.marie))
        .one(&db)
        .await
        .expect("query")
        .expect("Marie's passkey");
    let officer_pid = officer_id;
    // Side A: the caller's own (Claire's is on her side, B); otherwise one of Paul's.
    let pauls = extra_passkey(&db, now, &marie_key, OwnerKind::Staff, paul).await;
    let (mut own_a, mut own_b) = ([pauls; 7], [pauls; 7]);
    for (caller, id) in own_a.iter_mut().enumerate() {
        *id = match caller {
            1 | 2 => extra_passkey(&db, now, &marie_key, OwnerKind::Staff, s.marie).await,
            3 => extra_phone(&db, now, jean_id).await,
            OFFICER_ROLE => extra_phone(&db, now, officer_pid).await,
            _ => pauls,
        };
    }
    own_b[CLAIRE] = extra_phone(&db, now, claire).await;
    own.insert((Own::Credential, Side::A), own_a);
    own.insert((Own::Credential, Side::B), own_b);
    for (side_n, (side, structure)) in [(Side::A, s.structure_id), (Side::B, s_b)]
        .into_iter()
        .enumerate()
    {
        let (mut holders, mut keys) = ([Uuid::nil(); 7], [Uuid::nil(); 7]);
        for caller in 0..7 {
            let cpe = format!("33{side_n}0{caller:02}0000");
            holders[caller] = declare_staff(&db, now, structure, &cpe, "Agent").await;
            keys[caller] =
                extra_passkey(&db, now, &marie_key, OwnerKind::Staff, holders[caller]).await;
        }
        own.insert((Own::StaffKeyHolder, side), holders);
        own.insert((Own::StaffCredential, side), keys);
    }
    let mut targets = [Uuid::nil(); 7];
    for t in targets.iter_mut() {
        *t = extra_phone(&db, now, jean_id).await;
    }
    own.insert((Own::OfficerTarget, Side::A), targets);
    let marie_creds = credentials_of(&db, OwnerKind::Staff, s.marie).await;
    let creds: [Vec<Uuid>; 7] = [
        Vec::new(),
        marie_creds.clone(),
        marie_creds,
        credentials_of(&db, OwnerKind::Professional, jean_id).await,
        credentials_of(&db, OwnerKind::Professional, claire).await,
        Vec::new(),
        credentials_of(&db, OwnerKind::Professional, officer_pid).await,
    ];

    // Offline: Jean's and Claire's sessions each hold a permit, and one entry of each was
    // refused at sync (dated a day ahead by the device), so "À vérifier" lists it.
    for (side, device, caller, structure) in [
        (Side::A, &jean, 3, s.structure_id),
        (Side::B, &claire_device, CLAIRE, s_b),
    ] {
        let permit: Value = ok_json(
            device
                .post(
                    "/api/offline/permits",
                    &json!({ "device_id": device_of(caller), "device_name": "Tablette" }),
                )
                .await,
        )
        .await;
        let entry = json!({
            "permit": permit["token"],
            "device_id": device_of(caller),
            "device_time": now + chrono::Duration::days(1),
            "vaccination": {
                "idempotency_key": Uuid::new_v4(),
                "structure_id": structure,
                "patient": { "kind": "existing", "id": Uuid::new_v4() },
                "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "contraindicated", "postpone_reason": null },
                "injection": null
            }
        });
        let report: Value = ok_json(
            device
                .post("/api/offline/sync", &json!({ "entries": [entry] }))
                .await,
        )
        .await;
        assert_eq!(report["results"][0]["outcome"], "refused");
        let owner = if side == Side::A { jean_id } else { claire };
        let kept = vigie_backend::entities::offline_entry::Entity::find()
            .filter(vigie_backend::entities::offline_entry::Column::ProfessionalId.eq(owner))
            .one(&db)
            .await
            .expect("query")
            .expect("refused entry kept");
        let permit: Uuid = serde_json::from_value(permit["id"].clone()).expect("permit id");
        own.insert((Own::Permit, side), [permit; 7]);
        own.insert((Own::ReviewEntry, side), [kept.id; 7]);
    }

    let fx = Fx {
        s_a: s.structure_id,
        s_b,
        marie: s.marie,
        paul,
        p_a,
        p_b,
        i_a,
        i_b,
        lot_a,
        lot_b,
        ap_a,
        ap_b,
        ds_a,
        ds_b,
        jean: jean_id,
        claire,
        hugo,
        jean_nid,
        own,
        frozen,
        approve,
        creds,
    };
    let Scene {
        app,
        tablet,
        manager,
        ..
    } = s;
    (
        app,
        fx,
        [
            anonymous,
            tablet,
            waiting,
            jean,
            claire_device,
            manager,
            officer,
        ],
    )
}

use crate::delegation::Scene;

fn rows() -> Vec<Row> {
    use Method as M;
    let id = |f: fn(&Fx, Side) -> Uuid, route: &'static str| {
        move |fx: &Fx, side: Side| (route.replace("{id}", &f(fx, side).to_string()), json!({}))
    };
    // The caller's own object of this kind in the path.
    let own = |what: Own, route: &'static str| {
        move |fx: &Fx, side: Side, caller: usize| {
            (
                route.replace("{id}", &fx.own(what, side, caller).to_string()),
                json!({}),
            )
        }
    };
    let hours = json!({ "address": "2 rue du Château, 77000 Melun", "opening_hours": { "days": [
        { "opens": "08:00", "closes": "20:00" }, null, null, null, null, null, null ] } });
    vec![
        row(
            M::GET,
            "/api/health",
            ALL_O,
            None,
            fixed("/api/health", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["status"] == "ok", "status {}", v["status"]);
            // The database the tests were given.
            let backend = match std::env::var("DATABASE_URL") {
                Ok(url) if url.starts_with("postgres") => "postgres",
                _ => "sqlite",
            };
            ensure!(v["database_backend"] == backend, "backend {}", v["database_backend"]);
            Ok(())
        }),
        row(
            M::POST,
            "/api/passkeys/registration/start",
            ALL_B,
            None,
            fixed(
                "/api/passkeys/registration/start",
                json!({ "enrolment_token": "x".repeat(32) }),
            ),
        ),
        row(
            M::POST,
            "/api/passkeys/registration/finish",
            ALL_B,
            None,
            fixed(
                "/api/passkeys/registration/finish",
                json!({ "ceremony_id": Uuid::nil() }),
            ),
        ),
        row(
            M::POST,
            "/api/passkeys/authentication/start",
            ALL_O,
            None,
            |fx, _| {
                (
                    "/api/passkeys/authentication/start".into(),
                    json!({ "national_id": fx.jean_nid }),
                )
            },
        )
        .says(four_credential_challenge),
        row(
            M::POST,
            "/api/passkeys/authentication/finish",
            ALL_B,
            None,
            fixed(
                "/api/passkeys/authentication/finish",
                json!({ "ceremony_id": Uuid::nil() }),
            ),
        ),
        row(
            M::GET,
            "/api/session",
            SIGNED,
            None,
            fixed("/api/session", json!(null)),
        )
        .says(who_is_signed_in),
        // "Is anyone signed in here?": never a refusal, 204 for nobody.
        row(
            M::GET,
            "/api/session/presence",
            ALL_O,
            None,
            fixed("/api/session/presence", json!(null)),
        )
        .says(|fx, side, caller, a| {
            if caller == 0 {
                return no_content(fx, side, caller, a);
            }
            who_is_signed_in(fx, side, caller, a)?;
            let v = a.json()?;
            ensure!(
                v["security_officer"] == (caller == OFFICER_ROLE),
                "security_officer {}",
                v["security_officer"]
            );
            Ok(())
        }),
        row(
            M::POST,
            "/api/session/keep-alive",
            SIGNED,
            None,
            fixed("/api/session/keep-alive", json!(null)),
        )
        .says(who_is_signed_in),
        row(
            M::POST,
            "/api/testing/clock",
            ALL_N,
            None,
            fixed("/api/testing/clock", json!({ "seconds": 0 })),
        ),
        row(M::POST, "/api/testing/enrolment", ALL_N, None, |fx, _| {
            (
                "/api/testing/enrolment".into(),
                json!({ "national_id": fx.jean_nid }),
            )
        }),
        row(M::POST, "/api/testing/session", ALL_N, None, |fx, _| {
            (
                "/api/testing/session".into(),
                json!({ "national_id": fx.jean_nid }),
            )
        }),
        // Anyone may ask (a terminal), each for an identity of their own (one pending request
        // per identity is the limit, tested in approvals.rs).
        row_each(M::POST, "/api/approvals", ALL_O, None, |_, _, caller| {
            (
                "/api/approvals".into(),
                json!({ "national_id": unknown_nid(&format!("19999997{caller:02}")) }),
            )
        })
        .says(new_request),
        row(
            M::GET,
            "/api/approvals/{id}",
            [N, O, N, N, N, N, N],
            Some(ALL_N),
            id(|fx, s| fx.pick(s, fx.ap_a, fx.ap_b), "/api/approvals/{id}"),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            is_id(&v, "approval_id", fx.ap_a)?;
            ensure!(v["status"] == "approved", "status {}", v["status"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/approvals/{id}/events",
            [N, O, N, N, N, N, N],
            Some(ALL_N),
            id(
                |fx, s| fx.pick(s, fx.ap_a, fx.ap_b),
                "/api/approvals/{id}/events",
            ),
        )
        .says(stream),
        row(
            M::POST,
            "/api/approvals/{id}/cancel",
            [N, K, N, N, N, N, N],
            Some(ALL_N),
            id(
                |fx, s| fx.pick(s, fx.ap_a, fx.ap_b),
                "/api/approvals/{id}/cancel",
            ),
        ),
        row(
            M::POST,
            "/api/approvals/{id}/session",
            [N, K, N, N, N, N, N],
            Some(ALL_N),
            id(
                |fx, s| fx.pick(s, fx.ap_a, fx.ap_b),
                "/api/approvals/{id}/session",
            ),
        ),
        row(
            M::GET,
            "/api/approver/presence",
            ALL_O,
            None,
            fixed("/api/approver/presence", json!(null)),
        )
        .says(|fx, side, caller, a| {
            if caller != CLAIRE && caller != OFFICER_ROLE {
                return no_content(fx, side, caller, a);
            }
            let v = a.json()?;
            let name = v["display_name"].as_str().unwrap_or("");
            ensure!(
                name.contains(person(caller)),
                "display_name {name:?}, expected {}",
                person(caller)
            );
            ensure!(
                v["device_label"].as_str().is_some_and(|l| !l.is_empty()),
                "device_label {}",
                v["device_label"]
            );
            Ok(())
        }),
        row(
            M::GET,
            "/api/approver/requests",
            APPROVER_LIST,
            None,
            fixed("/api/approver/requests", json!(null)),
        ),
        row(
            M::GET,
            "/api/approver/events",
            APPROVER_STREAM,
            None,
            fixed("/api/approver/events", json!(null)),
        )
        .says(stream),
        row(
            M::POST,
            "/api/approver/requests/{id}/code",
            APPROVER_FOREIGN,
            None,
            |fx, _| {
                (
                    format!("/api/approver/requests/{}/code", fx.ap_a),
                    json!({ "code": "123456" }),
                )
            },
        ),
        // A phone's real assertion, of a ceremony started for a request of its own, does not
        // approve Jean's: the ceremony is bound to its request and professional.
        row_each(
            M::POST,
            "/api/approver/requests/{id}/approve",
            [
                U,
                U,
                U,
                U,
                E::X(ErrorCode::WebauthnRejected),
                U,
                E::X(ErrorCode::WebauthnRejected),
            ],
            None,
            |fx, _, caller| {
                (
                    format!("/api/approver/requests/{}/approve", fx.ap_a),
                    fx.approve[caller].clone(),
                )
            },
        ),
        row(
            M::POST,
            "/api/approver/requests/{id}/refuse",
            APPROVER_FOREIGN,
            None,
            id(|fx, _| fx.ap_a, "/api/approver/requests/{id}/refuse"),
        ),
        row(
            M::POST,
            "/api/approver/requests/{id}/report",
            APPROVER_FOREIGN,
            None,
            id(|fx, _| fx.ap_a, "/api/approver/requests/{id}/report"),
        ),
        // Web Push: the server key is public; a subscription is the phone's own (push.rs tests
        // that one phone's change leaves the others').
        row(
            M::GET,
            "/api/push/key",
            ALL_O,
            None,
            fixed("/api/push/key", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            // 65 bytes, uncompressed (0x04…), base64url without padding.
            let key = v["public_key"].as_str().unwrap_or("");
            ensure!(key.len() == 87 && key.starts_with('B'), "public_key {key:?}");
            Ok(())
        }),
        row(
            M::PUT,
            "/api/approver/push",
            APPROVER_STREAM,
            None,
            fixed(
                "/api/approver/push",
                json!({
                    "endpoint": "https://push.invalid/matrice",
                    "keys": {
                        "p256dh": "BON6pNYmzhuyYgF3p6reAhsjmhWNG-kQXZZdUc0j3UYMTsFt3Oy8sEFJOt4ZR4VsrqiGSAbixPcA1G0-PKhjaHA",
                        "auth": "AAECAwQFBgcICQoLDA0ODw",
                    },
                }),
            ),
        )
        .says(no_content),
        row(
            M::GET,
            "/api/approver/push",
            APPROVER_STREAM,
            None,
            fixed("/api/approver/push", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["subscribed"].is_boolean(), "subscribed {}", v["subscribed"]);
            Ok(())
        }),
        row(
            M::DELETE,
            "/api/approver/push",
            APPROVER_STREAM,
            None,
            fixed("/api/approver/push", json!(null)),
        )
        .says(no_content),
        row(
            M::GET,
            "/api/sessions",
            SIGNED,
            None,
            fixed("/api/sessions", json!(null)),
        )
        .says(|fx, _, caller, a| {
            let v = a.json()?;
            let list = v.as_array().ok_or("not a list")?;
            let current = list.iter().filter(|s| s["current"] == true).count();
            ensure!(current == 1, "{current} current sessions");
            // A session of Jean's and one of Claire's that no cell ends: listed to them only.
            let ids = ids_in(&v, "session_id")?;
            for (owner, session) in [
                (3, fx.own(Own::Session, Side::A, 0)),
                (CLAIRE, fx.own(Own::Session, Side::B, 0)),
            ] {
                let listed = ids.contains(&session.to_string());
                ensure!(listed == (caller == owner), "session {session} listed: {listed}");
            }
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/sessions/{id}/end",
            [U, N, N, O, N, N, N],
            Some([U, N, N, N, O, N, N]),
            own(Own::Session, "/api/sessions/{id}/end"),
        )
        .says(no_content),
        row(
            M::GET,
            "/api/session/events",
            SIGNED,
            None,
            fixed("/api/session/events", json!(null)),
        )
        .says(stream),
        row(
            M::POST,
            "/api/sessions/report",
            ALL_N,
            None,
            fixed("/api/sessions/report", json!({ "token": "x".repeat(32) })),
        ),
        row_each(M::POST, "/api/activation", ALL_O, None, |_, _, caller| {
            (
                "/api/activation".into(),
                json!({ "national_id": unknown_nid(&format!("19999996{caller:02}")) }),
            )
        })
        .says(|_, _, _, a| {
            let v = a.json()?;
            let message = v["message"].as_str().unwrap_or("");
            ensure!(message.contains("SMS"), "message {message:?}");
            Ok(())
        }),
        row(
            M::POST,
            "/api/activation/verify",
            ALL_B,
            None,
            fixed(
                "/api/activation/verify",
                json!({ "link_token": "x".repeat(32), "sms_code": "123456" }),
            ),
        ),
        row(
            M::POST,
            "/api/activation/qr",
            PROS,
            None,
            fixed("/api/activation/qr", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["qr_svg"].as_str().is_some_and(|q| q.contains("<svg")), "no QR code");
            let link = v["link"].as_str().unwrap_or("");
            ensure!(link.contains("/activation") && link.contains("#"), "link {link:?}");
            in_future(&v, "expires_at")
        }),
        row(
            M::GET,
            "/api/security/incidents",
            OFFICER,
            None,
            fixed("/api/security/incidents", json!(null)),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            let untouched = fx.own(Own::Incident, Side::A, 0).to_string();
            ensure!(ids_in(&v, "incident_id")?.contains(&untouched), "incident {untouched} missing");
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/security/incidents/{id}/close",
            OFFICER,
            None,
            |fx, side, caller| {
                (
                    format!(
                        "/api/security/incidents/{}/close",
                        fx.own(Own::Incident, side, caller)
                    ),
                    json!({ "reason": "Vérifié avec le Dr Martin" }),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "incident_id", fx.own(Own::Incident, side, caller))?;
            ensure!(v["status"] == "closed", "status {}", v["status"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/security/freezes",
            OFFICER,
            None,
            fixed("/api/security/freezes", json!(null)),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            ensure!(ids_in(&v, "national_id")?.contains(&fx.frozen[0]), "freeze {} missing", fx.frozen[0]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/security/freezes/{national_id}/lift",
            OFFICER,
            None,
            |fx, _, caller| {
                (
                    format!("/api/security/freezes/{}/lift", fx.frozen[caller]),
                    json!({ "reason": "Vérifié" }),
                )
            },
        )
        .says(no_content),
        row(
            M::POST,
            "/api/accounts/sign-in",
            ALL_U,
            None,
            fixed(
                "/api/accounts/sign-in",
                json!({ "identifier": "750712184", "password": "pas le bon mot de passe" }),
            ),
        ),
        row(
            M::POST,
            "/api/accounts/second-factor",
            [U, F, F, F, F, K, F],
            None,
            fixed("/api/accounts/second-factor", json!({ "code": "000000" })),
        ),
        row(
            M::POST,
            "/api/accounts/password",
            [U, F, F, F, F, B, F],
            None,
            fixed(
                "/api/accounts/password",
                json!({ "current_password": "faux", "new_password": "court" }),
            ),
        ),
        row(
            M::GET,
            "/api/accounts/password-policy",
            ALL_O,
            None,
            fixed("/api/accounts/password-policy", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["min_length"].as_u64().is_some_and(|n| n >= 12), "min_length {}", v["min_length"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/accounts/me",
            [U, F, F, F, F, O, F],
            None,
            fixed("/api/accounts/me", json!(null)),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            is_id(&v, "structure_id", fx.s_a)?;
            ensure!(v["display_name"] == "Responsable du centre", "name {}", v["display_name"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/vaccination/context",
            [U, O, F, O, O, F, O],
            None,
            fixed("/api/vaccination/context", json!(null)),
        )
        .says(|fx, _, caller, a| {
            let mut v = a.json()?;
            // A professional's own practice (declared by another cell) is theirs alone.
            if let Some(list) = v["structures"].as_array_mut() {
                list.retain(|s| s["own_practice"] != true);
            }
            let mut structures = ids_in(&v["structures"], "id")?;
            structures.sort();
            let expected: Vec<String> = match caller {
                1 | 3 => vec![fx.s_a.to_string()],
                CLAIRE => vec![fx.s_b.to_string()],
                _ => vec![],
            };
            ensure!(structures == expected, "structures {structures:?}, expected {expected:?}");
            ensure!(ids_in(&v["products"], "code")?.contains(&"comirnaty".to_owned()), "no Comirnaty");
            Ok(())
        }),
        row(
            M::POST,
            "/api/patients/search",
            [U, O, F, O, Z, F, Z],
            Some([U, Z, F, Z, O, F, Z]),
            |_, s| {
                let name = if s == Side::A {
                    "Martin-A"
                } else {
                    "Lyonnais-B"
                };
                (
                    "/api/patients/search".into(),
                    json!({ "family_name": name, "birth_date": "1985-05-10" }),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            let found = ids_in(&v, "id")?;
            let expected = vec![fx.pick(side, fx.p_a, fx.p_b).to_string()];
            ensure!(found == expected, "found {found:?}, expected {expected:?}");
            Ok(())
        }),
        row(
            M::GET,
            "/api/patients/{id}",
            CARE_A,
            Some(CARE_B),
            id(|fx, s| fx.pick(s, fx.p_a, fx.p_b), "/api/patients/{id}"),
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.pick(side, fx.p_a, fx.p_b))?;
            let injections = ids_in(&v["injections"], "id")?;
            let entry = fx.pick(side, fx.i_a, fx.i_b).to_string();
            ensure!(injections == vec![entry.clone()], "injections {injections:?}, expected [{entry}]");
            Ok(())
        }),
        row(
            M::POST,
            "/api/vaccinations/preview",
            [U, O, F, O, F, F, F],
            Some([U, F, F, F, O, F, F]),
            |fx, s| {
                (
                    "/api/vaccinations/preview".into(),
                    json!({ "structure_id": fx.pick(s, fx.s_a, fx.s_b), "patient_id": fx.pick(s, fx.p_a, fx.p_b), "birth_date": null, "product_code": null, "administered_at": null }),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            let lot = if side == Side::A { &fx.lot_a } else { &fx.lot_b };
            ensure!(v["dose_number"] == 2, "dose {}", v["dose_number"]);
            ensure!(v["product_code"] == lot.product_code.as_str(), "product {}", v["product_code"]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/vaccinations",
            [U, O, F, O, F, F, F],
            Some([U, F, F, F, O, F, F]),
            |fx, s, caller| {
                (
                    "/api/vaccinations".into(),
                    json!({
                        "idempotency_key": Uuid::new_v4(),
                        "structure_id": fx.pick(s, fx.s_a, fx.s_b),
                        "patient": { "kind": "existing", "id": fx.own(Own::Visit, s, caller) },
                        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "postpone", "postpone_reason": "Fièvre ce matin" },
                        "injection": null
                    }),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "patient_id", fx.own(Own::Visit, side, caller))?;
            ensure!(v["injection"].is_null(), "a postponed visit has no injection");
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/injections/{id}/correct",
            CARE_A,
            Some(CARE_B),
            |fx, s, caller| {
                (
                    format!("/api/injections/{}/correct", fx.own(Own::Correct, s, caller)),
                    json!({ "reason": "Bras droit en fait", "site": "right_deltoid", "lot_id": null, "administered_at": null }),
                )
            },
        )
        .also(Side::Colleague, COLLEAGUE)
        .also(Side::Invalidated, INVALIDATED)
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.own(Own::Correct, side, caller))?;
            ensure!(v["site"] == "right_deltoid" && v["version"] == 2, "site {}, version {}", v["site"], v["version"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/injections/{id}/revisions",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.i_a, fx.i_b),
                "/api/injections/{id}/revisions",
            ),
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            let list = v.as_array().ok_or("not a list")?;
            ensure!(list.len() == 1, "{} revisions, expected the one made at setup", list.len());
            is_id(&list[0]["before"], "id", fx.pick(side, fx.i_a, fx.i_b))?;
            ensure!(list[0]["reason"] == SETUP_CORRECTION, "reason {}", list[0]["reason"]);
            ensure!(list[0]["before"]["site"] == "left_deltoid", "before {}", list[0]["before"]["site"]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/injections/{id}/adverse-effects",
            CARE_A,
            Some(CARE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/injections/{}/adverse-effects",
                        fx.own(Own::Adverse, s, caller)
                    ),
                    json!({ "description": "Douleur au point d'injection" }),
                )
            },
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            uuid_at(&v, "id")?;
            let portal = v["portal_url"].as_str().unwrap_or("");
            ensure!(portal.starts_with("https://"), "portal {portal:?}");
            Ok(())
        }),
        row(
            M::GET,
            "/api/patients/{id}/certificate",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.p_a, fx.p_b),
                "/api/patients/{id}/certificate",
            ),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["payload"].as_str().is_some_and(|p| p.starts_with("HC1:")), "payload {}", v["payload"]);
            ensure!(v["uvci"].as_str().is_some_and(|u| u.starts_with("URN:UVCI:")), "uvci {}", v["uvci"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/patients/{id}/recap.pdf",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.p_a, fx.p_b),
                "/api/patients/{id}/recap.pdf",
            ),
        )
        .says(|_, _, _, a| {
            ensure!(a.content_type == "application/pdf", "content type {:?}", a.content_type);
            ensure!(a.text.starts_with("%PDF-"), "not a PDF");
            Ok(())
        }),
        row(
            M::GET,
            "/api/structures/{id}/lots",
            [U, N, N, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            id(
                |fx, s| fx.pick(s, fx.s_a, fx.s_b),
                "/api/structures/{id}/lots",
            ),
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            let lots = ids_in(&v, "id")?;
            let lot = fx.pick(side, fx.lot_a.id, fx.lot_b.id).to_string();
            ensure!(lots.contains(&lot), "lot {lot} missing from {lots:?}");
            Ok(())
        }),
        // A lot number of each caller's own (a number is unique in a structure).
        row_each(
            M::POST,
            "/api/structures/{id}/lots",
            [U, N, N, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            |fx, s, caller| {
                (
                    format!("/api/structures/{}/lots", fx.pick(s, fx.s_a, fx.s_b)),
                    json!({ "product_code": "spikevax", "number": format!("MX{}{caller:03}", s.label()), "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730), "doses_received": 100000 }),
                )
            },
        )
        .says(|_, side, caller, a| {
            let v = a.json()?;
            let number = format!("MX{}{caller:03}", side.label());
            ensure!(v["number"] == number.as_str() && v["product_code"] == "spikevax" && v["active"] == true, "lot {v}");
            Ok(())
        }),
        row(
            M::POST,
            "/api/lots/{id}/active",
            [U, N, N, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            |fx, s| {
                (
                    format!(
                        "/api/lots/{}/active",
                        if s == Side::A {
                            fx.lot_a.id
                        } else {
                            fx.lot_b.id
                        }
                    ),
                    json!({ "active": true }),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.pick(side, fx.lot_a.id, fx.lot_b.id))?;
            ensure!(v["active"] == true, "active {}", v["active"]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/lots/{id}/wastage",
            [U, N, N, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            |fx, s, _| {
                (
                    format!("/api/lots/{}/wastage", fx.pick(s, fx.lot_a.id, fx.lot_b.id)),
                    json!({ "doses": 1, "reason": "Flacon cassé" }),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.pick(side, fx.lot_a.id, fx.lot_b.id))?;
            ensure!(v["doses_wasted"].as_i64().is_some_and(|n| n >= 1), "wasted {}", v["doses_wasted"]);
            Ok(())
        }),
        row(
            M::PUT,
            "/api/vaccination/own-practice",
            [U, F, F, O, O, F, O],
            None,
            fixed("/api/vaccination/own-practice", json!({ "address": "3 rue des Lilas, 77000 Melun" })),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["own_practice"] == true && v["finess"] == "", "own practice {v}");
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/offline/permits",
            [U, O, F, O, O, F, O],
            None,
            |_, _, caller| {
                (
                    "/api/offline/permits".to_owned(),
                    json!({ "device_id": device_of(caller), "device_name": "Tablette" }),
                )
            },
        )
        .says(|_, _, caller, a| {
            let v = a.json()?;
            is_id(&v, "device_id", device_of(caller))?;
            ensure!(v["token"].as_str().is_some_and(|t| t.contains('.')), "token {}", v["token"]);
            let holder = v["holder"].as_str().unwrap_or("");
            let named = match caller {
                1 => holder.contains("Marie Dupont") && holder.contains("Jean Martin"),
                3 => holder.contains("Jean Martin"),
                CLAIRE => holder.contains("Claire Bernard"),
                _ => !holder.is_empty(),
            };
            ensure!(named, "holder {holder:?}");
            Ok(())
        }),
        row(
            M::GET,
            "/api/offline/permits",
            [U, O, F, O, O, F, O],
            None,
            fixed("/api/offline/permits", json!(null)),
        )
        .says(|_, _, _, a| {
            ensure!(a.json()?.is_array(), "not a list");
            Ok(())
        }),
        row(
            M::POST,
            "/api/offline/permits/{id}/revoke",
            [U, N, F, O, N, F, N],
            Some([U, N, F, N, O, F, N]),
            |fx, s| {
                (
                    format!("/api/offline/permits/{}/revoke", fx.own(Own::Permit, s, 0)),
                    json!(null),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.own(Own::Permit, side, 0))?;
            ensure!(v["revoked_at"].is_string(), "revoked_at {}", v["revoked_at"]);
            Ok(())
        }),
        row(
            M::POST,
            "/api/offline/sync",
            [U, O, F, O, O, F, O],
            None,
            fixed("/api/offline/sync", json!({ "entries": [] })),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["results"] == json!([]), "results {}", v["results"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/offline/review",
            [U, O, F, O, O, F, O],
            None,
            fixed("/api/offline/review", json!(null)),
        )
        .says(|_, _, _, a| {
            ensure!(a.json()?.is_array(), "not a list");
            Ok(())
        }),
        row(
            M::POST,
            "/api/offline/review/{id}/done",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s| {
                (
                    format!("/api/offline/review/{}/done", fx.own(Own::ReviewEntry, s, 0)),
                    json!(null),
                )
            },
        )
        .says(no_content),
        row(
            M::GET,
            "/api/certificates/signing-certificate",
            ALL_O,
            None,
            fixed("/api/certificates/signing-certificate", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            let pem = v["certificate_pem"].as_str().unwrap_or("");
            ensure!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "pem {pem:?}");
            ensure!(v["kid"].as_str().is_some_and(|k| !k.is_empty()), "no kid");
            Ok(())
        }),
        row(
            M::POST,
            "/api/certificates/verify",
            ALL_B,
            None,
            fixed(
                "/api/certificates/verify",
                json!({ "payload": "HC1:pas un certificat" }),
            ),
        ),
        row(
            M::GET,
            "/api/statistics/national",
            ALL_O,
            None,
            fixed("/api/statistics/national", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            let rows = v["rows"].as_array().ok_or("no rows")?;
            ensure!(!rows.is_empty(), "no rows");
            ensure!(rows.iter().all(|r| r["fra"] == "FR" && r["dep"].is_null()), "a row is not national");
            Ok(())
        }),
        row(
            M::GET,
            "/api/statistics/national.csv",
            ALL_O,
            None,
            fixed("/api/statistics/national.csv", json!(null)),
        )
        .says(csv_rows(None)),
        row(
            M::GET,
            "/api/statistics/departments",
            ALL_O,
            None,
            fixed("/api/statistics/departments?dep=77", json!(null)),
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            let rows = v["rows"].as_array().ok_or("no rows")?;
            ensure!(!rows.is_empty(), "no rows");
            ensure!(rows.iter().all(|r| r["dep"] == "77"), "a row is not of the 77");
            Ok(())
        }),
        row(
            M::GET,
            "/api/statistics/departments.csv",
            ALL_O,
            None,
            fixed("/api/statistics/departments.csv?dep=77", json!(null)),
        )
        .says(csv_rows(Some("77"))),
        row(
            M::GET,
            "/api/structures/managed",
            [U, Z, Z, Z, Z, O, Z],
            None,
            fixed("/api/structures/managed", json!(null)),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            let managed = ids_in(&v, "id")?;
            ensure!(managed == vec![fx.s_a.to_string()], "managed {managed:?}");
            Ok(())
        }),
        row(
            M::GET,
            "/api/structures/{id}",
            [U, O, O, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            id(|fx, s| fx.pick(s, fx.s_a, fx.s_b), "/api/structures/{id}"),
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.pick(side, fx.s_a, fx.s_b))?;
            ensure!(v["can_manage"] == (caller == 5), "can_manage {}", v["can_manage"]);
            Ok(())
        }),
        row(
            M::PUT,
            "/api/structures/{id}",
            MANAGE_A,
            Some(MANAGE_B),
            move |fx, s| {
                (
                    format!("/api/structures/{}", fx.pick(s, fx.s_a, fx.s_b)),
                    hours.clone(),
                )
            },
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.s_a)?;
            ensure!(v["address"] == "2 rue du Château, 77000 Melun", "address {}", v["address"]);
            ensure!(v["opening_hours"]["days"][1].is_null(), "hours {}", v["opening_hours"]);
            Ok(())
        }),
        row(
            M::GET,
            "/api/structures/{id}/staff",
            MANAGE_A,
            Some(MANAGE_B),
            id(
                |fx, s| fx.pick(s, fx.s_a, fx.s_b),
                "/api/structures/{id}/staff",
            ),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            ensure!(ids_in(&v, "id")?.contains(&fx.marie.to_string()), "Marie missing");
            Ok(())
        }),
        // A CPE number of each caller's own (one declaration per number in a structure).
        row_each(
            M::POST,
            "/api/structures/{id}/staff",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!("/api/structures/{}/staff", fx.pick(s, fx.s_a, fx.s_b)),
                    json!({ "cpe_number": format!("32{}{caller}000000", u8::from(s == Side::B)), "first_name": "Nina", "last_name": "Roux", "role": "Accueil" }),
                )
            },
        )
        .says(|_, side, caller, a| {
            let v = a.json()?;
            let cpe = format!("32{}{caller}000000", u8::from(side == Side::B));
            ensure!(v["staff"]["cpe_number"] == cpe.as_str() && v["staff"]["first_name"] == "Nina", "staff {}", v["staff"]);
            enrolment_link(&v)
        }),
        row_each(
            M::POST,
            "/api/structures/{id}/staff/{staff_id}/enrolment",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/enrolment",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.own(Own::StaffToEnrol, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v["staff"], "id", fx.own(Own::StaffToEnrol, side, caller))?;
            enrolment_link(&v)
        }),
        row_each(
            M::GET,
            "/api/structures/{id}/terminals",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, _| (format!("/api/structures/{}/terminals", fx.pick(s, fx.s_a, fx.s_b)), json!(null)),
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            let ids = ids_in(&v, "id")?;
            ensure!(ids.contains(&fx.own(Own::Terminal, side, caller).to_string()), "own terminal missing");
            let here = fx.pick(side, fx.s_a, fx.s_b).to_string();
            ensure!(ids_in(&v, "structure_id")?.iter().all(|s| *s == here), "another structure's terminal");
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/structures/{id}/terminals",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!("/api/structures/{}/terminals", fx.pick(s, fx.s_a, fx.s_b)),
                    json!({ "name": "Tablette 3", "public_key": terminal_key(caller as u8 + 1) }),
                )
            },
        )
        .says(|fx, side, _, a| {
            let v = a.json()?;
            is_id(&v, "structure_id", fx.pick(side, fx.s_a, fx.s_b))?;
            ensure!(v["name"] == "Tablette 3" && v["revoked_at"].is_null(), "terminal {v}");
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/structures/{id}/terminals/{terminal_id}/revoke",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/structures/{}/terminals/{}/revoke",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.own(Own::TerminalToRevoke, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.own(Own::TerminalToRevoke, side, caller))?;
            ensure!(!v["revoked_at"].is_null(), "not revoked: {v}");
            Ok(())
        }),
        // Anyone may ask a nonce for an enrolled terminal: only its key can use it.
        row_each(
            M::POST,
            "/api/terminals/nonce",
            ALL_O,
            None,
            |fx, s, caller| {
                (
                    "/api/terminals/nonce".to_owned(),
                    json!({ "terminal_id": fx.own(Own::Terminal, s, caller) }),
                )
            },
        )
        .says(|_, _, _, a| {
            let v = a.json()?;
            ensure!(v["nonce"].as_str().is_some_and(|n| n.len() >= 40), "nonce {v}");
            in_future(&v, "expires_at")
        }),
        // No valid signature: nobody learns a terminal's name.
        row_each(
            M::POST,
            "/api/terminals/identify",
            ALL_N,
            None,
            |fx, s, caller| {
                (
                    "/api/terminals/identify".to_owned(),
                    json!({ "terminal_id": fx.own(Own::Terminal, s, caller), "nonce": "AAAA", "signature": "AAAA" }),
                )
            },
        ),
        row(
            M::GET,
            "/api/credentials",
            [U, O, O, O, O, F, O],
            None,
            fixed("/api/credentials", json!(null)),
        )
        .says(|fx, _, caller, a| own_credentials(fx, caller, a)),
        row_each(
            M::DELETE,
            "/api/credentials/{id}",
            [U, O, O, O, N, F, O],
            Some([U, N, N, N, O, F, N]),
            own(Own::Credential, "/api/credentials/{id}"),
        )
        .says(no_content),
        row(
            M::POST,
            "/api/credentials/report",
            ALL_N,
            None,
            fixed("/api/credentials/report", json!({ "token": "x".repeat(32) })),
        ),
        row(
            M::GET,
            "/api/structures/{id}/staff/{staff_id}/credentials",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/credentials",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.pick(s, fx.marie, fx.paul)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, _, _, a| own_credentials(fx, 1, a)),
        row_each(
            M::DELETE,
            "/api/structures/{id}/staff/{staff_id}/credentials/{credential_id}",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/credentials/{}",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.own(Own::StaffKeyHolder, s, caller),
                        fx.own(Own::StaffCredential, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(no_content),
        row_each(
            M::DELETE,
            "/api/security/credentials/{id}",
            OFFICER,
            None,
            own(Own::OfficerTarget, "/api/security/credentials/{id}"),
        )
        .says(no_content),
        row(
            M::POST,
            "/api/delegation/passkeys/registration/start",
            ALL_B,
            None,
            fixed(
                "/api/delegation/passkeys/registration/start",
                json!({ "enrolment_token": "x".repeat(32) }),
            ),
        ),
        row(
            M::POST,
            "/api/delegation/passkeys/registration/finish",
            ALL_B,
            None,
            fixed(
                "/api/delegation/passkeys/registration/finish",
                json!({ "ceremony_id": Uuid::nil() }),
            ),
        ),
        row(
            M::POST,
            "/api/delegation/sign-in/start",
            ALL_O,
            None,
            fixed(
                "/api/delegation/sign-in/start",
                json!({ "cpe_number": DEMO_STAFF_CPE }),
            ),
        )
        .says(four_credential_challenge),
        row(
            M::POST,
            "/api/delegation/sign-in/finish",
            ALL_B,
            None,
            fixed(
                "/api/delegation/sign-in/finish",
                json!({ "ceremony_id": Uuid::nil() }),
            ),
        ),
        row(
            M::GET,
            "/api/delegation/authorities",
            [U, O, O, F, F, F, F],
            None,
            fixed("/api/delegation/authorities", json!(null)),
        )
        .says(|fx, _, _, a| {
            let v = a.json()?;
            let authorities = ids_in(&v, "professional_id")?;
            ensure!(authorities == vec![fx.jean.to_string()], "authorities {authorities:?}");
            Ok(())
        }),
        row(
            M::POST,
            "/api/delegation/requests",
            [U, K, O, F, F, F, F],
            Some([U, K, F, F, F, F, F]),
            |fx, s| {
                (
                    "/api/delegation/requests".into(),
                    json!({ "professional_id": fx.pick(s, fx.jean, fx.claire), "terminal_label": "Tablette 7" }),
                )
            },
        )
        .says(new_request),
        row(
            M::GET,
            "/api/delegation/delegates",
            [U, F, F, O, O, F, Z],
            None,
            fixed("/api/delegation/delegates", json!(null)),
        )
        .says(|fx, _, caller, a| {
            let v = a.json()?;
            let staff = if caller == CLAIRE { fx.paul } else { fx.marie };
            let list = v.as_array().ok_or("not a list")?;
            ensure!(
                list.iter().any(|d| d["staff_id"] == staff.to_string().as_str() && d["authorised"] == true),
                "{staff} is not listed as authorised"
            );
            Ok(())
        }),
        row_each(
            M::PUT,
            "/api/delegation/delegates/{staff_id}",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s, caller| {
                (
                    format!(
                        "/api/delegation/delegates/{}",
                        fx.own(Own::StaffToChoose, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "staff_id", fx.own(Own::StaffToChoose, side, caller))?;
            ensure!(v["authorised"] == true, "authorised {}", v["authorised"]);
            Ok(())
        }),
        row_each(
            M::DELETE,
            "/api/delegation/delegates/{staff_id}",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s, caller| {
                (
                    format!(
                        "/api/delegation/delegates/{}",
                        fx.own(Own::StaffToDrop, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "staff_id", fx.own(Own::StaffToDrop, side, caller))?;
            ensure!(v["authorised"] == false, "authorised {}", v["authorised"]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/structures/{id}/staff/{staff_id}/withdraw",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/withdraw",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.own(Own::StaffToWithdraw, s, caller)
                    ),
                    json!(null),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.own(Own::StaffToWithdraw, side, caller))?;
            ensure!(!v["withdrawn_at"].is_null(), "not withdrawn");
            Ok(())
        }),
        row(
            M::GET,
            "/api/supervision/sessions",
            [U, F, F, O, O, F, Z],
            None,
            fixed("/api/supervision/sessions", json!(null)),
        )
        .says(|fx, _, caller, a| {
            let v = a.json()?;
            let sessions = ids_in(&v, "session_id")?;
            let watched = if caller == CLAIRE { fx.ds_b } else { fx.ds_a }.to_string();
            ensure!(sessions.contains(&watched), "session {watched} missing from {sessions:?}");
            Ok(())
        }),
        row(
            M::GET,
            "/api/supervision/events",
            PROS,
            None,
            fixed("/api/supervision/events", json!(null)),
        )
        .says(stream),
        row_each(
            M::POST,
            "/api/injections/{id}/contest",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s, caller| {
                (
                    format!("/api/injections/{}/contest", fx.own(Own::Contest, s, caller)),
                    json!({ "reason": "Lot à vérifier" }),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "injection_id", fx.own(Own::Contest, side, caller))?;
            ensure!(v["contest"]["reason"] == "Lot à vérifier", "contest {}", v["contest"]);
            Ok(())
        }),
        row_each(
            M::POST,
            "/api/injections/{id}/invalidate",
            CARE_A,
            Some(CARE_B),
            |fx, s, caller| {
                (
                    format!(
                        "/api/injections/{}/invalidate",
                        fx.own(Own::Invalidate, s, caller)
                    ),
                    json!({ "reason": "Doublon" }),
                )
            },
        )
        .also(Side::Colleague, COLLEAGUE)
        .also(Side::Invalidated, INVALIDATED)
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v, "id", fx.own(Own::Invalidate, side, caller))?;
            ensure!(v["status"] == "invalidated", "status {}", v["status"]);
            Ok(())
        }),
        // Typing the full NIR opens the file (the patient is in front of you): any recorder.
        // A patient of each cell's own: the file it opens is no other row's.
        row_each(
            M::POST,
            "/api/patients/lookup",
            [U, O, F, O, O, F, O],
            Some([U, O, F, O, O, F, O]),
            |_, s, caller| {
                (
                    "/api/patients/lookup".into(),
                    json!({ "nir": cell_nir(Own::Lookup, s, caller) }),
                )
            },
        )
        .says(|fx, side, caller, a| {
            let v = a.json()?;
            is_id(&v["patient"], "id", fx.own(Own::Lookup, side, caller))?;
            ensure!(v["patient"]["injections"].as_array().map(Vec::len) == Some(1), "injections {}", v["patient"]["injections"]);
            Ok(())
        })
        .reads_record(),
        // Ends a delegated session of each cell's own (Marie's tablet stays signed in).
        row_each(
            M::POST,
            "/api/supervision/sessions/{id}/end",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            own(
                Own::DelegatedSession,
                "/api/supervision/sessions/{id}/end",
            ),
        )
        .says(no_content),
        row(
            M::POST,
            "/api/session/logout",
            SIGNED,
            None,
            fixed("/api/session/logout", json!(null)),
        )
        .says(no_content),
    ]
}

/// The objects a caller must never read: side B's for the side-A callers (Marie, Jean, the
/// Melun manager), side A's for Claire. (Anonymous callers read nothing of either; the officer
/// reads across structures.)
fn foreign_ids(fx: &Fx, role: usize) -> Vec<String> {
    let mut side_a = vec![
        fx.s_a,
        fx.marie,
        fx.p_a,
        fx.i_a,
        fx.lot_a.id,
        fx.ap_a,
        fx.ds_a,
        fx.jean,
        fx.hugo,
    ];
    let mut side_b = vec![
        fx.s_b,
        fx.paul,
        fx.p_b,
        fx.i_b,
        fx.lot_b.id,
        fx.ds_b,
        fx.claire,
    ];
    for ((_, side), ids) in &fx.own {
        match side {
            Side::B => side_b.extend(ids),
            Side::A | Side::Colleague | Side::Invalidated => side_a.extend(ids),
        }
    }
    let foreign: &[Uuid] = match role {
        1 | 2 | 3 | 5 => &side_b,
        CLAIRE => &side_a,
        _ => &[],
    };
    foreign.iter().map(Uuid::to_string).collect()
}

fn matches(e: E, status: StatusCode, body: &str) -> bool {
    match e {
        E::O => status.is_success(),
        E::Z => {
            status.is_success()
                && serde_json::from_str::<Vec<Value>>(body).is_ok_and(|v| v.is_empty())
        }
        // A refusal is a JSON `ApiError` with its French message, whatever the route.
        E::S(code) => {
            status.as_u16() == code
                && serde_json::from_str::<vigie_shared::ApiError>(body)
                    .is_ok_and(|e| !e.message.trim().is_empty())
        }
        E::X(code) => {
            status.as_u16() == code.status()
                && serde_json::from_str::<vigie_shared::ApiError>(body)
                    .is_ok_and(|e| e.code == code && !e.message.trim().is_empty())
        }
    }
}

/// The answers the served document gives one operation: status → media types of its body
/// (none for an answer without body).
fn documented_answers(doc: &Value, method: &Method, route: &str) -> HashMap<String, Vec<String>> {
    doc["paths"][route][method.as_str().to_lowercase()]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {route}: no responses documented"))
        .iter()
        .map(|(status, response)| {
            let types = response["content"]
                .as_object()
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default();
            (status.clone(), types)
        })
        .collect()
}

/// Whether the document foresees this answer: its status, and its media type (parameters
/// such as `charset` aside), or no body where it documents none.
fn foreseen(
    statuses: &HashMap<String, Vec<String>>,
    status: StatusCode,
    content_type: Option<&str>,
) -> Result<(), String> {
    let Some(types) = statuses.get(status.as_str()) else {
        let mut known: Vec<_> = statuses.keys().map(String::as_str).collect();
        known.sort_unstable();
        return Err(format!(
            "status {status} is not in the document ({})",
            known.join(", ")
        ));
    };
    let media = content_type.map(|c| c.split(';').next().unwrap_or("").trim());
    match media {
        Some(m) if !types.iter().any(|t| t == m) => Err(format!(
            "{status} {m} is not documented (documented: {types:?})"
        )),
        None if !types.is_empty() => Err(format!(
            "{status} without content type, documented as {types:?}"
        )),
        _ => Ok(()),
    }
}

#[tokio::test]
async fn every_route_times_every_caller_times_both_sides() {
    let (_app, fx, devices) = setup().await;
    let base = devices[0].base.clone();
    // Every documented route is in the matrix, and nothing else.
    let doc: Value = ok_json(devices[0].get("/api/openapi.json").await).await;
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("ops")
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let table = rows();
    let mut covered: Vec<String> = table
        .iter()
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    documented.sort();
    covered.sort();
    assert_eq!(
        documented, covered,
        "the matrix must cover every documented route exactly once"
    );

    let mut failures = String::new();
    let mut cells = 0;
    for r in &table {
        // What the served document says this route answers: every cell must be foreseen there.
        let statuses = documented_answers(&doc, &r.method, r.route);
        for (side, expected) in &r.sides {
            for (role, device) in devices.iter().enumerate() {
                let (path, body) = (r.build)(&fx, *side, role);
                let mut request = device
                    .client
                    .request(r.method.clone(), base.join(&path).expect("path"));
                if !body.is_null() {
                    request = request.json(&body);
                }
                let response = request.send().await.expect("request");
                let status = response.status();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap_or("?").to_owned());
                if let Err(why) = foreseen(&statuses, status, content_type.as_deref()) {
                    let _ = writeln!(
                        failures,
                        "{} {path} [{}] {}: the OpenAPI document is wrong: {why}",
                        r.method,
                        side.label(),
                        ROLES[role],
                    );
                }
                let is_stream = response
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
                let text = if is_stream {
                    String::new()
                } else {
                    response.text().await.unwrap_or_default()
                };
                cells += 1;
                // What a caller may read (GET or a POST that answers data) never names the
                // other side's objects.
                if status.is_success() && !r.reads_record {
                    for leaked in foreign_ids(&fx, role)
                        .iter()
                        .filter(|id| text.contains(id.as_str()))
                    {
                        let _ = writeln!(
                            failures,
                            "{} {path} [{}] {}: the answer names {leaked}, an object of the other side",
                            r.method,
                            side.label(),
                            ROLES[role],
                        );
                    }
                }
                if !matches(expected[role], status, &text) {
                    let _ = writeln!(
                        failures,
                        "{} {path} [{}] {}: expected {:?}, got {status} {}",
                        r.method,
                        side.label(),
                        ROLES[role],
                        expected[role],
                        text.chars().take(160).collect::<String>()
                    );
                }
                // An allowed answer says what it must, for this caller and side.
                if matches!(expected[role], E::O) && status.is_success() {
                    let answer = Answer {
                        status,
                        content_type: content_type.clone().unwrap_or_default(),
                        text: text.clone(),
                    };
                    let verdict = match &r.says {
                        Some(says) => says(&fx, *side, role, &answer),
                        None => Err("no assertion on the content of an allowed answer".into()),
                    };
                    if let Err(why) = verdict {
                        let _ = writeln!(
                            failures,
                            "{} {path} [{}] {}: wrong answer: {why}",
                            r.method,
                            side.label(),
                            ROLES[role],
                        );
                    }
                }
                if !status.is_client_error() && !status.is_success() {
                    let _ = writeln!(
                        failures,
                        "{} {path}: {status} is neither 2xx nor 4xx",
                        r.method
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{cells} cells, mismatches:\n{failures}"
    );
    println!("authorization matrix: {cells} cells");
    assert!(cells >= 952, "{cells} cells");
}
