//! "/": what Vigie is, and whether the service is working right now.

use leptos::prelude::*;
use vigie_shared::api::health::{DatabaseState, Health};

use super::set_title;
use crate::api;

#[component]
pub fn Home() -> impl IntoView {
    set_title("Vigie");
    let health = LocalResource::new(api::health);

    view! {
        <h1>"Vigie"</h1>
        <p class="lead">
            "Vigie enregistre les vaccinations contre la COVID-19 réalisées par les professionnels \
             de santé, avec une authentification forte par clé d'accès : chaque saisie est \
             rattachée à la personne qui l'a faite et au professionnel qui en répond."
        </p>
        <section class="card" aria-labelledby="etat-du-service">
            <h2 id="etat-du-service">"État du service"</h2>
            // The box keeps its height while loading, so the page does not jump.
            <div class="health">
                <Transition fallback=|| {
                    view! { <p class="muted">"Vérification en cours…"</p> }
                }>
                    {move || {
                        health
                            .get()
                            .map(|answer| match answer {
                                Ok(health) => view! { <HealthReport health /> }.into_any(),
                                Err(error) => {
                                    view! {
                                        <p role="alert" class="alert alert-error" data-testid="health-error">
                                            {error.message}
                                        </p>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </div>
        </section>
    }
}

#[component]
fn HealthReport(health: Health) -> impl IntoView {
    let working = health.status == "ok";
    let database = match health.database {
        DatabaseState::Up => "disponible",
        DatabaseState::Down => "indisponible",
    };
    view! {
        <ul class="health-list">
            <li
                class=if working { "health-ok" } else { "health-degraded" }
                data-testid="health-status"
            >
                {if working { "Service opérationnel" } else { "Service dégradé" }}
            </li>
            <li data-testid="health-database">
                {format!("Base de données : {database} ({})", health.database_backend)}
            </li>
            <li data-testid="health-version">{format!("Version {}", health.version)}</li>
        </ul>
    }
}
