//! "/activation": creates a passkey on this device, which makes a phone the approver app.
//! - `#jeton=…` (operator's link, or the QR code shown by a computer): the passkey right away.
//! - `#lien=…` (the activation e-mail): the code received by SMS first, then the passkey.
//! - nothing: the form that sends the e-mail and the SMS.
//!
//! Tokens travel in the fragment and leave the address bar as soon as they are read.

use leptos::prelude::*;
use vigie_shared::{
    ApiError, NationalId,
    api::passkey::{RegisteredPasskey, RegistrationFinish},
};

use super::{fragment_has, fragment_value, set_title, take_fragment};
use crate::{
    api,
    components::{
        code_field::{CodeField, is_complete},
        identifier::{NationalIdField, NationalIdInput},
        text_field::TextField,
    },
    webauthn,
};

/// Whose passkey the enrolment token creates: the ceremony and what follows differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyOwner {
    /// A professional's phone (approver app) or computer.
    Professional,
    /// A staff member's tablet (delegated entry, `/personnel/activation`).
    Staff,
}

impl PasskeyOwner {
    fn default_label(self) -> &'static str {
        match self {
            Self::Professional => "Téléphone",
            Self::Staff => "Tablette",
        }
    }
}

#[component]
pub fn Activation() -> impl IntoView {
    set_title("Activation");
    // Read once: after this the address bar no longer holds them, the page's memory does.
    let fragment = take_fragment();
    let enrolment = RwSignal::new(fragment_value(&fragment, "jeton"));
    let link = fragment_value(&fragment, "lien");
    let cut_short = fragment_has(&fragment, "jeton") || fragment_has(&fragment, "lien");

    let body = if enrolment.with_untracked(Option::is_some) || link.is_some() {
        let link = link.unwrap_or_default();
        view! {
            <Show
                when=move || enrolment.with(Option::is_some)
                fallback=move || view! { <SmsCodeStep link_token=link.clone() enrolment /> }
            >
                <PasskeyStep enrolment owner=PasskeyOwner::Professional />
            </Show>
        }
        .into_any()
    } else if cut_short {
        view! {
            <p role="alert" class="alert alert-error" data-testid="activation-error">
                "Ce lien d'activation est incomplet. Ouvrez le lien reçu tel quel, sans le modifier, \
                 ou demandez-en un nouveau."
            </p>
        }
        .into_any()
    } else {
        view! { <ActivationRequest /> }.into_any()
    };

    view! {
        <h1>"Activer votre clé d'accès"</h1>
        <p class="lead">
            "Une clé d'accès remplace le mot de passe : elle reste sur cet appareil et se déverrouille \
             avec votre code, votre empreinte ou votre visage. Personne ne peut s'en servir à distance."
        </p>
        {body}
    }
}

/// The activation e-mail's link: the code received by SMS, both needed.
#[component]
fn SmsCodeStep(link_token: String, enrolment: RwSignal<Option<String>>) -> impl IntoView {
    let link_token = StoredValue::new(link_token);
    let code = RwSignal::new(String::new());
    let verify = Action::new_local(move |code: &String| {
        let code = code.clone();
        let link_token = link_token.get_value();
        async move {
            let granted = api::activation_verify(&link_token, &code).await?;
            enrolment.set(Some(granted.enrolment_token));
            Ok::<(), ApiError>(())
        }
    });
    let pending = verify.pending();
    let failure = move || {
        verify
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !pending.get())
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = code.get_untracked();
        if is_complete(&code) && !pending.get_untracked() {
            verify.dispatch(code);
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <h2>"Étape 1 sur 2 : le code reçu par SMS"</h2>
            <CodeField
                code
                id="code-sms".to_owned()
                label="Code reçu par SMS"
                hint="6 chiffres, envoyés par SMS en même temps que l'e-mail d'activation."
                autocomplete="one-time-code"
            />
            <button
                type="submit"
                class="button button-wide"
                data-testid="sms-code-submit"
                disabled=move || !code.with(|c| is_complete(c)) || pending.get()
            >
                {move || if pending.get() { "Vérification en cours…" } else { "Valider le code" }}
            </button>
            {move || {
                failure()
                    .map(|error| {
                        view! {
                            <p role="alert" class="alert alert-error" data-testid="activation-error">
                                {error.message}
                            </p>
                        }
                    })
            }}
        </form>
    }
}

