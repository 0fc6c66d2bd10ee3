//! The hall app: the front door (home) and what a hall tablet shows before sign-in — sign-in
//! by phone or passkey, the delegated entry's request, passkey activation (a professional's
//! or a staff member's). Dose entry is the entry app's (`vaccination::app`). Every other
//! address is loaded from the app that serves it (`vigie_shared::routes`).

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes::App;

use crate::{
    pages::{
        activation::Activation, home::Home, personnel::Personnel,
        personnel_activation::PersonnelActivation, sign_in::SignIn, terminal::Terminal,
    },
    shell::{Elsewhere, Shell},
};

#[component]
pub fn HallApp() -> impl IntoView {
    view! {
        <Shell>
            <Routes fallback=|| view! { <Elsewhere this=App::Hall /> }>
                <Route path=path!("/") view=Home />
                <Route path=path!("/connexion") view=SignIn />
                <Route path=path!("/activation") view=Activation />
                <Route path=path!("/terminal") view=Terminal />
                <Route path=path!("/personnel") view=Personnel />
                <Route path=path!("/personnel/activation") view=PersonnelActivation />
            </Routes>
        </Shell>
    }
}
