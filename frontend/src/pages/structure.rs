//! "/structure" ("Espace structure"): a structure's password account. One flow that follows
//! the session's stage, as the server says it: identifier and password, then the code received
//! by SMS, then — when the password expired or was set by an operator — a new password, then
//! the account itself. The page never decides a stage on its own: each answer is a
//! `SessionState`, handed to the session context, and the page shows what it says.

use leptos::{ev::SubmitEvent, html, prelude::*};
use vigie_shared::{
    AccountIdentifier, ApiError, ErrorCode,
    api::{
        account::{AccountProfile, PasswordPolicy},
        session::{PrincipalKind, SessionStage},
    },
};

use super::{sessions::signed_out_or_error, set_title, staff::ManagedStructures};
use crate::{
    api,
    components::{
        alerts::{error_alert, last_error},
        code_field::{CodeField, is_complete},
        identifier::{AccountIdField, AccountIdInput},
        password_field::PasswordField,
    },
    format,
    session::{Access, SessionContext, use_session},
    vaccination::lots::LotsManager,
};

#[component]
pub fn Structure() -> impl IntoView {
    set_title("Espace structure");
    let session = use_session();
    let access = Memo::new(move |_| session.access());
    // Why the sign-in starts over (the SMS code expired, or was mistyped too often).
    let restart = RwSignal::new(None::<String>);
    // The password has just been replaced: said once, on the account's page.
    let changed = RwSignal::new(false);
    // The step shown before: a step that follows another takes the focus (and is announced),
    // the first one shown on arrival does not.
    let shown = StoredValue::new(Access::Unknown);

    view! {
        <h1>"Espace structure"</h1>
        <p class="lead">
            "Le compte de votre structure : identifiant et mot de passe, puis un code reçu par SMS \
             sur le mobile du compte."
        </p>
        {move || {
            let access = access.get();
            let focus = shown.get_value() != Access::Unknown;
            shown.set_value(access);
            match access {
                Access::Unknown => view! { <p class="muted">"Chargement…"</p> }.into_any(),
                Access::SignedOut => view! { <SignInStep restart focus /> }.into_any(),
                Access::Unfinished(SessionStage::SecondFactor) => {
                    view! { <SecondFactorStep restart focus /> }.into_any()
                }
                Access::Unfinished(_) => {
                    view! { <PasswordChangeStep restart changed focus /> }.into_any()
                }
                Access::Active(PrincipalKind::StructureAccount) => {
                    view! { <AccountView changed /> }.into_any()
                }
                // A professional who manages a structure finds its management here too.
                Access::Active(PrincipalKind::Professional) => {
                    view! {
                        <div class="card" data-testid="structure-professional">
                            <p>
                                "Vous êtes connecté avec votre identité de professionnel de santé. \
                                 L'Espace structure s'ouvre avec le compte de la structure : \
                                 déconnectez-vous d'abord."
                            </p>
                        </div>
                        <ManagedStructures />
                    }
                        .into_any()
                }
                Access::Active(PrincipalKind::Delegate) => {
                    view! {
                        <div class="card" data-testid="structure-delegate">
                            <p>
                                "Cet appareil est ouvert en saisie déléguée. L'Espace structure \
                                 s'ouvre avec le compte de la structure : déconnectez-vous d'abord."
                            </p>
                        </div>
                    }
                        .into_any()
                }
            }
        }}
    }
}

