//! Live streams from the server (Server-Sent Events through the browser's `EventSource`).
//! The browser reconnects by itself after a network drop (and fires `open` again, so a page
//! can re-read what it may have missed); an HTTP error (401) closes the stream for good.
//! Same origin, so the browser attaches the cookies itself.

use std::{future::Future, rc::Rc};

use gloo_timers::future::TimeoutFuture;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// After the server refused a stream, wait before reading (and opening) again.
const RETRY_AFTER_MS: u32 = 5_000;

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

    /// Calls `handler` with every event the server sends (each the JSON of a `LiveEvent`),
    /// read as the stream's own view of it (`PhoneEvent`, `SessionEvent`…): the app carries
    /// the readers of its own events only.
    pub fn on_event<E: serde::de::DeserializeOwned>(
        mut self,
        mut handler: impl FnMut(E) + 'static,
    ) -> Self {
        self.listen("message", move |event| {
            if let Some(live) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|message| message.data().as_string())
                .and_then(|data| serde_json::from_str::<E>(&data).ok())
            {
                handler(live);
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

    /// Reads `list` again at each (re)connection, so nothing sent meanwhile is missed; when the
    /// server refuses the stream, closes it and reads again after a while (which reopens it).
    pub fn reloading(self, list: LiveList) -> Self {
        self.on_open(move || list.reload()).on_closed(move || {
            list.stream.close();
            spawn_local(async move {
                TimeoutFuture::new(RETRY_AFTER_MS).await;
                list.reload();
            });
        })
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

/// Something read from the server and kept current by a live stream: read at start, and again
/// at each reconnection of the stream; only the latest answer counts.
#[derive(Clone, Copy)]
pub struct LiveList {
    reloads: RwSignal<u32>,
    latest: StoredValue<u32>,
    stream: StreamSlot,
}

impl LiveList {
    pub fn new() -> Self {
        Self {
            reloads: RwSignal::new(0),
            latest: StoredValue::new(0),
            stream: StreamSlot::new(),
        }
    }

    /// Reads now and at each reload, handing the latest answer to `answer`.
    pub fn read_with<T, F>(self, read: impl Fn() -> F + 'static, answer: impl Fn(T) + 'static)
    where
        T: 'static,
        F: Future<Output = T> + 'static,
    {
        let (read, answer) = (Rc::new(read), Rc::new(answer));
        Effect::new(move |_| {
            let this = self.reloads.get();
            self.latest.set_value(this);
            let (read, answer) = (Rc::clone(&read), Rc::clone(&answer));
            spawn_local(async move {
                let value = read().await;
                if self.latest.try_get_value() == Some(this) {
                    answer(value);
                }
            });
        });
    }

    pub fn reload(self) {
        self.reloads.try_update(|n| *n += 1);
    }

    /// Opens the stream unless it is open already.
    pub fn follow(self, open: impl FnOnce() -> Option<LiveStream>) {
        if !self.stream.is_open() {
            self.stream.set(open());
        }
    }

    pub fn close(self) {
        self.stream.close();
    }
}
