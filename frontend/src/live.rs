//! Live streams from the server (Server-Sent Events through the browser's `EventSource`).
//! The browser reconnects by itself after a network drop (and fires `open` again, so a page
//! can re-read what it may have missed); an HTTP error (401) closes the stream for good.
//! Same origin, so the browser attaches the cookies itself.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// An open stream and its listeners. Dropping it closes the stream.
pub struct LiveStream {
    source: EventSource,
    // Kept alive as long as the source can call them; dropped after `close`.
    listeners: Vec<Listener>,
}

impl LiveStream {
    pub fn open(url: &str) -> Option<Self> {
        EventSource::new(url).ok().map(|source| Self {
            source,
            listeners: Vec::new(),
        })
    }

    /// Calls `handler` with the `data` of every event named `name`.
    pub fn on(mut self, name: &str, mut handler: impl FnMut(&str) + 'static) -> Self {
        self.listen(name, move |event| {
            if let Some(data) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|message| message.data().as_string())
            {
                handler(&data);
            }
        });
        self
    }

    /// Connected, first time or again after a drop.
    pub fn on_open(mut self, mut handler: impl FnMut() + 'static) -> Self {
        self.listen("open", move |_| handler());
        self
    }

    /// The server refused the stream (401, 404…): the browser will not try again.
    pub fn on_closed(mut self, mut handler: impl FnMut() + 'static) -> Self {
        let source = self.source.clone();
        self.listen("error", move |_| {
            if source.ready_state() == EventSource::CLOSED {
                handler();
            }
        });
        self
    }

    fn listen(&mut self, name: &str, handler: impl FnMut(web_sys::Event) + 'static) {
        let listener = Listener::new(handler);
        let _ = self
            .source
            .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        self.listeners.push(listener);
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// A slot holding at most one stream, closed when the current reactive owner (the page) goes.
#[derive(Clone, Copy)]
pub struct StreamSlot(StoredValue<Option<LiveStream>, LocalStorage>);

impl StreamSlot {
    pub fn new() -> Self {
        let slot = StoredValue::new_local(None);
        on_cleanup(move || {
            slot.try_update_value(|stream| stream.take());
        });
        Self(slot)
    }

    /// Replaces (and closes) the stream held, if any.
    pub fn set(self, stream: Option<LiveStream>) {
        // Closed outside the event handler that may be asking for it, once that has returned.
        let old = self
            .0
            .try_update_value(|slot| std::mem::replace(slot, stream));
        if let Some(Some(old)) = old {
            wasm_bindgen_futures::spawn_local(async move { drop(old) });
        }
    }

    pub fn close(self) {
        self.set(None);
    }

    pub fn is_open(self) -> bool {
        self.0.try_with_value(Option::is_some).unwrap_or(false)
    }
}
