//! A terminal (tablet, computer) is known by a long-lived random cookie; its label is what the
//! phone shows ("Tablette 3"). Knowing terminals lets the phone flag a never-used one.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use crate::{
    auth::tokens,
    config::Settings,
    entities::terminal,
    error::AppResult,
    http::cookies::{self, Jar},
};

/// The `Set-Cookie` value of a terminal: kept 400 days, so a hall's tablet stays known.
pub fn cookie_for(settings: &Settings, token: &str) -> String {
    cookies::set(
        settings,
        Jar::Terminal,
        token,
        Some(cookie::time::Duration::days(400)),
    )
}

/// The terminal this request comes from, if its cookie is known.
pub async fn find(
    db: &impl ConnectionTrait,
    settings: &Settings,
    headers: &HeaderMap,
) -> AppResult<Option<terminal::Model>> {
    let Some(token) = cookies::read(headers, settings, Jar::Terminal) else {
        return Ok(None);
    };
    Ok(terminal::Entity::find()
        .filter(terminal::Column::TokenHash.eq(tokens::hash(&token)))
        .one(db)
        .await?)
}

/// The caller's terminal, created (with a new cookie to set) when it has none. A label given
/// renames it; a new terminal without one is named after its browser (`fallback`).
/// The terminal a request comes from, created on its first request; with the `Set-Cookie`
/// header to send when it is new.
pub async fn asking(
    state: &crate::state::AppState,
    headers: &HeaderMap,
    label: Option<&str>,
) -> AppResult<(terminal::Model, Option<[(header::HeaderName, String); 1]>)> {
    let fallback = describe(headers);
    let (terminal, new_cookie) = find_or_create(
        &state.db,
        &state.settings,
        state.now(),
        headers,
        label,
        &fallback,
    )
    .await?;
    let set_cookie = new_cookie.map(|t| [(header::SET_COOKIE, cookie_for(&state.settings, &t))]);
    Ok((terminal, set_cookie))
}

pub async fn find_or_create(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
    headers: &HeaderMap,
    label: Option<&str>,
    fallback: &str,
) -> AppResult<(terminal::Model, Option<String>)> {
    let label = label
        .map(|l| l.trim().chars().take(60).collect::<String>())
        .filter(|l| !l.is_empty());
    if let Some(t) = find(db, settings, headers).await? {
        let mut active = t.into_active_model();
        active.last_seen_at = Set(now);
        if let Some(label) = label {
            active.label = Set(label);
        }
        return Ok((active.update(db).await?, None));
    }
    let token = tokens::random_token(16);
    let t = terminal::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(tokens::hash(&token)),
        label: Set(label.unwrap_or_else(|| fallback.to_owned())),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((t, Some(token)))
}

pub use crate::http::agent::describe;
