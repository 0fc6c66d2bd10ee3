//! "À vérifier": the offline entries the responsible professional must look at again — recorded
//! but flagged (the patient's history changed meanwhile, unconfirmed warnings, lot…) or refused
//! — with why, who typed them, on which device, when typed and when received. An office-app
//! page: the entry app only shows how many there are (in its menu), which keeps its download
//! small.

use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::api::offline::{ReviewItem, SyncOutcome};

use crate::{api, format, pages::set_title};

async fn review_items() -> api::ApiResult<Vec<ReviewItem>> {
    api::get("/api/offline/review").await
}

#[component]
pub fn Review() -> impl IntoView {
    set_title("Saisies hors ligne à vérifier");
    let items = LocalResource::new(review_items);
    let list = RwSignal::new(None::<Vec<ReviewItem>>);
    Effect::new(move |_| {
        if let Some(Ok(found)) = items.get() {
            list.set(Some(found));
        }
    });
    let problem = RwSignal::new(None::<String>);
    let done = Action::new_local(move |id: &Uuid| {
        let id = *id;
        async move {
            match api::offline_review_done(id).await {
                Ok(()) => {
                    problem.set(None);
                    list.update(|l| {
                        if let Some(l) = l {
                            l.retain(|i| i.id != id);
                        }
                    });
                }
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    view! {
        <h1>"Saisies hors ligne à vérifier"</h1>
        {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
        {move || match (items.get(), list.get()) {
            (Some(Err(e)), _) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
            (_, None) => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            (_, Some(l)) if l.is_empty() => view! {
                <p class="empty" data-testid="review-empty">"Aucune saisie hors ligne à vérifier."</p>
            }.into_any(),
            (_, Some(l)) => view! {
                <ul class="history" data-testid="review-list">
                    {l.into_iter().map(|item| view! { <ReviewLine item done /> }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

#[component]
fn ReviewLine(item: ReviewItem, done: Action<Uuid, ()>) -> impl IntoView {
    let id = item.id;
    let outcome = match item.outcome {
        SyncOutcome::Refused => "Refusée",
        _ => "Enregistrée, à vérifier",
    };
    let what = item.injection.as_ref().map(|i| {
        format!(
            "{} dose {} — lot {} — {}",
            i.product_name,
            i.dose_number,
            i.lot_number,
            format::date_time(i.administered_at)
        )
    });
    view! {
        <li class="card" data-testid="review-item">
            <p>
                <strong>{outcome}</strong>
                " — "
                {item.patient.clone().unwrap_or_else(|| "Patient non enregistré".into())}
            </p>
            {what.map(|w| view! { <p>{w}</p> })}
            <ul>
                {item.reasons.iter().map(|r| view! { <li data-testid="review-reason">{r.label()}</li> }).collect_view()}
            </ul>
            {item.message.clone().map(|m| view! { <p>{m}</p> })}
            <p class="hint">
                {format!(
                    "Saisie sur {} le {} — reçue le {}",
                    item.device_name,
                    format::date_time(item.device_time),
                    format::date_time(item.received_at)
                )}
                {item.typed_by.clone().map(|t| format!(" — saisie par {t}"))}
            </p>
            <button type="button" class="button" data-testid="review-done" on:click=move |_| { done.dispatch(id); }>
                "Marquer comme vérifiée"
            </button>
        </li>
    }
}
