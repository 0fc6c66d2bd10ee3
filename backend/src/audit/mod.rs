//! Append-only, hash-chained audit trail. Each event's link is an HMAC (under a key the vault
//! keeps outside the database's reach) of the previous link and the event's fields, so editing
//! or removing a past event breaks every later link, and someone who can write to the database
//! cannot recompute them; `verify` recomputes the chain.
//!
//! On PostgreSQL a write never holds the chain's lock: `record_all` adds its events to
//! `audit_pending` inside the write's transaction (durable with it, gone with its rollback).
//! `seal` then gives pending events their place in the chain, in order, in a short transaction
//! of its own that alone locks `audit_head`; writes seal right after they commit. On SQLite a
//! write (or a group-commit batch) holds the database's one write lock already, so its events
//! are linked straight into the chain in its own commit (`append_sealed`). A sealer task
//! catches anything left pending (after a crash, for instance).
use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    entities::{audit_event, audit_head, audit_pending},
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

/// The chain's key: each link is an HMAC-SHA-256 under it, so a database writer without the
/// key (kept sealed by the vault, whose keys live outside the database) cannot recompute the
/// links after editing an event. Events numbered before `keyed_from` were linked by plain
/// SHA-256 by an earlier version and are checked that way.
pub struct ChainKey {
    key: [u8; 32],
    keyed_from: i64,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainKey")
            .field("keyed_from", &self.keyed_from)
            .finish_non_exhaustive()
    }
}

const CHAIN_KEY: &str = "audit_chain_key";

impl ChainKey {
    /// The database's chain key. Created with the database (or, once, when `vault::seal_at_rest`
    /// seals a database from a version before the key: events linked before then keep their
    /// plain links). Once the chain holds events, a missing key is not replaced: a new one
    /// would let anyone who can write to the database relink the whole chain by plain hashes.
    pub async fn load(
        db: &impl ConnectionTrait,
        vault: &crate::vault::Vault,
    ) -> anyhow::Result<Self> {
        use crate::vault::{Tampered, audit_trail_is_empty, read_secret};
        if read_secret(db, vault, CHAIN_KEY).await?.is_none() {
            if !audit_trail_is_empty(db).await? {
                return Err(Tampered(
                    "the audit chain's key is missing from a database whose audit trail holds \
                     events: someone who can write to the database deleted it, and the chain \
                     cannot be checked without it. Vigie does not start on it: restore the \
                     database from a backup"
                        .to_owned(),
                )
                .into());
            }
            Self::create(db, vault).await?;
        }
        let value = read_secret(db, vault, CHAIN_KEY)
            .await?
            .ok_or_else(|| anyhow::anyhow!("audit chain key missing"))?;
        anyhow::ensure!(value.len() == 40, "audit chain key has the wrong length");
        let (key, from) = value.split_at(32);
        Ok(Self {
            key: key.try_into()?,
            keyed_from: i64::from_be_bytes(from.try_into()?),
        })
    }

    /// Stores a chain key unless there is one, keying the events after the head: for a new
    /// database, or by `vault::seal_at_rest` only, when it seals a database from before the key.
    pub(crate) async fn create(
        db: &impl ConnectionTrait,
        vault: &crate::vault::Vault,
    ) -> anyhow::Result<()> {
        let head = audit_head::Entity::find_by_id(1)
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("audit head missing"))?;
        let mut value = crate::vault::Vault::generate_key().to_vec();
        value.extend_from_slice(&(head.seq + 1).to_be_bytes());
        crate::vault::store_once(db, vault, &[(CHAIN_KEY, &value)]).await
    }
}

