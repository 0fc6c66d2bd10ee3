//! Server-Sent Events streams fed by the database-backed event layer. Every event is the JSON of
//! a `LiveEvent` in a plain `data:` line (no event name: the SPA reads one type and matches it).
//! A keep-alive comment every 15 s keeps proxies from closing idle streams; EventSource
//! reconnects by itself.
//!
//! A stream opened in a session lives no longer than the session: it closes, after a last
//! `session_ended`, within a second of the session ending however it ends (logout, end by its
//! owner or by the authority, "ce n'est pas moi", delegation withdrawn, idle or absolute
//! limit), on this instance or another. Every stream also takes a place under caps — per
//! session, per terminal or approver phone, per client address — refused with 429 when full.

use std::{convert::Infallible, pin::Pin, time::Duration};

use axum::response::{Sse, sse};
use chrono::{DateTime, Utc};
use futures_util::{Stream as FutStream, StreamExt, stream};
use sea_orm::EntityTrait;
use tokio_stream::wrappers::UnboundedReceiverStream;
use uuid::Uuid;

use vigie_shared::{
    ErrorCode,
    api::{live::LiveEvent, session::SessionEnded},
};

use crate::{
    entities::session,
    error::{AppError, AppResult},
    events,
    http::client::ClientAddress,
    state::AppState,
};

type Inner = Pin<Box<dyn FutStream<Item = Result<sse::Event, Infallible>> + Send>>;
pub type Stream = sse::KeepAliveStream<Inner>;

/// Streams one session may hold open (tabs, the header's and the supervision screen's).
const PER_SESSION: usize = 8;
/// Streams one terminal (anonymous kiosk cookie) or one approver phone may hold open.
const PER_DEVICE: usize = 8;
/// How often a session-bound stream compares the clock with the session's limits (no database
/// read: a comparison in memory), well inside the second a stream may outlive its session.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Every how many checks it reads its session again anyway (every 30 s: an end nobody
/// announced still closes it).
const REREAD_EVERY: u32 = 120;

/// What a stream belongs to, which bounds its life and its count.
pub enum Holder<'a> {
    /// A signed-in session: the stream ends with it.
    Session(&'a session::Model),
    /// A kiosk terminal following its own request.
    Terminal(Uuid),
    /// An approver phone.
    Approver(Uuid),
}

/// The live events of `channels`, after `first` (what the stream's reader must know at once),
/// for as long as `holder` lasts. Refused with 429 (`rate_limited`) when a cap is full.
pub fn stream(
    state: &AppState,
    holder: Holder<'_>,
    address: &ClientAddress,
    mut channels: Vec<String>,
    first: Vec<LiveEvent>,
) -> AppResult<Sse<Stream>> {
    let own = match &holder {
        Holder::Session(s) => (format!("session:{}", s.id), PER_SESSION),
        Holder::Terminal(t) => (format!("terminal:{t}"), PER_DEVICE),
        Holder::Approver(d) => (format!("approver:{d}"), PER_DEVICE),
    };
    let caps = [
        own,
        (
            format!("address:{}", address.counted().unwrap_or_default()),
            state.settings.streams_per_address,
        ),
    ];
    let slot = state.events.open_slot(&caps).ok_or_else(|| {
        AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de connexions en direct ouvertes : fermez d'autres onglets et réessayez.",
        )
    })?;
    // A session's end is announced on its own channel, on whichever instance it happens; a
    // phone's revocation on the phone's.
    let session_channel = match &holder {
        Holder::Session(s) => Some(events::session_channel(s.id)),
        Holder::Approver(d) => Some(events::device_channel(*d)),
        Holder::Terminal(_) => None,
    };
    if let Some(c) = &session_channel
        && !channels.contains(c)
    {
        channels.push(c.clone());
    }
    let ended = LiveEvent::SessionEnded(SessionEnded::default()).kind();
    let live = UnboundedReceiverStream::new(state.events.subscribe(&channels)).map(move |e| {
        let last = session_channel.as_deref() == Some(e.channel.as_str()) && e.kind == ended;
        (
            sse::Event::default()
                .id(e.id.to_string())
                .data(e.payload.clone()),
            last,
        )
    });
    let first = stream::iter(first.into_iter().map(|e| (event(&e), false)));
    let end: Pin<Box<dyn FutStream<Item = (sse::Event, bool)> + Send>> = match holder {
        Holder::Session(s) => Box::pin(stream::once(watch(state.clone(), s.clone())).map(|why| {
            (
                event(&LiveEvent::SessionEnded(SessionEnded {
                    reason: why.map(str::to_owned),
                    message: None,
                })),
                true,
            )
        })),
        _ => Box::pin(stream::pending()),
    };
    // Everything up to and including the first "last" event, then the end at once. The place
    // under the caps is given back with that event, or when the client goes away (the stream
    // is dropped).
    let events = first.chain(stream::select(live, end));
    let all: Inner = Box::pin(stream::unfold(
        (Box::pin(events), Some(slot)),
        |(mut events, slot)| async move {
            let slot = slot?;
            let (e, last) = events.next().await?;
            let slot = (!last).then_some(slot);
            Some((Ok(e), (events, slot)))
        },
    ));
    Ok(Sse::new(all).keep_alive(sse::KeepAlive::new().interval(Duration::from_secs(15))))
}

fn event(e: &LiveEvent) -> sse::Event {
    // Plain wire types: serialising them cannot fail.
    sse::Event::default().data(serde_json::to_string(e).unwrap_or_default())
}

/// Resolves when the session is over: past its limits by the server's clock, or found ended
/// when read again. Returns the reason given to the reader, when known.
async fn watch(state: AppState, mut s: session::Model) -> Option<&'static str> {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    let mut ticks = 0u32;
    loop {
        tick.tick().await;
        ticks += 1;
        let now = state.now();
        if now >= s.absolute_expires_at {
            return Some("expired");
        }
        if now >= s.idle_expires_at || ticks.is_multiple_of(REREAD_EVERY) {
            match session::Entity::find_by_id(s.id).one(&state.db).await {
                Ok(Some(row)) if row.ended_at.is_none() && live_at(&row, now) => s = row,
                Ok(Some(row)) if row.ended_at.is_some() => return None,
                Ok(_) => return Some("expired"),
                // The database is unreachable: try again at the next tick.
                Err(e) => tracing::warn!(error = %e, "live stream: session not read"),
            }
        }
    }
}

fn live_at(s: &session::Model, now: DateTime<Utc>) -> bool {
    now < s.idle_expires_at && now < s.absolute_expires_at
}
