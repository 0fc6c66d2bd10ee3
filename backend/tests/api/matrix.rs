//! The authorization matrix (issue "Délégation de saisie"): every API route of the OpenAPI
//! document × seven callers × the objects of two sides, each cell asserted.
//!
//! Callers: anonymous; Marie Dupont in a delegated session approved by Dr Jean Martin
//! ("delegate in session"); Marie signed in on another tablet without approval ("delegate
//! without session"); Dr Jean Martin ("the authorising professional"); Claire Bernard, who
//! practises in another structure ("another professional"); the Melun centre's account
//! ("manager"); a security officer. Objects: side A = Melun, Jean, Marie (own for the first
//! six), side B = Lyon, Claire and her delegate (foreign to them, own to Claire). Every
//! allowed read is also searched for the other side's object ids: a list that leaks fails.
//! The server runs with test routes off, as in production.

use std::fmt::Write as _;

use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    access::Actor,
    auth::session::{self, Owner},
    demo::{CLAIRE_BERNARD_RPPS, DEMO_STAFF_CPE, JEAN_MARTIN_RPPS},
    entities::{
        delegation, practice, professional, role_grant, session as session_row, staff_member,
    },
    vaccination::service,
};
use vigie_shared::{
    NationalId, Rpps,
    api::{
        approval::ApprovalCreated,
        delegation::StaffEnrolment,
        session::{SessionStage, SessionState, SessionSummary},
        vaccination::{LotView, NewVaccination, VaccinationRecorded},
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

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

/// What a cell must answer.
#[derive(Clone, Copy, Debug)]
enum E {
    /// 2xx.
    O,
    /// 2xx with an empty JSON array: allowed, and nothing leaks.
    Z,
    /// 2xx or 409: allowed; an earlier caller may already have changed the object's state.
    C,
    S(u16),
}
use E::{C, O, Z};
const U: E = E::S(401);
const F: E = E::S(403);
const N: E = E::S(404);
const B: E = E::S(400);
const K: E = E::S(409);
const T: E = E::S(429);

#[derive(Clone, Copy, PartialEq)]
enum Side {
    A,
    B,
}

/// The objects of both sides.
struct Fx {
    s_a: Uuid,
    s_b: Uuid,
    marie: Uuid,
    luc: Uuid,
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
    xs_a: Uuid,
    xs_b: Uuid,
    incident: Uuid,
    jean: Uuid,
    claire: Uuid,
    jean_nid: String,
}

impl Fx {
    fn pick<T: Copy>(&self, side: Side, a: T, b: T) -> T {
        if side == Side::A { a } else { b }
    }
}

type Build = Box<dyn Fn(&Fx, Side) -> (String, Value)>;

struct Row {
    method: Method,
    route: &'static str,
    build: Build,
    a: [E; 7],
    /// `None`: the route addresses no object of a side (one run).
    b: Option<[E; 7]>,
}

fn row(
    method: Method,
    route: &'static str,
    a: [E; 7],
    b: Option<[E; 7]>,
    build: impl Fn(&Fx, Side) -> (String, Value) + 'static,
) -> Row {
    Row {
        method,
        route,
        build: Box::new(build),
        a,
        b,
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
/// Structure management: the manager on side A (Claire practises in B but does not manage it).
const MANAGE_A: [E; 7] = [U, F, F, F, N, O, N];
const MANAGE_B: [E; 7] = [U, N, N, N, F, N, N];

fn valid_nir(prefix13: &str) -> String {
    let n: u64 = prefix13.parse().expect("digits");
    format!("{prefix13}{:02}", 97 - n % 97)
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

/// Both sides, every caller signed in.
async fn setup() -> (TestApp, Fx, [Device; 7]) {
    let app = TestApp::spawn_with(|s| s.testing = false).await;
    let mut s = scene_in(app).await;
    let db = s.app.state.db.clone();
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
    let paul = Uuid::new_v4();
    staff_member::Entity::insert(staff_member::ActiveModel {
        id: Set(paul),
        structure_id: Set(s_b),
        cpe_number: Set("3007654321".into()),
        first_name: Set("Paul".into()),
        last_name: Set("Petit".into()),
        role: Set("Agent d'accueil".into()),
        created_at: Set(now),
        withdrawn_at: Set(None),
        enrolment_token_hash: Set(None),
        enrolment_expires_at: Set(None),
    })
    .exec(&db)
    .await
    .expect("staff");
    delegation::Entity::insert(delegation::ActiveModel {
        professional_id: Set(claire),
        staff_member_id: Set(paul),
        granted_at: Set(now),
        withdrawn_at: Set(None),
    })
    .exec(&db)
    .await
    .expect("delegation");

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
    let jean_extra = s.jean_computer().await;
    let xs_a = current_session(&jean_extra).await;
    let (claire_device, mut claire_key) = s.app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let claire_extra = s.app.device();
    s.app
        .sign_in_on(&claire_extra, CLAIRE_BERNARD_RPPS, &mut claire_key)
        .await;
    let xs_b = current_session(&claire_extra).await;
    let officer_rpps = valid_rpps("1000999888");
    let officer_id = Uuid::new_v4();
    professional::Entity::insert(professional::ActiveModel {
        id: Set(officer_id),
        national_id: Set(officer_rpps.national_id().as_str().into()),
        rpps: Set(officer_rpps.as_str().into()),
        civility: Set("Dr".into()),
        first_name: Set("Sophie".into()),
        last_name: Set("Leroy".into()),
        profession: Set("Médecin".into()),
        email: Set(Some("sophie.leroy@demo.vigie.example".into())),
        mobile: Set(None),
        created_at: Set(now),
    })
    .exec(&db)
    .await
    .expect("officer");
    role_grant::Entity::insert(role_grant::ActiveModel {
        professional_id: Set(officer_id),
        role: Set("security_officer".into()),
        granted_at: Set(now),
    })
    .exec(&db)
    .await
    .expect("grant");
    let (officer, _) = s.app.professional_device(officer_rpps.as_str()).await;

    // Side A objects: Marie's entry under Jean, his lot, Luc declared by the manager.
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
    let luc: StaffEnrolment = ok_json(
        s.manager
            .post(
                &format!("/api/structures/{}/staff", s.structure_id),
                &json!({ "cpe_number": "3001112223", "first_name": "Luc", "last_name": "Moreau", "role": "Secrétaire" }),
            )
            .await,
    )
    .await;
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
                &json!({ "product_code": "comirnaty", "number": "LY0001", "expires_on": expires }),
            )
            .await,
    )
    .await;
    let opened = session::open_for(
        &db,
        &s.app.state.settings,
        now,
        Owner::Staff {
            staff_member_id: paul,
            structure_id: s_b,
        },
        SessionStage::Active,
        "passkey",
        Default::default(),
    )
    .await
    .expect("Paul's session");
    let ds_b = opened.session.id;
    session_row::Entity::update_many()
        .col_expr(
            session_row::Column::ProfessionalId,
            sea_orm::sea_query::Expr::value(claire),
        )
        .filter(session_row::Column::Id.eq(ds_b))
        .exec(&db)
        .await
        .expect("approved under Claire");
    let actor = Actor {
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
    let rec_b = service::record(&s.app.state, &actor, body)
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
    let incident = {
        let txn = sea_orm::TransactionTrait::begin(&db).await.expect("txn");
        let id = vigie_backend::incident::open(
            &txn,
            now,
            vigie_backend::incident::Concerning::Professional(jean_id),
            None,
            "push_fraud_report",
        )
        .await
        .expect("incident");
        vigie_backend::approvals::limits::freeze_for_report(
            &txn,
            now,
            &crate::helpers::national_id(JEAN_MARTIN_RPPS)
                .as_str()
                .to_owned(),
        )
        .await
        .expect("freeze");
        txn.commit().await.expect("commit");
        id
    };
    let fx = Fx {
        s_a: s.structure_id,
        s_b,
        marie: s.marie,
        luc: luc.staff.id,
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
        xs_a,
        xs_b,
        incident,
        jean: jean_id,
        claire,
        jean_nid: crate::helpers::national_id(JEAN_MARTIN_RPPS)
            .as_str()
            .to_owned(),
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
    let hours = json!({ "address": "2 rue du Château, 77000 Melun", "opening_hours": { "days": [
        { "opens": "08:00", "closes": "20:00" }, null, null, null, null, null, null ] } });
    vec![
        row(
            M::GET,
            "/api/health",
            ALL_O,
            None,
            fixed("/api/health", json!(null)),
        ),
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
        ),
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
        ),
        row(
            M::POST,
            "/api/session/keep-alive",
            SIGNED,
            None,
            fixed("/api/session/keep-alive", json!(null)),
        ),
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
        row(
            M::POST,
            "/api/approvals",
            // Anyone may ask (a terminal); one pending request per identity, whoever asks.
            [O, T, T, T, T, T, T],
            None,
            fixed(
                "/api/approvals",
                json!({ "national_id": unknown_nid("1999999998") }),
            ),
        ),
        row(
            M::GET,
            "/api/approvals/{id}",
            [N, O, N, N, N, N, N],
            Some(ALL_N),
            id(|fx, s| fx.pick(s, fx.ap_a, fx.ap_b), "/api/approvals/{id}"),
        ),
        row(
            M::GET,
            "/api/approvals/{id}/events",
            [N, O, N, N, N, N, N],
            Some(ALL_N),
            id(
                |fx, s| fx.pick(s, fx.ap_a, fx.ap_b),
                "/api/approvals/{id}/events",
            ),
        ),
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
        ),
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
        row(
            M::POST,
            "/api/approver/requests/{id}/approve",
            [U, U, U, U, B, U, B],
            None,
            |fx, _| {
                (
                    format!("/api/approver/requests/{}/approve", fx.ap_a),
                    json!({ "ceremony_id": Uuid::nil(), "credential": {} }),
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
        row(
            M::GET,
            "/api/sessions",
            SIGNED,
            None,
            fixed("/api/sessions", json!(null)),
        ),
        row(
            M::POST,
            "/api/sessions/{id}/end",
            [U, N, N, O, N, N, N],
            Some([U, N, N, N, O, N, N]),
            id(
                |fx, s| fx.pick(s, fx.xs_a, fx.xs_b),
                "/api/sessions/{id}/end",
            ),
        ),
        row(
            M::GET,
            "/api/session/events",
            SIGNED,
            None,
            fixed("/api/session/events", json!(null)),
        ),
        row(
            M::POST,
            "/api/sessions/report",
            ALL_N,
            None,
            fixed("/api/sessions/report", json!({ "token": "x".repeat(32) })),
        ),
        row(
            M::POST,
            "/api/activation",
            ALL_O,
            None,
            fixed(
                "/api/activation",
                json!({ "national_id": unknown_nid("1999999997") }),
            ),
        ),
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
        ),
        row(
            M::GET,
            "/api/security/incidents",
            OFFICER,
            None,
            fixed("/api/security/incidents", json!(null)),
        ),
        row(
            M::POST,
            "/api/security/incidents/{id}/close",
            OFFICER,
            None,
            |fx, _| {
                (
                    format!("/api/security/incidents/{}/close", fx.incident),
                    json!({ "reason": "Vérifié avec le Dr Martin" }),
                )
            },
        ),
        row(
            M::GET,
            "/api/security/freezes",
            OFFICER,
            None,
            fixed("/api/security/freezes", json!(null)),
        ),
        row(
            M::POST,
            "/api/security/freezes/{national_id}/lift",
            [U, F, F, F, F, F, C],
            None,
            |fx, _| {
                (
                    format!("/api/security/freezes/{}/lift", fx.jean_nid),
                    json!({ "reason": "Vérifié" }),
                )
            },
        ),
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
        ),
        row(
            M::GET,
            "/api/accounts/me",
            [U, F, F, F, F, O, F],
            None,
            fixed("/api/accounts/me", json!(null)),
        ),
        row(
            M::GET,
            "/api/vaccination/context",
            [U, O, F, O, O, F, O],
            None,
            fixed("/api/vaccination/context", json!(null)),
        ),
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
        ),
        row(
            M::GET,
            "/api/patients/{id}",
            CARE_A,
            Some(CARE_B),
            id(|fx, s| fx.pick(s, fx.p_a, fx.p_b), "/api/patients/{id}"),
        ),
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
        ),
        row(
            M::POST,
            "/api/vaccinations",
            [U, O, F, O, F, F, F],
            Some([U, F, F, F, O, F, F]),
            |fx, s| {
                (
                    "/api/vaccinations".into(),
                    json!({
                        "idempotency_key": Uuid::new_v4(),
                        "structure_id": fx.pick(s, fx.s_a, fx.s_b),
                        "patient": { "kind": "existing", "id": fx.pick(s, fx.p_a, fx.p_b) },
                        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "postpone", "postpone_reason": "Fièvre ce matin" },
                        "injection": null
                    }),
                )
            },
        ),
        row(
            M::POST,
            "/api/injections/{id}/correct",
            CARE_A,
            Some(CARE_B),
            |fx, s| {
                (
                    format!("/api/injections/{}/correct", fx.pick(s, fx.i_a, fx.i_b)),
                    json!({ "reason": "Bras droit en fait", "site": "right_deltoid", "lot_id": null, "administered_at": null }),
                )
            },
        ),
        row(
            M::GET,
            "/api/injections/{id}/revisions",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.i_a, fx.i_b),
                "/api/injections/{id}/revisions",
            ),
        ),
        row(
            M::POST,
            "/api/injections/{id}/adverse-effects",
            CARE_A,
            Some(CARE_B),
            |fx, s| {
                (
                    format!(
                        "/api/injections/{}/adverse-effects",
                        fx.pick(s, fx.i_a, fx.i_b)
                    ),
                    json!({ "description": "Douleur au point d'injection" }),
                )
            },
        ),
        row(
            M::GET,
            "/api/patients/{id}/certificate",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.p_a, fx.p_b),
                "/api/patients/{id}/certificate",
            ),
        ),
        row(
            M::GET,
            "/api/patients/{id}/recap.pdf",
            CARE_A,
            Some(CARE_B),
            id(
                |fx, s| fx.pick(s, fx.p_a, fx.p_b),
                "/api/patients/{id}/recap.pdf",
            ),
        ),
        row(
            M::GET,
            "/api/structures/{id}/lots",
            [U, N, N, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            id(
                |fx, s| fx.pick(s, fx.s_a, fx.s_b),
                "/api/structures/{id}/lots",
            ),
        ),
        row(
            M::POST,
            "/api/structures/{id}/lots",
            [U, N, N, C, N, C, N],
            Some([U, N, N, N, C, N, N]),
            |fx, s| {
                (
                    format!("/api/structures/{}/lots", fx.pick(s, fx.s_a, fx.s_b)),
                    json!({ "product_code": "spikevax", "number": "MX0001", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730) }),
                )
            },
        ),
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
        ),
        row(
            M::GET,
            "/api/certificates/signing-certificate",
            ALL_O,
            None,
            fixed("/api/certificates/signing-certificate", json!(null)),
        ),
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
        ),
        row(
            M::GET,
            "/api/statistics/national.csv",
            ALL_O,
            None,
            fixed("/api/statistics/national.csv", json!(null)),
        ),
        row(
            M::GET,
            "/api/statistics/departments",
            ALL_O,
            None,
            fixed("/api/statistics/departments?dep=77", json!(null)),
        ),
        row(
            M::GET,
            "/api/statistics/departments.csv",
            ALL_O,
            None,
            fixed("/api/statistics/departments.csv?dep=77", json!(null)),
        ),
        row(
            M::GET,
            "/api/structures/managed",
            [U, Z, Z, Z, Z, O, Z],
            None,
            fixed("/api/structures/managed", json!(null)),
        ),
        row(
            M::GET,
            "/api/structures/{id}",
            [U, O, O, O, N, O, N],
            Some([U, N, N, N, O, N, N]),
            id(|fx, s| fx.pick(s, fx.s_a, fx.s_b), "/api/structures/{id}"),
        ),
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
        ),
        row(
            M::GET,
            "/api/structures/{id}/staff",
            MANAGE_A,
            Some(MANAGE_B),
            id(
                |fx, s| fx.pick(s, fx.s_a, fx.s_b),
                "/api/structures/{id}/staff",
            ),
        ),
        row(
            M::POST,
            "/api/structures/{id}/staff",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s| {
                (
                    format!("/api/structures/{}/staff", fx.pick(s, fx.s_a, fx.s_b)),
                    json!({ "cpe_number": "3009876543", "first_name": "Nina", "last_name": "Roux", "role": "Accueil" }),
                )
            },
        ),
        row(
            M::POST,
            "/api/structures/{id}/staff/{staff_id}/enrolment",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/enrolment",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.pick(s, fx.marie, fx.paul)
                    ),
                    json!(null),
                )
            },
        ),
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
        ),
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
        ),
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
        ),
        row(
            M::GET,
            "/api/delegation/delegates",
            [U, F, F, O, O, F, Z],
            None,
            fixed("/api/delegation/delegates", json!(null)),
        ),
        row(
            M::PUT,
            "/api/delegation/delegates/{staff_id}",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s| {
                (
                    format!("/api/delegation/delegates/{}", fx.pick(s, fx.luc, fx.paul)),
                    json!(null),
                )
            },
        ),
        row(
            M::DELETE,
            "/api/delegation/delegates/{staff_id}",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s| {
                (
                    format!("/api/delegation/delegates/{}", fx.pick(s, fx.luc, fx.paul)),
                    json!(null),
                )
            },
        ),
        row(
            M::POST,
            "/api/structures/{id}/staff/{staff_id}/withdraw",
            MANAGE_A,
            Some(MANAGE_B),
            |fx, s| {
                (
                    format!(
                        "/api/structures/{}/staff/{}/withdraw",
                        fx.pick(s, fx.s_a, fx.s_b),
                        fx.pick(s, fx.luc, fx.paul)
                    ),
                    json!(null),
                )
            },
        ),
        row(
            M::GET,
            "/api/supervision/sessions",
            [U, F, F, O, O, F, Z],
            None,
            fixed("/api/supervision/sessions", json!(null)),
        ),
        row(
            M::GET,
            "/api/supervision/events",
            PROS,
            None,
            fixed("/api/supervision/events", json!(null)),
        ),
        row(
            M::POST,
            "/api/injections/{id}/contest",
            [U, F, F, O, N, F, N],
            Some([U, F, F, N, O, F, N]),
            |fx, s| {
                (
                    format!("/api/injections/{}/contest", fx.pick(s, fx.i_a, fx.i_b)),
                    json!({ "reason": "Lot à vérifier" }),
                )
            },
        ),
        row(
            M::POST,
            "/api/injections/{id}/invalidate",
            [U, O, F, C, N, F, N],
            Some(CARE_B),
            |fx, s| {
                (
                    format!("/api/injections/{}/invalidate", fx.pick(s, fx.i_a, fx.i_b)),
                    json!({ "reason": "Doublon" }),
                )
            },
        ),
        // Typing the full NIR opens the file (the patient is in front of you): any recorder.
        row(
            M::POST,
            "/api/patients/lookup",
            [U, O, F, O, O, F, O],
            Some([U, O, F, O, O, F, O]),
            |_, s| {
                let nir = if s == Side::A {
                    valid_nir("1850577006084")
                } else {
                    valid_nir("1850569123456")
                };
                ("/api/patients/lookup".into(), json!({ "nir": nir }))
            },
        ),
        // Ends Marie's approved session: from here on she is signed out.
        row(
            M::POST,
            "/api/supervision/sessions/{id}/end",
            [U, F, F, O, N, F, N],
            Some([U, U, F, N, O, F, N]),
            id(
                |fx, s| fx.pick(s, fx.ds_a, fx.ds_b),
                "/api/supervision/sessions/{id}/end",
            ),
        ),
        row(
            M::POST,
            "/api/session/logout",
            [U, U, O, O, O, O, O],
            None,
            fixed("/api/session/logout", json!(null)),
        ),
    ]
}