fn link_hash(
    key: &ChainKey,
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    e: &audit_event::Model,
) -> String {
    use hmac::Mac;
    let parts = [
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
    ];
    // Length-prefixed, so moving text between fields changes the link.
    if seq < key.keyed_from {
        let mut h = Sha256::new();
        for part in parts {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        return hex::encode(h.finalize());
    }
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&key.key) else {
        unreachable!("HMAC takes a key of any length")
    };
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Begins a write not yet moved onto the unit of work, taking the write lock first.
///
/// On SQLite that is the database's one write lock: writers queue at the start instead of
/// failing at the end (a transaction that has read and then tries to write after another one
/// committed gets `SQLITE_BUSY` at once; one that writes first waits its turn). On PostgreSQL
/// it is the `audit_head` row, which serialises these writes with each other as before. The
/// unit of work takes neither on PostgreSQL (its limits hold by subject locks and one-statement
/// checks), and sealing locks `audit_head` only after the writes have committed, holding no
/// other lock: no cycle, so no deadlock between the two kinds of write.
pub async fn begin_write(db: &sea_orm::DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let txn = db.begin().await?;
    take_write_lock(&txn).await?;
    Ok(txn)
}

/// The first statement of a legacy write: see `begin_write`.
pub async fn take_write_lock(txn: &DatabaseTransaction) -> AppResult<()> {
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

/// Commits a transaction begun with `begin_write`; the sealer task gives its events their
/// place in the chain (an operator command has no chain key to seal with).
pub async fn commit(txn: DatabaseTransaction) -> AppResult<()> {
    txn.commit().await?;
    Ok(())
}

/// Adds the event to the caller's transaction; it is durable when that commits, and takes its
/// place in the chain when sealed.
pub async fn record(txn: &impl ConnectionTrait, now: DateTime<Utc>, event: Event) -> AppResult<()> {
    audit_pending::Entity::insert(pending_row(now, event))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Adds the events of one or more writes to the caller's transaction, in one statement per
/// hundred: durable when it commits, linked into the chain when sealed.
pub async fn record_all(
    txn: &impl ConnectionTrait,
    events: Vec<(DateTime<Utc>, Event)>,
) -> AppResult<()> {
    let rows: Vec<_> = events
        .into_iter()
        .map(|(at, event)| pending_row(at, event))
        .collect();
    for chunk in rows.chunks(100) {
        audit_pending::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn pending_row(at: DateTime<Utc>, event: Event) -> audit_pending::ActiveModel {
    audit_pending::ActiveModel {
        // Stored with microseconds on every backend: hash what will be read back.
        at: Set(at.trunc_subsecs(6)),
        actor: Set(event.actor),
        authority: Set(event.authority),
        session_id: Set(event.session_id),
        terminal: Set(event.terminal),
        action: Set(event.action.to_owned()),
        subject: Set(event.subject),
        details: Set(event.details.to_string()),
        ..Default::default()
    }
}

/// How long sealing held the chain's lock, and what it sealed (the benchmarks read it).
pub static SEALING: SealingCounts = SealingCounts {
    held_nanos: AtomicU64::new(0),
    seals: AtomicU64::new(0),
    events: AtomicU64::new(0),
};

pub struct SealingCounts {
    pub held_nanos: AtomicU64,
    pub seals: AtomicU64,
    pub events: AtomicU64,
}

/// Events sealed a transaction at most.
const SEAL_BATCH: u64 = 1000;

/// Gives every committed pending event its place in the chain; returns how many. The chain's
/// lock is held only for this: read the head, link the events, write them, move the head.
/// Waits for the lock when another sealer holds it (operator commands, tests).
pub async fn seal(db: &sea_orm::DatabaseConnection, key: &ChainKey) -> AppResult<u64> {
    seal_with(db, key, false).await
}

/// `seal`, except that on PostgreSQL a pass finding the chain's lock taken stops there instead
/// of queueing: the instance holding it is sealing and takes what is pending in batches, and
/// this instance's next commit (or the periodic pass) comes back for anything left. Two
/// instances' sealers no longer take turns on the lock, each linking a handful of events.
async fn seal_with(
    db: &sea_orm::DatabaseConnection,
    key: &ChainKey,
    step_aside: bool,
) -> AppResult<u64> {
    let step_aside = step_aside && db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let mut sealed = 0;
    loop {
        // Nothing pending (the usual case: writes seal their own events): no write lock taken.
        if audit_pending::Entity::find().one(db).await?.is_none() {
            return Ok(sealed);
        }
        let txn = db.begin().await?;
        if step_aside {
            use sea_orm::sea_query::{LockBehavior, LockType};
            let free = audit_head::Entity::find_by_id(1)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .one(&txn)
                .await?;
            if free.is_none() {
                txn.rollback().await?;
                return Ok(sealed);
            }
        } else {
            // Take the chain's lock first: sealers queue here, one after the other.
            take_write_lock(&txn).await?;
        }
        let started = Instant::now();
        let n = link_pending(&txn, key).await?;
        txn.commit().await?;
        if n > 0 {
            let held = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            SEALING.held_nanos.fetch_add(held, Ordering::Relaxed);
            SEALING.seals.fetch_add(1, Ordering::Relaxed);
            SEALING.events.fetch_add(n, Ordering::Relaxed);
        }
        sealed += n;
        if n < SEAL_BATCH {
            return Ok(sealed);
        }
    }
}

/// Links the pending events into the chain; the caller holds the chain's lock.
async fn link_pending(txn: &DatabaseTransaction, key: &ChainKey) -> AppResult<u64> {
    let pending = audit_pending::Entity::find()
        .order_by_asc(audit_pending::Column::Id)
        .limit(SEAL_BATCH)
        .all(txn)
        .await?;
    link(txn, key, pending, Vec::new()).await
}

/// The events of writes that hold the database's write lock (SQLite: a batch, or a write of its
/// own) take their place in the chain in their own transaction, after whatever was pending:
/// no pending row written, read and deleted for them. Returns how many events were linked.
pub async fn append_sealed(
    txn: &DatabaseTransaction,
    key: &ChainKey,
    events: Vec<(DateTime<Utc>, Event)>,
) -> AppResult<u64> {
    let pending = audit_pending::Entity::find()
        .order_by_asc(audit_pending::Column::Id)
        .limit(SEAL_BATCH)
        .all(txn)
        .await?;
    if pending.len() as u64 == SEAL_BATCH {
        // A backlog (after a crash): the new events queue behind it, in order.
        record_all(txn, events).await?;
        return link_pending(txn, key).await;
    }
    link(txn, key, pending, events).await
}

/// Links `pending` then `events` after the chain's head; the caller holds the chain's lock.
async fn link(
    txn: &DatabaseTransaction,
    key: &ChainKey,
    pending: Vec<audit_pending::Model>,
    events: Vec<(DateTime<Utc>, Event)>,
) -> AppResult<u64> {
    if pending.is_empty() && events.is_empty() {
        return Ok(0);
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("audit head missing"))?;
    let (mut seq, mut prev) = (head.seq, head.hash);
    let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
    let unlinked = pending
        .into_iter()
        .map(|p| {
            (
                p.at,
                p.actor,
                p.authority,
                p.session_id,
                p.terminal,
                p.action,
                p.subject,
                p.details,
            )
        })
        .chain(events.into_iter().map(|(at, e)| {
            (
                at.trunc_subsecs(6),
                e.actor,
                e.authority,
                e.session_id,
                e.terminal,
                e.action.to_owned(),
                e.subject,
                e.details.to_string(),
            )
        }));
    let mut rows = Vec::with_capacity(ids.len());
    for (at, actor, authority, session_id, terminal, action, subject, details) in unlinked {
        seq += 1;
        let mut row = audit_event::Model {
            seq,
            at,
            actor,
            authority,
            session_id,
            terminal,
            action,
            subject,
            details,
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        row.hash = link_hash(key, &prev, seq, row.at, &row);
        prev = row.hash.clone();
        rows.push(audit_event::ActiveModel::from(row));
    }
    let n = rows.len() as u64;
    for chunk in rows.chunks(100) {
        audit_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    if let Some(last) = ids.last().copied() {
        audit_pending::Entity::delete_many()
            .filter(audit_pending::Column::Id.is_in(ids))
            .filter(audit_pending::Column::Id.lte(last))
            .exec(txn)
            .await?;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(seq))
        .col_expr(audit_head::Column::Hash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(n)
}

/// This process's sealer (PostgreSQL): a write that committed wakes it and is answered at once;
/// the sealer links everything pending in one short transaction, however many writes woke it.
/// The write's events are durable from its own commit (in `audit_pending`); no request waits
/// on the chain's lock, so two instances never slow each other's writes through it.
#[derive(Debug, Default)]
pub struct Sealer {
    wake: tokio::sync::Notify,
}

impl Sealer {
    /// Events were committed: seal them soon. (A wake while a seal runs brings one more pass.)
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Seals what writes left pending when woken by a commit of this process, and every second
/// (another instance's writes, or what a crash left).
pub async fn run_sealer(
    db: sea_orm::DatabaseConnection,
    key: std::sync::Arc<ChainKey>,
    sealer: std::sync::Arc<Sealer>,
) {
    loop {
        if let Err(e) = seal_with(&db, &key, true).await {
            tracing::warn!(error = %e, "audit sealing failed; retrying");
        }
        tokio::select! {
            () = sealer.wake.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every link checks, and the head names the last event.
    Intact { events: u64 },
    /// The first event whose link does not check.
    Broken { seq: i64, reason: &'static str },
}

/// Recomputes the whole chain, reading it page by page (memory stays flat however long it is).
pub async fn verify(db: &impl ConnectionTrait, key: &ChainKey) -> AppResult<Verdict> {
    const PAGE: u64 = 10_000;
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let full = page.len() as u64 == PAGE;
        for e in &page {
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
            if link_hash(key, &prev, e.seq, e.at, e) != e.hash {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    reason: "contenu modifié",
                });
            }
            prev = e.hash.clone();
            expected_seq += 1;
        }
        if !full {
            break;
        }
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
        events: (expected_seq - 1) as u64,
    })
}
