//! The app shell: session context, header, skip link and the routes.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::session_header::{SessionHeader, SessionLocked},
    pages::{
        activation::Activation, home::Home, not_found::NotFound, personnel::Personnel,
        personnel_activation::PersonnelActivation, report::Report, security::Security,
        sessions::Sessions, settings::Settings, sign_in::SignIn, structure::Structure,
        supervision::Supervision, terminal::Terminal, validation::Validation,
    },
    session::provide_session_context,
    statistics::Statistics,
    vaccination::{bilan::Bilan, entry::VaccinationEntry, lots::LotsPage, verify::Verify},
};

#[component]
pub fn App() -> impl IntoView {
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
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/connexion") view=SignIn />
                    <Route path=path!("/activation") view=Activation />
                    <Route path=path!("/terminal") view=Terminal />
                    <Route path=path!("/validation") view=Validation />
                    <Route path=path!("/sessions") view=Sessions />
                    <Route path=path!("/signalement") view=Report />
                    <Route path=path!("/securite") view=Security />
                    <Route path=path!("/structure") view=Structure />
                    <Route path=path!("/vaccination") view=VaccinationEntry />
                    <Route path=path!("/bilan/:id") view=Bilan />
                    <Route path=path!("/verifier") view=Verify />
                    <Route path=path!("/statistiques") view=Statistics />
                    <Route path=path!("/lots") view=LotsPage />
                    <Route path=path!("/personnel") view=Personnel />
                    <Route path=path!("/personnel/activation") view=PersonnelActivation />
                    <Route path=path!("/parametres") view=Settings />
                    <Route path=path!("/supervision") view=Supervision />
                </Routes>
                </Show>
            </main>
        </Router>
    }
}
