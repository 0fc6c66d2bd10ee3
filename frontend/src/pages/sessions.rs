//! "/sessions" ("Mes sessions"): my open sessions on every device; closing one takes effect on
//! that device at once. From a passkey session, "Activer un téléphone" shows a QR code (90 s)
//! that lets a phone create its own passkey.

use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        activation::ActivationQr,
        session::{PrincipalKind, SessionSummary},
    },
};

use super::set_title;
use crate::{
    api, format,
    session::{ENDED_ELSEWHERE, use_session},
};

#[component]
pub fn Sessions() -> impl IntoView {
    set_title("Mes sessions");
    let session = use_session();
    let list = LocalResource::new(api::sessions);
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);

    // Read again when someone signs in or out here, or finishes signing in.
    let access = Memo::new(move |_| session.access());
    Effect::new(move |first: Option<()>| {
        access.track();
        if first.is_some() {
            list.refetch();
        }
    });

    let end = Action::new_local(move |summary: &SessionSummary| {
        let (id, current) = (summary.session_id, summary.current);
        async move {
            problem.set(None);
            match api::session_end(id).await {
                Ok(()) if current => {
                    notice.set(Some("Cette session est fermée.".to_owned()));
                    session.signed_out(Some(ENDED_ELSEWHERE.to_owned()));
                }
                Ok(()) => {
                    notice.set(Some(
                        "La session est fermée : l'appareil concerné en est informé.".to_owned(),
                    ));
                    list.refetch();
                }
                Err(error) if error.code == ErrorCode::NotFound => list.refetch(),
                Err(error) => problem.set(Some(error.message)),
            }
        }
    });

    // A professional, or a delegate once approved: the ones who may enter offline.
    let may_enter_offline = move || {
        session.current().is_some_and(|s| {
            s.kind == PrincipalKind::Professional
                || (s.kind == PrincipalKind::Delegate && s.authority.is_some())
        })
    };

    let method_is_passkey = move || {
        session
            .current()
            .is_some_and(|current| current.method == "passkey")
    };

    view! {
        <h1>"Mes sessions"</h1>
        <p class="lead">
            "Les appareils où vous êtes connecté. Une session que vous ne reconnaissez pas ? \
             Fermez-la : elle s'arrête aussitôt sur l'appareil concerné."
        </p>
        <div role="status" class="notice-area">
            {move || {
                notice
                    .get()
                    .map(|message| {
                        view! {
                            <p class="alert alert-info" data-testid="sessions-notice">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
        {move || {
            problem
                .get()
                .map(|message| {
                    view! {
                        <p role="alert" class="alert alert-error" data-testid="sessions-error">
                            {message}
                        </p>
                    }
                })
        }}
        <Transition fallback=|| view! { <p class="muted">"Chargement…"</p> }>
            {move || {
                list.get()
                    .map(|answer| match answer {
                        Ok(sessions) if sessions.is_empty() => {
                            view! { <p class="card empty">"Aucune session ouverte."</p> }.into_any()
                        }
                        Ok(sessions) => {
                            view! {
                                <ul class="session-list">
                                    {sessions
                                        .into_iter()
                                        .map(|summary| session_row(summary, end))
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => signed_out_or_error(error).into_any(),
                    })
            }}
        </Transition>
        <Show when=may_enter_offline>
            <OfflinePermits />
        </Show>
        <Show when=method_is_passkey>
            <PhoneActivation />
        </Show>
    }
}

/// The permits of offline entry given to my devices (and my delegates'), last week's included:
/// revoking one refuses the entries that device makes from now on.
#[component]
fn OfflinePermits() -> impl IntoView {
    let permits = LocalResource::new(api::offline_permits);
    let asked = RwSignal::new(None::<Uuid>);
    let problem = RwSignal::new(None::<String>);
    let revoke = Action::new_local(move |id: &Uuid| {
        let id = *id;
        async move {
            match api::offline_permit_revoke(id).await {
                Ok(_) => {
                    problem.set(None);
                    asked.set(None);
                    permits.refetch();
                }
                Err(error) => problem.set(Some(error.message)),
            }
        }
    });
    view! {
        <section class="card" aria-labelledby="autorisations-titre" data-testid="offline-permits">
            <h2 id="autorisations-titre">"Autorisations de saisie hors ligne"</h2>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
            {move || permits.get().map(|answer| match answer {
                Ok(list) if list.is_empty() => view! {
                    <p class="empty">"Aucune autorisation cette semaine."</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="session-list">
                        {list.into_iter().map(|p| {
                            let id = p.id;
                            let state = match p.revoked_at {
                                Some(at) => format!("révoquée le {}", format::date_time(at)),
                                None => format!("jusqu'au {}", format::date_time(p.expires_at)),
                            };
                            let live = p.revoked_at.is_none() && p.expires_at > api::server_now();
                            view! {
                                <li class="session-row" data-testid="offline-permit">
                                    <p>
                                        <strong>{p.device_name.clone()}</strong>
                                        {format!(" — {} — {}/{} saisies — {state}", p.holder, p.used_entries, p.max_entries)}
                                    </p>
                                    <Show when=move || live>
                                        <Show
                                            when=move || asked.get() == Some(id)
                                            fallback=move || view! {
                                                <button type="button" class="button button-quiet" on:click=move |_| asked.set(Some(id))>
                                                    "Révoquer"
                                                </button>
                                            }
                                        >
                                            <p>"Les saisies faites sur cet appareil à partir de maintenant seront refusées. Révoquer ?"</p>
                                            <div class="actions">
                                                <button type="button" class="button button-danger" data-testid="permit-revoke" on:click=move |_| { revoke.dispatch(id); }>
                                                    "Confirmer la révocation"
                                                </button>
                                                <button type="button" class="button button-quiet" on:click=move |_| asked.set(None)>
                                                    "Annuler"
                                                </button>
                                            </div>
                                        </Show>
                                    </Show>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(error) => view! { <p role="alert" class="alert alert-error">{error.message}</p> }.into_any(),
            })}
        </section>
    }
}

fn session_row(summary: SessionSummary, end: Action<SessionSummary, ()>) -> impl IntoView {
    let title_id = format!("session-{}", summary.session_id);
    let labelled_by = title_id.clone();
    let method = method_label(&summary.method);
    let ip = summary.ip.clone().unwrap_or_else(|| "inconnue".to_owned());
    let current = summary.current;
    let (name, browser) = session_name(&summary);
    view! {
        <li class="card" data-testid="session-row" aria-labelledby=labelled_by>
            <h2 id=title_id data-testid="session-name">
                {name}
                {current.then_some(" (cet appareil)")}
            </h2>
            <dl class="facts">
                {browser
                    .map(|browser| {
                        view! {
                            <div>
                                <dt>"Navigateur"</dt>
                                <dd>{browser}</dd>
                            </div>
                        }
                    })}
                <div>
                    <dt>"Connexion"</dt>
                    <dd>{method}</dd>
                </div>
                <div>
                    <dt>"Adresse IP"</dt>
                    <dd>{ip}</dd>
                </div>
                <div>
                    <dt>"Ouverte le"</dt>
                    <dd>{format::date_time(summary.started_at)}</dd>
                </div>
                <div>
                    <dt>"Dernière activité"</dt>
                    <dd>{format::date_time(summary.last_activity_at)}</dd>
                </div>
            </dl>
            <button
                type="button"
                class="button button-quiet"
                data-testid="end-session"
                disabled=move || end.pending().get()
                on:click=move |_| {
                    end.dispatch(summary.clone());
                }
            >
                "Fermer cette session"
            </button>
        </li>
    }
}

/// What names a session: the name typed on its terminal ("Tablette 3") when it has one, with
/// the browser beside it; the browser ("Ordinateur (Chrome)") otherwise.
fn session_name(summary: &SessionSummary) -> (String, Option<String>) {
    match summary.terminal.as_deref().map(str::trim) {
        Some(label) if !label.is_empty() && label != summary.device => {
            (label.to_owned(), Some(summary.device.clone()))
        }
        _ => (summary.device.clone(), None),
    }
}

fn method_label(method: &str) -> String {
    match method {
        "passkey" => "Clé d'accès".to_owned(),
        "push" => "Validation sur téléphone".to_owned(),
        "password" => "Mot de passe et code SMS".to_owned(),
        other => other.to_owned(),
    }
}

/// Not signed in (or no more): where to sign in; a sign-in not finished: where to finish it;
/// anything else: the error.
pub fn signed_out_or_error(error: ApiError) -> impl IntoView {
    if matches!(
        error.code,
        ErrorCode::SecondFactorRequired | ErrorCode::PasswordChangeRequired
    ) {
        view! {
            <div class="card">
                <p>{error.message}</p>
                <div class="actions">
                    <a class="button" href="/structure">
                        "Terminer la connexion"
                    </a>
                </div>
            </div>
        }
        .into_any()
    } else if matches!(
        error.code,
        ErrorCode::Unauthenticated | ErrorCode::SessionExpired
    ) {
        view! {
            <div class="card">
                <p>"Connectez-vous pour voir cette page."</p>
                <div class="actions">
                    <a class="button" href="/connexion">
                        "Se connecter avec une clé d'accès"
                    </a>
                    <a class="button button-quiet" href="/terminal">
                        "Connexion par téléphone"
                    </a>
                    <a class="button button-quiet" href="/structure">
                        "Espace structure"
                    </a>
                </div>
            </div>
        }
        .into_any()
    } else {
        view! {
            <p role="alert" class="alert alert-error">
                {error.message}
            </p>
        }
        .into_any()
    }
}

/// "Activer un téléphone": a QR code valid 90 seconds for the phone's camera.
#[component]
fn PhoneActivation() -> impl IntoView {
    let session = use_session();
    let show = Action::new_local(|_: &()| api::activation_qr());
    let pending = show.pending();
    let qr = move || show.value().get().and_then(Result::ok);
    let expired = move || {
        show.value()
            .with(|answer| matches!(answer, Some(Ok(qr)) if qr.expires_at <= session.now()))
    };
    let failure = move || {
        show.value()
            .get()
            .and_then(Result::err)
            .filter(|_| !pending.get())
    };
    let button_label = move || {
        if pending.get() {
            "Préparation…"
        } else if qr().is_some() {
            "Afficher un nouveau QR code"
        } else {
            "Activer un téléphone"
        }
    };

    view! {
        <section class="card" aria-labelledby="activer-telephone">
            <h2 id="activer-telephone">"Activer un téléphone"</h2>
            <p>
                "Votre téléphone validera vos connexions sur les postes partagés. Affichez un QR code, \
                 puis scannez-le avec l'appareil photo du téléphone dans les 90 secondes : le téléphone \
                 crée alors sa propre clé d'accès."
            </p>
            <Show when=move || qr().is_none() || expired()>
                <button
                    type="button"
                    class="button"
                    data-testid="activation-qr-button"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        show.dispatch(());
                    }
                >
                    {button_label}
                </button>
            </Show>
            {move || expired().then(|| view! { <p class="muted">"Ce QR code a expiré."</p> })}
            {move || {
                qr()
                    .filter(|_| !expired())
                    .map(|qr| view! { <ActivationQrView qr /> })
            }}
            {move || {
                failure()
                    .map(|error| {
                        view! {
                            <p role="alert" class="alert alert-error" data-testid="activation-qr-error">
                                {error.message}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn ActivationQrView(qr: ActivationQr) -> impl IntoView {
    let session = use_session();
    let expires_at = qr.expires_at;
    view! {
        <div
            class="qr"
            data-testid="activation-qr"
            role="img"
            aria-label="QR code d'activation, à scanner avec le téléphone"
            inner_html=qr.qr_svg
        ></div>
        <p class="push-countdown">
            "Valable encore "
            <span class="push-clock">{move || format::clock(expires_at - session.now())}</span>
        </p>
        <p class="hint">"Le téléphone ne peut pas scanner ? Ouvrez ce lien sur le téléphone :"</p>
        // Not a link here: opening it on this computer would spend it.
        <p class="link-text" data-testid="activation-link">
            {qr.link}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn summary(terminal: Option<&str>) -> SessionSummary {
        SessionSummary {
            session_id: Uuid::nil(),
            method: "push".into(),
            device: "Ordinateur (Chrome)".into(),
            terminal: terminal.map(str::to_owned),
            ip: None,
            started_at: Utc::now(),
            last_activity_at: Utc::now(),
            current: false,
        }
    }

    #[test]
    fn a_session_is_named_after_its_terminal_then_its_browser() {
        assert_eq!(
            session_name(&summary(Some("Tablette 3"))),
            ("Tablette 3".into(), Some("Ordinateur (Chrome)".into()))
        );
        assert_eq!(
            session_name(&summary(None)),
            ("Ordinateur (Chrome)".into(), None)
        );
        assert_eq!(
            session_name(&summary(Some("Ordinateur (Chrome)"))),
            ("Ordinateur (Chrome)".into(), None),
            "a terminal named after its browser is said once"
        );
    }
}
