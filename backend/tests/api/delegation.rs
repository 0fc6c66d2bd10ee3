//! Délégation de saisie through the real API: the manager declares staff and hands out their
//! passkey link; the professional chooses delegates; the delegate signs in with their own
//! passkey, asks the professional, who approves on the phone with the tablet's code; entries
//! carry both identities; the professional supervises live, ends the session, contests.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    demo::{
        CENTRE_ACCOUNT_MOBILE, CENTRE_ACCOUNT_PASSWORD, CENTRE_FINESS, DEMO_STAFF_CPE,
        JEAN_MARTIN_RPPS,
    },
    entities::{audit_event, injection, staff_member},
};
use vigie_shared::{
    ErrorCode,
    api::{
        approval::{ApprovalChallenge, ApprovalConfirm, ApprovalCreated, PendingApproval},
        delegation::{
            AuthorityOption, DelegateChoice, DelegatedEntry, DelegatedSessionView, StaffEnrolment,
            StaffView, StructureDetails,
        },
        passkey::{AuthenticationChallenge, RegistrationChallenge},
        session::{PrincipalKind, SessionState},
        vaccination::{LotView, PatientFile, VaccinationContext, VaccinationRecorded},
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::helpers::{Device, TestApp, api_error, ok_json};

/// A structure account signed in with password and SMS code: the centre's manager.
pub async fn manager(app: &TestApp) -> Device {
    let device = app.device();
    ok_json::<SessionState>(
        device
            .post(
                "/api/accounts/sign-in",
                &json!({ "identifier": CENTRE_FINESS, "password": CENTRE_ACCOUNT_PASSWORD }),
            )
            .await,
    )
    .await;
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    ok_json::<SessionState>(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
    )
    .await;
    device
}

/// Everyone in the hall: the manager, the doctor's phone, the delegate's tablet with her
/// passkey created from the manager's link.
pub struct Scene {
    pub app: TestApp,
    pub manager: Device,
    pub structure_id: Uuid,
    pub marie: Uuid,
    pub phone: Device,
    pub phone_key: SoftPasskey,
    pub tablet: Device,
    pub tablet_key: SoftPasskey,
    pub jean_id: Uuid,
}

/// Marie Dupont's passkey link, handed out by the manager signed in on `manager`: the
/// structure, Marie's id and the link.
pub async fn marie_link(manager: &Device) -> (Uuid, Uuid, StaffEnrolment) {
    let managed: Vec<StructureDetails> =
        ok_json(manager.get("/api/structures/managed").await).await;
    let structure_id = managed[0].id;
    let staff: Vec<StaffView> = ok_json(
        manager
            .get(&format!("/api/structures/{structure_id}/staff"))
            .await,
    )
    .await;
    let marie = staff
        .iter()
        .find(|s| s.cpe_number == DEMO_STAFF_CPE)
        .expect("Marie Dupont is declared")
        .id;
    let link: StaffEnrolment = ok_json(
        manager
            .post_empty(&format!(
                "/api/structures/{structure_id}/staff/{marie}/enrolment"
            ))
            .await,
    )
    .await;
    (structure_id, marie, link)
}

pub async fn scene() -> Scene {
    scene_in(TestApp::spawn().await).await
}

pub async fn scene_in(app: TestApp) -> Scene {
    let manager = manager(&app).await;
    let (structure_id, marie, link) = marie_link(&manager).await;
    assert!(link.link.contains("/personnel/activation#jeton="));
    let tablet = app.device();
    let mut tablet_key = SoftPasskey::new(true);
    register_staff_key(&app, &tablet, &mut tablet_key, &link.enrolment_token).await;
    let (phone, phone_key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let jean_id = app.professional_id(JEAN_MARTIN_RPPS).await;
    Scene {
        app,
        manager,
        structure_id,
        marie,
        phone,
        phone_key,
        tablet,
        tablet_key,
        jean_id,
    }
}

pub async fn register_staff_key(
    app: &TestApp,
    tablet: &Device,
    key: &mut SoftPasskey,
    token: &str,
) {
    let challenge: RegistrationChallenge = ok_json(
        tablet
            .post(
                "/api/delegation/passkeys/registration/start",
                &json!({ "enrolment_token": token }),
            )
            .await,
    )
    .await;
    let credential = key
        .do_registration(app.base.clone(), challenge.options)
        .expect("staff key registers");
    ok_json::<Value>(
        tablet
            .post(
                "/api/delegation/passkeys/registration/finish",
                &json!({ "ceremony_id": challenge.ceremony_id, "credential": credential, "label": "Tablette" }),
            )
            .await,
    )
    .await;
}

/// The delegate signs in with her passkey; the raw finish answer.
pub async fn staff_sign_in(
    app: &TestApp,
    tablet: &Device,
    key: &mut SoftPasskey,
) -> reqwest::Response {
    let challenge: AuthenticationChallenge = ok_json(
        tablet
            .post(
                "/api/delegation/sign-in/start",
                &json!({ "cpe_number": DEMO_STAFF_CPE }),
            )
            .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("staff key signs");
    tablet
        .post(
            "/api/delegation/sign-in/finish",
            &json!({ "ceremony_id": challenge.ceremony_id, "credential": credential }),
        )
        .await
}

impl Scene {
    pub async fn ask(&self) -> reqwest::Response {
        self.tablet
            .post(
                "/api/delegation/requests",
                &json!({ "professional_id": self.jean_id, "terminal_label": "Tablette 3" }),
            )
            .await
    }

    /// The doctor types the tablet's code on the phone and confirms with the passkey.
    pub async fn approve(&mut self, created: &ApprovalCreated) {
        approve_on(&self.app, &self.phone, &mut self.phone_key, created).await;
    }

    /// Sign-in, request, approval, claim: an approved delegated session on the tablet.
    pub async fn delegated_session(&mut self) -> SessionState {
        ok_json::<SessionState>(staff_sign_in(&self.app, &self.tablet, &mut self.tablet_key).await)
            .await;
        let created: ApprovalCreated = ok_json(self.ask().await).await;
        self.approve(&created).await;
        ok_json(
            self.tablet
                .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
                .await,
        )
        .await
    }

    pub async fn lot(&self) -> LotView {
        let ctx: VaccinationContext =
            ok_json(self.tablet.get("/api/vaccination/context").await).await;
        ctx.structures[0].lots[0].clone()
    }

    pub async fn record(&self, lot: &LotView, key: Uuid) -> reqwest::Response {
        self.tablet
            .post(
                "/api/vaccinations",
                &json!({
                    "idempotency_key": key,
                    "structure_id": self.structure_id,
                    "patient": { "kind": "new", "nir": "255081416802538", "family_name": "Durand",
                        "given_names": "Camille", "birth_date": "1955-08-20", "sex": "female",
                        "residence_department": "77", "esms_finess": null },
                    "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
                    "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
                }),
            )
            .await
    }
}

/// A professional's phone approves a request: the tablet's code, then the passkey.
pub async fn approve_on(
    app: &TestApp,
    phone: &Device,
    key: &mut SoftPasskey,
    created: &ApprovalCreated,
) {
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
        phone
            .post(
                &format!("/api/approver/requests/{id}/approve"),
                &ApprovalConfirm {
                    ceremony_id: challenge.ceremony_id,
                    credential,
                },
            )
            .await,
    )
    .await;
}

async fn next_event(response: &mut reqwest::Response) -> String {
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), response.chunk())
            .await
            .expect("an event within 5 s")
            .expect("stream")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn delegated_session_from_request_to_supervised_entry_to_end() {
    let mut s = scene().await;
    // Signed in with her passkey, Marie can only ask: no health data yet.
    let state: SessionState =
        ok_json(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    assert_eq!(state.kind, PrincipalKind::Delegate);
    assert_eq!(state.typist.as_deref(), Some("Marie Dupont"));
    assert_eq!(state.authority, None);
    let e = api_error(
        s.tablet.get("/api/vaccination/context").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(e.code, ErrorCode::DelegationRequired);
    let who: Vec<AuthorityOption> =
        ok_json(s.tablet.get("/api/delegation/authorities").await).await;
    assert_eq!(who.len(), 1);
    assert_eq!(who[0].display_name, "Dr Jean Martin");

    // Her request reaches the doctor's phone with its context.
    let mut supervision = s.phone.get("/api/supervision/events").await;
    assert_eq!(
        supervision.status(),
        StatusCode::UNAUTHORIZED,
        "the approver phone is not a session"
    );
    let computer = s.jean_computer().await;
    supervision = computer.get("/api/supervision/events").await;
    assert_eq!(supervision.status(), StatusCode::OK);

    let cookie_before = s.tablet.get("/api/session").await;
    assert_eq!(cookie_before.status(), StatusCode::OK);
    let created: ApprovalCreated = ok_json(s.ask().await).await;
    let pending: Vec<PendingApproval> = ok_json(s.phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].requested_by.as_deref(), Some("Marie Dupont"));
    assert_eq!(pending[0].place, "Centre de vaccination de Melun");
    // Not an enrolled tablet: the name typed on it is not shown (terminals.rs signs one).
    assert_eq!(pending[0].terminal, "Poste inconnu");
    s.approve(&created).await;
    let r = s
        .tablet
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    let state: SessionState = ok_json(r).await;
    assert_eq!(
        state.delegation_banner().as_deref(),
        Some("Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin")
    );
    assert!(
        next_event(&mut supervision)
            .await
            .contains("delegated_session")
    );

    // An entry: both identities, the session and the terminal are stored and audited.
    let lot = s.lot().await;
    let recorded: VaccinationRecorded = ok_json(s.record(&lot, Uuid::new_v4()).await).await;
    let view = recorded.injection.expect("an injection");
    assert_eq!(view.typed_by.as_deref(), Some("Marie Dupont"));
    assert_eq!(view.vaccinator, "Dr Jean Martin");
    let row = injection::Entity::find_by_id(view.id)
        .one(&s.app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.staff_member_id, Some(s.marie));
    assert_eq!(row.professional_id, s.jean_id);
    assert!(row.terminal_id.is_some(), "the tablet is recorded");
    s.app.sealed().await;
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("vaccination.recorded"))
        .one(&s.app.state.db)
        .await
        .expect("query")
        .expect("audited");
    assert_eq!(audit.actor.as_deref(), Some(s.marie.to_string().as_str()));
    assert_eq!(
        audit.authority.as_deref(),
        Some(s.jean_id.to_string().as_str())
    );
    assert_eq!(audit.session_id, Some(row.session_id));
    assert!(audit.terminal.is_some());
    let live = next_event(&mut supervision).await;
    assert!(
        live.contains("delegated_entry") && live.contains(&view.id.to_string()),
        "{live}"
    );
    let listed: Vec<DelegatedSessionView> =
        ok_json(computer.get("/api/supervision/sessions").await).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].typist, "Marie Dupont");
    assert_eq!(listed[0].terminal, "Tablette 3");
    assert_eq!(listed[0].entries.len(), 1);
    // "Mes sessions" on the tablet names it as the phone showed the request (this tablet is
    // not enrolled: "Poste inconnu"), with the name typed there as a hint, not after its browser.
    let mine: Vec<vigie_shared::api::session::SessionSummary> =
        ok_json(s.tablet.get("/api/sessions").await).await;
    assert_eq!(
        mine.iter()
            .find(|m| m.current)
            .and_then(|m| m.terminal.as_deref()),
        Some("Poste inconnu (nommé « Tablette 3 » sur le poste)")
    );

    // Contest: flagged, history kept, the tablet told.
    let mut tablet_events = s.tablet.get("/api/session/events").await;
    let contested: DelegatedEntry = ok_json(
        computer
            .post(
                &format!("/api/injections/{}/contest", view.id),
                &json!({ "reason": "Lot à vérifier" }),
            )
            .await,
    )
    .await;
    assert_eq!(
        contested.contest.as_ref().map(|c| c.reason.as_str()),
        Some("Lot à vérifier")
    );
    let told = next_event(&mut tablet_events).await;
    assert!(told.contains("entry_contested"), "{told}");
    // The delegate typed that entry: the notice names its patient.
    assert!(
        !contested.patient_name.is_empty() && told.contains(&contested.patient_name),
        "{told}"
    );
    let file: PatientFile = ok_json(
        s.tablet
            .get(&format!("/api/patients/{}", recorded.patient_id))
            .await,
    )
    .await;
    assert_eq!(
        file.injections[0].contest.as_ref().map(|c| c.by.as_str()),
        Some("Dr Jean Martin")
    );
    // The recap names both: who typed, under whose responsibility.
    let bytes = s
        .tablet
        .get(&format!("/api/patients/{}/recap.pdf", recorded.patient_id))
        .await
        .bytes()
        .await
        .expect("pdf");
    let doc = lopdf::Document::load_mem(&bytes).expect("a PDF");
    let text = doc
        .extract_text(&[1])
        .expect("text")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin"),
        "{text}"
    );
    assert!(text.contains("saisie : Marie Dupont"), "{text}");
    let revisions: Vec<Value> = ok_json(
        computer
            .get(&format!("/api/injections/{}/revisions", view.id))
            .await,
    )
    .await;
    assert_eq!(revisions.len(), 1);

    // One tap ends it: the tablet hears it and is refused from then on.
    let r = computer
        .post_empty(&format!(
            "/api/supervision/sessions/{}/end",
            listed[0].session_id
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let ended = next_event(&mut tablet_events).await;
    assert!(
        ended.contains("session_ended") && ended.contains("ended_by_authority"),
        "{ended}"
    );
    api_error(
        s.tablet.get("/api/vaccination/context").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let e = api_error(
        s.record(&lot, Uuid::new_v4()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(e.code, ErrorCode::SessionExpired);
}

#[tokio::test]
async fn undeclared_withdrawn_or_unchosen_staff_are_refused_before_any_push() {
    let mut s = scene().await;
    ok_json::<SessionState>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    // Jean withdraws his authorisation: the request is refused, nothing reaches the phone.
    ok_json::<DelegateChoice>(s.tablet_less_jean().await).await;
    let e = api_error(s.ask().await, StatusCode::FORBIDDEN).await;
    assert_eq!(e.code, ErrorCode::DelegationNotAllowed);
    let pending: Vec<PendingApproval> = ok_json(s.phone.get("/api/approver/requests").await).await;
    assert!(pending.is_empty());
    let who: Vec<AuthorityOption> =
        ok_json(s.tablet.get("/api/delegation/authorities").await).await;
    assert!(who.is_empty());
    // Authorised again: an approved session; then the manager withdraws Marie: it ends.
    s.jean_device_authorise().await;
    let mut fresh = s.app.device();
    std::mem::swap(&mut fresh, &mut s.tablet);
    s.delegated_session().await;
    let withdrawn: StaffView = ok_json(
        s.manager
            .post_empty(&format!(
                "/api/structures/{}/staff/{}/withdraw",
                s.structure_id, s.marie
            ))
            .await,
    )
    .await;
    assert!(withdrawn.withdrawn_at.is_some());
    assert!(!withdrawn.passkey_enrolled, "her passkeys are removed");
    api_error(s.tablet.get("/api/session").await, StatusCode::UNAUTHORIZED).await;
    // Her passkey no longer opens anything.
    let challenge: AuthenticationChallenge = ok_json(
        s.tablet
            .post(
                "/api/delegation/sign-in/start",
                &json!({ "cpe_number": DEMO_STAFF_CPE }),
            )
            .await,
    )
    .await;
    assert!(
        s.tablet_key
            .do_authentication(s.app.base.clone(), challenge.options)
            .is_err()
    );
    let row = staff_member::Entity::find_by_id(s.marie)
        .one(&s.app.state.db)
        .await
        .expect("q")
        .expect("row");
    assert!(row.withdrawn_at.is_some());
    // Malformed CPE numbers get a French message.
    let e = api_error(
        s.tablet
            .post(
                "/api/delegation/sign-in/start",
                &json!({ "cpe_number": "12ab" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(e.message.contains("Numéro de carte CPE"), "{}", e.message);
}

impl Scene {
    /// Dr Jean Martin's own session (computer), signed in with the phone's passkey.
    pub async fn jean_computer(&mut self) -> Device {
        let computer = self.app.device();
        self.app
            .sign_in_on(&computer, JEAN_MARTIN_RPPS, &mut self.phone_key)
            .await;
        computer
    }

    async fn tablet_less_jean(&mut self) -> reqwest::Response {
        let computer = self.jean_computer().await;
        let choices: Vec<DelegateChoice> =
            ok_json(computer.get("/api/delegation/delegates").await).await;
        assert!(
            choices
                .iter()
                .any(|c| c.staff_id == self.marie && c.authorised)
        );
        let client = computer.client.delete(
            self.app
                .url(&format!("/api/delegation/delegates/{}", self.marie)),
        );
        client.send().await.expect("request")
    }

    async fn jean_device_authorise(&mut self) {
        let computer = self.jean_computer().await;
        let r = computer
            .client
            .put(
                self.app
                    .url(&format!("/api/delegation/delegates/{}", self.marie)),
            )
            .send()
            .await
            .expect("request");
        let c: DelegateChoice = ok_json(r).await;
        assert!(c.authorised);
    }
}

#[tokio::test]
async fn a_delegate_acts_only_in_the_session_structure_and_not_as_the_professional() {
    let mut s = scene().await;
    s.delegated_session().await;
    // Professional-only screens stay closed to the delegate.
    for path in [
        "/api/delegation/delegates",
        "/api/supervision/sessions",
        "/api/approver/requests",
    ] {
        let r = s.tablet.get(path).await;
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::UNAUTHORIZED,
            "{path}: {}",
            r.status()
        );
    }
    // Another structure where Jean practises is out of this session's reach.
    let other = second_structure_for_jean(&s.app, s.jean_id).await;
    let lot = s.lot().await;
    let mut body: Value = serde_json::from_str(&format!(
        r#"{{"idempotency_key":"{}","structure_id":"{}","patient":{{"kind":"new","nir":"255081416802538","family_name":"Durand","given_names":"Camille","birth_date":"1955-08-20","sex":"female","residence_department":"77","esms_finess":null}},"consultation":{{"eligible":true,"contraindications":"","consent":true,"outcome":"vaccinate","postpone_reason":null}},"injection":{{"product_code":"{}","lot_id":"{}","site":"left_deltoid","administered_at":null,"confirmed_warnings":[]}}}}"#,
        Uuid::new_v4(), other, lot.product_code, lot.id
    ))
    .expect("json");
    let e = api_error(
        s.tablet.post("/api/vaccinations", &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(e.code, ErrorCode::DelegationRequired);
    body["structure_id"] = json!(s.structure_id);
    ok_json::<VaccinationRecorded>(s.tablet.post("/api/vaccinations", &body).await).await;
    // The session's time limits hold: 1 h idle later it is over.
    s.app.clock().advance(chrono::Duration::minutes(61));
    let e = api_error(
        s.tablet.get("/api/vaccination/context").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(e.code, ErrorCode::SessionExpired);
}

/// Marie typed an entry under Dr Martin; later, in a session approved by Claire Bernard (who
/// practises in the same centre and also chose her), that entry is not hers to change: it is
/// Dr Martin's to answer for. Her entry under Claire is, and the audit names Claire.
#[tokio::test]
async fn a_delegate_changes_only_entries_typed_under_the_session_professional() {
    use vigie_backend::demo::CLAIRE_BERNARD_RPPS;
    let mut s = scene().await;
    s.delegated_session().await;
    let lot = s.lot().await;
    let under_jean: VaccinationRecorded = ok_json(s.record(&lot, Uuid::new_v4()).await).await;
    let under_jean = under_jean.injection.expect("injection").id;
    // Dr Martin ends that session from his computer.
    let computer = s.jean_computer().await;
    let open: Vec<DelegatedSessionView> =
        ok_json(computer.get("/api/supervision/sessions").await).await;
    assert_eq!(open.len(), 1);
    let r = computer
        .post_empty(&format!(
            "/api/supervision/sessions/{}/end",
            open[0].session_id
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Claire practises in the centre too and chooses Marie as her delegate.
    let claire = s.app.professional_id(CLAIRE_BERNARD_RPPS).await;
    assert!(
        vigie_backend::access::structures_of(&s.app.state.db, claire)
            .await
            .expect("query")
            .contains(&s.structure_id)
    );
    let (claire_phone, mut claire_phone_key) = s.app.activated_phone(CLAIRE_BERNARD_RPPS).await;
    let claire_computer = s.app.device();
    s.app
        .sign_in_on(&claire_computer, CLAIRE_BERNARD_RPPS, &mut claire_phone_key)
        .await;
    let r = claire_computer
        .client
        .put(s.app.url(&format!("/api/delegation/delegates/{}", s.marie)))
        .send()
        .await
        .expect("request");
    assert!(ok_json::<DelegateChoice>(r).await.authorised);

    // Marie signs in again and asks Claire this time.
    let tablet = s.app.device();
    ok_json::<SessionState>(staff_sign_in(&s.app, &tablet, &mut s.tablet_key).await).await;
    let created: ApprovalCreated = ok_json(
        tablet
            .post(
                "/api/delegation/requests",
                &json!({ "professional_id": claire, "terminal_label": "Tablette 3" }),
            )
            .await,
    )
    .await;
    approve_on(&s.app, &claire_phone, &mut claire_phone_key, &created).await;
    let state: SessionState = ok_json(
        tablet
            .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
            .await,
    )
    .await;
    assert_eq!(state.authority.as_deref(), Some("Claire Bernard"));

    let correction = |reason: &str| json!({ "reason": reason, "lot_id": null, "site": "right_deltoid", "administered_at": null });
    // Dr Martin's entry: refused as not hers (a right, not the entry's state), and unchanged.
    let e = api_error(
        tablet
            .post(
                &format!("/api/injections/{under_jean}/correct"),
                &correction("Bras droit en fait"),
            )
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(e.code, ErrorCode::NotYourEntry);
    let e = api_error(
        tablet
            .post(
                &format!("/api/injections/{under_jean}/invalidate"),
                &json!({ "reason": "Doublon" }),
            )
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(e.code, ErrorCode::NotYourEntry);
    let row = injection::Entity::find_by_id(under_jean)
        .one(&s.app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.version, 1);
    assert_eq!(
        row.site,
        vigie_shared::api::vaccination::InjectionSite::LeftDeltoid
    );

    // Her entry under Claire: hers to correct, audited under Claire's authority.
    let tablet_lot: VaccinationContext =
        ok_json(tablet.get("/api/vaccination/context").await).await;
    let lot = tablet_lot.structures[0].lots[0].clone();
    let body = json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": s.structure_id,
        "patient": { "kind": "new", "nir": "180037512345692", "family_name": "Petit",
            "given_names": "Louis", "birth_date": "1980-03-10", "sex": "male",
            "residence_department": "75", "esms_finess": null },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    });
    let under_claire: VaccinationRecorded =
        ok_json(tablet.post("/api/vaccinations", &body).await).await;
    let under_claire = under_claire.injection.expect("injection").id;
    let r = tablet
        .post(
            &format!("/api/injections/{under_claire}/correct"),
            &correction("Bras droit en fait"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    s.app.sealed().await;
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("injection.corrected"))
        .all(&s.app.state.db)
        .await
        .expect("query");
    assert_eq!(audit.len(), 1, "one correction, the allowed one");
    assert_eq!(
        audit[0].authority.as_deref(),
        Some(claire.to_string().as_str())
    );
    assert_eq!(
        audit[0].actor.as_deref(),
        Some(s.marie.to_string().as_str())
    );

    // Once invalidated, her own entry is closed: 409, not 403.
    let r = tablet
        .post(
            &format!("/api/injections/{under_claire}/invalidate"),
            &json!({ "reason": "Doublon" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for (action, body) in [
        ("invalidate", json!({ "reason": "Doublon" })),
        ("correct", correction("Bras gauche finalement")),
    ] {
        let e = api_error(
            tablet
                .post(&format!("/api/injections/{under_claire}/{action}"), &body)
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(e.code, ErrorCode::CorrectionClosed, "{action}");
    }
}

/// A second structure where Dr Jean Martin also practises (Lyon).
pub async fn second_structure_for_jean(app: &TestApp, jean: Uuid) -> Uuid {
    use sea_orm::ActiveValue::Set;
    use vigie_backend::entities::practice;
    let id = app.lyon_centre().await;
    practice::Entity::insert(practice::ActiveModel {
        professional_id: Set(jean),
        structure_id: Set(id),
    })
    .exec(&app.state.db)
    .await
    .expect("practice");
    id
}
#[tokio::test]
async fn a_professional_named_manager_manages_staff_with_a_passkey() {
    let s = scene().await;
    let claire = crate::helpers::national_id(vigie_backend::demo::CLAIRE_BERNARD_RPPS);
    let mut key = SoftPasskey::new(true);
    s.app
        .register_passkey(vigie_backend::demo::CLAIRE_BERNARD_RPPS, &mut key)
        .await;
    s.app
        .sign_in(vigie_backend::demo::CLAIRE_BERNARD_RPPS, &mut key)
        .await;
    // Practising there is not managing it.
    let path = format!("/api/structures/{}/staff", s.structure_id);
    let e = api_error(s.app.get(&path).await, StatusCode::FORBIDDEN).await;
    assert_eq!(e.code, ErrorCode::Forbidden);
    let finess = vigie_shared::Finess::parse(CENTRE_FINESS).expect("finess");
    vigie_backend::delegation::structures::grant_manager(
        &s.app.state.db,
        s.app.state.now(),
        &claire,
        &finess,
    )
    .await
    .expect("granted");
    let managed: Vec<StructureDetails> = ok_json(s.app.get("/api/structures/managed").await).await;
    assert_eq!(managed.len(), 1);
    assert!(managed[0].can_manage);
    // A name that would print reversed on the supervision screen and in mails: refused, and
    // nothing declared (the same person is declared just after).
    let e = api_error(
        s.app
            .post(
                &path,
                &json!({ "cpe_number": "3005556667", "first_name": "Inès", "last_name": "\u{202E}aicraG", "role": "Secrétaire" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message.starts_with("Nom : caractère invisible"),
        "{}",
        e.message
    );
    let declared: StaffEnrolment = ok_json(
        s.app
            .post(
                &path,
                &json!({ "cpe_number": "3005556667", "first_name": "Inès", "last_name": "Garcia", "role": "Secrétaire" }),
            )
            .await,
    )
    .await;
    assert!(!declared.staff.passkey_enrolled);
    // Declared twice: a clear conflict, not a second row.
    let e = api_error(
        s.app
            .post(
                &path,
                &json!({ "cpe_number": "300 555 6667", "first_name": "Inès", "last_name": "Garcia", "role": "Secrétaire" }),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(e.code, ErrorCode::AlreadyDeclared);
    // Opening hours: a day closing before it opens gets a French message.
    let r = s
        .app
        .client
        .put(s.app.url(&format!("/api/structures/{}", s.structure_id)))
        .json(
            &json!({ "address": "2 rue du Château, 77000 Melun", "opening_hours": { "days": [
            { "opens": "19:00", "closes": "08:00" }, null, null, null, null, null, null ] } }),
        )
        .send()
        .await
        .expect("request");
    let e = api_error(r, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        e.message,
        "Lundi : l'heure de fermeture doit suivre l'heure d'ouverture."
    );
}
