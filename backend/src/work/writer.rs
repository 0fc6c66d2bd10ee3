//! Group commit on SQLite. SQLite has one writer and a durable commit costs one fsync, so one
//! task applies the writes that arrive together as a batch: one `BEGIN IMMEDIATE`, one
//! SAVEPOINT per write (a write that fails rolls back alone), one `COMMIT` (one fsync) for all.
//! Each write is answered only once its batch has committed. Reads stay on the pool and never
//! wait for the writer (WAL).
//!
//! On PostgreSQL there is no writer task: each write runs in its own transaction (the server
//! commits concurrent transactions together on its own).

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use futures_util::FutureExt;
use sea_orm::{
    DatabaseConnection, EntityTrait, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    UpdateMany,
};
use tokio::sync::{mpsc, oneshot};

use super::{Actor, Reactions, Work};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Writes waiting beyond this many are applied in the next batch.
const MAX_BATCH: usize = 128;

/// What a finished write hands back: whether its savepoint is kept, and how to answer it once
/// the batch's fate is known (`None`: committed; `Some(why)`: the commit failed).
struct Finished {
    kept: bool,
    answer: Box<dyn FnOnce(Option<String>) + Send>,
}

type Job = Box<dyn for<'a> FnOnce(&'a mut Work) -> BoxFuture<'a, Finished> + Send>;

struct Request {
    state: AppState,
    actor: Actor,
    job: Job,
}

/// The handle of the writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::UnboundedSender<Request>,
    counts: Arc<Counts>,
    /// Idempotency keys this writer applied a write for lately.
    recent_keys: Arc<std::sync::Mutex<RecentKeys>>,
    /// The process's turn at SQLite's write lock: batches and the writes that hold their own
    /// transaction queue here.
    gate: Arc<tokio::sync::Mutex<()>>,
}

/// Longer than this waiting for a turn, a write goes on and lets SQLite's busy handler order
/// it (as with a write from another process): a stuck turn slows writes, never stops them.
const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Keys in two generations: a key is remembered from `KEY_MEMORY` to twice that, in constant
/// time a write and in memory bounded by the writes of that span.
struct RecentKeys {
    current: std::collections::HashSet<String>,
    previous: std::collections::HashSet<String>,
    since: std::time::Instant,
}

impl Default for RecentKeys {
    fn default() -> Self {
        Self {
            current: Default::default(),
            previous: Default::default(),
            since: std::time::Instant::now(),
        }
    }
}

/// How long the writer remembers a key at least: far longer than a write waits between the
/// look-up of its key before the batch and its turn in the writer.
const KEY_MEMORY: std::time::Duration = std::time::Duration::from_secs(300);

/// How many batches committed and how many writes they held (benchmarks and tests read it).
#[derive(Debug, Default)]
pub struct Counts {
    pub batches: AtomicU64,
    pub writes: AtomicU64,
}

impl Writer {
    /// Starts the writer for this SQLite database, on a thread of its own: a write is a dozen
    /// statements, each a round trip to SQLite's worker thread, and on the shared runtime every
    /// one of them would wait its turn behind the HTTP tasks.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let counts = Arc::new(Counts::default());
        let batches = counts.clone();
        let gate = Arc::new(tokio::sync::Mutex::new(()));
        let turns = gate.clone();
        let spawned = std::thread::Builder::new()
            .name("vigie-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(db, incoming, batches, turns)),
                    // Without its runtime the writer stops: every write then fails, loudly.
                    Err(e) => tracing::error!(error = %e, "writer runtime not started"),
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "writer thread not started");
        }
        Self {
            queue,
            counts,
            recent_keys: Arc::default(),
            gate,
        }
    }

    /// Waits for this process's turn at the write lock (`None` after `TURN_WAIT`).
    pub async fn turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        take_turn(&self.gate).await
    }

    /// Whether a write with this idempotency key went through this writer lately (and notes
    /// this one). The writer is SQLite's only one: a key it has not seen since a write's look-up
    /// before the batch cannot have been stored since, so that write skips the look-up inside
    /// the batch. (The key's primary key refuses a duplicate anyway.)
    pub fn seen_lately(&self, key: &str) -> bool {
        let mut recent = self.recent_keys.lock().unwrap_or_else(|e| e.into_inner());
        if recent.since.elapsed() >= KEY_MEMORY {
            recent.previous = std::mem::take(&mut recent.current);
            recent.since = std::time::Instant::now();
        }
        let seen = recent.previous.contains(key);
        !recent.current.insert(key.to_owned()) || seen
    }

    /// (batches committed, writes in them) since start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.batches.load(Ordering::Relaxed),
            self.counts.writes.load(Ordering::Relaxed),
        )
    }
}

