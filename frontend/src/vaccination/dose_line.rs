//! One recorded dose as the screens list it: [`DoseSummary`] (the entry screen's history and the
//! recap) and, on the recap only, [`CorrectableDose`] with what may still be done about it. The
//! correction forms live on the recap (office app), not in the entry app's download.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;
use vigie_shared::{
    api::vaccination::{
        InjectionCorrection, InjectionSite, InjectionStatus, InjectionView, LotView,
        VaccinationContext,
    },
    paris,
};

use super::api;
use crate::{format, pages::supervision::contest_line};

/// The Paris time typed in a `datetime-local` field ("2026-10-24T10:30"): `None` when empty.
pub fn typed_paris_time(typed: &str) -> Result<Option<DateTime<Utc>>, String> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    let local = format::parse_date_time_field(typed)
        .ok_or_else(|| "Indiquez la date et l'heure de l'injection.".to_owned())?;
    paris::to_utc(local).map(Some).map_err(|_| {
        format!(
            "Cette heure n'a pas existé à Paris : le {}, les horloges sont passées directement \
             de 02:00 à 03:00 (heure d'été). Indiquez une heure avant 02:00 ou à partir de 03:00.",
            format::day(local.date())
        )
    })
}

/// A dose's line: when, what, which lot, where (the place stated outside a structure), who.
#[component]
pub fn DoseSummary(injection: InjectionView) -> impl IntoView {
    let invalid = injection.status == InjectionStatus::Invalidated;
    let corrected = !invalid && injection.version > 1;
    let dose = if injection.booster {
        format!("rappel (dose {})", injection.dose_number)
    } else {
        format!("dose {}/{}", injection.dose_number, injection.series_doses)
    };
    let place = injection
        .place
        .clone()
        .unwrap_or_else(|| injection.structure_name.clone());
    view! {
        <p>
            <strong data-testid="injection-time">{format::date_time(injection.administered_at)}</strong>
            {format!(" — {} {} — ", injection.product_name, dose)}
            <span data-testid="injection-lot">{format!("lot {}", injection.lot_number)}</span>
            {format!(" — {} — {} ({})", injection.site.label(), place, injection.vaccinator)}
            {invalid.then_some(" — invalidée")}
            {corrected.then(|| view! { <span data-testid="injection-corrected">" — corrigée"</span> })}
        </p>
        {injection
            .typed_by
            .clone()
            .map(|typist| view! { <p class="hint">{format!("Saisie par {typist} (saisie déléguée)")}</p> })}
        {injection
            .contest
            .as_ref()
            .map(|contest| {
                view! {
                    <p class="contest" data-testid="injection-contest">
                        {contest_line(contest)}
                    </p>
                }
            })}
    }
}

/// An injection's time as a `datetime-local` field shows it: Paris time.
fn paris_field(at: DateTime<Utc>) -> String {
    format::date_time_field(paris::from_utc(at))
}

/// The other lots an injection may be corrected to: usable lots of the same product in the
/// structure where it was given (the server checks them again, with the expiry date).
fn other_lots(injection: &InjectionView) -> Vec<LotView> {
    use_context::<StoredValue<VaccinationContext>>()
        .and_then(|context| {
            context.try_with_value(|c| {
                c.structures
                    .iter()
                    .find(|s| s.finess == injection.structure_finess)
                    .map(|s| {
                        s.lots
                            .iter()
                            .filter(|l| {
                                l.active
                                    && l.product_code == injection.product_code
                                    && l.number != injection.lot_number
                            })
                            .cloned()
                            .collect::<Vec<_>>()
                    })
            })
        })
        .flatten()
        .unwrap_or_default()
}

