//! The entry app: dose entry, what a tablet shows once signed in (`/vaccination`), with offline
//! entry around it. Its own download, fetched while the professional validates the sign-in on
//! the phone; every other address (the recap, "À vérifier") is loaded from the app that serves
//! it.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes::App;

use super::{
    entry::VaccinationEntry,
    offline::{Offline, OfflineEntry},
};
use crate::shell::{Elsewhere, Shell};

#[component]
pub fn EntryApp() -> impl IntoView {
    Offline::provide();
    view! {
        <Shell>
            <OfflineEntry>
                <Routes fallback=|| view! { <Elsewhere this=App::Entry /> }>
                    <Route path=path!("/vaccination") view=VaccinationEntry />
                </Routes>
            </OfflineEntry>
        </Shell>
    }
}
