//! Typed client of the Vigie API. Every call returns `Result<T, ApiError>`: the server's own
//! error body (stable code + French message) on failure, or `ErrorCode::Network` when the
//! server could not be reached.
//!
//! Requests are same-origin, so the browser attaches the session cookie (HttpOnly, set by the
//! server) by itself: the SPA never sees, holds or stores a session token.

use std::cell::Cell;

use chrono::{DateTime, Utc};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{GetValue, Owner, StoredValue, on_cleanup};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;
use vigie_shared::{
    AccountIdentifier, ApiError, CpeNumber, ErrorCode, NationalId,
    api::{
        account::{AccountProfile, AccountSignIn, PasswordChange, PasswordPolicy, SecondFactor},
        activation::{
            ActivationGranted, ActivationQr, ActivationStart, ActivationStarted, ActivationVerify,
        },
        approval::{
            ApprovalChallenge, ApprovalConfirm, ApprovalCreate, ApprovalCreated, ApprovalState,
            ApproverPresence, CodeEntry, PendingApproval,
        },
        credentials::{CredentialReport, CredentialView},
        delegation::{
            AuthorityOption, DelegateChoice, DelegatedEntry, DelegatedRequest,
            DelegatedSessionView, EntryContest, StaffDeclaration, StaffEnrolment, StaffSignInStart,
            StaffView, StructureDetails, StructureUpdate,
        },
        health::Health,
        passkey::{
            AuthenticationChallenge, AuthenticationFinish, AuthenticationStart, RegisteredPasskey,
            RegistrationChallenge, RegistrationFinish, RegistrationStart,
        },
        push::{PushKey, PushStatus, PushSubscription},
        session::{SessionReport, SessionState, SessionSummary},
    },
};

pub type ApiResult<T> = Result<T, ApiError>;

// --- Endpoints -------------------------------------------------------------------------------

/// Service health. A 503 still carries a `Health` body (database down), shown as such.
pub async fn health() -> ApiResult<Health> {
    let response = send(Request::get("/api/health")).await?;
    let status = response.status();
    let body = body_text(&response).await?;
    match serde_json::from_str::<Health>(&body) {
        Ok(health) if response.ok() || status == 503 => Ok(health),
        _ if response.ok() => Err(unexpected_answer()),
        _ => Err(error_from(status, &body)),
    }
}

/// Who is signed in on this device: `None` when nobody is (or the session has ended). Asked
/// of `/api/session/presence`, which answers 204 rather than 401 for nobody, so an anonymous
/// visitor's browser logs no failed request.
pub async fn presence() -> ApiResult<Option<SessionState>> {
    let response = send(Request::get("/api/session/presence")).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}

/// "Rester connecté": counts as activity on the server, which pushes the idle limit back.
pub async fn keep_alive() -> ApiResult<SessionState> {
    post_empty("/api/session/keep-alive").await
}

/// Ends the session on the server, which also clears the cookie.
pub async fn logout() -> ApiResult<()> {
    no_content(send(Request::post("/api/session/logout")).await?).await
}

pub async fn registration_start(enrolment_token: &str) -> ApiResult<RegistrationChallenge> {
    let body = RegistrationStart {
        enrolment_token: enrolment_token.to_owned(),
    };
    post("/api/passkeys/registration/start", &body).await
}

pub async fn registration_finish(body: &RegistrationFinish) -> ApiResult<RegisteredPasskey> {
    post("/api/passkeys/registration/finish", body).await
}

pub async fn authentication_start(national_id: &NationalId) -> ApiResult<AuthenticationChallenge> {
    let body = AuthenticationStart {
        national_id: national_id.clone(),
    };
    post("/api/passkeys/authentication/start", &body).await
}

/// On success the server sets the session cookie and answers with the new session.
pub async fn authentication_finish(body: &AuthenticationFinish) -> ApiResult<SessionState> {
    post("/api/passkeys/authentication/finish", body).await
}

// --- Push approval: the terminal ------------------------------------------------------------

/// Asks the professional's phone; the answer (code, QR) looks the same for every identifier.
pub async fn approval_create(body: &ApprovalCreate) -> ApiResult<ApprovalCreated> {
    post("/api/approvals", body).await
}

pub async fn approval_state(id: Uuid) -> ApiResult<ApprovalState> {
    get(&format!("/api/approvals/{id}")).await
}

