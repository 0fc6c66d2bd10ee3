//! What the routed apps (hall, entry, office) share around their routes: the session context,
//! the skip link, the header, the locked screen of an ended delegated session, the fallback
//! that hands an address served by another app to the server (a full-page load), and
//! `Navigator` for the pages' own navigations.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::Router,
    hooks::{use_location, use_navigate},
};
use vigie_shared::routes::App;

use crate::{
    components::session_header::{SessionHeader, SessionLocked},
    pages::not_found::NotFound,
    session::provide_session_context,
};

/// The page frame; `children` are the app's `<Routes>`, whose fallback is `Elsewhere`.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let session = provide_session_context();
    // A delegated session that ends takes the page away at once (see SessionLocked).
    let locked = Memo::new(move |_| session.locked());

    view! {
        <Router>
            // target="_self" lets the browser follow the fragment itself (the router would
            // only scroll), which also moves keyboard focus into the content.
            <a class="skip-link" href="#contenu" target="_self">
                "Aller au contenu"
            </a>
            <SessionHeader />
            <main id="contenu" tabindex="-1">
                <Show
                    when=move || locked.with(Option::is_none)
                    fallback=move || {
                        view! { <SessionLocked notice=locked.get().unwrap_or_default() /> }
                    }
                >
                    {children()}
                </Show>
            </main>
        </Router>
    }
}

/// Goes to another page from code (after sign-in, sign-out…): through the router within this
/// app, by a page load straight away when another app serves it — the address then changes
/// once, when that app's page arrives, instead of the router's entry first and a reload after.
#[derive(Clone)]
pub struct Navigator(Arc<dyn Fn(&str, NavigateOptions) + Send + Sync>);

impl Navigator {
    /// Within a route (it reads the router).
    pub fn new() -> Self {
        Self(Arc::new(use_navigate()))
    }

    pub fn go(&self, path: &str) {
        let here = window().location().pathname().unwrap_or_default();
        if App::of_path(path) == App::of_path(&here) {
            (self.0)(path, NavigateOptions::default());
        } else {
            let _ = window().location().assign(path);
        }
    }
}

/// The routes' fallback in the app `this`: a page of another app (a plain link or a
/// `navigate` the router took) is loaded from the server; an unknown address is "not found".
#[component]
pub fn Elsewhere(this: App) -> impl IntoView {
    let location = use_location();
    let path = location.pathname.get_untracked();
    if App::of_path(&path) == this {
        return NotFound().into_any();
    }
    // The router keeps the query without its "?" and the fragment with its "#".
    let search = location.search.get_untracked();
    let hash = location.hash.get_untracked();
    let url = if search.is_empty() {
        format!("{path}{hash}")
    } else {
        format!("{path}?{search}{hash}")
    };
    // After the router has written the address into the history: the load replaces that
    // entry, so Back returns to the page the link was on.
    // With a fragment, replacing the address by itself would only scroll: the page is loaded
    // again instead.
    let same_document = !hash.is_empty();
    set_timeout(
        move || {
            let location = window().location();
            let _ = if same_document {
                location.reload()
            } else {
                location.replace(&url)
            };
        },
        std::time::Duration::ZERO,
    );
    view! { <p class="muted">"Chargement…"</p> }.into_any()
}
