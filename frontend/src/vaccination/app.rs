//! The entry app: dose entry and the patient's recap, what a tablet shows once signed in
//! (`/vaccination`, `/bilan/{id}`). Its own download, fetched while the professional validates
//! the sign-in on the phone; every other address is loaded from the app that serves it.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes::App;

use super::{bilan::Bilan, entry::VaccinationEntry};
use crate::shell::{Elsewhere, Shell};

#[component]
pub fn EntryApp() -> impl IntoView {
    view! {
        <Shell>
            <Routes fallback=|| view! { <Elsewhere this=App::Entry /> }>
                <Route path=path!("/vaccination") view=VaccinationEntry />
                <Route path=path!("/bilan/:id") view=Bilan />
            </Routes>
        </Shell>
    }
}