/// The request's live stream: `approval_status` events.
pub fn approval_events_url(id: Uuid) -> String {
    format!("/api/approvals/{id}/events")
}

pub async fn approval_cancel(id: Uuid) -> ApiResult<ApprovalState> {
    post_empty(&format!("/api/approvals/{id}/cancel")).await
}

/// Opens the session the approved request allows; the server sets the session cookie.
pub async fn approval_claim(id: Uuid) -> ApiResult<SessionState> {
    post_empty(&format!("/api/approvals/{id}/session")).await
}

// --- Push approval: the phone (approver app) -------------------------------------------------

/// Whose activated phone this browser is; `None` when it is none. Asked before the requests:
/// `/api/approver/presence` answers 204 rather than 401 for a phone not activated, so a
/// visitor's browser logs no failed request.
pub async fn approver_presence() -> ApiResult<Option<ApproverPresence>> {
    let response = send(Request::get("/api/approver/presence")).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}

/// 401 `not_approver_device` when this phone is not activated.
pub async fn approver_requests() -> ApiResult<Vec<PendingApproval>> {
    get("/api/approver/requests").await
}

/// The phone's live stream: `approval_requested` and `approval_status` events.
pub const APPROVER_EVENTS_URL: &str = "/api/approver/events";

pub async fn approver_code(id: Uuid, code: &str) -> ApiResult<ApprovalChallenge> {
    let body = CodeEntry {
        code: code.to_owned(),
    };
    post(&format!("/api/approver/requests/{id}/code"), &body).await
}

pub async fn approver_approve(id: Uuid, body: &ApprovalConfirm) -> ApiResult<ApprovalState> {
    post(&format!("/api/approver/requests/{id}/approve"), body).await
}

/// "Quitter l'authentification".
pub async fn approver_refuse(id: Uuid) -> ApiResult<ApprovalState> {
    post_empty(&format!("/api/approver/requests/{id}/refuse")).await
}

/// "Ce n'est pas moi".
pub async fn approver_report(id: Uuid) -> ApiResult<ApprovalState> {
    post_empty(&format!("/api/approver/requests/{id}/report")).await
}

// --- Web Push of the phone: the server's key, this phone's subscription ---------------------

pub async fn push_key() -> ApiResult<PushKey> {
    get("/api/push/key").await
}

pub async fn approver_push_status() -> ApiResult<PushStatus> {
    get("/api/approver/push").await
}

/// Answered by 204.
pub async fn approver_push_subscribe(subscription: &PushSubscription) -> ApiResult<()> {
    no_content(send_json(Request::put("/api/approver/push"), subscription).await?).await
}

/// Answered by 204.
pub async fn approver_push_unsubscribe() -> ApiResult<()> {
    no_content(send(Request::delete("/api/approver/push")).await?).await
}

// --- Activation of the approver app ---------------------------------------------------------

pub async fn activation_start(national_id: &NationalId) -> ApiResult<ActivationStarted> {
    let body = ActivationStart {
        national_id: national_id.clone(),
    };
    post("/api/activation", &body).await
}

pub async fn activation_verify(link_token: &str, sms_code: &str) -> ApiResult<ActivationGranted> {
    let body = ActivationVerify {
        link_token: link_token.to_owned(),
        sms_code: sms_code.to_owned(),
    };
    post("/api/activation/verify", &body).await
}

/// A 90-second QR code for a phone to scan (passkey sessions only).
pub async fn activation_qr() -> ApiResult<ActivationQr> {
    post_empty("/api/activation/qr").await
}

// --- Structure accounts ("Espace structure") ------------------------------------------------

/// Identifier and password. On success the server sets the session cookie; the session is
/// only at its `second_factor` stage and a code is sent by SMS to the account's mobile.
pub async fn account_sign_in(
    identifier: &AccountIdentifier,
    password: &str,
) -> ApiResult<SessionState> {
    let body = AccountSignIn {
        identifier: identifier.clone(),
        password: password.to_owned(),
    };
    post("/api/accounts/sign-in", &body).await
}

/// The code received by SMS; the server sets a new cookie. 401 `session_expired` when the
/// code expired or was mistyped too often (the sign-in starts over).
pub async fn account_second_factor(code: &str) -> ApiResult<SessionState> {
    let body = SecondFactor {
        code: code.to_owned(),
    };
    post("/api/accounts/second-factor", &body).await
}

