//! The hall tablet's app: sign-in on the tablet (by phone or passkey), dose entry and recap,
//! delegated entry, and passkey activation (a professional's or a staff member's). Every
//! other address is loaded from the app that serves it (`vigie_shared::routes`).

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes::App;

use crate::{
    pages::{
        activation::Activation, personnel::Personnel, personnel_activation::PersonnelActivation,
        sign_in::SignIn, terminal::Terminal,
    },
    shell::{Elsewhere, Shell},
    vaccination::{bilan::Bilan, entry::VaccinationEntry},
};

#[component]
pub fn HallApp() -> impl IntoView {
    view! {
        <Shell>
            <Routes fallback=|| view! { <Elsewhere this=App::Hall /> }>
                <Route path=path!("/connexion") view=SignIn />
                <Route path=path!("/activation") view=Activation />
                <Route path=path!("/terminal") view=Terminal />
                <Route path=path!("/vaccination") view=VaccinationEntry />
                <Route path=path!("/bilan/:id") view=Bilan />
                <Route path=path!("/personnel") view=Personnel />
                <Route path=path!("/personnel/activation") view=PersonnelActivation />
            </Routes>
        </Shell>
    }
}
