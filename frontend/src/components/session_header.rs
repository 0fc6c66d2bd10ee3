//! The header on every screen: who is signed in and for how long still, the warning before
//! the idle limit, and the way out. Its height is fixed (see style.css), so the warning
//! appearing never moves the page under the user's finger. Under it, the menu of what the
//! signed-in role can use (`SiteNav`); then, in a delegated session,
//! the banner that says who types under whose responsibility, and the supervising
//! professional's contests; over the page, the locked screen once a delegated session ends.

use leptos::{html, prelude::*};
use vigie_shared::{
    ApiError, ErrorCode,
    api::session::{PrincipalKind, SessionStage},
    routes::Page,
};

use crate::{
    api,
    components::site_nav::SiteNav,
    session::{Access, Countdown, Limit, SessionContext, use_session},
    shell::Navigator,
};

#[component]
pub fn SessionHeader() -> impl IntoView {
    let session = use_session();
    let navigator = Navigator::new();
    // A failed keep-alive or sign-out, shown in the header until the next success.
    let problem = RwSignal::new(None::<String>);

    let keep_alive = Action::new_local(move |_: &()| async move {
        match api::keep_alive().await {
            Ok(state) => {
                problem.set(None);
                session.signed_in(state);
            }
            Err(error) => settle(session, problem, error),
        }
    });
    let sign_out = Action::new_local(move |_: &()| {
        let navigator = navigator.clone();
        // A structure account signs in again where it signed in.
        let sign_in_page = match session.kind_untracked() {
            Some(PrincipalKind::StructureAccount) => Page::Structure.path(),
            Some(PrincipalKind::Delegate) => Page::Personnel.path(),
            _ => Page::SignIn.path(),
        };
        async move {
            match api::logout().await {
                // Already ended on the server: the user is out, as they asked.
                Ok(())
                | Err(ApiError {
                    code: ErrorCode::Unauthenticated | ErrorCode::SessionExpired,
                    ..
                }) => session.signed_out(None),
                Err(error) => settle(session, problem, error),
            }
            if !session.is_signed_in_untracked() {
                problem.set(None);
                navigator.go(sign_in_page);
            }
        }
    });

    // Changes only on sign-in, sign-out and between the sign-in's steps, so the buttons are
    // not rebuilt (and do not lose focus) when the session is refreshed.
    let presence = Memo::new(move |_| session.access());
    // Changes once a minute at most: this text sits in a polite live region.
    let status = Memo::new(move |_| match (presence.get(), session.countdown()) {
        (Access::Active(_), Some(countdown)) => {
            let name = session
                .current()
                .map(|s| s.display_name)
                .unwrap_or_default();
            format!(
                "Connecté : {name} — déconnexion automatique dans {}",
                countdown.in_words()
            )
        }
        // Not "Connecté": nothing is open until the sign-in is finished.
        (Access::Unfinished(stage), _) => unfinished_text(stage).to_owned(),
        (Access::SignedOut, _) => session
            .notice()
            .unwrap_or_else(|| "Non connecté".to_owned()),
        _ => String::new(),
    });
    // Changes only when the warning starts or ends, so its alert is announced once.
    let warning = Memo::new(move |_| {
        session
            .countdown()
            .filter(Countdown::warns)
            .map(|countdown| countdown.limit)
    });
    let clock = move || {
        session
            .countdown()
            .map(|countdown| countdown.as_clock())
            .unwrap_or_default()
    };
    let status_class = move || {
        if warning.get().is_some() || problem.get().is_some() {
            "session-state visually-hidden"
        } else {
            "session-state"
        }
    };

    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <img class="brand-mark" src="/icon.svg" alt="" width="32" height="32" />
                "Vigie"
            </a>
            <div class="session-action">
                {move || match presence.get() {
                    Access::Unknown => ().into_any(),
                    signed_in @ (Access::Unfinished(_) | Access::Active(_)) => {
                        view! {
                            <button
                                type="button"
                                class="button button-quiet"
                                data-testid="sign-out"
                                disabled=move || sign_out.pending().get()
                                on:click=move |_| {
                                    sign_out.dispatch(());
                                }
                            >
                                {if matches!(signed_in, Access::Active(_)) {
                                    "Se déconnecter"
                                } else {
                                    "Annuler la connexion"
                                }}
                            </button>
                        }
                            .into_any()
                    }
                    Access::SignedOut => {
                        view! {
                            <a class="button button-quiet" href="/connexion" data-testid="sign-in-link">
                                "Se connecter"
                            </a>
                        }
                            .into_any()
                    }
                }}
            </div>
            <div class="session-status">
                <p class=status_class aria-live="polite" data-testid="session-state">
                    {move || status.get()}
                </p>
                {move || {
                    warning
                        .get()
                        .map(|limit| {
                            view! {
                                <div class="session-warning" data-testid="session-warning">
                                    <p role="alert" class="session-warning-text">
                                        {move || problem.get().unwrap_or_else(|| warning_text(limit).to_owned())}
                                    </p>
                                    <span class="session-clock" aria-hidden="true">{clock}</span>
                                    {(limit == Limit::Idle)
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button"
                                                    data-testid="keep-alive"
                                                    disabled=move || keep_alive.pending().get()
                                                    on:click=move |_| {
                                                        keep_alive.dispatch(());
                                                    }
                                                >
                                                    "Rester connecté"
                                                </button>
                                            }
                                        })}
                                </div>
                            }
                        })
                }}
                {move || {
                    problem
                        .get()
                        .filter(|_| warning.get().is_none())
                        .map(|message| {
                            view! {
                                <p role="alert" class="session-problem" data-testid="session-problem">
                                    {message}
                                </p>
                            }
                        })
                }}
            </div>
        </header>
        <SiteNav />
        <DelegationBanner />
    }
}

