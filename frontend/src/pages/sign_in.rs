//! "/connexion": sign in with a passkey. The identifier is checked as it is typed, with the
//! same rule the server applies, so a malformed identifier never leaves the device. Once
//! signed in, the professional lands on their task: the vaccination entry.

use leptos::prelude::*;
use vigie_shared::NationalId;

use super::{SIGNED_IN_HOME, set_title};
use crate::components::{
    identifier::{NationalIdField, NationalIdInput},
    passkey_sign_in::PasskeySignInForm,
};

#[component]
pub fn SignIn() -> impl IntoView {
    set_title("Connexion");
    let national_id = NationalIdInput::new(NationalId::parse, "");

    view! {
        <h1>"Connexion"</h1>
        <p class="lead">
            "Connectez-vous avec la clé d'accès enregistrée sur cet appareil ou sur votre clé de sécurité."
        </p>
        <PasskeySignInForm input=national_id destination=SIGNED_IN_HOME>
            <NationalIdField input=national_id id="identifiant-national" />
        </PasskeySignInForm>
        <p class="muted">
            "Pas encore de clé d'accès ? Ouvrez le lien d'activation que vous avez reçu sur cet appareil."
        </p>
        <p>
            <a href="/terminal">"Se connecter par validation sur mon téléphone"</a>
        </p>
        <p>
            <a href="/personnel">"Saisie déléguée (personnel)"</a>
        </p>
    }
}
