//! Enrolled terminals. A structure's manager, signed in on a hall tablet, enrols it: the browser
//! made a non-extractable ECDSA P-256 key (WebCrypto, kept in IndexedDB) and sends its public
//! half. From then on the tablet signs each request over a fresh single-use nonce; a valid
//! signature by a key that is not revoked lets the phone name the tablet and its structure.
//! Anything else — no signature, a wrong one, a spent or expired nonce, a revoked key — is an
//! unknown terminal: shown as "Poste inconnu", always atypical, never refused for that alone.

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, Duration, Utc};
use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier};
use p256::pkcs8::DecodePublicKey;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Func,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::terminal::{
        EnrolledTerminalView, SignedPurpose, TerminalEnrolment, TerminalIdentity, TerminalNonce,
        TerminalProof, signed_message,
    },
};

use crate::{
    auth::{session::Principal, tokens},
    delegation::structures,
    entities::{approval_request, enrolled_terminal, structure, terminal_nonce},
    error::{AppError, AppResult},
    state::AppState,
    work::{Actor, DomainEvent, Work},
};

/// A nonce is signed at once by the tablet that asked for it.
pub const NONCE_LIFETIME: Duration = Duration::seconds(60);

/// Nonces one enrolled terminal may take a minute (a request takes one, the page's banner one).
pub const NONCES_PER_MINUTE: i32 = 30;

/// What the phone shows for a terminal that proved nothing.
pub const UNKNOWN_TERMINAL: &str = "Poste inconnu";

/// Window and bound of "many identities asked from one terminal".
pub const IDENTITIES_WINDOW: Duration = Duration::minutes(10);
pub const IDENTITIES_ATYPICAL_FROM: u64 = 5;

/// An enrolled terminal proved by a valid signature, with its structure.
#[derive(Debug, Clone)]
pub struct Proven {
    pub terminal: enrolled_terminal::Model,
    pub structure: structure::Model,
}

fn not_enrolled() -> AppError {
    AppError::with_message(
        ErrorCode::NotFound,
        "Poste non enregistré (ou enregistrement révoqué) : demandez au responsable de la \
         structure de l'enregistrer.",
    )
}

fn decode(b64: &str) -> Option<Vec<u8>> {
    let b64 = b64.trim();
    URL_SAFE_NO_PAD
        .decode(b64)
        .or_else(|_| URL_SAFE.decode(b64))
        .ok()
}

/// The device key's public half: SubjectPublicKeyInfo of a P-256 key, base64url.
fn public_key(b64: &str) -> Option<VerifyingKey> {
    let der = decode(b64)?;
    VerifyingKey::from_public_key_der(&der).ok()
}

/// Whether `proof` is a valid signature of `message` by `key_b64`. WebCrypto signs `r ‖ s`
/// (64 bytes) and may give a high `s`: both forms of one signature are accepted (the nonce,
/// single use, is what stops a replay, not the form).
fn signature_valid(key_b64: &str, message: &str, signature_b64: &str) -> bool {
    let (Some(key), Some(raw)) = (public_key(key_b64), decode(signature_b64)) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&raw) else {
        return false;
    };
    key.verify(message.as_bytes(), &signature.normalize_s())
        .is_ok()
}

fn view(t: enrolled_terminal::Model, structure_name: &str) -> EnrolledTerminalView {
    EnrolledTerminalView {
        id: t.id,
        structure_id: t.structure_id,
        structure_name: structure_name.to_owned(),
        name: t.name,
        enrolled_at: t.created_at,
        revoked_at: t.revoked_at,
    }
}

/// Manager: enrols the tablet they are signed in on, under a name, with its device key.
pub async fn enrol(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    body: TerminalEnrolment,
) -> AppResult<EnrolledTerminalView> {
    let s = structures::managed(&state.db, principal, structure_id).await?;
    let name = crate::approvals::terminal::clean_label(&body.name)?.ok_or_else(|| {
        AppError::with_message(
            ErrorCode::InvalidInput,
            "Nom du poste : donnez un nom à ce poste (par exemple « Tablette 3 »).",
        )
    })?;
    if body.public_key.len() > 512 || public_key(&body.public_key).is_none() {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Clé du poste illisible : une clé publique ECDSA P-256 (SPKI, base64url) est attendue.",
        ));
    }
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let row = enrolled_terminal::ActiveModel {
        id: Set(Uuid::new_v4()),
        structure_id: Set(s.id),
        name: Set(name),
        public_key: Set(body.public_key.trim().to_owned()),
        enrolled_by: Set(principal.id()),
        created_at: Set(work.now()),
        revoked_at: Set(None),
    }
    .insert(work.db())
    .await?;
    work.emit(DomainEvent::TerminalEnrolled {
        terminal: row.id,
        structure: s.id,
    });
    work.commit().await?;
    Ok(view(row, &s.name))
}