/// An earlier dose on the recap, with what may still be done about it: correct its lot, site or
/// time, invalidate it (both within 24 h, with a reason), declare an adverse effect.
#[component]
pub fn CorrectableDose(
    injection: InjectionView,
    history: RwSignal<Vec<InjectionView>>,
) -> impl IntoView {
    let id = injection.id;
    let invalid = injection.status == InjectionStatus::Invalidated;
    let reason = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    // The server's refusal, or a time that cannot be read.
    let problem = RwSignal::new(None::<String>);
    // The correction starts from the entry as it is; only what differs is sent.
    let site_before = injection.site;
    let time_before = StoredValue::new(paris_field(injection.administered_at));
    let corrected_site = RwSignal::new(site_before);
    // `None`: the lot stays.
    let corrected_lot = RwSignal::new(None::<Uuid>);
    let corrected_time = RwSignal::new(time_before.get_value());
    let lots = other_lots(&injection);
    let lot_before = injection.lot_number.clone();
    // A correction (`Some`) or an invalidation (`None`): the server keeps the earlier version.
    let change = Action::new_local(
        move |(reason, correction): &(String, Option<InjectionCorrection>)| {
            let (reason, correction) = (reason.clone(), correction.clone());
            async move {
                let answer = match correction {
                    Some(correction) => api::correct(id, &correction).await,
                    None => api::invalidate(id, reason).await,
                };
                match answer {
                    // The list shows the entry as it now is.
                    Ok(updated) => history.update(|h| {
                        for i in h.iter_mut().filter(|i| i.id == id) {
                            *i = updated.clone();
                        }
                    }),
                    Err(e) => problem.set(Some(e.message)),
                }
            }
        },
    );
    let pending = change.pending();
    let correct = move |_| {
        problem.set(None);
        let typed = corrected_time.get_untracked();
        let administered_at = if time_before.with_value(|t| *t == typed) {
            None
        } else {
            match typed_paris_time(&typed) {
                Ok(Some(at)) => Some(at),
                Ok(None) => {
                    problem.set(Some("Indiquez la date et l'heure de l'injection.".into()));
                    return;
                }
                Err(message) => {
                    problem.set(Some(message));
                    return;
                }
            }
        };
        let site = Some(corrected_site.get_untracked()).filter(|s| *s != site_before);
        let lot_id = corrected_lot.get_untracked();
        if site.is_none() && lot_id.is_none() && administered_at.is_none() {
            problem.set(Some(
                "Rien à corriger : modifiez le lot, le site ou l'heure de l'injection.".into(),
            ));
            return;
        }
        let reason = reason.get_untracked();
        change.dispatch((
            reason.clone(),
            Some(InjectionCorrection {
                reason,
                lot_id,
                site,
                administered_at,
            }),
        ));
    };
    let declare = Action::new_local(move |description: &String| {
        let description = description.clone();
        async move {
            match api::adverse_effect(id, description).await {
                Ok(recorded) => {
                    if let Some(window) = web_sys::window() {
                        let _ = window.open_with_url_and_target(&recorded.portal_url, "_blank");
                    }
                    notice.set(Some(format!(
                        "Déclaration enregistrée. Portail ouvert dans un nouvel onglet ; à y reporter : {}",
                        recorded.context
                    )));
                }
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });
    let no_reason = move || reason.with(|r| r.trim().is_empty()) || pending.get();
    // Opened from the entry screen's link to this dose: its form open.
    let opened = window().location().hash().ok().as_deref() == Some(format!("#dose-{id}").as_str());
    view! {
        <li class:invalidated=invalid data-testid="injection" id=format!("dose-{id}")>
            <DoseSummary injection=injection.clone() />
            <Show when=move || !invalid>
                <details class="correction" data-testid="correction" open=opened>
                    <summary>"Corriger, invalider ou déclarer un effet indésirable"</summary>
                    <div class="field">
                        <label for=format!("heure-{id}")>"Date et heure de l'injection (heure de Paris)"</label>
                        <input id=format!("heure-{id}") type="datetime-local" data-testid="correction-time"
                            prop:value=corrected_time on:change=move |ev| corrected_time.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for=format!("lot-{id}")>"Lot"</label>
                        <select id=format!("lot-{id}") data-testid="correction-lot" on:change=move |ev| {
                            corrected_lot.set(event_target_value(&ev).parse().ok());
                        }>
                            <option value="" selected=move || corrected_lot.with(Option::is_none)>
                                {format!("{lot_before} (inchangé)")}
                            </option>
                            {lots.iter().map(|l| {
                                let lot_id = l.id;
                                view! {
                                    <option value=lot_id.to_string() selected=move || corrected_lot.get() == Some(lot_id)>
                                        {format!("{} (exp. {})", l.number, format::day(l.expires_on))}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for=format!("site-{id}")>"Site d'injection"</label>
                        <select id=format!("site-{id}") data-testid="correction-site" on:change=move |ev| {
                            if let Some(s) = InjectionSite::from_code(&event_target_value(&ev)) {
                                corrected_site.set(s);
                            }
                        }>
                            {InjectionSite::ALL.into_iter().map(|s| view! {
                                <option value=s.code() selected=move || corrected_site.get() == s>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for=format!("motif-{id}")>"Motif ou description (obligatoire)"</label>
                        <input id=format!("motif-{id}") type="text" data-testid="correction-reason" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </div>
                    {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error" data-testid="correction-error">{m}</p> })}
                    <div class="actions">
                        <button type="button" class="button button-danger" disabled=no_reason
                            on:click=move |_| {
                                problem.set(None);
                                change.dispatch((reason.get_untracked(), None));
                            }>
                            "Invalider (24 h)"
                        </button>
                        <button type="button" class="button" data-testid="correction-save" disabled=no_reason on:click=correct>
                            "Corriger (24 h)"
                        </button>
                        <button type="button" class="button button-quiet" disabled=move || reason.with(|r| r.trim().is_empty())
                            on:click=move |_| { declare.dispatch(reason.get_untracked()); }>
                            "Déclarer un effet indésirable"
                        </button>
                    </div>
                </details>
            </Show>
            {move || notice.get().map(|n| view! { <p class="alert alert-info" role="status">{n}</p> })}
        </li>
    }
}
