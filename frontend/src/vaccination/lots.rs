//! A structure's vaccine lots (or a professional's personal stock): add one with the doses
//! received, see the doses left, declare doses lost, withdraw or reactivate it. Used by the
//! structure account (manager) and by professionals of the structure.

use chrono::NaiveDate;
use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::api::vaccination::{
    LotActivation, LotView, LotWastage, NewLot, OwnPracticeInput, StructureView,
};

use crate::api::{ApiResult, get, post, put};

async fn list(structure: Uuid) -> ApiResult<Vec<LotView>> {
    get(&format!("/api/structures/{structure}/lots")).await
}

/// `prefix` keeps the form's ids unique when a page shows several stocks.
#[component]
pub fn LotsManager(structure: Uuid, #[prop(optional)] prefix: &'static str) -> impl IntoView {
    let lots = LocalResource::new(move || list(structure));
    let product = RwSignal::new("comirnaty".to_owned());
    let number = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let doses = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let wasted = Action::new_local(move |(id, loss): &(Uuid, LotWastage)| {
        let (id, loss) = (*id, loss.clone());
        async move {
            match post::<_, LotView>(&format!("/api/lots/{id}/wastage"), &loss).await {
                Ok(_) => {
                    problem.set(None);
                    lots.refetch();
                }
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    let add = Action::new_local(move |lot: &NewLot| {
        let lot = lot.clone();
        async move {
            match post::<_, LotView>(&format!("/api/structures/{structure}/lots"), &lot).await {
                Ok(_) => {
                    number.set(String::new());
                    problem.set(None);
                    lots.refetch();
                }
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    let toggle = Action::new_local(move |(id, active): &(Uuid, bool)| {
        let (id, active) = (*id, *active);
        async move {
            match post::<_, LotView>(&format!("/api/lots/{id}/active"), &LotActivation { active })
                .await
            {
                Ok(_) => lots.refetch(),
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(expires_on) = NaiveDate::parse_from_str(&expires.get_untracked(), "%Y-%m-%d") else {
            problem.set(Some("Indiquez la date de péremption.".into()));
            return;
        };
        let Ok(doses_received) = doses.get_untracked().trim().parse::<i32>() else {
            problem.set(Some(
                "Indiquez le nombre de doses reçues (un flacon multidose compte ses doses).".into(),
            ));
            return;
        };
        add.dispatch(NewLot {
            product_code: product.get_untracked(),
            number: number.get_untracked(),
            expires_on,
            doses_received,
        });
    };
    view! {
        <section class="card" aria-labelledby="lots-title" data-testid="lots">
            <h2 id="lots-title">"Lots de vaccins"</h2>
            {move || match lots.get() {
                None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="empty">"Aucun lot enregistré."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="history">
                        {list.into_iter().map(|l| {
                            let id = l.id;
                            let active = l.active;
                            let stock = match (l.doses_left, l.doses_received) {
                                (Some(left), Some(received)) => format!(" — {left} dose(s) restante(s) sur {received}"),
                                _ => String::new(),
                            };
                            let lost = RwSignal::new(String::new());
                            let counted = l.doses_received.is_some();
                            let declare = move |_| {
                                let Ok(doses) = lost.get_untracked().trim().parse::<i32>() else {
                                    problem.set(Some("Indiquez le nombre de doses perdues.".into()));
                                    return;
                                };
                                wasted.dispatch((id, LotWastage { doses, reason: "Perte déclarée".into() }));
                                lost.set(String::new());
                            };
                            view! {
                                <li data-testid="lot">
                                    {format!("{} — lot {} — expire le {}{}{}", l.product_code, l.number, l.expires_on.format("%d/%m/%Y"), stock, if active { "" } else { " — retiré" })}
                                    " "
                                    <button type="button" class="button button-quiet" on:click=move |_| { toggle.dispatch((id, !active)); }>
                                        {if active { "Retirer" } else { "Réactiver" }}
                                    </button>
                                    <Show when=move || counted>
                                        <span class="inline-field">
                                            <label for=format!("perte-{id}")>"Doses perdues"</label>
                                            <input id=format!("perte-{id}") type="number" min="1" inputmode="numeric" prop:value=lost on:input=move |ev| lost.set(event_target_value(&ev)) />
                                            <button type="button" class="button button-quiet" on:click=declare>"Déclarer la perte"</button>
                                        </span>
                                    </Show>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <form class="form" on:submit=on_submit novalidate>
                <h3>"Ajouter un lot"</h3>
                <div class="field">
                    <label for=format!("{prefix}lot-vaccin")>"Vaccin"</label>
                    <select id=format!("{prefix}lot-vaccin") on:change=move |ev| product.set(event_target_value(&ev))>
                        <option value="comirnaty">"Comirnaty"</option>
                        <option value="spikevax">"Spikevax"</option>
                        <option value="nuvaxovid">"Nuvaxovid"</option>
                        <option value="bimervax">"Bimervax"</option>
                    </select>
                </div>
                <div class="field">
                    <label for=format!("{prefix}lot-numero")>"Numéro de lot"</label>
                    <input id=format!("{prefix}lot-numero") type="text" autocomplete="off" prop:value=number on:input=move |ev| number.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=format!("{prefix}lot-peremption")>"Date de péremption"</label>
                    <input id=format!("{prefix}lot-peremption") type="date" prop:value=expires on:change=move |ev| expires.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=format!("{prefix}lot-doses")>"Doses reçues"</label>
                    <input id=format!("{prefix}lot-doses") type="number" min="1" max="100000" inputmode="numeric" prop:value=doses on:input=move |ev| doses.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class="button" disabled=move || number.with(|n| n.trim().is_empty())>"Ajouter le lot"</button>
                {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
            </form>
        </section>
    }
}

/// "/lots": a professional's structures and their lots.
#[component]
pub fn LotsPage() -> impl IntoView {
    crate::pages::set_title("Lots de vaccins");
    let context = LocalResource::new(super::api::context);
    view! {
        <h1>"Lots de vaccins"</h1>
        {move || match context.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(e)) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
            Some(Ok(c)) => {
                let has_own = c.structures.iter().any(|s| s.own_practice);
                view! {
                    {c.structures
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| {
                            // The first stock keeps the plain ids; the others are prefixed.
                            let prefix: &'static str = ["", "s2-", "s3-", "s4-", "s5-"][i.min(4)];
                            view! {
                                <h2>{if s.own_practice { "Mon stock personnel (hors structure)".to_owned() } else { s.name.clone() }}</h2>
                                <LotsManager structure=s.id prefix />
                            }
                        })
                        .collect_view()}
                    {(!has_own).then(|| view! { <OwnPracticeForm on_done=move || context.refetch() /> })}
                }
                .into_any()
            }
        }}
    }
}

/// Declares the professional's own practice (no structure): their personal stock and the
/// doses they give at patients' homes or in their cabinet.
#[component]
fn OwnPracticeForm(on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let address = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let declare = Action::new_local(move |input: &OwnPracticeInput| {
        let input = input.clone();
        async move {
            match put::<_, StructureView>("/api/vaccination/own-practice", &input).await {
                Ok(_) => on_done(),
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    view! {
        <section class="card" aria-labelledby="own-title">
            <h2 id="own-title">"Vacciner hors structure"</h2>
            <p>"À domicile, au cabinet ou à l'officine, avec votre propre stock de vaccins."</p>
            <form class="form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                declare.dispatch(OwnPracticeInput { address: address.get_untracked() });
            } novalidate>
                <div class="field">
                    <label for="own-address">"Adresse du cabinet ou de l'officine (facultatif)"</label>
                    <input id="own-address" type="text" autocomplete="street-address" prop:value=address on:input=move |ev| address.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class="button">"Déclarer mon exercice hors structure"</button>
                {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
            </form>
        </section>
    }
}
