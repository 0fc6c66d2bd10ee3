//! The structure page's "Postes enregistrés": the manager, signed in on a hall tablet, enrols
//! it under a name ("Enregistrer ce poste"); the structure's enrolled tablets are listed, each
//! revocable.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::api::terminal::EnrolledTerminalView;

use crate::{api, components::text_field::TextField, format};

#[component]
pub fn EnrolledTerminals(structure: Uuid) -> impl IntoView {
    let list = LocalResource::new(move || async move {
        api::get::<Vec<EnrolledTerminalView>>(&format!("/api/structures/{structure}/terminals"))
            .await
    });
    let this_one = LocalResource::new(super::stored_terminal);
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        notice.set(None);
        let typed = name.get_untracked();
        spawn_local(async move {
            match super::enrol(structure, &typed).await {
                Ok(t) => {
                    name.try_set(String::new());
                    notice.try_set(Some(format!(
                        "Ce poste est enregistré : « {} » — {}.",
                        t.name, t.structure_name
                    )));
                }
                Err(error) => {
                    problem.try_set(Some(error.message));
                }
            }
            busy.try_set(false);
            list.refetch();
            this_one.refetch();
        });
    };

    let revoke = move |id: Uuid| {
        problem.set(None);
        notice.set(None);
        spawn_local(async move {
            let path = format!("/api/structures/{structure}/terminals/{id}/revoke");
            match api::post::<_, EnrolledTerminalView>(&path, &serde_json::json!({})).await {
                Ok(t) => {
                    notice.try_set(Some(format!(
                        "« {} » est révoqué : ses demandes s'affichent désormais « Poste inconnu ».",
                        t.name
                    )));
                }
                Err(error) => {
                    problem.try_set(Some(error.message));
                }
            }
            list.refetch();
        });
    };

    let title_id = format!("postes-{structure}");
    let list_label = title_id.clone();
    let section_label = title_id.clone();
    view! {
        <section class="card" aria-labelledby=section_label data-testid="enrolled-terminals">
            <h2 id=title_id>"Postes enregistrés"</h2>
            <p class="hint">
                "Sur la tablette du hall, connecté au compte de la structure, enregistrez-la : le \
                 téléphone des professionnels affichera alors son nom et votre structure. Une demande \
                 venue d'un autre poste s'affiche « Poste inconnu » et est signalée comme inhabituelle."
            </p>
            <div role="status" class="notice-area">
                {move || notice.get().map(|n| view! { <p class="alert alert-info">{n}</p> })}
            </div>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
                Some(Err(error)) => view! { <p role="alert" class="alert alert-error">{error.message}</p> }
                    .into_any(),
                Some(Ok(terminals)) if terminals.is_empty() => view! {
                    <p class="empty">"Aucun poste enregistré."</p>
                }
                .into_any(),
                Some(Ok(terminals)) => {
                    let here = this_one.get().flatten();
                    view! {
                        <ul class="staff-list" aria-labelledby=list_label.clone()>
                            {terminals
                                .into_iter()
                                .map(|t| terminal_row(t, here, revoke))
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
            <form class="form" on:submit=on_submit novalidate>
                <TextField
                    id="nom-poste-enregistre"
                    label="Nom de ce poste"
                    hint="Par exemple « Tablette 3 » : le téléphone l'affichera."
                    value=name
                    maxlength=60
                />
                <button
                    type="submit"
                    class="button"
                    data-testid="enrol-terminal"
                    disabled=move || busy.get() || name.with(|n| n.trim().is_empty())
                >
                    "Enregistrer ce poste"
                </button>
            </form>
        </section>
    }
}

fn terminal_row(
    t: EnrolledTerminalView,
    here: Option<Uuid>,
    revoke: impl Fn(Uuid) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = t.id;
    let this_device = (here == Some(id)).then_some(" (cet appareil)");
    let status = match t.revoked_at {
        Some(at) => format!("Révoqué le {}", format::long_date_time(at)),
        None => format!("Enregistré le {}", format::long_date_time(t.enrolled_at)),
    };
    let active = t.revoked_at.is_none();
    view! {
        <li data-testid="enrolled-terminal">
            <strong>{t.name}</strong>
            {this_device}
            <span class="hint">{format!(" — {status}")}</span>
            {active
                .then(|| {
                    view! {
                        <button type="button" class="button button-quiet" on:click=move |_| revoke(id)>
                            "Révoquer"
                        </button>
                    }
                })}
        </li>
    }
}
