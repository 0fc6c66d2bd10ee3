//! Server-Sent Events streams fed by the database-backed event layer. A keep-alive comment
//! every 15 s keeps proxies from closing idle streams; EventSource reconnects by itself.

use std::{convert::Infallible, pin::Pin, time::Duration};

use axum::response::{Sse, sse};
use futures_util::{Stream as FutStream, StreamExt, stream};
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::state::AppState;

type Inner = Pin<Box<dyn FutStream<Item = Result<sse::Event, Infallible>> + Send>>;
pub type Stream = sse::KeepAliveStream<Inner>;

pub fn stream(state: &AppState, channels: Vec<String>, first: Vec<sse::Event>) -> Sse<Stream> {
    let live = UnboundedReceiverStream::new(state.events.subscribe(&channels)).map(|e| {
        Ok(sse::Event::default()
            .id(e.id.to_string())
            .event(e.kind.clone())
            .data(e.payload.clone()))
    });
    let all: Inner = Box::pin(stream::iter(first.into_iter().map(Ok)).chain(live));
    Sse::new(all).keep_alive(sse::KeepAlive::new().interval(Duration::from_secs(15)))
}
