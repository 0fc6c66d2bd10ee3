//! "/personnel/activation": a staff member creates their passkey on their tablet, from the
//! link the structure's manager gave them (`#jeton=…`, valid 24 h). The token leaves the
//! address bar as soon as it is read.

use leptos::prelude::*;

use super::{
    activation::{PasskeyOwner, PasskeyStep},
    fragment_has, fragment_value, set_title, take_fragment,
};

#[component]
pub fn PersonnelActivation() -> impl IntoView {
    set_title("Clé d'accès du personnel");
    let fragment = take_fragment();
    let enrolment = RwSignal::new(fragment_value(&fragment, "jeton"));
    let body = if enrolment.with_untracked(Option::is_some) {
        view! { <PasskeyStep enrolment owner=PasskeyOwner::Staff /> }.into_any()
    } else if fragment_has(&fragment, "jeton") {
        view! {
            <p role="alert" class="alert alert-error" data-testid="activation-error">
                "Ce lien est incomplet. Ouvrez le lien reçu tel quel, sans le modifier, ou demandez-en \
                 un nouveau au responsable de votre structure."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="alert alert-info" data-testid="activation-no-link">
                "Ouvrez sur cette tablette le lien remis par le responsable de votre structure (ou \
                 scannez son QR code) : il est valable 24 heures."
            </p>
        }
        .into_any()
    };

    view! {
        <h1>"Créer votre clé d'accès"</h1>
        <p class="lead">
            "Votre clé d'accès reste sur cette tablette et se déverrouille avec votre code, votre \
             empreinte ou votre visage. Elle vous permet de saisir les vaccinations sous la \
             responsabilité d'un professionnel de santé, qui valide chaque session."
        </p>
        {body}
    }
}