/// Replaces the account's password (required when it expired or was set by an operator).
pub async fn account_password(
    current_password: &str,
    new_password: &str,
) -> ApiResult<SessionState> {
    let body = PasswordChange {
        current_password: current_password.to_owned(),
        new_password: new_password.to_owned(),
    };
    post("/api/accounts/password", &body).await
}

pub async fn password_policy() -> ApiResult<PasswordPolicy> {
    get("/api/accounts/password-policy").await
}

/// The structure account signed in on this device; 403 before the sign-in is finished.
pub async fn account_profile() -> ApiResult<AccountProfile> {
    get("/api/accounts/me").await
}

// --- Sessions --------------------------------------------------------------------------------

/// This device's session stream: `session_ended` when it is closed from elsewhere.
pub const SESSION_EVENTS_URL: &str = "/api/session/events";

/// "Mes sessions".
pub async fn sessions() -> ApiResult<Vec<SessionSummary>> {
    get("/api/sessions").await
}

pub async fn session_end(id: Uuid) -> ApiResult<()> {
    no_content(send(Request::post(&format!("/api/sessions/{id}/end"))).await?).await
}

/// My offline permits of the last week (a professional also sees his delegates').
pub async fn offline_permits() -> ApiResult<Vec<vigie_shared::api::offline::OfflinePermit>> {
    get("/api/offline/permits").await
}

/// Entries made after now on that device are refused at sync.
pub async fn offline_permit_revoke(
    id: Uuid,
) -> ApiResult<vigie_shared::api::offline::OfflinePermit> {
    post_empty(&format!("/api/offline/permits/{id}/revoke")).await
}

/// "Marquer comme vérifiée" (the responsible professional).
pub async fn offline_review_done(id: Uuid) -> ApiResult<()> {
    no_content(send(Request::post(&format!("/api/offline/review/{id}/done"))).await?).await
}

/// "Mes appareils": my passkeys and phones.
pub async fn credentials() -> ApiResult<Vec<CredentialView>> {
    get("/api/credentials").await
}

/// Revokes one of my passkeys or phones.
pub async fn credential_revoke(id: Uuid) -> ApiResult<()> {
    no_content(send(Request::delete(&format!("/api/credentials/{id}"))).await?).await
}

/// A staff member's passkeys, for their structure's manager.
pub async fn staff_credentials(structure: Uuid, staff: Uuid) -> ApiResult<Vec<CredentialView>> {
    get(&format!(
        "/api/structures/{structure}/staff/{staff}/credentials"
    ))
    .await
}

/// The structure's manager revokes one of a staff member's passkeys.
pub async fn staff_credential_revoke(structure: Uuid, staff: Uuid, id: Uuid) -> ApiResult<()> {
    let path = format!("/api/structures/{structure}/staff/{staff}/credentials/{id}");
    no_content(send(Request::delete(&path)).await?).await
}

/// The new-credential mail's "Ce n'est pas moi" link.
pub async fn credential_report(token: &str) -> ApiResult<()> {
    let body = CredentialReport {
        token: token.to_owned(),
    };
    post_no_content("/api/credentials/report", &body).await
}

/// The sign-in mail's "Ce n'est pas moi" link.
pub async fn session_report(token: &str) -> ApiResult<()> {
    let body = SessionReport {
        token: token.to_owned(),
    };
    post_no_content("/api/sessions/report", &body).await
}

// --- Structures and their managers ------------------------------------------------------------

/// The structures I manage (empty for anyone else).
pub async fn managed_structures() -> ApiResult<Vec<StructureDetails>> {
    get("/api/structures/managed").await
}

/// One structure (its manager, or a professional practising there). No screen reads it alone
/// yet: the manager's screen has them all from `managed_structures`.
#[allow(dead_code)]
pub async fn structure(id: Uuid) -> ApiResult<StructureDetails> {
    get(&format!("/api/structures/{id}")).await
}

/// Address and opening hours (managers only).
pub async fn structure_update(id: Uuid, body: &StructureUpdate) -> ApiResult<StructureDetails> {
    put(&format!("/api/structures/{id}"), body).await
}

pub async fn structure_staff(id: Uuid) -> ApiResult<Vec<StaffView>> {
    get(&format!("/api/structures/{id}/staff")).await
}

