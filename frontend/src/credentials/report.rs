//! "/appareils/signalement#jeton=…": the new-credential mail's "Ce n'est pas moi" link. One
//! tap revokes what was added (the passkey, and the phone activated with it) and opens an
//! incident for the security officers.

use leptos::prelude::*;
use vigie_shared::ErrorCode;

use crate::{
    api,
    pages::{fragment_value, set_title, take_fragment},
};

const DONE: &str = "L'appareil a été retiré et l'incident signalé à l'équipe de sécurité.";
const SPENT: &str = "Ce lien a déjà servi, a expiré ou n'est pas valable.";

#[component]
pub fn DeviceReport() -> impl IntoView {
    set_title("Signaler un appareil");
    // Read once, then gone from the address bar.
    let token = StoredValue::new(fragment_value(&take_fragment(), "jeton"));
    let has_token = token.with_value(Option::is_some);

    let report = Action::new_local(move |_: &()| {
        let token = token.get_value().unwrap_or_default();
        async move {
            api::credential_report(&token).await.map_err(|error| {
                if error.code == ErrorCode::NotFound {
                    SPENT.to_owned()
                } else {
                    error.message
                }
            })
        }
    });
    let pending = report.pending();
    let outcome = move || report.value().get().filter(|_| !pending.get());
    let done = move || matches!(outcome(), Some(Ok(())));

    view! {
        <h1>"Ce n'est pas moi"</h1>
        <p class="lead">
            "Un e-mail vous signale un nouvel appareil que vous n'avez pas ajouté ? Retirez-le : \
             il ne permet plus de se connecter ni de valider une connexion, et l'équipe de \
             sécurité est prévenue."
        </p>
        {if has_token {
            view! {
                <div class="card">
                    <Show when=move || !done()>
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="report-device"
                            disabled=move || pending.get()
                            on:click=move |_| {
                                report.dispatch(());
                            }
                        >
                            {move || {
                                if pending.get() { "Envoi en cours…" } else { "Retirer cet appareil et signaler" }
                            }}
                        </button>
                    </Show>
                    <div role="status">
                        {move || {
                            done()
                                .then(|| {
                                    view! {
                                        <p class="alert alert-success" data-testid="report-done">{DONE}</p>
                                    }
                                })
                        }}
                    </div>
                    {move || {
                        outcome()
                            .and_then(Result::err)
                            .map(|message| {
                                view! {
                                    <p role="alert" class="alert alert-error" data-testid="report-error">
                                        {message}
                                    </p>
                                }
                            })
                    }}
                </div>
                <p class="muted">
                    "Une fois connecté, vérifiez aussi vos autres appareils dans « Mes appareils »."
                </p>
            }
                .into_any()
        } else {
            view! {
                <p role="alert" class="alert alert-error" data-testid="report-error">
                    "Ce lien est incomplet. Ouvrez le lien de l'e-mail tel quel, sans le modifier."
                </p>
            }
                .into_any()
        }}
    }
}
