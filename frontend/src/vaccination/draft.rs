//! The dose form's draft: what was typed for the patient being entered, kept in this tab's
//! session storage (never local storage) so that a reload or a Back does not lose it. One draft
//! per patient (keyed by the NIR, or by the file's id when found by name); the pointer to the
//! form that was open brings it back after a reload. Saving or cancelling the form wipes its
//! draft; signing out wipes them all.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::{JsCast, closure::Closure};

const PREFIX: &str = "vigie.draft.";
const CURRENT: &str = "vigie.draft.current";

/// The typed values of one dose form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The form's save key: a retry after a reload still records once.
    pub idempotency_key: Option<Uuid>,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: String,
    pub sex: String,
    pub department: String,
    pub esms: String,
    pub eligible: bool,
    pub consent: bool,
    pub contraindications: String,
    pub outcome: String,
    pub postpone_reason: String,
    pub product: Option<String>,
    pub lot: Option<Uuid>,
    pub site: String,
    pub when: String,
    /// The structure (or own practice) the dose is entered for.
    #[serde(default)]
    pub structure: Option<Uuid>,
    /// Under an own practice: the place's kind (its code) and, for another place, its address.
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub place_address: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn item(key: &str) -> String {
    format!("{PREFIX}item.{key}")
}

/// The draft kept for this patient, if any.
pub fn load(key: &str) -> Option<Draft> {
    let text = storage()?.get_item(&item(key)).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Keeps the draft and marks its form as the one open.
pub fn store(key: &str, draft: &Draft) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(draft)) {
        let _ = storage.set_item(&item(key), &text);
        let _ = storage.set_item(CURRENT, key);
    }
}

/// Wipes this patient's draft (saved or cancelled), and the pointer if it named this form.
pub fn remove(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&item(key));
        if storage.get_item(CURRENT).ok().flatten().as_deref() == Some(key) {
            let _ = storage.remove_item(CURRENT);
        }
    }
}

/// The form that was open with a draft (its key), to reopen after a reload.
pub fn current() -> Option<String> {
    storage()?
        .get_item(CURRENT)
        .ok()
        .flatten()
        .filter(|key| storage().is_some_and(|s| s.get_item(&item(key)).ok().flatten().is_some()))
}

/// Marks `key` as the open form (or none).
pub fn set_current(key: Option<&str>) {
    if let Some(storage) = storage() {
        let _ = match key {
            Some(key) => storage.set_item(CURRENT, key),
            None => storage.remove_item(CURRENT),
        };
    }
}

/// Wipes every draft of this tab (sign-out).
pub fn clear_all() {
    set_unsaved(false);
    let Some(storage) = storage() else {
        return;
    };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}

thread_local! {
    static UNSAVED: Cell<bool> = const { Cell::new(false) };
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

const LEAVE_QUESTION: &str = "La saisie en cours n'est pas enregistrée (elle reste en brouillon \
                              sur cette tablette jusqu'à la déconnexion). Quitter cette page ?";

/// Whether a form holds unsaved changes: leaving the page (reload, closing, another address)
/// or following a link in the app then asks first.
pub fn set_unsaved(unsaved: bool) {
    UNSAVED.with(|u| u.set(unsaved));
    if unsaved && !GUARDED.with(|g| g.replace(true)) {
        install_guards();
    }
}

fn unsaved() -> bool {
    UNSAVED.with(Cell::get)
}

/// Once per page: the browser's own question before unloading, and a confirmation before the
/// router follows a link (a capturing listener runs before the router's; a prevented click is
/// left alone by it).
fn install_guards() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let before_unload =
        Closure::<dyn Fn(web_sys::BeforeUnloadEvent)>::new(|ev: web_sys::BeforeUnloadEvent| {
            if unsaved() {
                ev.prevent_default();
                ev.set_return_value(LEAVE_QUESTION);
            }
        });
    let _ = window
        .add_event_listener_with_callback("beforeunload", before_unload.as_ref().unchecked_ref());
    before_unload.forget();

    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(|ev: web_sys::MouseEvent| {
        if !unsaved() || ev.default_prevented() || ev.button() != 0 {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
        else {
            return;
        };
        let href = link.get_attribute("href").unwrap_or_default();
        let new_tab = link.get_attribute("target").as_deref() == Some("_blank");
        if href.starts_with('#') || new_tab || link.has_attribute("download") {
            return;
        }
        let leave = web_sys::window()
            .and_then(|w| w.confirm_with_message(LEAVE_QUESTION).ok())
            .unwrap_or(true);
        if !leave {
            ev.prevent_default();
            ev.stop_propagation();
        }
    });
    let _ = window.add_event_listener_with_callback_and_bool(
        "click",
        click.as_ref().unchecked_ref(),
        true,
    );
    click.forget();
}
