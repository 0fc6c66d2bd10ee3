//! Délégation de saisie: staff passkeys and sign-in, the delegated request from the tablet,
//! and the professional's choice of delegates ("Mes paramètres").

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::IntoResponse,
};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::{
        approval::ApprovalCreated,
        delegation::{AuthorityOption, DelegateChoice, DelegatedRequest, StaffSignInStart},
        passkey::{
            AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey,
            RegistrationChallenge, RegistrationFinish, RegistrationStart,
        },
        session::SessionState,
    },
};

use crate::{
    approvals::{self, terminal},
    auth::session::{self, Client, SignedIn},
    credentials::staff as passkeys,
    delegation::{DelegateSession, delegates, request},
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
};

/// A staff member starts creating their passkey with the manager's one-time link.
#[utoipa::path(post, path = "/api/delegation/passkeys/registration/start", tag = "délégation",
    request_body = RegistrationStart,
    responses((status = 200, body = RegistrationChallenge), (status = 400, description = "Lien invalide ou expiré", body = ApiError)))]
pub async fn registration_start(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegistrationStart>,
) -> AppResult<Json<RegistrationChallenge>> {
    Ok(Json(
        passkeys::start_registration(&state, &body.enrolment_token).await?,
    ))
}

#[utoipa::path(post, path = "/api/delegation/passkeys/registration/finish", tag = "délégation",
    request_body = RegistrationFinish,
    responses((status = 200, body = RegisteredPasskey), (status = 400, body = ApiError)))]
pub async fn registration_finish(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegistrationFinish>,
) -> AppResult<Json<RegisteredPasskey>> {
    Ok(Json(passkeys::finish_registration(&state, body).await?))
}

/// A staff member signs in on the tablet with their passkey (the only way delegates sign in).
#[utoipa::path(post, path = "/api/delegation/sign-in/start", tag = "délégation",
    request_body = StaffSignInStart,
    responses((status = 200, body = AuthenticationChallenge), (status = 400, description = "Numéro CPE mal formé", body = ApiError)))]
pub async fn sign_in_start(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StaffSignInStart>,
) -> AppResult<Json<AuthenticationChallenge>> {
    Ok(Json(
        passkeys::start_authentication(&state, &body.cpe_number).await?,
    ))
}

/// Signed in: a session that can only ask a professional for a delegated session.
#[utoipa::path(post, path = "/api/delegation/sign-in/finish", tag = "délégation",
    request_body = AuthenticationFinish,
    responses((status = 200, description = "Connecté ; cookie de session posé", body = SessionState), (status = 400, body = ApiError)))]
pub async fn sign_in_finish(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<AuthenticationFinish>,
) -> AppResult<impl IntoResponse> {
    let (token, current) = passkeys::finish_authentication(&state, body, client).await?;
    let cookie = session::cookie_for(&state.settings, &token);
    Ok(([(header::SET_COOKIE, cookie)], Json(current.state())))
}

/// The professionals who let me type under their responsibility, in my structure.
#[utoipa::path(get, path = "/api/delegation/authorities", tag = "délégation",
    responses((status = 200, body = [AuthorityOption]), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn authorities(
    State(state): State<AppState>,
    me: DelegateSession,
) -> AppResult<Json<Vec<AuthorityOption>>> {
    Ok(Json(request::authorities(&state, &me).await?))
}

/// Asks the professional's phone to approve a delegated session on this tablet (then the
/// tablet follows `/api/approvals/{id}/events` and claims with `/api/approvals/{id}/session`).
#[utoipa::path(post, path = "/api/delegation/requests", tag = "délégation",
    request_body = DelegatedRequest,
    responses((status = 200, body = ApprovalCreated), (status = 403, description = "Délégation non autorisée", body = ApiError),
        (status = 409, body = ApiError), (status = 429, body = ApiError)))]
pub async fn create_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    me: DelegateSession,
    ApiJson(body): ApiJson<DelegatedRequest>,
) -> AppResult<impl IntoResponse> {
    let signed_subject = body.professional_id.to_string();
    let tablet = terminal::Asking {
        headers: &headers,
        label: body.terminal_label.as_deref(),
        proof: body.terminal_proof.as_ref().map(|proof| terminal::Signed {
            proof,
            purpose: vigie_shared::api::terminal::SignedPurpose::Delegated,
            subject: &signed_subject,
        }),
    };
    // Counted per address (an IPv6 client per /64), and shown so on the phone.
    let ip = client.counted.unwrap_or_else(|| "inconnue".into());
    // The delegation decides whether this tablet may ask; the approval feature then asks.
    let ask = request::ask(&state, &me, &body).await?;
    let (created, new_terminal) = approvals::service::create(
        &state,
        &ask.national_id,
        tablet,
        &ip,
        Some(approvals::service::Delegated {
            staff_member_id: ask.staff_member_id,
            structure: ask.structure,
            requested_by: ask.requested_by,
            requester_session_id: ask.requester_session_id,
        }),
    )
    .await?;
    Ok((
        terminal::set_cookie(&state.settings, new_terminal),
        Json(created),
    ))
}

/// "Mes paramètres": the declared staff of my structures and whom I authorise.
#[utoipa::path(get, path = "/api/delegation/delegates", tag = "délégation",
    responses((status = 200, body = [DelegateChoice]), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn delegates_list(
    State(state): State<AppState>,
    me: SignedIn,
) -> AppResult<Json<Vec<DelegateChoice>>> {
    Ok(Json(delegates::list(&state, &me.professional).await?))
}

/// Lets this staff member type under my responsibility.
#[utoipa::path(put, path = "/api/delegation/delegates/{staff_id}", tag = "délégation",
    params(("staff_id" = Uuid, Path)),
    responses((status = 200, body = DelegateChoice), (status = 404, body = ApiError)))]
pub async fn delegate_authorise(
    State(state): State<AppState>,
    me: SignedIn,
    ApiPath(staff_id): ApiPath<Uuid>,
) -> AppResult<Json<DelegateChoice>> {
    Ok(Json(
        delegates::authorise(&state, &me.professional, staff_id).await?,
    ))
}

/// Withdraws it: their open sessions under me end at once.
#[utoipa::path(delete, path = "/api/delegation/delegates/{staff_id}", tag = "délégation",
    params(("staff_id" = Uuid, Path)),
    responses((status = 200, body = DelegateChoice), (status = 404, body = ApiError)))]
pub async fn delegate_withdraw(
    State(state): State<AppState>,
    me: SignedIn,
    ApiPath(staff_id): ApiPath<Uuid>,
) -> AppResult<Json<DelegateChoice>> {
    Ok(Json(
        delegates::withdraw(&state, &me.professional, staff_id).await?,
    ))
}
