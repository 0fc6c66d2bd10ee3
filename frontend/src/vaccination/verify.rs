//! "/verifier": anyone checks a certificate (pasted, or read by a scanner that types it) against
//! the service's published key, and sees what it says.

use leptos::prelude::*;
use vigie_shared::ApiError;

use super::api;
use crate::pages::set_title;

#[component]
pub fn Verify() -> impl IntoView {
    set_title("Vérifier un certificat");
    let payload = RwSignal::new(String::new());
    let check = Action::new_local(move |p: &String| {
        let p = p.trim().to_owned();
        async move { api::verify(p).await }
    });
    let pending = check.pending();
    view! {
        <h1>"Vérifier un certificat COVID"</h1>
        <p class="lead">
            "Collez le contenu du QR code (il commence par « HC1: ») : Vigie vérifie sa signature avec sa clé publiée "
            <a href="/api/certificates/signing-certificate">"(certificat de signature)"</a>
            " et affiche ce qu'il contient."
        </p>
        <form class="card form" on:submit=move |ev| {
            ev.prevent_default();
            if !pending.get_untracked() {
                check.dispatch(payload.get_untracked());
            }
        }>
            <div class="field">
                <label for="hc1">"Contenu du certificat"</label>
                <textarea id="hc1" rows="5" spellcheck="false" data-testid="hc1"
                    prop:value=payload on:input=move |ev| payload.set(event_target_value(&ev))></textarea>
            </div>
            <button type="submit" class="button button-wide" data-testid="verify" disabled=move || pending.get() || payload.with(|p| p.trim().is_empty())>
                "Vérifier"
            </button>
        </form>
        {move || check.value().get().map(|result| match result {
            Ok(v) => view! {
                <section class="card" data-testid="verified">
                    <p class=if v.expired { "alert alert-error" } else { "alert alert-success" } role="status">
                        {if v.expired { "Signature valide, mais certificat expiré." } else { "Certificat authentique : signature valide." }}
                    </p>
                    <dl class="facts">
                        <dt>"Nom"</dt><dd data-testid="verified-name">{v.name.clone()}</dd>
                        <dt>"Date de naissance"</dt><dd>{v.birth_date.clone()}</dd>
                        <dt>"Émetteur"</dt><dd>{v.issuer.clone()}</dd>
                    </dl>
                    <ul>
                        {v.vaccinations.iter().map(|d| view! {
                            <li>{format!("{} — dose {}/{} — le {} ({}) — {}", d.product, d.dose_number, d.series_doses, d.date, d.country, d.uvci)}</li>
                        }).collect_view()}
                    </ul>
                </section>
            }.into_any(),
            Err(ApiError { message, .. }) => view! {
                <p role="alert" class="alert alert-error" data-testid="verify-error">{message}</p>
            }.into_any(),
        })}
    }
}
