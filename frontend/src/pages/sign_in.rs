//! "/connexion": sign in with a passkey. The identifier is checked as it is typed, with the
//! same rule the server applies, so a malformed identifier never leaves the device.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use vigie_shared::{ApiError, NationalId, api::passkey::AuthenticationFinish};

use super::set_title;
use crate::{
    api,
    components::identifier::{NationalIdField, NationalIdInput},
    session::use_session,
    webauthn,
};

#[component]
pub fn SignIn() -> impl IntoView {
    set_title("Connexion");
    let session = use_session();
    let navigate = use_navigate();

    let national_id = NationalIdInput::new(NationalId::parse, "");

    let sign_in = Action::new_local(move |national_id: &NationalId| {
        let national_id = national_id.clone();
        let navigate = navigate.clone();
        async move {
            let challenge = api::authentication_start(&national_id).await?;
            let credential = webauthn::use_passkey(challenge.options).await?;
            let signed_in = api::authentication_finish(&AuthenticationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
            })
            .await?;
            session.signed_in(signed_in);
            navigate("/", Default::default());
            Ok::<(), ApiError>(())
        }
    });
    let pending = sign_in.pending();
    // The last attempt's error, hidden while a new attempt runs.
    let failure = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !pending.get())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(national_id) = national_id.value()
            && !pending.get_untracked()
        {
            sign_in.dispatch(national_id);
        }
    };

    view! {
        <h1>"Connexion"</h1>
        <p class="lead">
            "Connectez-vous avec la clé d'accès enregistrée sur cet appareil ou sur votre clé de sécurité."
        </p>
        <form class="card form" on:submit=on_submit novalidate>
            <NationalIdField input=national_id id="identifiant-national" />
            <button
                type="submit"
                class="button button-wide"
                data-testid="sign-in-submit"
                disabled=move || national_id.is_invalid() || pending.get()
            >
                {move || {
                    if pending.get() {
                        "Vérification en cours…"
                    } else {
                        "Se connecter avec ma clé d'accès"
                    }
                }}
            </button>
            {move || {
                failure()
                    .map(|error| {
                        view! {
                            <p role="alert" class="alert alert-error" data-testid="sign-in-error">
                                {error.message}
                            </p>
                        }
                    })
            }}
        </form>
        <p class="muted">
            "Pas encore de clé d'accès ? Ouvrez le lien d'activation que vous avez reçu sur cet appareil."
        </p>
        <p>
            <a href="/terminal">"Se connecter par validation sur mon téléphone"</a>
        </p>
    }
}