/// The objects a caller must never read: side B's for the side-A callers (Marie, Jean, the
/// Melun manager), side A's for Claire. (Anonymous callers read nothing of either; the officer
/// reads across structures.)
fn foreign_ids(fx: &Fx, role: usize) -> Vec<String> {
    let side_a = [
        fx.s_a,
        fx.marie,
        fx.luc,
        fx.p_a,
        fx.i_a,
        fx.lot_a.id,
        fx.ap_a,
        fx.ds_a,
        fx.xs_a,
        fx.jean,
    ];
    let side_b = [
        fx.s_b,
        fx.paul,
        fx.p_b,
        fx.i_b,
        fx.lot_b.id,
        fx.ds_b,
        fx.xs_b,
        fx.claire,
    ];
    let foreign: &[Uuid] = match role {
        1 | 2 | 3 | 5 => &side_b,
        4 => &side_a,
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
        E::C => status.is_success() || status == StatusCode::CONFLICT,
        // A refusal is a JSON `ApiError` with its French message, whatever the route.
        E::S(code) => {
            status.as_u16() == code
                && serde_json::from_str::<vigie_shared::ApiError>(body)
                    .is_ok_and(|e| !e.message.trim().is_empty())
        }
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
        let sides: &[(Side, [E; 7])] = &match r.b {
            Some(b) => vec![(Side::A, r.a), (Side::B, b)],
            None => vec![(Side::A, r.a)],
        };
        for (side, expected) in sides.iter() {
            let (path, body) = (r.build)(&fx, *side);
            for (role, device) in devices.iter().enumerate() {
                let mut request = device
                    .client
                    .request(r.method.clone(), base.join(&path).expect("path"));
                if !body.is_null() {
                    request = request.json(&body);
                }
                let response = request.send().await.expect("request");
                let status = response.status();
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
                // What a caller may read never names the other side's objects.
                if r.method == Method::GET && status.is_success() {
                    for leaked in foreign_ids(&fx, role)
                        .iter()
                        .filter(|id| text.contains(id.as_str()))
                    {
                        let _ = writeln!(
                            failures,
                            "GET {path} [{}] {}: the answer names {leaked}, an object of the other side",
                            if *side == Side::A { "A" } else { "B" },
                            ROLES[role],
                        );
                    }
                }
                if !matches(expected[role], status, &text) {
                    let _ = writeln!(
                        failures,
                        "{} {path} [{}] {}: expected {:?}, got {status} {}",
                        r.method,
                        if *side == Side::A { "A" } else { "B" },
                        ROLES[role],
                        expected[role],
                        text.chars().take(160).collect::<String>()
                    );
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
    assert!(cells >= 750, "{cells} cells");
}
