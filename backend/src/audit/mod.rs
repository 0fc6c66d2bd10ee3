//! Append-only, hash-chained audit trail. Each event's hash covers the previous hash and the
//! event's fields, so editing or removing a past event breaks every later link; `verify`
//! recomputes the chain. Appends serialise on the single `audit_head` row, which the caller's
//! transaction updates first (a row lock on PostgreSQL, the write lock on SQLite).

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    entities::{audit_event, audit_head},
    error::{AppError, AppResult},
};

/// One thing that happened: who did it, under whose authority, in which session, on which
/// terminal. Never a NIR, a code or a token in here.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub actor: Option<String>,
    pub authority: Option<String>,
    pub session_id: Option<Uuid>,
    pub terminal: Option<String>,
    pub action: &'static str,
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            details: serde_json::Value::Null,
            ..Default::default()
        }
    }
    pub fn actor(mut self, professional_id: Uuid) -> Self {
        self.actor = Some(professional_id.to_string());
        self
    }
    pub fn subject(mut self, subject: impl ToString) -> Self {
        self.subject = Some(subject.to_string());
        self
    }
    pub fn session(mut self, id: Uuid) -> Self {
        self.session_id = Some(id);
        self
    }
    pub fn terminal(mut self, id: impl ToString) -> Self {
        self.terminal = Some(id.to_string());
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

fn link_hash(prev: &str, seq: i64, at: DateTime<Utc>, e: &audit_event::Model) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor.as_deref().unwrap_or(""),
        e.authority.as_deref().unwrap_or(""),
        &e.session_id.map(|s| s.to_string()).unwrap_or_default(),
        e.terminal.as_deref().unwrap_or(""),
        &e.action,
        e.subject.as_deref().unwrap_or(""),
        &e.details,
    ] {
        // Length-prefixed, so moving text between fields changes the hash.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Begins a transaction that will write an audit event, taking the chain's lock first.
///
/// Writers then queue at the start instead of failing at the end: on SQLite (WAL) a
/// transaction that has read and then tries to write after another one committed gets
/// `SQLITE_BUSY` at once, without waiting; a transaction that writes first waits its turn
/// (`busy_timeout`). On PostgreSQL it is the same row lock `record` takes anyway, only earlier.
pub async fn begin_write(db: &sea_orm::DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let txn = db.begin().await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    Ok(txn)
}

/// Appends the event inside the caller's transaction; it is durable when that commits.
pub async fn record(txn: &DatabaseTransaction, now: DateTime<Utc>, event: Event) -> AppResult<i64> {
    // Take the chain's lock first.
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(1),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("audit head missing"))?;
    // Stored with microseconds on every backend: hash what will be read back.
    let at = now.trunc_subsecs(6);
    let mut row = audit_event::Model {
        seq: head.seq,
        at,
        actor: event.actor,
        authority: event.authority,
        session_id: event.session_id,
        terminal: event.terminal,
        action: event.action.to_owned(),
        subject: event.subject,
        details: event.details.to_string(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    row.hash = link_hash(&head.hash, head.seq, at, &row);
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, Expr::value(row.hash.clone()))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let seq = row.seq;
    audit_event::Entity::insert(audit_event::ActiveModel {
        seq: Set(row.seq),
        at: Set(row.at),
        actor: Set(row.actor),
        authority: Set(row.authority),
        session_id: Set(row.session_id),
        terminal: Set(row.terminal),
        action: Set(row.action),
        subject: Set(row.subject),
        details: Set(row.details),
        prev_hash: Set(row.prev_hash),
        hash: Set(row.hash),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(seq)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every link checks, and the head names the last event.
    Intact { events: u64 },
    /// The first event whose link does not check.
    Broken { seq: i64, reason: &'static str },
}

/// Recomputes the whole chain.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<Verdict> {
    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await?;
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    for e in &events {
        if e.seq != expected_seq {
            return Ok(Verdict::Broken {
                seq: e.seq,
                reason: "numérotation interrompue (événement supprimé ?)",
            });
        }
        if e.prev_hash != prev {
            return Ok(Verdict::Broken {
                seq: e.seq,
                reason: "lien vers l'événement précédent rompu",
            });
        }
        if link_hash(&prev, e.seq, e.at, e) != e.hash {
            return Ok(Verdict::Broken {
                seq: e.seq,
                reason: "contenu modifié",
            });
        }
        prev = e.hash.clone();
        expected_seq += 1;
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("audit head missing"))?;
    if head.seq != expected_seq - 1 || head.hash != prev {
        return Ok(Verdict::Broken {
            seq: head.seq,
            reason: "derniers événements supprimés",
        });
    }
    Ok(Verdict::Intact {
        events: events.len() as u64,
    })
}
