//! The phone's service worker (`/sw.js`, plain JS in `public/`): registered by the approver
//! app only. It keeps the app shell for offline starts, shows push notifications, and posts
//! the request a tapped notification names to an open page. A new version waits until the
//! user taps "Recharger" (never in the middle of typing a code).

use js_sys::{Object, Reflect};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    EventTarget, MessageEvent, RegistrationOptions, ServiceWorker, ServiceWorkerContainer,
    ServiceWorkerRegistration, ServiceWorkerState,
};

use super::text::requested_in_message;

/// What the page knows of its worker.
#[derive(Clone, Copy)]
pub struct Worker {
    /// Set once registered: the push subscription goes through it.
    pub registration: RwSignal<Option<ServiceWorkerRegistration>, LocalStorage>,
    /// Registration failed or the browser has no service workers.
    pub unavailable: RwSignal<bool>,
    /// A new version is installed and waits.
    pub update_ready: RwSignal<bool>,
    /// The user asked for the new version: reload when it takes over, once.
    reload_asked: StoredValue<bool>,
}

/// The browser's service worker container, when it has one (secure contexts only).
pub fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let has = Reflect::get(&navigator, &"serviceWorker".into())
        .is_ok_and(|value| !value.is_undefined() && !value.is_null());
    has.then(|| navigator.service_worker())
}

impl Worker {
    /// Registers `/sw.js` for the whole origin and follows its updates; `opened` receives the
    /// request of a notification tapped while this page is open.
    pub fn start(opened: impl Fn(Uuid) + 'static) -> Self {
        let worker = Self {
            registration: RwSignal::new_local(None),
            unavailable: RwSignal::new(false),
            update_ready: RwSignal::new(false),
            reload_asked: StoredValue::new(false),
        };
        let Some(container) = container() else {
            worker.unavailable.set(true);
            return worker;
        };
        listen(&container, "message", move |event| {
            if let Some(id) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|message| js_sys::JSON::stringify(&message.data()).ok())
                .and_then(|json| json.as_string())
                .and_then(|json| requested_in_message(&json))
            {
                opened(id);
            }
        });
        listen(&container, "controllerchange", move |_| {
            if worker.reload_asked.try_get_value() == Some(true) {
                worker.reload_asked.set_value(false);
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            }
        });
        let options = RegistrationOptions::new();
        options.set_scope("/");
        let registering = container.register_with_options("/sw.js", &options);
        wasm_bindgen_futures::spawn_local(async move {
            match JsFuture::from(registering).await {
                Ok(registration) => {
                    let registration: ServiceWorkerRegistration = registration.unchecked_into();
                    worker.follow_updates(&registration);
                    worker.registration.try_set(Some(registration));
                }
                Err(_) => {
                    worker.unavailable.try_set(true);
                }
            }
        });
        worker
    }

    /// Shows "Nouvelle version disponible" when a new worker waits behind the current one
    /// (a first install has nothing to replace: it takes over at once).
    fn follow_updates(self, registration: &ServiceWorkerRegistration) {
        let controlled = || container().and_then(|c| c.controller()).is_some();
        if registration.waiting().is_some() && controlled() {
            self.update_ready.set(true);
        }
        let watched = registration.clone();
        listen(registration, "updatefound", move |_| {
            let Some(installing) = watched.installing() else {
                return;
            };
            let new = installing.clone();
            listen(&installing, "statechange", move |_| {
                if new.state() == ServiceWorkerState::Installed && controlled() {
                    self.update_ready.try_set(true);
                }
            });
        });
    }

    /// "Recharger": the waiting worker takes over, then the page reloads (controllerchange).
    pub fn apply_update(self) {
        let waiting: Option<ServiceWorker> = self
            .registration
            .with_untracked(|r| r.as_ref().and_then(ServiceWorkerRegistration::waiting));
        match waiting {
            Some(waiting) => {
                self.reload_asked.set_value(true);
                let message = Object::new();
                let _ = Reflect::set(&message, &"type".into(), &"SKIP_WAITING".into());
                let _ = waiting.post_message(&message);
            }
            // Already active meanwhile (another tab): a reload is all it takes.
            None => {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            }
        }
    }
}

/// A listener for the page's lifetime (the approver app is never unmounted).
fn listen(target: &EventTarget, name: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let listener = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
    listener.forget();
}
