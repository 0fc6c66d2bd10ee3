//! "/activation#jeton=…": creates a passkey on this device with a one-time enrolment token.
//! The token travels in the fragment, which browsers never send to a server (no logs, no
//! Referer), and is removed from the address bar as soon as it is read.

use leptos::prelude::*;
use vigie_shared::{
    ApiError,
    api::passkey::{RegisteredPasskey, RegistrationFinish},
};

use super::set_title;
use crate::{api, webauthn};

const DEFAULT_LABEL: &str = "Téléphone";

#[component]
pub fn Activation() -> impl IntoView {
    set_title("Activation");
    // Read once: after this the address bar no longer holds it, the page's memory does.
    let token = StoredValue::new(take_enrolment_token());
    let has_token = token.with_value(Option::is_some);
    let label = RwSignal::new(DEFAULT_LABEL.to_owned());

    let activate = Action::new_local(move |label: &String| {
        let label = label.trim().to_owned();
        let token = token.get_value().unwrap_or_default();
        async move {
            let challenge = api::registration_start(&token).await?;
            let credential = webauthn::create_passkey(challenge.options).await?;
            api::registration_finish(&RegistrationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
                label: (!label.is_empty()).then_some(label),
            })
            .await
        }
    });
    let pending = activate.pending();
    let outcome = move || activate.value().get().filter(|_| !pending.get());
    let done = move || matches!(outcome(), Some(Ok(_)));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !pending.get_untracked() {
            activate.dispatch(label.get_untracked());
        }
    };

    view! {
        <h1>"Activer votre clé d'accès"</h1>
        <p class="lead">
            "Une clé d'accès remplace le mot de passe : elle reste sur cet appareil et se déverrouille \
             avec votre code, votre empreinte ou votre visage. Personne ne peut s'en servir à distance."
        </p>
        {if has_token {
            view! {
                <Show
                    when=move || !done()
                    fallback=move || {
                        view! { <ActivationDone outcome=outcome /> }
                    }
                >
                    <form class="card form" on:submit=on_submit novalidate>
                        <div class="field">
                            <label for="nom-appareil">"Nom de cet appareil"</label>
                            <p id="nom-appareil-aide" class="hint">
                                "Facultatif : il vous aidera à reconnaître cette clé plus tard."
                            </p>
                            <input
                                id="nom-appareil"
                                name="label"
                                type="text"
                                maxlength="60"
                                autocomplete="off"
                                aria-describedby="nom-appareil-aide"
                                prop:value=move || label.get()
                                on:input=move |ev| label.set(event_target_value(&ev))
                            />
                        </div>
                        <button
                            type="submit"
                            class="button button-wide"
                            data-testid="activation-submit"
                            disabled=move || pending.get()
                        >
                            {move || {
                                if pending.get() { "Création en cours…" } else { "Créer ma clé d'accès" }
                            }}
                        </button>
                        {move || {
                            outcome()
                                .and_then(Result::err)
                                .map(|error| {
                                    view! {
                                        <p role="alert" class="alert alert-error" data-testid="activation-error">
                                            {error.message}
                                        </p>
                                    }
                                })
                        }}
                    </form>
                </Show>
            }
                .into_any()
        } else {
            view! {
                <p role="alert" class="alert alert-error" data-testid="activation-error">
                    "Ce lien d'activation est incomplet. Ouvrez le lien reçu tel quel, sans le modifier, \
                     ou demandez-en un nouveau."
                </p>
            }
                .into_any()
        }}
    }
}

#[component]
fn ActivationDone(
    outcome: impl Fn() -> Option<Result<RegisteredPasskey, ApiError>> + Send + Sync + 'static,
) -> impl IntoView {
    let label = move || {
        outcome()
            .and_then(Result::ok)
            .map(|passkey| format!("Nom de l'appareil : {}.", passkey.label))
    };
    view! {
        <div class="card" role="status">
            <p class="alert alert-success" data-testid="activation-done">
                "Votre clé d'accès est enregistrée."
            </p>
            <p>{label}</p>
            <p>
                <a class="button" href="/connexion">
                    "Se connecter"
                </a>
            </p>
        </div>
    }
}

/// Reads the token from `#jeton=…` and removes the fragment from the address bar and history.
fn take_enrolment_token() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let token = enrolment_token(&location.hash().ok()?);
    if token.is_some()
        && let (Ok(path), Ok(query), Ok(history)) =
            (location.pathname(), location.search(), window.history())
    {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
    token
}

/// The token in a fragment such as `#jeton=abc` (other `&`-separated keys are ignored).
pub fn enrolment_token(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("jeton="))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_fragment() {
        assert_eq!(enrolment_token("#jeton=abc-_123"), Some("abc-_123".into()));
        assert_eq!(enrolment_token("#x=1&jeton=abc"), Some("abc".into()));
        assert_eq!(enrolment_token("#jeton="), None);
        assert_eq!(enrolment_token(""), None);
        assert_eq!(enrolment_token("#token=abc"), None);
    }
}
