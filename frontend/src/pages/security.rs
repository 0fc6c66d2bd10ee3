//! "/securite": for security officers. Open incidents (fraud reports), closed with a note;
//! identities whose push sign-in is frozen, unfrozen with a reason. Both go to the audit trail.

use leptos::prelude::*;
use vigie_shared::{ApiError, ErrorCode};

use super::{sessions::signed_out_or_error, set_title};
use crate::{
    api::{self, Freeze, Incident},
    format,
};

/// The server's rule for a reason or a note.
const MIN_REASON_CHARS: usize = 5;

#[component]
pub fn Security() -> impl IntoView {
    set_title("Sécurité");
    let incidents = LocalResource::new(api::incidents);
    let freezes = LocalResource::new(api::freezes);
    let notice = RwSignal::new(None::<String>);

    view! {
        <h1>"Sécurité"</h1>
        <div role="status" class="notice-area">
            {move || {
                notice
                    .get()
                    .map(|message| {
                        view! {
                            <p class="alert alert-info" data-testid="security-notice">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
        <Transition fallback=|| view! { <p class="muted">"Chargement…"</p> }>
            {move || {
                let (incidents_resource, freezes_resource) = (incidents, freezes);
                let (incidents, freezes) = (incidents.get()?, freezes.get()?);
                Some(match (incidents, freezes) {
                    (Ok(incidents), Ok(freezes)) => {
                        view! {
                            <FreezeList list=freezes reload=freezes_resource notice />
                            <IncidentList list=incidents reload=incidents_resource notice />
                        }
                            .into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => refused(error).into_any(),
                })
            }}
        </Transition>
    }
}

fn refused(error: ApiError) -> impl IntoView {
    if error.code == ErrorCode::Forbidden {
        view! {
            <p role="alert" class="alert alert-error" data-testid="security-forbidden">
                "Réservé aux officiers de sécurité."
            </p>
        }
        .into_any()
    } else {
        signed_out_or_error(error).into_any()
    }
}

#[component]
fn FreezeList(
    list: Vec<Freeze>,
    reload: LocalResource<Result<Vec<Freeze>, ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let freezes = list;
    view! {
        <section aria-labelledby="gels">
            <h2 id="gels">"Identités gelées"</h2>
            <p class="muted">
                "La connexion par validation sur téléphone est suspendue pour ces identités ; la \
                 connexion par clé d'accès reste possible."
            </p>
            {if freezes.is_empty() {
                view! { <p class="card empty">"Aucune identité gelée."</p> }.into_any()
            } else {
                view! {
                    <ul class="security-list">
                        {freezes
                            .into_iter()
                            .enumerate()
                            .map(|(n, freeze)| {
                                let who = freeze
                                    .professional
                                    .clone()
                                    .unwrap_or_else(|| "Identité inconnue de l'annuaire".to_owned());
                                let facts = view! {
                                    <dl class="facts">
                                        <div>
                                            <dt>"Identifiant"</dt>
                                            <dd>{freeze.national_id.clone()}</dd>
                                        </div>
                                        <div>
                                            <dt>"Gelée jusqu'au"</dt>
                                            <dd>{format::date_time(freeze.frozen_until)}</dd>
                                        </div>
                                        <div>
                                            <dt>"Cause"</dt>
                                            <dd>{freeze.reason.clone()}</dd>
                                        </div>
                                    </dl>
                                };
                                let national_id = freeze.national_id.clone();
                                let lift = Action::new_local(move |reason: &String| {
                                    let (national_id, reason) = (national_id.clone(), reason.clone());
                                    async move {
                                        api::lift_freeze(&national_id, &reason).await?;
                                        notice.set(Some(format!("Gel levé pour l'identifiant {national_id}.")));
                                        reload.refetch();
                                        Ok(())
                                    }
                                });
                                view! {
                                    <li class="card" data-testid="freeze">
                                        <h3>{who}</h3>
                                        {facts}
                                        <ReasonForm
                                            id=format!("motif-gel-{n}")
                                            label="Motif"
                                            button="Lever le gel"
                                            action=lift
                                        />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn IncidentList(
    list: Vec<Incident>,
    reload: LocalResource<Result<Vec<Incident>, ApiError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let incidents = list;
    view! {
        <section aria-labelledby="incidents">
            <h2 id="incidents">"Incidents ouverts"</h2>
            {if incidents.is_empty() {
                view! { <p class="card empty">"Aucun incident ouvert."</p> }.into_any()
            } else {
                view! {
                    <ul class="security-list">
                        {incidents
                            .into_iter()
                            .map(|incident| {
                                let id = format!("note-{}", incident.incident_id);
                                let facts = view! {
                                    <dl class="facts">
                                        <div>
                                            <dt>"Professionnel"</dt>
                                            <dd>{incident.professional.clone()}</dd>
                                        </div>
                                        <div>
                                            <dt>"Identifiant"</dt>
                                            <dd>{incident.national_id.clone()}</dd>
                                        </div>
                                        <div>
                                            <dt>"Ouvert le"</dt>
                                            <dd>{format::date_time(incident.opened_at)}</dd>
                                        </div>
                                    </dl>
                                };
                                let incident_id = incident.incident_id;
                                let close = Action::new_local(move |note: &String| {
                                    let note = note.clone();
                                    async move {
                                        let closed = api::close_incident(incident_id, &note).await?;
                                        let who = if closed.professional.is_empty() {
                                            closed.national_id
                                        } else {
                                            closed.professional
                                        };
                                        notice.set(Some(format!("Incident clos ({who}).")));
                                        reload.refetch();
                                        Ok(())
                                    }
                                });
                                view! {
                                    <li class="card" data-testid="incident">
                                        <h3>{incident_kind(&incident.kind)}</h3>
                                        {facts}
                                        <ReasonForm
                                            id
                                            label="Note de clôture"
                                            button="Clore"
                                            action=close
                                        />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

fn incident_kind(kind: &str) -> String {
    match kind {
        "push_fraud_report" => "« Ce n'est pas moi » sur une demande de connexion".to_owned(),
        "session_fraud_report" => "« Ce n'est pas moi » depuis l'e-mail de connexion".to_owned(),
        other => other.to_owned(),
    }
}

/// A required reason (5 characters at least, as the server checks) and the button it unlocks.
#[component]
fn ReasonForm(
    id: String,
    label: &'static str,
    button: &'static str,
    action: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let pending = action.pending();
    let enough = move || reason.with(|r| r.trim().chars().count() >= MIN_REASON_CHARS);
    let failure = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !pending.get())
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if enough() && !pending.get_untracked() {
            action.dispatch(reason.get_untracked().trim().to_owned());
        }
    };
    let hint_id = format!("{id}-aide");
    view! {
        <form class="form reason-form" on:submit=on_submit novalidate>
            <div class="field">
                <label for=id.clone()>{label}</label>
                <p id=hint_id.clone() class="hint">
                    "Obligatoire, 5 caractères au moins : il est écrit dans le journal d'audit."
                </p>
                <input
                    id=id
                    type="text"
                    maxlength="500"
                    autocomplete="off"
                    required
                    aria-describedby=hint_id
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button" disabled=move || !enough() || pending.get()>
                {button}
            </button>
            {move || {
                failure()
                    .map(|error| {
                        view! {
                            <p role="alert" class="alert alert-error">
                                {error.message}
                            </p>
                        }
                    })
            }}
        </form>
    }
}
