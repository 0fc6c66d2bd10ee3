//! "/signalement#jeton=…": the sign-in mail's "Ce n'est pas moi" link. One tap closes that
//! session and opens an incident for the security officers.

use leptos::prelude::*;
use vigie_shared::ErrorCode;

use super::{fragment_value, set_title, take_fragment};
use crate::api;

const DONE: &str = "La session a été fermée et l'incident signalé.";
const SPENT: &str = "Ce lien a déjà servi ou n'est pas valable.";

#[component]
pub fn Report() -> impl IntoView {
    set_title("Signaler une connexion");
    // Read once, then gone from the address bar.
    let token = StoredValue::new(fragment_value(&take_fragment(), "jeton"));
    let has_token = token.with_value(Option::is_some);

    let report = Action::new_local(move |_: &()| {
        let token = token.get_value().unwrap_or_default();
        async move {
            api::session_report(&token).await.map_err(|error| {
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
            "Un e-mail vous signale une connexion à Vigie que vous n'avez pas faite ? Fermez cette \
             session : elle s'arrête aussitôt sur l'appareil concerné, et l'équipe de sécurité est \
             prévenue."
        </p>
        {if has_token {
            view! {
                <div class="card">
                    <Show when=move || !done()>
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="report-session"
                            disabled=move || pending.get()
                            on:click=move |_| {
                                report.dispatch(());
                            }
                        >
                            {move || {
                                if pending.get() { "Envoi en cours…" } else { "Fermer cette session et signaler" }
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
                    "Une fois connecté, vérifiez aussi vos autres sessions dans « Mes sessions »."
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
