//! The API: one module per feature. Every route is declared through utoipa-axum, so the
//! OpenAPI document at /api/openapi.json is generated from the same list the router uses.

use axum::{Json, Router, routing::get};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
use vigie_shared::ErrorCode;

use crate::{error::AppError, state::AppState};

pub mod accounts;
pub mod activation;
pub mod approvals;
pub mod approver;
pub mod certificates;
pub mod credentials;
pub mod delegation;
pub mod health;
pub mod live;
pub mod lots;
pub mod offline;
pub mod passkeys;
pub mod push;
pub mod security;
pub mod session;
pub mod sessions;
pub mod statistics;
pub mod structures;
pub mod supervision;
pub mod terminals;
/// Only in a test build (`--features testing`): the release `vigie` has no such route.
#[cfg(feature = "testing")]
pub mod testing;
pub mod vaccination;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigie API",
        description = "Traçabilité de la vaccination COVID-19 : API REST de Vigie. Une requête \
                       que l'application envoie d'elle-même (autorisation hors ligne, envoi des \
                       saisies en attente, compteurs) porte l'en-tête `x-vigie-background` : \
                       elle ne compte pas comme une activité et ne repousse pas la limite \
                       d'inactivité de la session."
    ),
    components(schemas(vigie_shared::ApiError, vigie_shared::ErrorCode))
)]
pub struct ApiDoc;

/// The API routes and their OpenAPI document.
pub fn api() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(passkeys::registration_start))
        .routes(routes!(passkeys::registration_finish))
        .routes(routes!(passkeys::authentication_start))
        .routes(routes!(passkeys::authentication_finish))
        .routes(routes!(session::current))
        .routes(routes!(session::presence))
        .routes(routes!(session::keep_alive))
        .routes(routes!(session::logout))
        .routes(routes!(approvals::create))
        .routes(routes!(approvals::status))
        .routes(routes!(approvals::follow))
        .routes(routes!(approvals::cancel))
        .routes(routes!(approvals::claim))
        .routes(routes!(approver::presence))
        .routes(routes!(approver::pending))
        .routes(routes!(approver::follow))
        .routes(routes!(approver::code))
        .routes(routes!(approver::approve))
        .routes(routes!(approver::refuse))
        .routes(routes!(approver::report))
        .routes(routes!(push::key))
        .routes(routes!(push::status, push::subscribe, push::unsubscribe))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::end))
        .routes(routes!(sessions::follow))
        .routes(routes!(sessions::report))
        .routes(routes!(activation::start))
        .routes(routes!(activation::verify))
        .routes(routes!(activation::qr))
        .routes(routes!(security::incidents))
        .routes(routes!(security::close_incident))
        .routes(routes!(security::freezes))
        .routes(routes!(security::lift_freeze))
        .routes(routes!(accounts::sign_in))
        .routes(routes!(accounts::second_factor))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::password_policy))
        .routes(routes!(accounts::me))
        .routes(routes!(vaccination::context))
        .routes(routes!(vaccination::lookup))
        .routes(routes!(vaccination::search))
        .routes(routes!(vaccination::patient))
        .routes(routes!(vaccination::preview))
        .routes(routes!(vaccination::record))
        .routes(routes!(vaccination::correct))
        .routes(routes!(vaccination::invalidate))
        .routes(routes!(vaccination::revisions))
        .routes(routes!(vaccination::adverse_effect))
        .routes(routes!(vaccination::certificate))
        .routes(routes!(vaccination::recap_pdf))
        .routes(routes!(lots::list, lots::create))
        .routes(routes!(lots::set_active))
        .routes(routes!(lots::wastage))
        .routes(routes!(vaccination::own_practice))
        .routes(routes!(offline::issue, offline::list))
        .routes(routes!(offline::revoke))
        .routes(routes!(offline::sync))
        .routes(routes!(offline::review))
        .routes(routes!(offline::reviewed))
        .routes(routes!(certificates::signing_certificate))
        .routes(routes!(certificates::verify))
        .routes(routes!(statistics::national))
        .routes(routes!(statistics::national_csv))
        .routes(routes!(statistics::departments))
        .routes(routes!(statistics::departments_csv))
        .routes(routes!(structures::managed))
        .routes(routes!(structures::get, structures::update))
        .routes(routes!(structures::staff_list, structures::staff_declare))
        .routes(routes!(structures::staff_withdraw))
        .routes(routes!(structures::staff_enrolment))
        .routes(routes!(credentials::list))
        .routes(routes!(credentials::revoke))
        .routes(routes!(credentials::report))
        .routes(routes!(credentials::staff_list))
        .routes(routes!(credentials::staff_revoke))
        .routes(routes!(credentials::officer_revoke))
        .routes(routes!(terminals::list, terminals::enrol))
        .routes(routes!(terminals::revoke))
        .routes(routes!(terminals::nonce))
        .routes(routes!(terminals::identify))
        .routes(routes!(delegation::registration_start))
        .routes(routes!(delegation::registration_finish))
        .routes(routes!(delegation::sign_in_start))
        .routes(routes!(delegation::sign_in_finish))
        .routes(routes!(delegation::authorities))
        .routes(routes!(delegation::create_request))
        .routes(routes!(delegation::delegates_list))
        .routes(routes!(
            delegation::delegate_authorise,
            delegation::delegate_withdraw
        ))
        .routes(routes!(supervision::sessions))
        .routes(routes!(supervision::follow))
        .routes(routes!(supervision::end))
        .routes(routes!(supervision::contest));
    #[cfg(feature = "testing")]
    let api = api
        .routes(routes!(testing::advance_clock))
        .routes(routes!(testing::enrolment))
        .routes(routes!(testing::session));
    api
}

pub fn router() -> Router<AppState> {
    let (router, mut doc) = api().split_for_parts();
    crate::http::openapi::complete_refusals(&mut doc);
    let doc = std::sync::Arc::new(doc);
    router
        .route(
            "/api/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        // Anything else under /api is an API 404 in JSON, never the SPA page.
        .route("/api", get(api_not_found).fallback(api_not_found))
        .route("/api/{*rest}", get(api_not_found).fallback(api_not_found))
        // A known route called with another method: 405 (with axum's `Allow`) in JSON too.
        .method_not_allowed_fallback(api_method_not_allowed)
}

async fn api_not_found() -> AppError {
    ErrorCode::NotFound.into()
}

async fn api_method_not_allowed() -> AppError {
    ErrorCode::MethodNotAllowed.into()
}
