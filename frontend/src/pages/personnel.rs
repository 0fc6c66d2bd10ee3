//! "/personnel": delegated entry on a staff member's tablet. The staff member signs in with
//! their own passkey (CPE card number, checked as typed), picks the professional who will
//! answer for their entries, and the tablet shows a code that the professional types on their
//! phone — which proves they are there. Once approved, the session is claimed and the entry
//! screen opens, under the banner "Saisie par … sous la responsabilité du …".

use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::{
    ApiError, CpeNumber,
    api::{
        approval::ApprovalCreated,
        delegation::{AuthorityOption, DelegatedRequest},
        session::{PrincipalKind, SessionState},
    },
};

use super::set_title;
use crate::{
    api,
    components::{
        alerts::{error_alert, last_error},
        identifier::{CpeField, CpeInput},
        passkey_sign_in::PasskeySignInForm,
        push_request::{PushFlow, PushWait, TerminalLabelField, save_label, saved_label},
    },
    session::use_session,
};

/// Where the page stands, from the session the server describes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Loading,
    SignIn,
    /// Signed in as a staff member: pick a professional, then wait for their approval.
    Request,
    /// The professional approved: entries may be typed.
    Approved(String),
    /// Someone else is signed in on this device.
    Other(String),
}

impl Step {
    fn of(checked: bool, current: Option<&SessionState>) -> Self {
        match current {
            _ if !checked => Self::Loading,
            None => Self::SignIn,
            Some(state) if state.kind != PrincipalKind::Delegate => {
                Self::Other(state.display_name.clone())
            }
            Some(state) => match state.delegation_banner() {
                Some(banner) if state.authority.is_some() => Self::Approved(banner),
                _ => Self::Request,
            },
        }
    }
}