/// Manager: the structure's enrolled terminals, revoked ones included, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<Vec<EnrolledTerminalView>> {
    let s = structures::managed(&state.db, principal, structure_id).await?;
    Ok(enrolled_terminal::Entity::find()
        .filter(enrolled_terminal::Column::StructureId.eq(s.id))
        .order_by_desc(enrolled_terminal::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| view(t, &s.name))
        .collect())
}

/// Manager: revokes one of the structure's terminals; its signatures prove nothing from now on.
pub async fn revoke(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    terminal_id: Uuid,
) -> AppResult<EnrolledTerminalView> {
    let s = structures::managed(&state.db, principal, structure_id).await?;
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let now = work.now();
    // One conditional statement: revoked once, the first time.
    let revoked = enrolled_terminal::Entity::update_many()
        .col_expr(
            enrolled_terminal::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(enrolled_terminal::Column::Id.eq(terminal_id))
        .filter(enrolled_terminal::Column::StructureId.eq(s.id))
        .filter(enrolled_terminal::Column::RevokedAt.is_null())
        .exec(work.db())
        .await?
        .rows_affected
        == 1;
    let row = enrolled_terminal::Entity::find_by_id(terminal_id)
        .one(work.db())
        .await?
        .filter(|t| t.structure_id == s.id)
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    if revoked {
        terminal_nonce::Entity::delete_many()
            .filter(terminal_nonce::Column::EnrolledTerminalId.eq(terminal_id))
            .exec(work.db())
            .await?;
        work.emit(DomainEvent::TerminalRevoked {
            terminal: terminal_id,
            structure: s.id,
        });
    }
    work.commit().await?;
    Ok(view(row, &s.name))
}

async fn live_terminal(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<enrolled_terminal::Model>> {
    Ok(enrolled_terminal::Entity::find_by_id(id)
        .filter(enrolled_terminal::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// Terminal: a fresh nonce to sign (stored as its hash, good for `NONCE_LIFETIME`, single use).
/// Only an enrolled, unrevoked terminal gets one, at most `NONCES_PER_MINUTE` a minute (the
/// route is anonymous: whoever learns a terminal's id cannot fill the table).
pub async fn nonce(state: &AppState, terminal_id: Uuid) -> AppResult<TerminalNonce> {
    if live_terminal(&state.db, terminal_id).await?.is_none() {
        return Err(not_enrolled());
    }
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let allowed = work
        .take_quota(
            &format!("terminal-nonce:{terminal_id}"),
            Duration::minutes(1),
            NONCES_PER_MINUTE,
        )
        .await?;
    if !allowed {
        return Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de demandes de ce poste en une minute : réessayez dans un instant.",
        ));
    }
    let nonce = tokens::random_token(32);
    let expires_at = work.now() + NONCE_LIFETIME;
    terminal_nonce::ActiveModel {
        nonce_hash: Set(tokens::hash(&nonce)),
        enrolled_terminal_id: Set(terminal_id),
        expires_at: Set(expires_at),
    }
    .insert(work.db())
    .await?;
    work.from_terminal(terminal_id);
    work.commit().await?;
    Ok(TerminalNonce { nonce, expires_at })
}

/// The enrolled terminal `proof` names, when its signature over (purpose, nonce, subject) is
/// valid, its key not revoked, and its nonce unspent and fresh. The nonce is spent by one
/// conditional DELETE in the caller's transaction: of parallel uses, exactly one commits it.
/// Checked in this order so a forged signature spends nothing.
pub async fn verify(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    proof: Option<&TerminalProof>,
    purpose: SignedPurpose,
    subject: &str,
) -> AppResult<Option<Proven>> {
    let Some(proof) = proof else {
        return Ok(None);
    };
    if proof.nonce.len() > 128 || proof.signature.len() > 256 {
        return Ok(None);
    }
    let Some(terminal) = live_terminal(db, proof.terminal_id).await? else {
        return Ok(None);
    };
    let message = signed_message(purpose, &proof.nonce, subject);
    if !signature_valid(&terminal.public_key, &message, &proof.signature) {
        return Ok(None);
    }
    let spent = terminal_nonce::Entity::delete_many()
        .filter(terminal_nonce::Column::NonceHash.eq(tokens::hash(&proof.nonce)))
        .filter(terminal_nonce::Column::EnrolledTerminalId.eq(terminal.id))
        .filter(terminal_nonce::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !spent {
        return Ok(None);
    }
    let Some(structure) = structure::Entity::find_by_id(terminal.structure_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Proven {
        terminal,
        structure,
    }))
}

/// Terminal: "which enrolled terminal am I?" — answered only to a valid signature.
pub async fn identify(state: &AppState, proof: TerminalProof) -> AppResult<TerminalIdentity> {
    let work = Work::begin(state, Actor::terminal(proof.terminal_id)).await?;
    let subject = proof.terminal_id.to_string();
    let proven = verify(
        work.db(),
        work.now(),
        Some(&proof),
        SignedPurpose::Identify,
        &subject,
    )
    .await?;
    // Nothing was spent: dropping the write rolls it back.
    let Some(p) = proven else {
        return Err(not_enrolled());
    };
    work.commit().await?;
    Ok(TerminalIdentity {
        terminal_id: p.terminal.id,
        name: p.terminal.name,
        structure_name: p.structure.name,
    })
}

/// How many different identities this terminal asked for in the last ten minutes, `asked`
/// included: one statement. An enrolled terminal is counted by its key, any other by its cookie.
pub async fn identities_asked(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    enrolled: Option<Uuid>,
    cookie_terminal: Uuid,
    asked: &str,
) -> AppResult<u64> {
    let mut q = approval_request::Entity::find()
        .select_only()
        .expr(Func::count_distinct(sea_orm::sea_query::Expr::col(
            approval_request::Column::NationalId,
        )))
        .filter(approval_request::Column::CreatedAt.gt(now - IDENTITIES_WINDOW))
        .filter(approval_request::Column::NationalId.ne(asked));
    q = match enrolled {
        Some(id) => q.filter(approval_request::Column::EnrolledTerminalId.eq(id)),
        None => q.filter(approval_request::Column::TerminalId.eq(cookie_terminal)),
    };
    let others = q.into_tuple::<i64>().one(db).await?.unwrap_or(0);
    Ok(u64::try_from(others).unwrap_or(0) + 1)
}

/// Housekeeping: spent-by-time nonces go.
pub async fn sweep_nonces(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(terminal_nonce::Entity::delete_many()
        .filter(terminal_nonce::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{SigningKey, signature::Signer};
    use p256::pkcs8::EncodePublicKey;

    fn key() -> (SigningKey, String) {
        let sk = SigningKey::from_slice(&[7u8; 32]).expect("key");
        let der = sk.verifying_key().to_public_key_der().expect("spki");
        (sk, URL_SAFE_NO_PAD.encode(der.as_bytes()))
    }

    #[test]
    fn a_signature_holds_for_its_own_message_only() {
        let (sk, public) = key();
        let message = signed_message(SignedPurpose::Push, "n1", "810003456786");
        let sig: Signature = sk.sign(message.as_bytes());
        let b64 = URL_SAFE_NO_PAD.encode(sig.to_bytes());
        assert!(signature_valid(&public, &message, &b64));
        for other in [
            signed_message(SignedPurpose::Push, "n2", "810003456786"),
            signed_message(SignedPurpose::Push, "n1", "810101234564"),
            signed_message(SignedPurpose::Delegated, "n1", "810003456786"),
        ] {
            assert!(!signature_valid(&public, &other, &b64));
        }
        assert!(!signature_valid(&public, &message, "not base64!"));
        assert!(!signature_valid("AAAA", &message, &b64));
    }
}
