//! Live events through the database, so that several instances on one PostgreSQL all see them.
//! A write inserts a `live_event` row in its own transaction (and on PostgreSQL a NOTIFY that
//! fires at commit), and once committed hands it to this process's SSE streams itself. One pump
//! per process reads new rows (woken by NOTIFY, and every 100 ms anyway) for the events other
//! instances wrote; an event is delivered once whichever way it comes.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::{Notify, mpsc};
use vigie_shared::api::live::LiveEvent;

use crate::{entities::live_event, error::AppResult};

const NOTIFY_CHANNEL: &str = "vigie_live";

/// A stored live event on its way to the streams of its channel: `payload` is the JSON of its
/// `LiveEvent`, serialised once for all of them.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub payload: String,
}

/// A stream's inbox for the channels it listens to.
type Inbox = mpsc::UnboundedSender<Arc<Delivered>>;

#[derive(Clone)]
pub struct Events {
    /// Who listens to each channel: an event wakes only its channel's streams, not all of them
    /// (a thousand phones connected cost nothing to a request for one of them).
    routes: Arc<Mutex<HashMap<String, Vec<Inbox>>>>,
    /// Events already handed out, and when: an event committed here is delivered at once by the
    /// write, and the pump, reading it back, must not deliver it twice.
    seen: Arc<Mutex<BTreeMap<i64, std::time::Instant>>>,
    /// Streams open in this process per holder (a session, a terminal, a client address).
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// A stream's places under its caps, given back when the stream closes.
pub struct Slot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    keys: Vec<String>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            if let Some(n) = open.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    open.remove(k);
                }
            }
        }
    }
}

/// Channel names: who listens to what.
pub fn professional_channel(id: uuid::Uuid) -> String {
    format!("professional:{id}")
}
pub fn approval_channel(id: uuid::Uuid) -> String {
    format!("approval:{id}")
}
pub fn session_channel(id: uuid::Uuid) -> String {
    format!("session:{id}")
}
/// An approver phone's own channel: its revocation ends its streams.
pub fn device_channel(id: uuid::Uuid) -> String {
    format!("device:{id}")
}
/// What a professional supervises: the delegated sessions under their authority.
pub fn supervision_channel(professional_id: uuid::Uuid) -> String {
    format!("supervision:{professional_id}")
}

impl Events {
    /// A place for one more stream under every cap `(holder, most)`, all taken or none (in one
    /// critical section: parallel openings cannot overshoot). `None` when a cap is reached.
    /// The caps protect this process's memory: each instance counts its own streams.
    pub fn open_slot(&self, caps: &[(String, usize)]) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if caps
            .iter()
            .any(|(k, most)| open.get(k).copied().unwrap_or(0) >= *most)
        {
            return None;
        }
        for (k, _) in caps {
            *open.entry(k.clone()).or_default() += 1;
        }
        Some(Slot {
            open: self.open.clone(),
            keys: caps.iter().map(|(k, _)| k.clone()).collect(),
        })
    }

    /// The events of these channels, from now on.
    pub fn subscribe(&self, channels: &[String]) -> mpsc::UnboundedReceiver<Arc<Delivered>> {
        let (inbox, events) = mpsc::unbounded_channel();
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for c in channels {
            routes.entry(c.clone()).or_default().push(inbox.clone());
        }
        events
    }

    /// Hands events that have just committed in this process to their streams at once, without
    /// waiting for the pump to read them back.
    pub fn deliver_committed(&self, events: Vec<Delivered>) {
        for e in events {
            self.deliver_once(e);
        }
    }

    /// Delivers an event unless it was already.
    fn deliver_once(&self, event: Delivered) {
        let fresh = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event.id, std::time::Instant::now())
            .is_none();
        if fresh {
            self.deliver(Arc::new(event));
        }
    }

    /// Hands an event to the streams of its channel (dropping those that have closed).
    fn deliver(&self, event: Arc<Delivered>) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(inboxes) = routes.get_mut(&event.channel) {
            inboxes.retain(|inbox| inbox.send(event.clone()).is_ok());
            if inboxes.is_empty() {
                routes.remove(&event.channel);
            }
        }
    }

    /// Forgets the streams that have closed on channels that stayed quiet.
    fn prune(&self) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.retain(|_, inboxes| {
            inboxes.retain(|inbox| !inbox.is_closed());
            !inboxes.is_empty()
        });
    }

    /// Writes the event with the caller's transaction (other instances are told at commit);
    /// the caller delivers it to this process's streams once it has committed.
    pub async fn insert(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        channel: String,
        event: &LiveEvent,
    ) -> AppResult<Delivered> {
        // Plain wire types: serialising them cannot fail.
        let payload = serde_json::to_string(event).map_err(crate::error::AppError::internal)?;
        let kind = event.kind().to_owned();
        let id = live_event::Entity::insert(live_event::ActiveModel {
            at: Set(now),
            channel: Set(channel.clone()),
            kind: Set(kind.clone()),
            payload: Set(payload.clone()),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!("NOTIFY {NOTIFY_CHANNEL}"))
                .await?;
        }
        Ok(Delivered {
            id,
            channel,
            kind,
            payload,
        })
    }

    /// Starts the pump for this process.
    pub async fn start(db: DatabaseConnection) -> AppResult<Self> {
        let wake = Arc::new(Notify::new());
        let events = Self {
            routes: Arc::default(),
            seen: Arc::default(),
            open: Arc::default(),
        };
        let start = live_event::Entity::find()
            .order_by_desc(live_event::Column::Id)
            .limit(1)
            .one(&db)
            .await?
            .map_or(0, |e| e.id);
        if db.get_database_backend() == DbBackend::Postgres {
            let pool = db.get_postgres_connection_pool().clone();
            tokio::spawn(listen_postgres(pool, wake.clone()));
        }
        tokio::spawn(pump(db, events.clone(), wake, start));
        Ok(events)
    }
}

