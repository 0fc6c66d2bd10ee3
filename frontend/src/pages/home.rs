//! "/": what Vigie is, and whether the service is working right now.

use leptos::prelude::*;
use vigie_shared::api::{
    health::{DatabaseState, Health},
    session::PrincipalKind,
};

use super::set_title;
use crate::{
    api,
    session::{Access, use_session},
};

#[component]
pub fn Home() -> impl IntoView {
    set_title("Vigie");
    let health = LocalResource::new(api::health);
    let session = use_session();
    // Changes on sign-in and sign-out only, not with each refresh of the session.
    let access = Memo::new(move |_| session.access());
    let officer = Memo::new(move |_| session.current().is_some_and(|s| s.security_officer));

    view! {
        <h1>"Vigie"</h1>
        <p class="lead">
            "Vigie enregistre les vaccinations contre la COVID-19 réalisées par les professionnels \
             de santé, avec une authentification forte par clé d'accès : chaque saisie est \
             rattachée à la personne qui l'a faite et au professionnel qui en répond."
        </p>
        <nav class="card" aria-labelledby="acces">
            <h2 id="acces">"Accès"</h2>
            {move || match access.get() {
                Access::Unknown | Access::SignedOut => {
                    view! {
                        <ul class="link-list">
                            <li>
                                <a href="/terminal">"Se connecter par validation sur téléphone"</a>
                                <span class="hint">" — sur un poste partagé, par exemple une tablette"</span>
                            </li>
                            <li>
                                <a href="/connexion">"Se connecter avec une clé d'accès"</a>
                            </li>
                            <li>
                                <a href="/validation">"Application de validation (sur votre téléphone)"</a>
                            </li>
                            <li>
                                <a href="/personnel">"Saisie déléguée (personnel)"</a>
                                <span class="hint">" — sous la responsabilité d'un professionnel présent"</span>
                            </li>
                            <li>
                                <a href="/structure">"Espace structure"</a>
                                <span class="hint">" — le compte de la structure, avec mot de passe et code SMS"</span>
                            </li>
                            <li>
                                <a href="/verifier">"Vérifier un certificat COVID"</a>
                            </li>
                            <li>
                                <a href="/statistiques">"Statistiques de vaccination (données ouvertes)"</a>
                            </li>
                        </ul>
                    }
                        .into_any()
                }
                Access::Unfinished(_) => {
                    view! {
                        <ul class="link-list">
                            <li>
                                <a href="/structure">"Terminer la connexion à l'Espace structure"</a>
                            </li>
                        </ul>
                    }
                        .into_any()
                }
                Access::Active(PrincipalKind::StructureAccount) => {
                    view! {
                        <ul class="link-list">
                            <li>
                                <a href="/structure">"Espace structure"</a>
                            </li>
                            <li>
                                <a href="/sessions">"Mes sessions"</a>
                            </li>
                        </ul>
                    }
                        .into_any()
                }
                Access::Active(PrincipalKind::Delegate) => {
                    view! {
                        <ul class="link-list">
                            <li>
                                <a href="/personnel">"Saisie déléguée"</a>
                                <span class="hint">" — ouvrir la session, puis saisir les vaccinations"</span>
                            </li>
                        </ul>
                    }
                        .into_any()
                }
                Access::Active(PrincipalKind::Professional) => {
                    view! {
                        <ul class="link-list">
                            <li>
                                <a href="/vaccination">"Saisie des vaccinations"</a>
                            </li>
                            <li>
                                <a href="/lots">"Lots de vaccins de mes structures"</a>
                            </li>
                            <li>
                                <a href="/supervision">"Supervision des saisies déléguées"</a>
                            </li>
                            <li>
                                <a href="/parametres">"Mes paramètres"</a>
                                <span class="hint">" — qui peut saisir sous ma responsabilité"</span>
                            </li>
                            <li>
                                <a href="/sessions">"Mes sessions"</a>
                            </li>
                            <li>
                                <a href="/validation">"Application de validation (sur votre téléphone)"</a>
                            </li>
                            {officer
                                .get()
                                .then(|| {
                                    view! {
                                        <li>
                                            <a href="/securite">"Sécurité (officiers de sécurité)"</a>
                                        </li>
                                    }
                                })}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </nav>
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