/// Declares a staff member; the answer carries their passkey link (24 h). 409
/// `already_declared` when an active staff member has that CPE number.
pub async fn staff_declare(id: Uuid, body: &StaffDeclaration) -> ApiResult<StaffEnrolment> {
    post(&format!("/api/structures/{id}/staff"), body).await
}

/// Withdraws a staff member: their open delegated sessions end at once.
pub async fn staff_withdraw(id: Uuid, staff_id: Uuid) -> ApiResult<StaffView> {
    post_empty(&format!("/api/structures/{id}/staff/{staff_id}/withdraw")).await
}

/// A new passkey link (24 h); the previous one stops working.
pub async fn staff_enrolment(id: Uuid, staff_id: Uuid) -> ApiResult<StaffEnrolment> {
    post_empty(&format!("/api/structures/{id}/staff/{staff_id}/enrolment")).await
}

// --- Delegated entry: the staff member's tablet ------------------------------------------------

pub async fn staff_registration_start(enrolment_token: &str) -> ApiResult<RegistrationChallenge> {
    let body = RegistrationStart {
        enrolment_token: enrolment_token.to_owned(),
    };
    post("/api/delegation/passkeys/registration/start", &body).await
}

pub async fn staff_registration_finish(body: &RegistrationFinish) -> ApiResult<RegisteredPasskey> {
    post("/api/delegation/passkeys/registration/finish", body).await
}

/// The same answer for unknown numbers (a challenge no passkey can answer).
pub async fn staff_sign_in_start(cpe_number: &CpeNumber) -> ApiResult<AuthenticationChallenge> {
    let body = StaffSignInStart {
        cpe_number: cpe_number.clone(),
    };
    post("/api/delegation/sign-in/start", &body).await
}

/// On success the server sets the cookie of a delegate session still waiting for approval.
pub async fn staff_sign_in_finish(body: &AuthenticationFinish) -> ApiResult<SessionState> {
    post("/api/delegation/sign-in/finish", body).await
}

/// The professionals who let me type under their responsibility, in my structure.
pub async fn delegation_authorities() -> ApiResult<Vec<AuthorityOption>> {
    get("/api/delegation/authorities").await
}

/// Asks the professional's phone to approve a delegated session on this tablet; then followed
/// and claimed like a push sign-in (`approval_*`). 403 `delegation_not_allowed` when the
/// professional does not (or no longer) let me type for them.
pub async fn delegation_request(body: &DelegatedRequest) -> ApiResult<ApprovalCreated> {
    post("/api/delegation/requests", body).await
}

// --- Delegated entry: the professional ----------------------------------------------------------

/// "Mes paramètres": the staff of my structures, and whom I let type for me.
pub async fn delegates() -> ApiResult<Vec<DelegateChoice>> {
    get("/api/delegation/delegates").await
}

pub async fn delegate_authorise(staff_id: Uuid) -> ApiResult<DelegateChoice> {
    put_empty(&format!("/api/delegation/delegates/{staff_id}")).await
}

/// Also ends their open sessions under my responsibility.
pub async fn delegate_withdraw(staff_id: Uuid) -> ApiResult<DelegateChoice> {
    decode(
        send(Request::delete(&format!(
            "/api/delegation/delegates/{staff_id}"
        )))
        .await?,
    )
    .await
}

/// Delegated sessions under my responsibility: open ones, and those ended in the last 24 h.
pub async fn supervised_sessions() -> ApiResult<Vec<DelegatedSessionView>> {
    get("/api/supervision/sessions").await
}

/// `delegated_session`, `delegated_entry`, `delegated_session_ended`, `entry_contested`.
pub const SUPERVISION_EVENTS_URL: &str = "/api/supervision/events";

/// Ends a delegated session: the tablet locks at once.
pub async fn supervised_session_end(id: Uuid) -> ApiResult<()> {
    no_content(
        send(Request::post(&format!(
            "/api/supervision/sessions/{id}/end"
        )))
        .await?,
    )
    .await
}

pub async fn entry_contest(injection_id: Uuid, reason: &str) -> ApiResult<DelegatedEntry> {
    let body = EntryContest {
        reason: reason.to_owned(),
    };
    post(&format!("/api/injections/{injection_id}/contest"), &body).await
}