async fn listen_postgres(pool: sea_orm::sqlx::PgPool, wake: Arc<Notify>) {
    loop {
        match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if listener.listen(NOTIFY_CHANNEL).await.is_ok() {
                    while listener.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "live events: LISTEN failed, polling only"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads new rows and broadcasts them. Ids are assigned before commit, so a lower id can
/// appear after a higher one: rows of the last few seconds are re-read and duplicates dropped.
async fn pump(db: DatabaseConnection, events: Events, wake: Arc<Notify>, start: i64) {
    let mut floor = start;
    let mut last_cleanup = std::time::Instant::now();
    loop {
        let woken = tokio::time::timeout(Duration::from_millis(100), wake.notified())
            .await
            .is_ok();
        // Woken by another instance's commit: if nothing new is visible yet on this connection,
        // look again a few times in quick succession.
        let mut rows = Vec::new();
        for attempt in 0..8 {
            match live_event::Entity::find()
                .filter(live_event::Column::Id.gt(floor))
                .order_by_asc(live_event::Column::Id)
                .limit(2000)
                .all(&db)
                .await
            {
                Ok(found) => rows = found,
                Err(e) => {
                    tracing::warn!(error = %e, "live events: read failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
            let fresh = {
                let seen = events.seen.lock().unwrap_or_else(|e| e.into_inner());
                rows.iter().any(|r| !seen.contains_key(&r.id))
            };
            if fresh || !woken || attempt == 7 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let now = std::time::Instant::now();
        for row in rows {
            events.deliver_once(Delivered {
                id: row.id,
                channel: row.channel,
                kind: row.kind,
                payload: row.payload,
            });
        }
        // Rows seen more than 5 s ago cannot be preceded by a late commit any more.
        {
            let mut seen = events.seen.lock().unwrap_or_else(|e| e.into_inner());
            while let Some((&id, &at)) = seen.first_key_value() {
                if now.duration_since(at) > Duration::from_secs(5) {
                    floor = floor.max(id);
                    seen.remove(&id);
                } else {
                    break;
                }
            }
        }
        if last_cleanup.elapsed() > Duration::from_secs(60) {
            last_cleanup = std::time::Instant::now();
            events.prune();
            let cutoff = Utc::now() - chrono::Duration::hours(1);
            let _ = live_event::Entity::delete_many()
                .filter(live_event::Column::At.lt(cutoff))
                .exec(&db)
                .await;
        }
    }
}