/// Creates the passkey with the enrolment token (from the link, the QR code or the SMS step).
#[component]
pub fn PasskeyStep(enrolment: RwSignal<Option<String>>, owner: PasskeyOwner) -> impl IntoView {
    let label = RwSignal::new(owner.default_label().to_owned());

    let activate = Action::new_local(move |label: &String| {
        let label = label.trim().to_owned();
        let token = enrolment.get_untracked().unwrap_or_default();
        async move {
            let challenge = match owner {
                PasskeyOwner::Professional => api::registration_start(&token).await?,
                PasskeyOwner::Staff => api::staff_registration_start(&token).await?,
            };
            let credential = webauthn::create_passkey(challenge.options).await?;
            let finish = RegistrationFinish {
                ceremony_id: challenge.ceremony_id,
                credential,
                label: (!label.is_empty()).then_some(label),
            };
            match owner {
                PasskeyOwner::Professional => api::registration_finish(&finish).await,
                PasskeyOwner::Staff => api::staff_registration_finish(&finish).await,
            }
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
        <Show
            when=move || !done()
            fallback=move || {
                view! { <ActivationDone outcome=outcome owner /> }
            }
        >
            <form class="card form" on:submit=on_submit novalidate>
                <TextField
                    id="nom-appareil"
                    label="Nom de cet appareil"
                    hint="Facultatif : il vous aidera à reconnaître cette clé plus tard."
                    value=label
                    maxlength=60
                />
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
}

#[component]
fn ActivationDone(
    outcome: impl Fn() -> Option<Result<RegisteredPasskey, ApiError>> + Send + Sync + 'static,
    owner: PasskeyOwner,
) -> impl IntoView {
    let label = move || {
        outcome()
            .and_then(Result::ok)
            .map(|passkey| format!("Nom de l'appareil : {}.", passkey.label))
    };
    let next = match owner {
        PasskeyOwner::Professional => view! {
            <p class="muted">
                "Ce téléphone peut maintenant valider vos connexions : les demandes s'affichent dans \
                 l'application de validation."
            </p>
            <div class="actions">
                <a class="button" href="/validation" data-testid="open-validation">
                    "Ouvrir l'application de validation"
                </a>
                <a class="button button-quiet" href="/connexion">
                    "Se connecter"
                </a>
            </div>
        }
        .into_any(),
        PasskeyOwner::Staff => view! {
            <p class="muted">
                "Avec cette clé, vous ouvrez sur cette tablette vos sessions de saisie déléguée, \
                 validées par le professionnel qui en répond."
            </p>
            <div class="actions">
                <a class="button" href="/personnel" data-testid="open-personnel">
                    "Ouvrir une session de saisie déléguée"
                </a>
            </div>
        }
        .into_any(),
    };
    view! {
        <div class="card" role="status">
            <p class="alert alert-success" data-testid="activation-done">
                "Votre clé d'accès est enregistrée."
            </p>
            <p>{label}</p>
            {next}
        </div>
    }
}

/// Asks for the activation e-mail and SMS (the same answer for every identifier).
#[component]
pub fn ActivationRequest() -> impl IntoView {
    let national_id = NationalIdInput::new(NationalId::parse, "");
    let start = Action::new_local(move |national_id: &NationalId| {
        let national_id = national_id.clone();
        async move { api::activation_start(&national_id).await }
    });
    let pending = start.pending();
    let outcome = move || start.value().get().filter(|_| !pending.get());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(national_id) = national_id.value()
            && !pending.get_untracked()
        {
            start.dispatch(national_id);
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <h2>"Activer ce téléphone"</h2>
            <p>
                "Si l'annuaire santé connaît votre adresse e-mail et votre numéro de mobile, vous \
                 recevez un lien par e-mail et un code par SMS. Ouvrez le lien sur ce téléphone et \
                 saisissez le code : une clé d'accès est alors créée sur le téléphone."
            </p>
            <NationalIdField input=national_id id="activation-identifiant" />
            <button
                type="submit"
                class="button button-wide"
                data-testid="activation-start"
                disabled=move || national_id.is_invalid() || pending.get()
            >
                {move || if pending.get() { "Envoi en cours…" } else { "Recevoir le lien et le code" }}
            </button>
            <div role="status">
                {move || {
                    outcome()
                        .and_then(Result::ok)
                        .map(|started| {
                            view! {
                                <p class="alert alert-info" data-testid="activation-started">
                                    {started.message}
                                </p>
                            }
                        })
                }}
            </div>
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
        <p class="muted">
            "Vous avez déjà une clé d'accès sur un ordinateur ? Connectez-vous dessus, ouvrez \
             « Mes sessions » puis « Activer un téléphone », et scannez le QR code avec ce téléphone."
        </p>
    }
}