// --- Security officers -----------------------------------------------------------------------
use vigie_shared::api::security::Reason;
pub use vigie_shared::api::security::{Freeze, Incident};

/// Open incidents. 403 for anyone but a security officer.
pub async fn incidents() -> ApiResult<Vec<Incident>> {
    get("/api/security/incidents").await
}

pub async fn close_incident(id: Uuid, note: &str) -> ApiResult<Incident> {
    post(
        &format!("/api/security/incidents/{id}/close"),
        &Reason {
            reason: note.to_owned(),
        },
    )
    .await
}

/// Identities whose push sign-in is frozen now.
pub async fn freezes() -> ApiResult<Vec<Freeze>> {
    get("/api/security/freezes").await
}

pub async fn lift_freeze(national_id: &str, reason: &str) -> ApiResult<()> {
    // A national identifier is digits only: nothing to escape in the path.
    let national_id: String = national_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    post_no_content(
        &format!("/api/security/freezes/{national_id}/lift"),
        &Reason {
            reason: reason.to_owned(),
        },
    )
    .await
}

// --- Transport -------------------------------------------------------------------------------

/// Who a request comes from: the person (it counts as activity and pushes the session's idle
/// limit) or the app on its own (keeping a permit, sending queued entries, refreshing a count).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Person,
    App,
}

fn marked(request: RequestBuilder, origin: Origin) -> RequestBuilder {
    match origin {
        Origin::Person => request,
        Origin::App => request.header(vigie_shared::api::session::BACKGROUND_HEADER, "1"),
    }
}

/// A GET's body as received (kept as is, e.g. for offline use), or the server's error.
pub async fn get_text(path: &str, origin: Origin) -> ApiResult<String> {
    text_of(send(marked(Request::get(path), origin)).await?).await
}

/// A GET's JSON answer, or the server's error.
pub async fn get_from<T: DeserializeOwned>(path: &str, origin: Origin) -> ApiResult<T> {
    decode(send(marked(Request::get(path), origin)).await?).await
}

/// A JSON POST's body as received, or the server's error.
pub async fn post_text<B: Serialize>(path: &str, body: &B, origin: Origin) -> ApiResult<String> {
    text_of(send_json(marked(Request::post(path), origin), body).await?).await
}

/// POST of a JSON text already written (entries kept as their JSON), which the app sends on its
/// own; the answer's body as received.
pub async fn post_json_text(path: &str, json: String) -> ApiResult<String> {
    let request = with_abort(marked(Request::post(path), Origin::App))
        .header("content-type", "application/json")
        .body(json)
        .map_err(|_| ApiError::from(ErrorCode::Internal))?;
    let response = request.send().await.map_err(|_| network())?;
    observe_server_clock(&response);
    text_of(response).await
}

async fn text_of(response: Response) -> ApiResult<String> {
    let body = body_text(&response).await?;
    if response.ok() {
        Ok(body)
    } else {
        Err(error_from(response.status(), &body))
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    get_from(path, Origin::Person).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    decode(send_json(Request::post(path), body).await?).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    decode(send_json(Request::put(path), body).await?).await
}

/// PUT without a body (switches something on).
async fn put_empty<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    decode(send(Request::put(path)).await?).await
}

/// POST without a body (actions on the current session).
async fn post_empty<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    decode(send(Request::post(path)).await?).await
}

/// POST of a JSON body answered by 204 No Content.
async fn post_no_content<B: Serialize>(path: &str, body: &B) -> ApiResult<()> {
    no_content(send_json(Request::post(path), body).await?).await
}

async fn no_content(response: Response) -> ApiResult<()> {
    if response.ok() {
        Ok(())
    } else {
        Err(error_from(response.status(), &body_text(&response).await?))
    }
}

async fn send_json<B: Serialize>(request: RequestBuilder, body: &B) -> ApiResult<Response> {
    let request = with_abort(request)
        .json(body)
        .map_err(|_| ApiError::from(ErrorCode::Internal))?;
    let response = request.send().await.map_err(|_| network())?;
    observe_server_clock(&response);
    Ok(response)
}

async fn send(request: RequestBuilder) -> ApiResult<Response> {
    let response = with_abort(request).send().await.map_err(|_| network())?;
    observe_server_clock(&response);
    Ok(response)
}

async fn decode<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    let body = body_text(&response).await?;
    if response.ok() {
        serde_json::from_str(&body).map_err(|_| unexpected_answer())
    } else {
        Err(error_from(response.status(), &body))
    }
}