#[component]
pub fn Personnel() -> impl IntoView {
    set_title("Saisie déléguée");
    let session = use_session();
    let step = Memo::new(move |_| {
        let checked = session.access() != crate::session::Access::Unknown;
        Step::of(checked, session.current().as_ref())
    });

    view! {
        <h1>"Saisie déléguée"</h1>
        <crate::terminals::TerminalBadge />
        <p class="lead">
            "Vous saisissez les vaccinations sous la responsabilité d'un professionnel de santé \
             présent : connectez-vous avec votre clé d'accès, choisissez le professionnel, puis \
             il valide sur son téléphone avec le code affiché ici."
        </p>
        {move || match step.get() {
            Step::Loading => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Step::SignIn => view! { <StaffSignIn /> }.into_any(),
            Step::Request => view! { <DelegationRequest /> }.into_any(),
            Step::Approved(banner) => {
                view! {
                    <div class="card" data-testid="delegation-open">
                        <p class="alert alert-success">{banner}</p>
                        <div class="actions">
                            <a class="button" href="/vaccination">
                                "Saisir les vaccinations"
                            </a>
                        </div>
                    </div>
                }
                    .into_any()
            }
            Step::Other(name) => {
                view! {
                    <div class="card" data-testid="personnel-other">
                        <p>
                            {format!(
                                "Cet appareil est connecté au nom de {name}. Déconnectez-vous d'abord \
                                 pour ouvrir une session de saisie déléguée."
                            )}
                        </p>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

/// The staff member's own passkey, found by their CPE card number.
#[component]
fn StaffSignIn() -> impl IntoView {
    let cpe = CpeInput::new(CpeNumber::parse, "");
    view! {
        <PasskeySignInForm input=cpe title="Connexion du personnel">
            <CpeField input=cpe id="numero-cpe" />
        </PasskeySignInForm>
        <p class="muted">
            "Pas encore de clé d'accès ? Le responsable de votre structure vous remet un lien à ouvrir \
             sur cette tablette."
        </p>
    }
}

/// Pick the professional, then follow their approval like a push sign-in.
#[component]
fn DelegationRequest() -> impl IntoView {
    let authorities = LocalResource::new(api::delegation_authorities);
    let chosen = RwSignal::new(None::<AuthorityOption>);
    let label = RwSignal::new(saved_label());
    let flow = PushFlow::new(super::SIGNED_IN_HOME);

    let create = Action::new_local(move |body: &DelegatedRequest| {
        let mut body = body.clone();
        async move {
            // Signed by this tablet's device key when it is enrolled.
            body.terminal_proof = crate::terminals::proof(
                vigie_shared::api::terminal::SignedPurpose::Delegated,
                &body.professional_id.to_string(),
            )
            .await;
            flow.start(api::delegation_request(&body).await?);
            Ok::<(), ApiError>(())
        }
    });
    let creating = create.pending();
    let create_error = last_error(create);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(professional) = chosen.get_untracked() else {
            return;
        };
        if creating.get_untracked() {
            return;
        }
        create.dispatch(DelegatedRequest {
            professional_id: professional.professional_id,
            terminal_label: save_label(&label.get_untracked()),
            terminal_proof: None,
        });
    };

    let form = move |options: Vec<AuthorityOption>| {
        if options.is_empty() {
            return view! {
                <p class="card empty" data-testid="no-authority">
                    "Aucun professionnel de votre structure ne vous a encore autorisé à saisir sous sa \
                     responsabilité. Demandez-lui de vous ajouter dans « Mes paramètres »."
                </p>
            }
            .into_any();
        }
        if options.len() == 1 && chosen.with_untracked(Option::is_none) {
            chosen.set(options.first().cloned());
        }
        view! {
            <form class="card form" on:submit=on_submit novalidate>
                <fieldset class="fieldset">
                    <legend>"Professionnel responsable de la saisie"</legend>
                    {options
                        .into_iter()
                        .map(|option| authority_choice(option, chosen))
                        .collect_view()}
                </fieldset>
                <TerminalLabelField label />
                <button
                    type="submit"
                    class="button button-wide"
                    data-testid="delegation-submit"
                    disabled=move || chosen.with(Option::is_none) || creating.get()
                >
                    {move || if creating.get() { "Envoi en cours…" } else { "Demander la validation" }}
                </button>
                {error_alert(move || create_error().map(|e| e.message), "delegation-error")}
            </form>
        }
        .into_any()
    };

    let waiting = move |created: ApprovalCreated| {
        let name = chosen
            .get_untracked()
            .map(|c| c.display_name)
            .unwrap_or_else(|| "professionnel".to_owned());
        view! {
            <PushWait
                flow
                created
                title=format!("Validation par le {name}")
                instructions=format!(
                    "Le {name} saisit ce code sur son téléphone (ou scanne le QR code), puis confirme \
                     avec son code ou son empreinte. Il doit être présent près de cette tablette.",
                )
            />
        }
    };

    view! {
        {move || match flow.request.get() {
            Some(created) => waiting(created).into_any(),
            None => {
                match authorities.get() {
                    None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
                    Some(Err(error)) => {
                        view! {
                            <p role="alert" class="alert alert-error">
                                {error.message}
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(options)) => form(options),
                }
            }
        }}
    }
}

/// One professional to pick: a whole row to tap.
fn authority_choice(
    option: AuthorityOption,
    chosen: RwSignal<Option<AuthorityOption>>,
) -> impl IntoView {
    let id: Uuid = option.professional_id;
    let input_id = format!("autorite-{id}");
    let label_for = input_id.clone();
    let name = option.display_name.clone();
    view! {
        <label class="check" for=label_for data-testid="authority-option">
            <input
                id=input_id
                type="radio"
                name="autorite"
                value=id.to_string()
                prop:checked=move || chosen.with(|c| c.as_ref().is_some_and(|c| c.professional_id == id))
                on:change=move |_| chosen.set(Some(option.clone()))
            />
            {name}
        </label>
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use vigie_shared::api::session::SessionStage;

    use super::*;

    fn delegate(authority: Option<&str>) -> SessionState {
        let now = Utc::now();
        SessionState {
            kind: PrincipalKind::Delegate,
            identifier: "3001234567".into(),
            display_name: "Marie Dupont".into(),
            stage: SessionStage::Active,
            method: "passkey".into(),
            started_at: now,
            idle_expires_at: now + Duration::minutes(60),
            absolute_expires_at: now + Duration::hours(4),
            typist: Some("Marie Dupont".into()),
            authority: authority.map(str::to_owned),
            structure: Some("Centre de vaccination de Melun".into()),
            security_officer: false,
        }
    }

    #[test]
    fn the_step_follows_the_session() {
        assert_eq!(Step::of(false, None), Step::Loading);
        assert_eq!(Step::of(true, None), Step::SignIn);
        assert_eq!(Step::of(true, Some(&delegate(None))), Step::Request);
        assert_eq!(
            Step::of(true, Some(&delegate(Some("Dr Jean Martin")))),
            Step::Approved(
                "Saisie par Marie Dupont sous la responsabilité du Dr Jean Martin".into()
            )
        );
        let mut doctor = delegate(None);
        doctor.kind = PrincipalKind::Professional;
        doctor.typist = None;
        doctor.display_name = "Dr Jean Martin".into();
        assert_eq!(
            Step::of(true, Some(&doctor)),
            Step::Other("Dr Jean Martin".into())
        );
    }
}
