//! A terminal (tablet, computer) is known by a long-lived random cookie; its label is the name
//! typed on it ("Tablette 3"), kept for "Mes sessions". The phone trusts only an enrolled
//! terminal's signature for the name it shows (`crate::terminals`).

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
    error::{AppError, AppResult},
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
    /// An enrolled terminal's signature, what it is for and over which subject
    /// (`crate::terminals::verify`).
    pub proof: Option<Signed<'a>>,
}

/// A signature sent with a request, and what it must cover.
#[derive(Clone, Copy)]
pub struct Signed<'a> {
    pub proof: &'a vigie_shared::api::terminal::TerminalProof,
    pub purpose: vigie_shared::api::terminal::SignedPurpose,
    pub subject: &'a str,
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
    let label = match label {
        Some(l) => clean_label(l)?,
        None => None,
    };
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

/// The most a terminal's name may hold.
const LABEL_MAX: usize = 60;

/// A terminal's name is shown on the professional's phone and in the sign-in mail, both
/// official: a short name typed on the tablet ("Tablette 3", "Hall B - poste 2"), never a link,
/// an address, a phone number to call or hidden characters. Blank: no name (`None`).
pub fn clean_label(label: &str) -> AppResult<Option<String>> {
    let refuse = |why: &str| {
        Err(AppError::with_message(
            vigie_shared::ErrorCode::InvalidInput,
            format!("Nom du poste : {why}"),
        ))
    };
    if vigie_shared::text::has_hidden_characters(label) {
        return refuse("caractère invisible ou de contrôle refusé.");
    }
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        return Ok(None);
    }
    if label.chars().count() > LABEL_MAX {
        return refuse("60 caractères au plus.");
    }
    let allowed = |c: char| c.is_alphabetic() || c == ' ' || "-'’.,()#°".contains(c);
    // Digits, but not a phone number: at most four of them.
    let digits = label.chars().filter(char::is_ascii_digit).count();
    if !label.chars().all(|c| allowed(c) || c.is_ascii_digit()) || digits > 4 {
        return refuse(
            "lettres, espaces, quelques chiffres et - ' . , ( ) # seulement (ni lien, ni adresse, \
             ni numéro de téléphone).",
        );
    }
    Ok(Some(label))
}

#[cfg(test)]
mod tests {
    use super::clean_label;

    #[test]
    fn a_terminal_name_is_a_short_name_and_nothing_else() {
        for ok in [
            "Tablette 3",
            "Hall B - poste 2",
            "Cabinet du Dr. Lefèvre (accueil)",
            "Poste n° 12",
        ] {
            assert_eq!(clean_label(ok).expect(ok).as_deref(), Some(ok));
        }
        assert_eq!(clean_label("   ").expect("blank"), None);
        assert_eq!(
            clean_label("  Tablette   3 ").expect("spaces").as_deref(),
            Some("Tablette 3")
        );
        for refused in [
            "https://vigie-securite.example",
            "Appelez le 0612345678",
            "support@vigie.example",
            "Tablette\u{202E}3",
            "Tablette\n3",
            "Tablette\u{200B}",
        ] {
            assert!(clean_label(refused).is_err(), "{refused:?}");
        }
        let long = "a".repeat(61);
        assert!(clean_label(&long).is_err());
        assert!(clean_label(&long[..60]).is_ok());
    }
}