async fn body_text(response: &Response) -> ApiResult<String> {
    response.text().await.map_err(|_| network())
}

/// The error a non-2xx answer stands for: its `ApiError` body, or (a proxy's HTML page, an
/// empty body) a generic internal error, so the user still reads French.
pub fn error_from(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ApiError>(body) {
        Ok(error) => error,
        Err(_) if status == 401 => ErrorCode::Unauthenticated.into(),
        Err(_) => ErrorCode::Internal.into(),
    }
}

fn network() -> ApiError {
    ErrorCode::Network.into()
}

fn unexpected_answer() -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        "Le serveur a renvoyé une réponse inattendue. Rechargez la page.",
    )
}

/// A request started by a page (a resource under a reactive owner) is aborted when that owner
/// is cleaned up, e.g. the user leaves the page, so a late answer never lands in a gone view.
/// Requests started by actions and timers have no owner and run to completion.
fn with_abort(request: RequestBuilder) -> RequestBuilder {
    if Owner::current().is_none() {
        return request;
    }
    let Ok(controller) = web_sys::AbortController::new() else {
        return request;
    };
    let signal = controller.signal();
    // Cleanups run before the owner's stored values are dropped, so the controller is still there.
    let controller = StoredValue::new_local(controller);
    on_cleanup(move || {
        if let Some(controller) = controller.try_get_value() {
            controller.abort();
        }
    });
    request.abort_signal(Some(&signal))
}

// --- Server clock ----------------------------------------------------------------------------

thread_local! {
    /// Server time minus device time, in milliseconds, from the last answer's `Date` header.
    static SERVER_CLOCK_OFFSET_MS: Cell<i64> = const { Cell::new(0) };
}

/// The time on the server, as best known: session limits are server timestamps, and a tablet
/// whose clock is minutes off must still count down correctly.
pub fn server_now() -> DateTime<Utc> {
    let device_ms = js_sys::Date::now() as i64;
    let offset = SERVER_CLOCK_OFFSET_MS.with(Cell::get);
    DateTime::from_timestamp_millis(device_ms + offset).unwrap_or_default()
}

fn observe_server_clock(response: &Response) {
    let Some(date) = response.headers().get("date") else {
        return;
    };
    let device_ms = js_sys::Date::now() as i64;
    if let Some(offset) = clock_offset_ms(&date, device_ms) {
        SERVER_CLOCK_OFFSET_MS.with(|cell| cell.set(offset));
    }
}

/// Offset from an HTTP `Date` header (whole seconds, so ±1 s of noise): small offsets are
/// noise and ignored, larger ones are a wrong device clock and corrected.
pub fn clock_offset_ms(date_header: &str, device_ms: i64) -> Option<i64> {
    let server = DateTime::parse_from_rfc2822(date_header).ok()?;
    // The header is truncated to the second: its middle is the best estimate.
    let offset = server.timestamp_millis() + 500 - device_ms;
    Some(if offset.abs() <= 2_000 { 0 } else { offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_decoded() {
        let body =
            r#"{"code":"session_expired","message":"Votre session a expiré : reconnectez-vous."}"#;
        let error = error_from(401, body);
        assert_eq!(error.code, ErrorCode::SessionExpired);
        assert_eq!(error.message, "Votre session a expiré : reconnectez-vous.");
    }

    #[test]
    fn a_body_that_is_not_an_api_error_still_reads_french() {
        let error = error_from(502, "<html>Bad Gateway</html>");
        assert_eq!(error, ApiError::from(ErrorCode::Internal));
        assert_eq!(
            error_from(401, "").code,
            ErrorCode::Unauthenticated,
            "a bare 401 still means signed out"
        );
    }

    #[test]
    fn small_clock_offsets_are_noise() {
        let date = "Sun, 22 Nov 2026 10:00:00 GMT";
        let server_ms = DateTime::parse_from_rfc2822(date)
            .expect("date")
            .timestamp_millis();
        assert_eq!(clock_offset_ms(date, server_ms + 300), Some(0));
        assert_eq!(
            clock_offset_ms(date, server_ms - 300_000),
            Some(300_500),
            "a device five minutes late is corrected"
        );
        assert_eq!(clock_offset_ms("not a date", server_ms), None);
    }
}