/// Identifier and password; on success the server sends the SMS code.
#[component]
fn SignInStep(restart: RwSignal<Option<String>>, focus: bool) -> impl IntoView {
    let session = use_session();
    let identifier = AccountIdInput::new(AccountIdentifier::parse, "");
    let password = RwSignal::new(String::new());

    let sign_in = Action::new_local(
        move |(identifier, password): &(AccountIdentifier, String)| {
            let (identifier, password) = (identifier.clone(), password.clone());
            async move {
                let state = api::account_sign_in(&identifier, &password).await?;
                restart.set(None);
                session.signed_in(state);
                Ok::<(), ApiError>(())
            }
        },
    );
    let pending = sign_in.pending();
    let failure = last_error(sign_in);
    // The attempt's error, or else why the sign-in starts over.
    let message = move || {
        failure()
            .map(|error| error.message)
            .or_else(|| restart.get())
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if let Some(identifier) = identifier.value()
            && !typed.is_empty()
            && !pending.get_untracked()
        {
            sign_in.dispatch((identifier, typed));
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <StepHeading text="Connexion au compte de la structure" focus />
            <AccountIdField input=identifier id="identifiant-compte" />
            <PasswordField
                value=password
                id="mot-de-passe"
                label="Mot de passe"
                autocomplete="current-password"
            />
            <button
                type="submit"
                class="button button-wide"
                data-testid="account-sign-in-submit"
                disabled=move || {
                    identifier.is_invalid() || password.with(String::is_empty) || pending.get()
                }
            >
                {move || if pending.get() { "Vérification en cours…" } else { "Se connecter" }}
            </button>
            {error_alert(message, "account-sign-in-error")}
        </form>
    }
}

/// The 6-digit code received by SMS.
#[component]
fn SecondFactorStep(restart: RwSignal<Option<String>>, focus: bool) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());

    let verify = Action::new_local(move |typed: &String| {
        let typed = typed.clone();
        async move {
            match api::account_second_factor(&typed).await {
                Ok(state) => {
                    session.signed_in(state);
                    Ok(())
                }
                Err(error) => {
                    if error.code == ErrorCode::WrongCode {
                        code.set(String::new());
                    }
                    Err(start_over_if_ended(session, restart, error))
                }
            }
        }
    });
    let pending = verify.pending();
    let failure = last_error(verify);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        if is_complete(&typed) && !pending.get_untracked() {
            verify.dispatch(typed);
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <StepHeading text="Code de connexion reçu par SMS" focus />
            <CodeField
                code
                id="code-sms".to_owned()
                label="Code reçu par SMS"
                hint="6 chiffres, envoyés au mobile du compte. Le code expire au bout de 5 minutes."
                autocomplete="one-time-code"
            />
            <button
                type="submit"
                class="button button-wide"
                data-testid="second-factor-submit"
                disabled=move || !code.with(|c| is_complete(c)) || pending.get()
            >
                {move || if pending.get() { "Vérification en cours…" } else { "Valider" }}
            </button>
            {error_alert(move || failure().map(|error| error.message), "second-factor-error")}
        </form>
    }
}

/// A new password, required when the current one expired or was set by an operator.
#[component]
fn PasswordChangeStep(
    restart: RwSignal<Option<String>>,
    changed: RwSignal<bool>,
    focus: bool,
) -> impl IntoView {
    let session = use_session();
    let policy = LocalResource::new(api::password_policy);
    let policy = move || policy.get().and_then(Result::ok);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());

    let too_short = Signal::derive(move || {
        let min = policy()?.min_length;
        let typed = new.with(|new| new.chars().count());
        (typed > 0 && typed < min).then(|| format!("Au moins {min} caractères : {typed} saisis."))
    });
    // Said as soon as the confirmation stops matching, not while it is still being typed.
    let mismatch = Signal::derive(move || {
        let diverges = confirm.with(|confirm| new.with(|new| !new.starts_with(confirm.as_str())));
        diverges
            .then(|| "Les deux saisies du nouveau mot de passe ne correspondent pas.".to_owned())
    });

    let change = Action::new_local(move |(old, new): &(String, String)| {
        let (old, new) = (old.clone(), new.clone());
        async move {
            match api::account_password(&old, &new).await {
                Ok(state) => {
                    changed.set(true);
                    session.signed_in(state);
                    Ok(())
                }
                Err(error) => Err(start_over_if_ended(session, restart, error)),
            }
        }
    });
    let pending = change.pending();
    let failure = last_error(change);
    let ready = move || {
        !current.with(String::is_empty)
            && !new.with(String::is_empty)
            && too_short.with(Option::is_none)
            && new.with(|new| confirm.with(|confirm| new == confirm))
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if ready() && !pending.get_untracked() {
            change.dispatch((current.get_untracked(), new.get_untracked()));
        }
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <StepHeading text="Choisir un nouveau mot de passe" focus />
            <p data-testid="password-change-reason">
                "Votre mot de passe doit être remplacé avant d'aller plus loin : il a expiré, ou \
                 c'est un mot de passe provisoire, attribué à la création du compte."
            </p>
            <PasswordField
                value=current
                id="mot-de-passe-actuel"
                label="Mot de passe actuel"
                autocomplete="current-password"
            />
            <div id="regles-mot-de-passe" class="hint" data-testid="password-policy">
                {move || policy().map(|policy| view! { <PolicyRules policy /> })}
            </div>
            <PasswordField
                value=new
                id="nouveau-mot-de-passe"
                label="Nouveau mot de passe"
                autocomplete="new-password"
                described_by="regles-mot-de-passe"
                error=too_short
            />
            <PasswordField
                value=confirm
                id="confirmation-mot-de-passe"
                label="Confirmer le nouveau mot de passe"
                autocomplete="new-password"
                error=mismatch
            />
            <button
                type="submit"
                class="button button-wide"
                data-testid="password-change-submit"
                disabled=move || !ready() || pending.get()
            >
                {move || {
                    if pending.get() { "Enregistrement en cours…" } else { "Changer le mot de passe" }
                }}
            </button>
            {error_alert(move || failure().map(|error| error.message), "password-change-error")}
        </form>
    }
}

