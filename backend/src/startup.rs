//! Builds the application (database, WebAuthn, routes, layers) and runs it until a shutdown
//! signal. Tests build it the same way on port 0.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderValue, header},
    response::IntoResponse,
    serve::ListenerExt,
};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer,
    set_header::SetResponseHeaderLayer, trace::TraceLayer,
};

use crate::{
    auth,
    clock::Clock,
    config::Settings,
    db,
    error::AppError,
    http::{security, spa},
    routes,
    state::AppState,
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    /// Binds the listener first, so a `public_url` with port 0 follows the real port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::default()).await
    }

    /// Builds with a given clock: tests run two instances on one database on one time.
    pub async fn build_with_clock(mut settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen).await?;
        let port = listener.local_addr()?.port();
        if settings.public_url.port() == Some(0) {
            let _ = settings.public_url.set_port(Some(port));
        }
        let vault = crate::vault::load(&settings.vault)?;
        let db = db::connect_with(
            settings.database_url.expose_secret(),
            settings.database_connections,
        )
        .await?;
        crate::vault::seal_at_rest(&db, &vault).await?;
        let webauthn = auth::webauthn::build(&settings.public_url)?;
        let decoy_key = crate::vault::server_key(&db, &vault, "decoy_credentials").await?;
        let audit_key = Arc::new(crate::audit::ChainKey::load(&db, &vault).await?);
        let nir_fingerprint = Arc::new(crate::vault::Fingerprint::new(
            crate::vault::server_key(&db, &vault, "nir_fingerprint").await?,
        ));
        crate::vaccination::patients::forget_stored_nirs(&db, &nir_fingerprint).await?;
        let code_key = Arc::new(crate::vault::Fingerprint::new(
            crate::vault::server_key(&db, &vault, "code_key").await?,
        ));
        let permit_key = Arc::new(crate::vault::Fingerprint::new(
            crate::vault::server_key(&db, &vault, "offline_permit").await?,
        ));
        let dcc = crate::certificates::load_or_create(&db, &vault, chrono::Utc::now()).await?;
        let push = crate::push::Push::load_or_create(&db, &vault, &settings).await?;
        let events = crate::events::Events::start(db.clone()).await?;
        let vault = Arc::new(vault);
        tokio::spawn(crate::mail::run_sender(
            db.clone(),
            settings.mail.clone(),
            vault.clone(),
        ));
        let writer = (db.get_database_backend() == sea_orm::DbBackend::Sqlite)
            .then(|| crate::work::Writer::start(db.clone()));
        if writer.is_some() {
            tokio::spawn(db::checkpoint_in_background(db.clone()));
        }
        let catalogue = Arc::new(crate::injections::catalogue(&db).await?);
        let state = AppState {
            catalogue,
            sealer: Arc::default(),
            writer,
            events,
            db,
            settings: Arc::new(settings),
            webauthn: Arc::new(webauthn),
            clock,
            decoy_key: Arc::new(decoy_key),
            vault,
            audit_key: audit_key.clone(),
            nir_fingerprint,
            code_key,
            permit_key,
            dcc: Arc::new(dcc),
            push,
        };
        tokio::spawn(crate::push::run_sender(state.clone()));
        tokio::spawn(sweep_expired_approvals(state.clone()));
        tokio::spawn(crate::audit::run_sealer(
            state.db.clone(),
            audit_key,
            state.sealer.clone(),
        ));
        let router = app_router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn public_url(&self) -> &url::Url {
        &self.state.settings.public_url
    }

    /// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Live streams send small frames: without TCP_NODELAY, Nagle's algorithm and the
        // peer's delayed ACK hold each one for ~40 ms.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY refused");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

fn app_router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let state_for_date = state.clock.clone();
    let build = spa::Build::load(&settings.dist_dir);
    let csp = security::content_security_policy(&security::inline_script_hashes(&build.pages()));

    let api = routes::router()
        // Nothing of the API is kept by a cache, unless a route says otherwise (open data).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .with_state(state);

    let mut app = Router::new()
        .merge(api)
        .merge(spa::router(&settings.dist_dir, build));
    for layer in security::layers(&csp, settings.public_url.scheme() == "https") {
        app = app.layer(layer);
    }
    app = app.layer(axum::middleware::from_fn(security::same_origin_only(
        security::origin_of(&settings.public_url),
    )));
    let clock_state = state_for_date.clone();
    app.layer(axum::middleware::from_fn(move |req: Request, next: axum::middleware::Next| {
        let clock = clock_state.clone();
        async move { server_date(clock, next.run(req).await) }
    }))
    .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(|_| AppError::internal("handler panicked").into_response()))
        .layer(
            // Method and route template only: paths and queries never reach the logs.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
                tracing::info_span!("http", method = %req.method(), route = route.as_deref().unwrap_or("-"))
            }),
        )
}

/// The `Date` header from the application clock: the SPA counts session time down from the
/// server's time, not the device's (tablets' clocks drift; tests move the server's).
fn server_date(clock: Clock, mut response: axum::response::Response) -> axum::response::Response {
    let date = clock.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, v);
    }
    response
}

/// Expires overdue push requests every second, so terminals and phones hear it live.
async fn sweep_expired_approvals(state: AppState) {
    let mut ticks: u64 = 0;
    loop {
        if let Err(e) = crate::approvals::service::expire_due(&state).await {
            tracing::warn!(error = %e, "expiry sweep failed");
        }
        // Once a minute: subject locks nobody needs any more.
        if ticks.is_multiple_of(60)
            && let Err(e) = crate::work::sweep_guards(&state).await
        {
            tracing::warn!(error = %e, "guard sweep failed");
        }
        if ticks.is_multiple_of(60)
            && let Err(e) = crate::housekeeping::sweep(&state).await
        {
            tracing::warn!(error = %e, "housekeeping sweep failed");
        }
        ticks += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing requests in flight");
    // Give long polls a moment; axum waits for open connections.
    tokio::time::sleep(Duration::from_millis(50)).await;
}
