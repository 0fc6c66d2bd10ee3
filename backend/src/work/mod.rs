//! The unit of work: a write begins here and ends in `commit`. It holds the transaction, the
//! clock read once, and who acts (actor, authority, session, terminal). Features write their
//! rows through it and `emit` typed domain events; the reactions to those events (audit trail,
//! live events, open-data counts) run inside the same transaction when it commits, so a refused write leaves no
//! row and no orphan event, and no feature calls another one for a side effect.
//!
//! Limits and single-use secrets are enforced here by one of two atomic means, never by
//! reading then writing:
//! - `guard(subject)` locks a subject (an identity asking for push sign-in, a client address)
//!   before its limit is counted: the counts and the write that follows cannot interleave with
//!   another request's, on SQLite (one writer) or on PostgreSQL across instances (row lock);
//! - `take_attempt` / `take_once`: one conditional `UPDATE` whose affected-row count says
//!   whether the attempt or the secret was still there.

mod actor;
mod domain;
mod writer;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait, UpdateMany,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use sha2::{Digest, Sha256};

pub use actor::Actor;
pub use domain::{DomainEvent, Injected, LiveNotice, OfflineOrigin, ReportOutcome, SessionEnd};
pub use writer::{BoxFuture, Writer, write, write_unaudited};

use crate::{
    audit,
    entities::{session, write_guard},
    error::AppResult,
    events::Delivered,
    state::AppState,
    statistics,
};

