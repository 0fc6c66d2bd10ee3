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

/// A request from a terminal: its headers (the cookie that names it, the browser that names a
/// new one) and the label typed, if any. The terminal is found or created inside the write
/// that needs it (`find_or_create`).
#[derive(Clone, Copy)]
pub struct Asking<'a> {
    pub headers: &'a HeaderMap,
    pub label: Option<&'a str>,
}

/// The `Set-Cookie` header for a terminal seen for the first time.
pub fn set_cookie(
    settings: &Settings,
    new_token: Option<String>,
) -> Option<[(header::HeaderName, String); 1]> {
    new_token.map(|t| [(header::SET_COOKIE, cookie_for(settings, &t))])
}

/// The caller's terminal, created (with a new cookie token) when it has none. A label given
/// renames it; a new terminal without one is named after its browser (`fallback`).
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
