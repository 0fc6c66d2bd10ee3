//! The entry app: dose entry, the patient's recap and the offline entries to look at again,
//! what a tablet shows once signed in (`/vaccination`, `/bilan/{id}`, `/a-verifier`). Its own
//! download, fetched while the professional validates the sign-in on the phone; every other
//! address is loaded from the app that serves it.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes::App;

use super::{
    bilan::Bilan,
    entry::VaccinationEntry,
    offline::{Offline, OfflineEntry},
    review::Review,
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
                    <Route path=path!("/bilan/:id") view=Bilan />
                    <Route path=path!("/a-verifier") view=Review />
                </Routes>
            </OfflineEntry>
        </Shell>
    }
}
