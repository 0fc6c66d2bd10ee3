//! Server-Sent Events streams fed by the database-backed event layer. Every event is the JSON of
//! a `LiveEvent` in a plain `data:` line (no event name: the SPA reads one type and matches it).
//! A keep-alive comment every 15 s keeps proxies from closing idle streams; EventSource
//! reconnects by itself.

use std::{convert::Infallible, pin::Pin, time::Duration};

use axum::response::{Sse, sse};
use futures_util::{Stream as FutStream, StreamExt, stream};
use tokio_stream::wrappers::UnboundedReceiverStream;

use vigie_shared::api::live::LiveEvent;

use crate::state::AppState;

type Inner = Pin<Box<dyn FutStream<Item = Result<sse::Event, Infallible>> + Send>>;
pub type Stream = sse::KeepAliveStream<Inner>;

/// The live events of `channels`, after `first` (what the stream's reader must know at once).
pub fn stream(state: &AppState, channels: Vec<String>, first: Vec<LiveEvent>) -> Sse<Stream> {
    let live = UnboundedReceiverStream::new(state.events.subscribe(&channels)).map(|e| {
        Ok(sse::Event::default()
            .id(e.id.to_string())
            .data(e.payload.clone()))
    });
    let first = first.into_iter().map(|e| {
        // Plain wire types: serialising them cannot fail.
        Ok(sse::Event::default().data(serde_json::to_string(&e).unwrap_or_default()))
    });
    let all: Inner = Box::pin(stream::iter(first).chain(live));
    Sse::new(all).keep_alive(sse::KeepAlive::new().interval(Duration::from_secs(15)))
}
