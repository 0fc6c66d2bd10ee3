//! "/appareils" ("Mes appareils"): my passkeys and activated phones, with when each was added
//! and last used; "Retirer" revokes one after an in-page confirmation (a passkey stops signing
//! in at once, a phone stops receiving requests). `report` is the page of the new-credential
//! mail's "Ce n'est pas moi" link. `StaffKeys` is the same list of a staff member's passkeys,
//! for their structure's manager.

pub mod report;

use leptos::prelude::*;
use vigie_shared::{
    ErrorCode,
    api::credentials::{CredentialKind, CredentialView},
};

use crate::{
    api,
    components::alerts::error_alert,
    format,
    pages::{sessions::signed_out_or_error, set_title},
    session::use_session,
};

#[component]
pub fn Devices() -> impl IntoView {
    set_title("Mes appareils");
    let session = use_session();
    let list = LocalResource::new(api::credentials);
    let removal = Removal::new(list, api::credential_revoke);

    // Read again when someone signs in or out here.
    let access = Memo::new(move |_| session.access());
    Effect::new(move |first: Option<()>| {
        access.track();
        if first.is_some() {
            list.refetch();
        }
    });

    view! {
        <h1>"Mes appareils"</h1>
        <p class="lead">
            "Vos clés d'accès et les téléphones qui valident vos connexions. Un appareil perdu ou \
             que vous ne reconnaissez pas ? Retirez-le : il ne sert plus à rien dès maintenant."
        </p>
        {removal.messages("devices-notice", "devices-error")}
        <Transition fallback=|| view! { <p class="muted">"Chargement…"</p> }>
            {move || {
                list.get()
                    .map(|answer| match answer {
                        Ok(items) if items.is_empty() => {
                            view! { <p class="card empty">"Aucun appareil enregistré."</p> }
                                .into_any()
                        }
                        Ok(items) => {
                            view! {
                                <ul class="device-list">
                                    {items
                                        .into_iter()
                                        .map(|item| device_row(item, removal, false))
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => signed_out_or_error(error).into_any(),
                    })
            }}
        </Transition>
    }
}

fn kind_label(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Passkey => "Clé d'accès",
        CredentialKind::Phone => "Téléphone de validation",
    }
}

/// A staff member's passkeys, inside their row of the manager's staff list: name, added, last
/// use; "Retirer" (confirmed in the page) stops a lost tablet's key at once.
#[component]
pub fn StaffKeys(structure: uuid::Uuid, staff: uuid::Uuid) -> impl IntoView {
    let list = LocalResource::new(move || api::staff_credentials(structure, staff));
    let removal = Removal::new(list, move |id| {
        api::staff_credential_revoke(structure, staff, id)
    });
    view! {
        <div class="staff-keys" data-testid="staff-keys">
            {removal.messages("staff-keys-notice", "staff-keys-error")}
            {move || match list.get() {
                None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
                Some(Err(error)) => {
                    view! { <p role="alert" class="alert alert-error">{error.message}</p> }
                        .into_any()
                }
                Some(Ok(items)) if items.is_empty() => {
                    view! { <p class="empty">"Aucune clé d'accès."</p> }.into_any()
                }
                Some(Ok(items)) => {
                    view! {
                        <ul class="device-list">
                            {items
                                .into_iter()
                                .map(|item| device_row(item, removal, true))
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

/// Removing credentials from a list, whoever's it is: the item waiting for its confirmation,
/// the revocation, what it did (or why not), and the list read again.
#[derive(Clone, Copy)]
struct Removal {
    /// The item whose removal waits for its confirmation.
    confirming: RwSignal<Option<uuid::Uuid>>,
    notice: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    revoke: Action<CredentialView, ()>,
}

impl Removal {
    fn new<F, Fut>(list: LocalResource<api::ApiResult<Vec<CredentialView>>>, revoke: F) -> Self
    where
        F: Fn(uuid::Uuid) -> Fut + Copy + 'static,
        Fut: Future<Output = api::ApiResult<()>> + 'static,
    {
        let confirming = RwSignal::new(None);
        let notice = RwSignal::new(None);
        let problem = RwSignal::new(None::<String>);
        let revoke = Action::new_local(move |item: &CredentialView| {
            let (id, kind, name) = (item.id, item.kind, item.name.clone());
            async move {
                problem.set(None);
                notice.set(None);
                match revoke(id).await {
                    Ok(()) => {
                        confirming.set(None);
                        notice.set(Some(match kind {
                            CredentialKind::Passkey => format!(
                                "La clé d'accès « {name} » est retirée : elle ne permet plus de se connecter."
                            ),
                            CredentialKind::Phone => format!(
                                "Le téléphone « {name} » est retiré : il ne reçoit plus de demandes de connexion."
                            ),
                        }));
                        list.refetch();
                    }
                    // Already gone (another tab, the manager…): the list says so.
                    Err(error) if error.code == ErrorCode::NotFound => {
                        confirming.set(None);
                        list.refetch();
                    }
                    Err(error) => problem.set(Some(error.message)),
                }
            }
        });
        Self {
            confirming,
            notice,
            problem,
            revoke,
        }
    }

    /// What the last removal did, or why it failed.
    fn messages(self, notice_testid: &'static str, error_testid: &'static str) -> impl IntoView {
        view! {
            <div role="status" class="notice-area">
                {move || {
                    self.notice
                        .get()
                        .map(|message| {
                            view! {
                                <p class="alert alert-info" data-testid=notice_testid>
                                    {message}
                                </p>
                            }
                        })
                }}
            </div>
            {error_alert(move || self.problem.get(), error_testid)}
        }
    }
}

/// One credential and its removal; `nested` inside a staff member's row (a lower heading).
fn device_row(item: CredentialView, removal: Removal, nested: bool) -> impl IntoView {
    let Removal {
        confirming, revoke, ..
    } = removal;
    let id = item.id;
    let title_id = format!("appareil-{id}");
    let labelled_by = title_id.clone();
    let question_id = format!("retirer-{id}");
    let described_by = question_id.clone();
    let asking = move || confirming.get() == Some(id);
    let consequence = match item.kind {
        CredentialKind::Passkey if item.current => {
            "Cette clé a ouvert la session en cours ; la session reste ouverte, mais la clé ne \
             permettra plus de se connecter."
        }
        CredentialKind::Passkey => "Elle ne permettra plus de se connecter.",
        CredentialKind::Phone => {
            "Il ne recevra plus les demandes de connexion et ne pourra plus les valider."
        }
    };
    let last_used = item.last_used_at.map_or_else(
        || "Jamais utilisée".to_owned(),
        |at| format!("Dernière utilisation le {}", format::date_time(at)),
    );
    let to_revoke = item.clone();
    view! {
        <li class="card device" data-testid="device-row" aria-labelledby=labelled_by>
            {
                let name = format!(
                    "{}{}",
                    item.name,
                    if item.current { " (cet appareil)" } else { "" },
                );
                if nested {
                    view! {
                        <h5 id=title_id data-testid="device-name">
                            {name}
                        </h5>
                    }
                        .into_any()
                } else {
                    view! {
                        <h2 id=title_id data-testid="device-name">
                            {name}
                        </h2>
                    }
                        .into_any()
                }
            }
            <p class="device-kind" data-testid="device-kind">
                {kind_label(item.kind)}
            </p>
            <ul class="device-facts">
                <li>{format!("Ajoutée le {}", format::date_time(item.created_at))}</li>
                <li data-testid="device-last-use">{last_used}</li>
            </ul>
            <Show
                when=asking
                fallback=move || {
                    view! {
                        <button
                            type="button"
                            class="button button-quiet"
                            data-testid="device-remove"
                            on:click=move |_| confirming.set(Some(id))
                        >
                            "Retirer"
                        </button>
                    }
                }
            >
                <div class="device-confirm" role="group" aria-describedby=described_by.clone()>
                    <p id=question_id.clone()>
                        <strong>"Retirer cet appareil ? "</strong>
                        {consequence}
                    </p>
                    <div class="actions">
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="device-remove-confirm"
                            disabled=move || revoke.pending().get()
                            on:click={
                                let to_revoke = to_revoke.clone();
                                move |_| {
                                    revoke.dispatch(to_revoke.clone());
                                }
                            }
                        >
                            {move || {
                                if revoke.pending().get() { "Retrait…" } else { "Oui, retirer" }
                            }}
                        </button>
                        <button
                            type="button"
                            class="button button-quiet"
                            data-testid="device-remove-cancel"
                            on:click=move |_| confirming.set(None)
                        >
                            "Annuler"
                        </button>
                    </div>
                </div>
            </Show>
        </li>
    }
}