#[component]
fn PolicyRules(policy: PasswordPolicy) -> impl IntoView {
    view! {
        <p>"Le nouveau mot de passe :"</p>
        <ul>
            <li>
                {format!(
                    "compte au moins {} caractères : une phrase de plusieurs mots est plus sûre \
                     et plus facile à retenir ;",
                    policy.min_length,
                )}
            </li>
            <li>{format!("diffère de vos {} derniers mots de passe ;", policy.history)}</li>
            <li>"ne contient ni l'identifiant ni le nom de la structure ;"</li>
            <li>{format!("sera à renouveler dans {} jours.", policy.max_age_days)}</li>
        </ul>
    }
}

/// The signed-in account: its structure and when the password must be replaced.
#[component]
fn AccountView(changed: RwSignal<bool>) -> impl IntoView {
    let profile = LocalResource::new(api::account_profile);
    view! {
        <div role="status" class="notice-area">
            {move || {
                changed
                    .get()
                    .then(|| {
                        view! {
                            <p class="alert alert-success" data-testid="password-changed">
                                "Votre nouveau mot de passe est enregistré."
                            </p>
                        }
                    })
            }}
        </div>
        <Transition fallback=|| view! { <p class="muted">"Chargement…"</p> }>
            {move || {
                profile
                    .get()
                    .map(|answer| match answer {
                        Ok(profile) => view! { <ProfileCard profile /> }.into_any(),
                        Err(error) => signed_out_or_error(error).into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn ProfileCard(profile: AccountProfile) -> impl IntoView {
    let structure = profile.structure_id;
    // Arrived by a menu link to a part of this page: the part was not there yet when the
    // router looked for it (the profile loads first).
    Effect::new(move |_| {
        let hash = window().location().hash().unwrap_or_default();
        if let Some(part) = hash
            .strip_prefix('#')
            .filter(|id| !id.is_empty())
            .and_then(|id| document().get_element_by_id(id))
        {
            part.scroll_into_view();
        }
    });
    view! {
        <section class="card" aria-labelledby="structure-nom" data-testid="account-profile">
            <h2 id="structure-nom" data-testid="structure-name">
                {profile.structure_name}
            </h2>
            <dl class="facts">
                <div>
                    <dt>"N° FINESS"</dt>
                    <dd>{profile.structure_finess}</dd>
                </div>
                <div>
                    <dt>"Adresse"</dt>
                    <dd>{profile.structure_address}</dd>
                </div>
                <div>
                    <dt>"Identifiant de connexion"</dt>
                    <dd>{profile.identifier}</dd>
                </div>
                <div>
                    <dt>"Compte"</dt>
                    <dd>{profile.display_name}</dd>
                </div>
            </dl>
            <p data-testid="password-expiry">
                {format!(
                    "Mot de passe à renouveler avant le {}.",
                    format::long_date_time(profile.password_expires_at),
                )}
            </p>
        </section>
        // The menu's "Lots de vaccins" and "Personnel" lead here.
        <div id="lots" class="anchor-target">
            <LotsManager structure />
        </div>
        <div id="personnel" class="anchor-target">
            <ManagedStructures />
        </div>
        <div id="postes" class="anchor-target">
            <crate::terminals::manage::EnrolledTerminals structure />
        </div>
        <nav class="card" aria-labelledby="structure-acces">
            <h2 id="structure-acces">"Accès"</h2>
            <ul class="link-list">
                <li>
                    <a href="/sessions">"Mes sessions"</a>
                    <span class="hint">" — les appareils où le compte est connecté"</span>
                </li>
            </ul>
        </nav>
    }
}

/// A step's title. A step that replaces another takes the focus, so a screen reader says
/// where the user now is and the keyboard starts from there.
#[component]
fn StepHeading(text: &'static str, focus: bool) -> impl IntoView {
    let heading = NodeRef::<html::H2>::new();
    if focus {
        Effect::new(move |_| {
            if let Some(heading) = heading.get() {
                let _ = heading.focus();
            }
        });
    }
    view! {
        <h2 class="step-heading" tabindex="-1" node_ref=heading>
            {text}
        </h2>
    }
}

/// A step's error: when the server has closed the half-open session (code expired or mistyped
/// too often), the sign-in starts over, on the first form, saying why.
fn start_over_if_ended(
    session: SessionContext,
    restart: RwSignal<Option<String>>,
    error: ApiError,
) -> ApiError {
    if matches!(
        error.code,
        ErrorCode::SessionExpired | ErrorCode::Unauthenticated
    ) {
        restart.set(Some(error.message.clone()));
        session.signed_out(None);
    }
    error
}