/// Runs `job` as one write by `actor`: in the next batch on SQLite, in a transaction of its own
/// on PostgreSQL. The job's rows and events are kept only if it returns `Ok`; the answer comes
/// once they are durable.
pub async fn write<T, F>(state: &AppState, actor: Actor, job: F) -> AppResult<T>
where
    T: Send + 'static,
    F: for<'a> FnOnce(&'a mut Work) -> BoxFuture<'a, AppResult<T>> + Send + 'static,
{
    let Some(writer) = &state.writer else {
        let mut work = Work::begin(state, actor).await?;
        let value = job(&mut work).await?;
        work.commit().await?;
        return Ok(value);
    };
    let (tx, rx) = oneshot::channel::<AppResult<T>>();
    let job: Job = Box::new(move |work: &mut Work| {
        Box::pin(async move {
            let result = job(work).await;
            let kept = result.is_ok();
            Finished {
                kept,
                answer: Box::new(move |failed: Option<String>| {
                    let _ = tx.send(match failed {
                        Some(why) if kept => Err(AppError::internal(why)),
                        _ => result,
                    });
                }),
            }
        })
    });
    writer
        .queue
        .send(Request {
            state: state.clone(),
            actor,
            job,
        })
        .map_err(|_| AppError::internal("writer stopped"))?;
    rx.await
        .map_err(|_| AppError::internal("writer dropped a write"))?
}

/// A one-statement write with nothing to audit (a session's last activity): batched with the
/// others on SQLite, its own statement on PostgreSQL (no chain lock). Returns the rows changed.
pub async fn write_unaudited<E>(state: &AppState, update: UpdateMany<E>) -> AppResult<u64>
where
    E: EntityTrait + Send + 'static,
{
    if state.writer.is_none() {
        return Ok(update.exec(&state.db).await?.rows_affected);
    }
    write(state, Actor::anonymous(), move |work| {
        Box::pin(async move { Ok(update.exec(work.db()).await?.rows_affected) })
    })
    .await
}

async fn take_turn(gate: &Arc<tokio::sync::Mutex<()>>) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    tokio::time::timeout(TURN_WAIT, gate.clone().lock_owned())
        .await
        .ok()
}

async fn run(
    db: DatabaseConnection,
    mut incoming: mpsc::UnboundedReceiver<Request>,
    counts: Arc<Counts>,
    gate: Arc<tokio::sync::Mutex<()>>,
) {
    while let Some(first) = incoming.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        let turn = take_turn(&gate).await;
        let committed = apply(&db, batch).await;
        drop(turn);
        if committed {
            counts.batches.fetch_add(1, Ordering::Relaxed);
            counts.writes.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// One batch: every write in its savepoint, one commit, then the answers. True when committed.
async fn apply(db: &DatabaseConnection, batch: Vec<Request>) -> bool {
    let streams = batch.first().map(|r| r.state.events.clone());
    let push = batch.first().map(|r| r.state.push.clone());
    let chain_key = batch.first().map(|r| r.state.audit_key.clone());
    let mut live = Vec::new();
    let mut reactions = Reactions::default();
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let txn = match db.begin_with_options(options).await {
        Ok(txn) => txn,
        Err(e) => {
            // Dropping the writes drops their answer channels: each caller hears of a failure.
            tracing::warn!(error = %e, "batch not started");
            drop(batch);
            return false;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for Request { state, actor, job } in batch {
        let Ok(savepoint) = txn.begin().await else {
            // Dropping the job drops its answer channel: the caller hears of a failure.
            tracing::warn!("savepoint refused: write not applied");
            continue;
        };
        let mut work = Work::within(&state, savepoint, actor);
        // A write that panics is rolled back alone (its caller hears of a failure); the writer
        // and the rest of the batch go on.
        let Ok(finished) = AssertUnwindSafe(job(&mut work)).catch_unwind().await else {
            tracing::error!("a write panicked: rolled back");
            work.rollback().await;
            continue;
        };
        let own_failure = if finished.kept {
            // Its audit events and counts are written once for the whole batch, below.
            match work.release(&mut reactions).await {
                Ok(events) => {
                    live.extend(events);
                    None
                }
                Err(e) => Some(format!("write: {e}")),
            }
        } else {
            work.rollback().await;
            None
        };
        answers.push((finished.answer, own_failure));
    }
    // The batch holds the write lock already: its events take their place in the chain in
    // the same commit. Should this fail, the whole batch is rolled back and every write hears
    // of it (its answer is not sent as committed).
    let pushed = reactions.push;
    let reacted = match &chain_key {
        Some(key) => reactions.write(&txn, key, true).await,
        None => Ok(()),
    };
    if let Err(e) = reacted {
        tracing::warn!(error = %e, "the batch's reactions failed: batch rolled back");
        let why = format!("batch reactions: {e}");
        let _ = txn.rollback().await;
        for (answer, _) in answers {
            answer(Some(why.clone()));
        }
        return false;
    }
    let failed = txn
        .commit()
        .await
        .err()
        .map(|e| format!("batch commit: {e}"));
    for (answer, own_failure) in answers {
        answer(own_failure.or_else(|| failed.clone()));
    }
    // Durable now: the streams of this process hear it at once.
    if failed.is_none()
        && let Some(streams) = streams
    {
        streams.deliver_committed(live);
    }
    if failed.is_none()
        && pushed
        && let Some(push) = push
    {
        push.wake();
    }
    failed.is_none()
}