/// A subject whose limit must be counted alone.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// An identity push sign-in is asked for (counts: pending, per 10 min, per hour).
    PushIdentity(&'a str),
    /// A client address asking for push sign-in (the per-address cap).
    PushAddress(&'a str),
    /// A staff member asking to type under a professional's authority (their own budget).
    Delegate(uuid::Uuid),
    /// A professional asking for an activation of the approver app (per hour).
    Activation(uuid::Uuid),
    /// An idempotency key: its retries wait for the first write and find its answer.
    IdempotencyKey(&'a str),
}

impl Subject<'_> {
    /// Hashed: the guard table holds no identifier and no address.
    fn key(&self) -> String {
        let raw = match self {
            Self::PushIdentity(id) => format!("push-identity:{id}"),
            Self::PushAddress(ip) => format!("push-address:{ip}"),
            Self::Delegate(s) => format!("delegate:{s}"),
            Self::Activation(p) => format!("activation:{p}"),
            Self::IdempotencyKey(k) => format!("idempotency:{k}"),
        };
        hex::encode(Sha256::digest(raw.as_bytes()))
    }
}

/// A subject lock matters only while the writes it orders may run: the longest window a limit
/// counts is an hour. Older rows are swept.
pub const GUARD_KEPT: chrono::Duration = chrono::Duration::days(1);

/// Removes subject locks nobody has taken for `GUARD_KEPT`; returns how many.
pub async fn sweep_guards(state: &AppState) -> AppResult<u64> {
    let r = write_guard::Entity::delete_many()
        .filter(write_guard::Column::TouchedAt.lt(state.now() - GUARD_KEPT))
        .exec(&state.db)
        .await?;
    Ok(r.rows_affected)
}

pub struct Work {
    state: AppState,
    txn: DatabaseTransaction,
    /// SQLite: this process's turn at the write lock, held until commit or rollback.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    now: DateTime<Utc>,
    actor: Actor,
    events: Vec<DomainEvent>,
}

/// What the reactions to writes' events leave to be written: their audit events and the
/// open-data changes. Gathered per write, then written together: for a group-commit batch, once
/// for all its writes (a few statements, whatever their number).
#[derive(Default)]
struct Reactions {
    audit: Vec<(DateTime<Utc>, audit::Event)>,
    tally: statistics::Tally,
    /// Pushes were queued: the push sender is woken once they are committed.
    push: bool,
}

impl Reactions {
    fn merge(&mut self, other: Reactions) {
        self.audit.extend(other.audit);
        self.tally.merge(other.tally);
        self.push |= other.push;
    }

    /// Writes them in `txn`. `sealed`: the transaction holds the database's write lock
    /// (SQLite), so the audit events are linked into the chain at once; otherwise they wait
    /// for the sealer, which links them after the commit.
    async fn write(
        self,
        txn: &DatabaseTransaction,
        key: &audit::ChainKey,
        sealed: bool,
    ) -> AppResult<()> {
        self.tally.write(txn).await?;
        if sealed {
            audit::append_sealed(txn, key, self.audit).await?;
        } else {
            audit::record_all(txn, self.audit).await?;
        }
        Ok(())
    }
}

/// The clock read once for a write, to the microsecond: what both databases store, so that an
/// answer built from memory equals the rows read back later.
fn read_clock(state: &AppState) -> DateTime<Utc> {
    use chrono::SubsecRound;
    state.now().trunc_subsecs(6)
}

impl Work {
    /// Begins a write by `actor`, the clock read once for all of it.
    ///
    /// On SQLite the database's one write lock is taken first (writers queue at the start
    /// instead of failing at the end). On PostgreSQL nothing global is locked: the work's
    /// limits hold by subject locks and one-statement checks, and its audit events join the
    /// chain after the commit.
    pub async fn begin(state: &AppState, actor: Actor) -> AppResult<Self> {
        // Writers of this process wait their turn here, woken the moment it comes, rather than
        // in SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10… ms).
        let turn = match &state.writer {
            Some(w) => w.turn().await,
            None => None,
        };
        let txn = state.db.begin().await?;
        if state.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            audit::take_write_lock(&txn).await?;
        }
        Ok(Self {
            state: state.clone(),
            txn,
            _turn: turn,
            now: read_clock(state),
            actor,
            events: Vec::new(),
        })
    }

    /// A write inside the writer's batch: its own savepoint, its own clock reading.
    fn within(state: &AppState, savepoint: DatabaseTransaction, actor: Actor) -> Self {
        Self {
            state: state.clone(),
            txn: savepoint,
            // The batch holds the turn.
            _turn: None,
            now: read_clock(state),
            actor,
            events: Vec::new(),
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The terminal this work acts from, once known inside it (a terminal seen for the first
    /// time is created by the same work).
    pub fn from_terminal(&mut self, terminal: uuid::Uuid) {
        self.actor.terminal = Some(terminal);
    }

    /// The transaction, for the feature's own rows.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Locks `subject` until commit: every request that counts this subject's limit does so
    /// after taking this lock, so two of them never count the same rows.
    pub async fn guard(&self, subject: Subject<'_>) -> AppResult<()> {
        // SQLite has one writer: this work holds the database's write lock from its first
        // statement (its batch's `BEGIN IMMEDIATE`, or `begin`), so nothing can count beside it.
        if self.state.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        write_guard::Entity::insert(write_guard::ActiveModel {
            key: sea_orm::ActiveValue::Set(subject.key()),
            touched_at: sea_orm::ActiveValue::Set(self.now),
        })
        // An update on conflict (not "do nothing"): it takes the row lock on PostgreSQL.
        .on_conflict(
            OnConflict::column(write_guard::Column::Key)
                .update_column(write_guard::Column::TouchedAt)
                .to_owned(),
        )
        .exec_without_returning(&self.txn)
        .await?;
        Ok(())
    }

    /// Spends one attempt of `counter` (below `max`) on the rows `update` selects, in one
    /// statement. False when none was left (or no row matched): the caller refuses.
    pub async fn take_attempt<E: EntityTrait>(
        &self,
        update: UpdateMany<E>,
        counter: E::Column,
        max: i32,
    ) -> AppResult<bool> {
        let r = update
            .col_expr(counter, Expr::col(counter).add(1))
            .filter(counter.lt(max))
            .exec(&self.txn)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Spends one use of `subject`'s quota: at most `max` a fixed window of `window`, in one
    /// statement (parallel callers cannot both take the last use). False when none is left.
    pub async fn take_quota(
        &self,
        subject: &str,
        window: chrono::Duration,
        max: i32,
    ) -> AppResult<bool> {
        use sea_orm::ConnectionTrait;
        let r = self
            .txn
            .execute_raw(self.quota_statement(
                "INSERT INTO quota (subject, window_start, used) VALUES ($1, $2, 1) \
                 ON CONFLICT (subject) DO UPDATE SET \
                 used = CASE WHEN quota.window_start <= $3 THEN 1 ELSE quota.used + 1 END, \
                 window_start = CASE WHEN quota.window_start <= $3 THEN excluded.window_start \
                                     ELSE quota.window_start END \
                 WHERE quota.window_start <= $3 OR quota.used < $4",
                [
                    subject.into(),
                    self.now.into(),
                    (self.now - window).into(),
                    max.into(),
                ],
            ))
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The uses `subject`'s current window has spent (0 when it has none). Read after
    /// `take_quota` in the same work, the row is this work's until commit.
    pub async fn quota_used(&self, subject: &str) -> AppResult<i32> {
        use sea_orm::ConnectionTrait;
        let row = self
            .txn
            .query_one_raw(self.quota_statement(
                "SELECT used FROM quota WHERE subject = $1",
                [subject.into()],
            ))
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i32>("", "used")?,
            None => 0,
        })
    }

    /// Gives back one use of `subject`'s quota (taken by this work for something that turned
    /// out not to count).
    pub async fn give_back_quota(&self, subject: &str) -> AppResult<()> {
        use sea_orm::ConnectionTrait;
        self.txn
            .execute_raw(self.quota_statement(
                "UPDATE quota SET used = used - 1 WHERE subject = $1 AND used > 0",
                [subject.into()],
            ))
            .await?;
        Ok(())
    }

    /// A statement on the `quota` table written with `$n` parameters (`?n` on SQLite).
    fn quota_statement<const N: usize>(
        &self,
        sql: &str,
        values: [sea_orm::Value; N],
    ) -> sea_orm::Statement {
        use sea_orm::ConnectionTrait;
        let backend = self.txn.get_database_backend();
        let sql = if backend == sea_orm::DbBackend::Sqlite {
            sql.replace('$', "?")
        } else {
            sql.to_owned()
        };
        sea_orm::Statement::from_sql_and_values(backend, sql, values)
    }

    /// Marks a single-use secret used (`used_at` from NULL to now), in one statement. False
    /// when it was already used (or no row matched).
    pub async fn take_once<E: EntityTrait>(
        &self,
        update: UpdateMany<E>,
        used_at: E::Column,
    ) -> AppResult<bool> {
        let r = update
            .col_expr(used_at, Expr::value(self.now))
            .filter(used_at.is_null())
            .exec(&self.txn)
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Ends a session if it is still open: the one way every feature ends one. The device's
    /// stream and, for a delegated session, the supervising professional hear it at commit;
    /// the audit says why. False when it had already ended.
    pub async fn end_session(&mut self, s: &session::Model, reason: SessionEnd) -> AppResult<bool> {
        let ended = session::Entity::update_many()
            .col_expr(session::Column::EndedAt, Expr::value(self.now))
            .filter(session::Column::Id.eq(s.id))
            .filter(session::Column::EndedAt.is_null())
            .exec(&self.txn)
            .await?
            .rows_affected
            == 1;
        if ended {
            self.emit(DomainEvent::SessionEnded {
                session: s.id,
                professional: s.professional_id,
                delegate: s.staff_member_id,
                terminal: s.terminal_id,
                reason,
                at: self.now,
            });
        }
        Ok(ended)
    }

    /// Something happened; its reactions run at commit.
    pub fn emit(&mut self, event: DomainEvent) {
        self.events.push(event);
    }

    /// Runs the reactions to the events emitted (audit trail, open-data counts, live events)
    /// in the same transaction, commits, then hands the live events to this process's streams.
    pub async fn commit(self) -> AppResult<()> {
        let state = self.state.clone();
        let sqlite = state.db.get_database_backend() == sea_orm::DbBackend::Sqlite;
        let mut reactions = Reactions::default();
        let pushed;
        let live = match self.react(&mut reactions).await {
            // SQLite: this write holds the one write lock already; its events join the chain in
            // its own commit (no second transaction, no second fsync).
            Ok(live) => {
                pushed = reactions.push;
                match reactions.write(&self.txn, &state.audit_key, sqlite).await {
                    Ok(()) => live,
                    Err(e) => {
                        self.rollback().await;
                        return Err(e);
                    }
                }
            }
            Err(e) => {
                self.rollback().await;
                return Err(e);
            }
        };
        self.txn.commit().await?;
        // After the commit, not before; other instances read them from the table.
        state.events.deliver_committed(live);
        if pushed {
            state.push.wake();
        }
        if !sqlite {
            // PostgreSQL: the chain's lock is taken only by this process's sealer, in a short
            // transaction of its own shared by the writes committed meanwhile, never by a write.
            state.sealer.wake();
        }
        Ok(())
    }

    /// In a batch: runs the reactions and releases this write's savepoint. What the reactions
    /// leave to write joins `batch` (written once for the whole batch, before its commit);
    /// returns the live events written, to deliver once they are durable. On failure nothing
    /// of this write is kept.
    async fn release(self, batch: &mut Reactions) -> AppResult<Vec<Delivered>> {
        let mut mine = Reactions::default();
        let live = match self.react(&mut mine).await {
            Ok(live) => live,
            Err(e) => {
                self.rollback().await;
                return Err(e);
            }
        };
        self.txn.commit().await?;
        batch.merge(mine);
        Ok(live)
    }

    /// The reactions: audit events and open-data changes gathered in `reactions`, live events
    /// written now (returned, to deliver after the commit), Web Push outbox rows written now
    /// (their sender woken after the commit).
    async fn react(&self, reactions: &mut Reactions) -> AppResult<Vec<Delivered>> {
        let mut live = Vec::new();
        for event in &self.events {
            reactions.audit.push((self.now, event.audit(&self.actor)));
            match event {
                DomainEvent::VaccinationRecorded {
                    injected: Some(x), ..
                } => reactions.tally.recorded(&x.patient, &x.injection),
                DomainEvent::InjectionCorrected { before, after } => {
                    reactions.tally.corrected(&self.txn, before, after).await?
                }
                DomainEvent::InjectionInvalidated { before } => {
                    reactions.tally.invalidated(&self.txn, before).await?
                }
                // The phone is notified of a request that is not atypical (push/).
                DomainEvent::ApprovalRequested {
                    request,
                    professional: Some(p),
                    ..
                } => reactions.push |= crate::push::queue(&self.txn, self.now, *p, request).await?,
                // A revoked phone's push subscription (a capability to reach it) is not kept.
                DomainEvent::CredentialRevoked {
                    credential,
                    kind: vigie_shared::api::credentials::CredentialKind::Phone,
                    ..
                } => crate::push::forget(&self.txn, *credential).await?,
                _ => {}
            }
            for notice in event.live(&self.actor) {
                live.push(
                    self.state
                        .events
                        .insert(&self.txn, self.now, notice.channel, &notice.event)
                        .await?,
                );
            }
        }
        Ok(live)
    }

    /// Drops every row and event of this write.
    async fn rollback(self) {
        if let Err(e) = self.txn.rollback().await {
            tracing::warn!(error = %e, "rollback failed");
        }
    }
}
