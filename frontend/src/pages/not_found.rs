//! Router fallback: an address the SPA does not know.

use leptos::prelude::*;

use super::set_title;

#[component]
pub fn NotFound() -> impl IntoView {
    set_title("Page introuvable");
    view! {
        <h1>"Page introuvable"</h1>
        <p>"L'adresse demandée ne correspond à aucune page de Vigie."</p>
        <p>
            <a href="/">"Retour à l'accueil"</a>
        </p>
    }
}
