//! The approver app: the professional's phone (`/validation`). Everything the phone shows
//! lives here and mounts without the router, so it can be built as an app of its own:
//! `ApproverApp` renders the whole screen — a header naming the phone's owner, and the
//! requests. It registers the service worker (`public/sw.js`): offline start, Web Push.

mod card;
mod push;
pub mod text;
mod validation;
mod worker;

use chrono::{DateTime, Utc};
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::api::approval::ApproverPresence;

use self::{text::requested_in_query, validation::Validation, worker::Worker};
use crate::{api, pages::set_title};

/// The phone's address.
const PATH: &str = "/validation";

/// The whole phone screen: skip link, header, requests.
#[component]
pub fn ApproverApp() -> impl IntoView {
    set_title("Validation des connexions");
    let presence = RwSignal::new(None::<ApproverPresence>);
    let focus = Focus::new();
    // `?demande=<id>`: a notification opened this page for that request.
    if let Some(window) = web_sys::window()
        && let Some(id) = window
            .location()
            .search()
            .ok()
            .and_then(|search| requested_in_query(&search))
    {
        focus.request(id);
        // Read once: a reload later must not look for a request long decided.
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(PATH));
        }
    }
    let worker = Worker::start(move |id| focus.request(id));

    view! {
        <a class="skip-link" href="#contenu">
            "Aller au contenu"
        </a>
        <header class="approver-header">
            <span class="brand">
                <img class="brand-mark" src="/icon.svg" alt="" width="32" height="32" />
                "Vigie"
            </span>
            <p class="approver-owner" data-testid="phone-owner">
                {move || {
                    presence
                        .with(|p| p.as_ref().map(|p| format!("Téléphone de {}", p.display_name)))
                }}
            </p>
        </header>
        <main id="contenu" class="approver-main" tabindex="-1">
            <Show when=move || worker.update_ready.get()>
                <div class="update-banner" role="status" data-testid="update-banner">
                    <p>"Nouvelle version disponible"</p>
                    <button
                        type="button"
                        class="button button-quiet"
                        on:click=move |_| worker.apply_update()
                    >
                        "Recharger"
                    </button>
                </div>
            </Show>
            <Validation presence worker focus />
        </main>
    }
}

/// Server time, re-read every second (reactive): the requests' countdowns.
#[derive(Clone, Copy)]
pub struct Clock {
    tick: RwSignal<u32>,
}

impl Clock {
    fn start() -> Self {
        let clock = Self {
            tick: RwSignal::new(0),
        };
        let interval = Interval::new(1_000, move || {
            clock.tick.try_update(|n| *n = n.wrapping_add(1));
        });
        // Dropping the Interval stops it: kept as long as the screen.
        StoredValue::new_local(interval);
        clock
    }

    pub fn now(self) -> DateTime<Utc> {
        self.tick.track();
        api::server_now()
    }
}

/// The request the user came for (a notification, the QR code): shown first, its code field
/// focused. Each ask counts, so a second tap on the same notification focuses it again.
#[derive(Clone, Copy)]
pub struct Focus(RwSignal<Option<(Uuid, u32)>>);

impl Focus {
    fn new() -> Self {
        Self(RwSignal::new(None))
    }

    pub fn request(self, id: Uuid) {
        self.0.update(|wanted| {
            let asks = wanted.map_or(0, |(_, n)| n.wrapping_add(1));
            *wanted = Some((id, asks));
        });
    }

    pub fn wanted(self) -> Option<Uuid> {
        self.0.with(|wanted| wanted.map(|(id, _)| id))
    }

    pub fn wanted_untracked(self) -> Option<Uuid> {
        self.0.with_untracked(|wanted| wanted.map(|(id, _)| id))
    }

    pub fn clear(self) {
        self.0.set(None);
    }
}