/// "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin", on every screen of a
/// delegated session, and the contests of its entries as they arrive. Both regions are always
/// in the page (empty otherwise), so screen readers announce what appears in them.
#[component]
fn DelegationBanner() -> impl IntoView {
    let session = use_session();
    let banner = Memo::new(move |_| {
        session
            .current()
            .and_then(|state| state.delegation_banner())
    });
    view! {
        <div class="delegation-banner" role="status" aria-live="polite" data-testid="delegation-banner">
            {move || banner.get().map(|text| view! { <p>{text}</p> })}
        </div>
        <div class="contest-notices" aria-live="assertive">
            <For
                each=move || session.contests()
                key=|notice| notice.injection_id
                children=move |notice| {
                    let id = notice.injection_id;
                    view! {
                        <div class="alert alert-warning contest-notice" data-testid="contest-notice">
                            <p>{notice.text}</p>
                            <button
                                type="button"
                                class="button button-quiet"
                                on:click=move |_| session.dismiss_contest(id)
                            >
                                "J'ai pris connaissance"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}

/// What replaces the page once a delegated session has ended: nothing typed stays on view.
#[component]
pub fn SessionLocked(notice: String) -> impl IntoView {
    let session = use_session();
    let navigator = Navigator::new();
    let heading = NodeRef::<html::H1>::new();
    // Said at once by screen readers, and the keyboard starts from here.
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <section class="card session-locked" data-testid="session-locked" aria-labelledby="verrou-titre">
            <h1 id="verrou-titre" tabindex="-1" node_ref=heading>
                "Écran verrouillé"
            </h1>
            <p role="alert" class="lock-reason" data-testid="lock-reason">
                {notice}
            </p>
            <p>"Les saisies enregistrées sont conservées. Pour continuer, ouvrez une nouvelle session."</p>
            <div class="actions">
                <button
                    type="button"
                    class="button"
                    data-testid="unlock"
                    on:click=move |_| {
                        session.unlock();
                        navigator.go(Page::Personnel.path());
                    }
                >
                    "Nouvelle session de saisie"
                </button>
            </div>
        </section>
    }
}

/// A sign-in that is not finished: what it still waits for.
fn unfinished_text(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::SecondFactor => "Connexion en cours : code SMS attendu",
        SessionStage::PasswordChange | SessionStage::Active => {
            "Connexion en cours : nouveau mot de passe attendu"
        }
    }
}

fn warning_text(limit: Limit) -> &'static str {
    // Short enough for two lines on a 360 px phone: the header's height is fixed.
    match limit {
        Limit::Idle => "Sans activité, votre session expire dans moins de 5 minutes.",
        Limit::Absolute => "Durée maximale atteinte : la session expire dans moins de 5 minutes.",
    }
}

/// A failed keep-alive or sign-out: a session the server no longer knows is over here too;
/// anything else (network) is shown, and the user can try again.
fn settle(session: SessionContext, problem: RwSignal<Option<String>>, error: ApiError) {
    match error.code {
        ErrorCode::Unauthenticated | ErrorCode::SessionExpired => {
            session.signed_out(Some(ErrorCode::SessionExpired.message().to_owned()));
        }
        _ => problem.set(Some(error.message)),
    }
}
