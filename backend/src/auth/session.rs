//! Server-side sessions. The cookie holds 128 random bits; the database holds their hash, the
//! idle and absolute deadlines, and when the session ended. Any instance can check any session.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use chrono::{DateTime, Duration, Utc};
use cookie::{Cookie, SameSite};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;
use vigie_shared::{ErrorCode, NationalId, api::session::SessionState};

use super::tokens;
use crate::{
    config::Settings,
    entities::{professional, session},
    error::{AppError, AppResult},
    state::AppState,
};

pub const COOKIE: &str = "vigie_session";

/// Where a request came from, recorded with the session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub struct Opened {
    pub token: String,
    pub session: session::Model,
}

pub async fn open(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
    professional_id: Uuid,
    method: &str,
    client: ClientInfo,
) -> AppResult<Opened> {
    let token = tokens::random_token(16);
    let absolute = now + Duration::minutes(settings.session.absolute_minutes);
    let idle = (now + Duration::minutes(settings.session.idle_minutes)).min(absolute);
    let session = session::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(tokens::hash(&token)),
        professional_id: Set(professional_id),
        method: Set(method.into()),
        created_at: Set(now),
        last_seen_at: Set(now),
        idle_expires_at: Set(idle),
        absolute_expires_at: Set(absolute),
        ended_at: Set(None),
        user_agent: Set(client.user_agent.map(|ua| ua.chars().take(200).collect())),
        ip: Set(client.ip),
        report_token_hash: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Opened { token, session })
}

/// The `Set-Cookie` value for a new session: HttpOnly, SameSite=Strict, Secure unless on localhost.
pub fn cookie_for(settings: &Settings, token: &str) -> String {
    let mut c = Cookie::new(COOKIE, token.to_owned());
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(!is_local(settings));
    c.to_string()
}

pub fn clearing_cookie(settings: &Settings) -> String {
    let mut c = Cookie::new(COOKIE, "");
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(!is_local(settings));
    c.set_max_age(cookie::time::Duration::ZERO);
    c.to_string()
}

pub fn is_local(settings: &Settings) -> bool {
    matches!(
        settings.public_url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]")
    )
}

/// The value of one cookie of the request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn token_from(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

pub fn client_info(parts: &Parts) -> ClientInfo {
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    ClientInfo { user_agent, ip }
}

/// A live session and its professional; the extractor refuses anything else with 401.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: session::Model,
    pub professional: professional::Model,
}

impl SignedIn {
    pub fn state(&self) -> AppResult<SessionState> {
        Ok(SessionState {
            national_id: NationalId::parse(&self.professional.national_id)?,
            display_name: display_name(&self.professional),
            method: self.session.method.clone(),
            started_at: self.session.created_at,
            idle_expires_at: self.session.idle_expires_at,
            absolute_expires_at: self.session.absolute_expires_at,
        })
    }
}

pub fn display_name(p: &professional::Model) -> String {
    let civility = if p.civility.is_empty() {
        String::new()
    } else {
        format!("{} ", p.civility)
    };
    format!("{civility}{} {}", p.first_name, p.last_name)
}

/// Looks the session up and checks both limits. `touch` records activity (pushes the idle limit).
pub async fn find_live(state: &AppState, headers: &HeaderMap, touch: bool) -> AppResult<SignedIn> {
    let token = token_from(headers).ok_or(AppError::code(ErrorCode::Unauthenticated))?;
    let now = state.now();
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(tokens::hash(&token)))
        .one(&state.db)
        .await?;
    let Some(row) = found else {
        return Err(ErrorCode::Unauthenticated.into());
    };
    if row.ended_at.is_some() {
        return Err(ErrorCode::SessionExpired.into());
    }
    if now >= row.idle_expires_at || now >= row.absolute_expires_at {
        end(&state.db, now, row.id).await?;
        return Err(ErrorCode::SessionExpired.into());
    }
    let Some(professional) = professional::Entity::find_by_id(row.professional_id)
        .one(&state.db)
        .await?
    else {
        return Err(ErrorCode::Unauthenticated.into());
    };
    let row = if touch {
        let idle = (now + Duration::minutes(state.settings.session.idle_minutes))
            .min(row.absolute_expires_at);
        let mut active = row.into_active_model();
        active.last_seen_at = Set(now);
        active.idle_expires_at = Set(idle);
        active.update(&state.db).await?
    } else {
        row
    };
    Ok(SignedIn {
        session: row,
        professional,
    })
}

pub async fn end(db: &impl ConnectionTrait, now: DateTime<Utc>, id: Uuid) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(
            session::Column::EndedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        find_live(state, &parts.headers, true).await
    }
}

/// Like `SignedIn`, without counting the request as activity (the header's live state polls).
pub struct SessionPeek(pub SignedIn);

impl FromRequestParts<AppState> for SessionPeek {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        find_live(state, &parts.headers, false)
            .await
            .map(SessionPeek)
    }
}

/// Request metadata recorded with new sessions.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts)))
    }
}
