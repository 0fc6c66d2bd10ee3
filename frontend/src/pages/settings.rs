//! "/parametres" ("Mes paramètres"): the staff declared in my structures, and a switch for each
//! to let them type under my responsibility (or no longer: their open sessions under me end).

use std::collections::BTreeMap;

use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::api::delegation::DelegateChoice;

use super::{sessions::signed_out_or_error, set_title};
use crate::{api, format};

/// The choices by structure, in the order of the structures' names, people by last name.
fn by_structure(choices: &[DelegateChoice]) -> Vec<(String, Vec<DelegateChoice>)> {
    let mut groups: BTreeMap<String, Vec<DelegateChoice>> = BTreeMap::new();
    for choice in choices {
        groups
            .entry(choice.structure_name.clone())
            .or_default()
            .push(choice.clone());
    }
    groups
        .into_iter()
        .map(|(name, mut people)| {
            people
                .sort_by(|a, b| (&a.last_name, &a.first_name).cmp(&(&b.last_name, &b.first_name)));
            (name, people)
        })
        .collect()
}

#[component]
pub fn Settings() -> impl IntoView {
    set_title("Mes paramètres");
    let loaded = LocalResource::new(api::delegates);
    // The list as it stands now: each answer replaces its row.
    let choices = RwSignal::new(Vec::<DelegateChoice>::new());
    Effect::new(move |_| {
        if let Some(Ok(list)) = loaded.get() {
            choices.set(list);
        }
    });
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<Uuid>);
    // Changes only when the list empties or fills: a switch toggled keeps its focus.
    let empty = Memo::new(move |_| choices.with(Vec::is_empty));

    let toggle = move |choice: DelegateChoice| {
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(choice.staff_id));
        notice.set(None);
        problem.set(None);
        spawn_local(async move {
            let answer = if choice.authorised {
                api::delegate_withdraw(choice.staff_id).await
            } else {
                api::delegate_authorise(choice.staff_id).await
            };
            busy.try_set(None);
            match answer {
                Ok(updated) => {
                    let name = format!("{} {}", updated.first_name, updated.last_name);
                    notice.try_set(Some(if updated.authorised {
                        format!("{name} peut saisir sous votre responsabilité.")
                    } else {
                        format!(
                            "{name} ne peut plus saisir sous votre responsabilité ; ses sessions \
                             en cours sous votre responsabilité sont terminées."
                        )
                    }));
                    choices.try_update(|list| {
                        for c in list.iter_mut().filter(|c| c.staff_id == updated.staff_id) {
                            *c = updated.clone();
                        }
                    });
                }
                Err(error) => {
                    problem.try_set(Some(error.message));
                }
            }
        });
    };

    view! {
        <h1>"Mes paramètres"</h1>
        <p class="lead">
            "Les personnes déclarées par vos structures pour la saisie déléguée. Cochez celles qui \
             peuvent saisir des vaccinations sous votre responsabilité : chaque session reste à \
             valider sur votre téléphone, avec le code affiché sur leur tablette."
        </p>
        <div role="status" class="notice-area">
            {move || {
                notice
                    .get()
                    .map(|n| view! { <p class="alert alert-success" data-testid="settings-notice">{n}</p> })
            }}
        </div>
        {move || {
            problem
                .get()
                .map(|m| view! { <p role="alert" class="alert alert-error" data-testid="settings-error">{m}</p> })
        }}
        {move || match loaded.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(error)) => signed_out_or_error(error).into_any(),
            Some(Ok(_)) if empty.get() => {
                view! {
                    <p class="card empty" data-testid="no-delegate">
                        "Aucune personne n'est déclarée pour la saisie déléguée dans vos structures. \
                         Le responsable de la structure les déclare dans l'Espace structure."
                    </p>
                }
                    .into_any()
            }
            Some(Ok(_)) => {
                view! {
                    <For
                        each=move || choices.with(|list| by_structure(list))
                        key=|(name, _)| name.clone()
                        children=move |(name, _)| {
                            view! { <StructureDelegates name choices busy toggle /> }
                        }
                    />
                }
                    .into_any()
            }
        }}
    }
}

/// One structure's people, each a switch (a whole row to tap).
#[component]
fn StructureDelegates(
    name: String,
    choices: RwSignal<Vec<DelegateChoice>>,
    busy: RwSignal<Option<Uuid>>,
    toggle: impl Fn(DelegateChoice) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let title_id = format!(
        "structure-{}",
        name.replace(|c: char| !c.is_alphanumeric(), "-")
    );
    let group = StoredValue::new(name.clone());
    let people = move || {
        choices.with(|list| {
            list.iter()
                .filter(|c| group.with_value(|g| *g == c.structure_name))
                .map(|c| c.staff_id)
                .collect::<Vec<_>>()
        })
    };
    let labelled_by = title_id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by data-testid="delegates-structure">
            <h2 id=title_id>{name}</h2>
            <ul class="delegate-list">
                <For
                    each=people
                    key=|id| *id
                    children=move |id| {
                        let choice = move || {
                            choices.with(|list| list.iter().find(|c| c.staff_id == id).cloned())
                        };
                        let input_id = format!("delegue-{id}");
                        let label_for = input_id.clone();
                        view! {
                            <li data-testid="delegate">
                                <label class="check" for=label_for>
                                    <input
                                        id=input_id
                                        type="checkbox"
                                        role="switch"
                                        prop:checked=move || choice().is_some_and(|c| c.authorised)
                                        disabled=move || busy.get() == Some(id)
                                        on:change=move |_| {
                                            if let Some(c) = choice() {
                                                toggle(c);
                                            }
                                        }
                                    />
                                    <span>
                                        {move || {
                                            choice()
                                                .map(|c| format!("{} {} — {}", c.first_name, c.last_name, c.role))
                                        }}
                                    </span>
                                </label>
                                <p class="hint delegate-since">
                                    {move || {
                                        choice()
                                            .map(|c| match c.authorised_since {
                                                Some(at) if c.authorised => {
                                                    format!("Autorisé(e) depuis le {}", format::date_time(at))
                                                }
                                                _ => "Non autorisé(e)".to_owned(),
                                            })
                                    }}
                                </p>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(structure: &str, last: &str) -> DelegateChoice {
        DelegateChoice {
            staff_id: Uuid::new_v4(),
            structure_id: Uuid::nil(),
            structure_name: structure.into(),
            first_name: "A".into(),
            last_name: last.into(),
            role: "Secrétaire médicale".into(),
            authorised: false,
            authorised_since: None,
        }
    }

    #[test]
    fn people_are_grouped_by_structure() {
        let groups = by_structure(&[
            choice("Melun", "Dupont"),
            choice("Autre", "Zola"),
            choice("Melun", "Bernard"),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, "Autre");
        let melun: Vec<_> = groups[1].1.iter().map(|c| c.last_name.as_str()).collect();
        assert_eq!(melun, ["Bernard", "Dupont"]);
    }
}
