//! The manager's part of "/structure": for each structure I manage, its address and opening
//! hours, and the staff allowed to type under delegation — declare someone (CPE card number,
//! name, role), give them a new passkey link (24 h, shown with its QR code for their tablet),
//! withdraw them (their open delegated sessions end at once).

use chrono::NaiveTime;
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use uuid::Uuid;
use vigie_shared::{
    CpeNumber,
    api::delegation::{
        DayHours, OpeningHours, StaffDeclaration, StaffEnrolment, StaffView, StructureDetails,
        StructureUpdate,
    },
};

use crate::{
    api,
    components::{
        identifier::{CpeField, CpeInput},
        text_field::TextField,
    },
    credentials::StaffKeys,
    format,
};

/// Roles offered when declaring someone (any other may be typed).
const ROLES: [&str; 4] = [
    "Secrétaire médicale",
    "Agent d'accueil",
    "Assistant médical",
    "Agent administratif",
];

/// Every structure I manage (nothing at all when I manage none).
#[component]
pub fn ManagedStructures() -> impl IntoView {
    let managed = LocalResource::new(api::managed_structures);
    move || match managed.get() {
        None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
        Some(Err(error)) => view! {
            <p role="alert" class="alert alert-error">
                {error.message}
            </p>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|details| view! { <StructureManager details /> })
            .collect_view()
            .into_any(),
    }
}

#[component]
fn StructureManager(details: StructureDetails) -> impl IntoView {
    let id = details.id;
    let title_id = format!("gestion-{id}");
    let labelled_by = title_id.clone();
    view! {
        <section class="card managed-structure" aria-labelledby=labelled_by data-testid="managed-structure">
            <h2 id=title_id>{format!("Gestion — {}", details.name)}</h2>
            <HoursEditor details />
            <StaffManager structure=id />
        </section>
    }
}

/// One day of the week as the form holds it.
#[derive(Clone, Copy)]
struct DayForm {
    open: RwSignal<bool>,
    opens: RwSignal<String>,
    closes: RwSignal<String>,
}

/// "08:00" from the `<input type="time">` (some browsers add seconds).
fn parse_time(typed: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(typed, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(typed, "%H:%M:%S"))
        .ok()
}

/// The week as typed, checked as the server checks it (French message for the form).
fn hours_from(days: &[(bool, String, String)]) -> Result<OpeningHours, String> {
    let mut hours = OpeningHours::default();
    for ((slot, (open, opens, closes)), name) in
        hours.days.iter_mut().zip(days).zip(OpeningHours::DAY_NAMES)
    {
        if !open {
            continue;
        }
        let (Some(opens), Some(closes)) = (parse_time(opens), parse_time(closes)) else {
            return Err(format!(
                "{name} : indiquez l'heure d'ouverture et l'heure de fermeture."
            ));
        };
        *slot = Some(DayHours { opens, closes });
    }
    hours.check()?;
    Ok(hours)
}

#[component]
fn HoursEditor(details: StructureDetails) -> impl IntoView {
    let id = details.id;
    let address = RwSignal::new(details.address.clone());
    let days: Vec<DayForm> = details
        .opening_hours
        .days
        .iter()
        .map(|day| DayForm {
            open: RwSignal::new(day.is_some()),
            opens: RwSignal::new(
                day.map(|d| d.opens.format("%H:%M").to_string())
                    .unwrap_or_else(|| "09:00".to_owned()),
            ),
            closes: RwSignal::new(
                day.map(|d| d.closes.format("%H:%M").to_string())
                    .unwrap_or_else(|| "18:00".to_owned()),
            ),
        })
        .collect();
    let days = StoredValue::new(days);
    let notice = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);

    let save = Action::new_local(move |body: &StructureUpdate| {
        let body = body.clone();
        async move {
            match api::structure_update(id, &body).await {
                Ok(saved) => {
                    address.set(saved.address);
                    notice.set(Some("Adresse et horaires enregistrés.".to_owned()));
                }
                Err(error) => problem.set(Some(error.message)),
            }
        }
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        problem.set(None);
        let typed: Vec<_> = days.with_value(|days| {
            days.iter()
                .map(|d| {
                    (
                        d.open.get_untracked(),
                        d.opens.get_untracked(),
                        d.closes.get_untracked(),
                    )
                })
                .collect()
        });
        let address = address.get_untracked().trim().to_owned();
        if address.is_empty() {
            problem.set(Some("Indiquez l'adresse de la structure.".to_owned()));
            return;
        }
        match hours_from(&typed) {
            Ok(opening_hours) => {
                save.dispatch(StructureUpdate {
                    address,
                    opening_hours,
                });
            }
            Err(message) => problem.set(Some(message)),
        }
    };

    let address_id = format!("adresse-{id}");
    let rows = days.with_value(|days| {
        days.iter()
            .zip(OpeningHours::DAY_NAMES)
            .enumerate()
            .map(|(n, (day, name))| day_row(id, n, name, *day))
            .collect_view()
    });
    view! {
        <form class="form" on:submit=on_submit novalidate data-testid="hours-form">
            <h3>"Adresse et horaires d'ouverture"</h3>
            <TextField id=address_id label="Adresse" value=address maxlength=200 autocomplete="street-address" />
            <fieldset class="fieldset">
                <legend>"Horaires d'ouverture (heure de Paris)"</legend>
                <div class="hours">{rows}</div>
            </fieldset>
            <button type="submit" class="button" disabled=move || save.pending().get()>
                "Enregistrer l'adresse et les horaires"
            </button>
            <div role="status" class="notice-area">
                {move || notice.get().map(|n| view! { <p class="alert alert-success">{n}</p> })}
            </div>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
        </form>
    }
}

fn day_row(structure: Uuid, n: usize, name: &'static str, day: DayForm) -> impl IntoView {
    let base = format!("jour-{structure}-{n}");
    let open_id = format!("{base}-ouvert");
    let open_for = open_id.clone();
    let lower = name.to_lowercase();
    let lower_for_label = lower.clone();
    // An hour of the day, typed only when the day is open.
    let time = move |what: &str, value: RwSignal<String>| {
        let id = format!("{base}-{}", what.to_lowercase());
        let label_for = id.clone();
        view! {
            <div class="field">
                <label for=label_for>{format!("{what} du {lower}")}</label>
                <input
                    id=id
                    type="time"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </div>
        }
    };
    view! {
        <div class="hours-day" data-testid="hours-day">
            <label class="check" for=open_for>
                <input
                    id=open_id
                    type="checkbox"
                    prop:checked=move || day.open.get()
                    on:change=move |ev| day.open.set(event_target_checked(&ev))
                />
                {format!("Ouvert le {lower_for_label}")}
            </label>
            // A closed day says so, instead of showing hours that do not apply.
            <Show
                when=move || day.open.get()
                fallback=move || view! { <p class="hours-closed" data-testid="day-closed">{format!("{name} : fermé")}</p> }
            >
                <div class="hours-times">{time("Ouverture", day.opens)} {time("Fermeture", day.closes)}</div>
            </Show>
        </div>
    }
}

/// The staff list, the declaration form, and the last passkey link made.
#[component]
fn StaffManager(structure: Uuid) -> impl IntoView {
    let staff = LocalResource::new(move || api::structure_staff(structure));
    let enrolment = RwSignal::new(None::<StaffEnrolment>);
    let problem = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let title_id = format!("personnel-{structure}");

    // A new link, or a withdrawal: the list is read again, and the outcome said.
    let act = move |staff_id: Uuid, withdraw: bool| {
        problem.set(None);
        notice.set(None);
        spawn_local(async move {
            if withdraw {
                match api::staff_withdraw(structure, staff_id).await {
                    Ok(view) => {
                        enrolment.try_update(|e| {
                            if e.as_ref().is_some_and(|e| e.staff.id == staff_id) {
                                *e = None;
                            }
                        });
                        notice.try_set(Some(format!(
                            "{} {} est retiré(e) : ses sessions de saisie déléguée sont terminées.",
                            view.first_name, view.last_name
                        )));
                    }
                    Err(error) => {
                        problem.try_set(Some(error.message));
                    }
                }
            } else {
                match api::staff_enrolment(structure, staff_id).await {
                    Ok(link) => {
                        enrolment.try_set(Some(link));
                    }
                    Err(error) => {
                        problem.try_set(Some(error.message));
                    }
                }
            }
            staff.refetch();
        });
    };

    view! {
        <h3 id=title_id.clone()>"Personnel habilité à la saisie déléguée"</h3>
        <div role="status" class="notice-area">
            {move || notice.get().map(|n| view! { <p class="alert alert-info">{n}</p> })}
        </div>
        {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
        {move || enrolment.get().map(|enrolment| view! { <EnrolmentLink enrolment /> })}
        {move || match staff.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(error)) => view! { <p role="alert" class="alert alert-error">{error.message}</p> }
                .into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="empty">"Aucun membre du personnel déclaré."</p>
            }
            .into_any(),
            Some(Ok(list)) => view! {
                <ul class="staff-list" aria-labelledby=title_id.clone()>
                    {list
                        .into_iter()
                        .map(|member| staff_row(structure, member, act))
                        .collect_view()}
                </ul>
            }
            .into_any(),
        }}
        <DeclareForm structure enrolment on_declared=move || staff.refetch() />
    }
}

fn staff_row(
    structure: Uuid,
    member: StaffView,
    act: impl Fn(Uuid, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = member.id;
    // Her passkeys, listed on demand (a lost tablet's key is revoked there).
    let showing_keys = RwSignal::new(false);
    let keys = (!withdrawn_or_keyless(&member)).then(|| {
        view! {
            <button
                type="button"
                class="button button-quiet"
                data-testid="staff-keys-toggle"
                aria-expanded=move || showing_keys.get().to_string()
                on:click=move |_| showing_keys.update(|open| *open = !*open)
            >
                {move || {
                    if showing_keys.get() { "Masquer les clés d'accès" } else { "Clés d'accès" }
                }}
            </button>
            <Show when=move || showing_keys.get()>
                <StaffKeys structure staff=id />
            </Show>
        }
    });
    let name = format!("{} {}", member.first_name, member.last_name);
    let confirming = RwSignal::new(false);
    let withdrawn = member.withdrawn_at;
    let authorised = if member.authorised_by.is_empty() {
        "personne pour l'instant".to_owned()
    } else {
        member.authorised_by.join(", ")
    };
    let title_id = format!("membre-{id}");
    let actions = withdrawn.is_none().then(|| {
        let name = name.clone();
        view! {
            <div class="actions">
                <button
                    type="button"
                    class="button"
                    data-testid="staff-new-link"
                    on:click=move |_| act(id, false)
                >
                    "Nouveau lien de clé d'accès"
                </button>
                <Show when=move || !confirming.get()>
                    <button
                        type="button"
                        class="button button-danger"
                        data-testid="staff-withdraw"
                        on:click=move |_| confirming.set(true)
                    >
                        "Retirer"
                    </button>
                </Show>
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label="Confirmer le retrait">
                    <p>
                        {format!(
                            "Retirer {name} ? Ses sessions de saisie déléguée en cours seront \
                             terminées, et elle ou il ne pourra plus en ouvrir."
                        )}
                    </p>
                    <div class="actions">
                        <button
                            type="button"
                            class="button button-danger"
                            data-testid="staff-withdraw-confirm"
                            on:click=move |_| {
                                confirming.set(false);
                                act(id, true);
                            }
                        >
                            "Oui, retirer"
                        </button>
                        <button
                            type="button"
                            class="button button-quiet"
                            on:click=move |_| confirming.set(false)
                        >
                            "Annuler"
                        </button>
                    </div>
                </div>
            </Show>
        }
    });
    let labelled_by = title_id.clone();
    view! {
        <li class="staff-member" data-testid="staff-row" aria-labelledby=labelled_by>
            <h4 id=title_id>{name.clone()}</h4>
            <dl class="facts">
                <div>
                    <dt>"Fonction"</dt>
                    <dd>{member.role.clone()}</dd>
                </div>
                <div>
                    <dt>"N° de carte CPE"</dt>
                    <dd class="tabular">{member.cpe_number.clone()}</dd>
                </div>
                <div>
                    <dt>"Clé d'accès"</dt>
                    <dd data-testid="staff-passkey">
                        {if member.passkey_enrolled { "créée" } else { "pas encore créée" }}
                    </dd>
                </div>
                <div>
                    <dt>"Autorisé(e) par"</dt>
                    <dd>{authorised}</dd>
                </div>
                <div>
                    <dt>"Sessions ouvertes"</dt>
                    <dd>{member.open_sessions}</dd>
                </div>
                {withdrawn
                    .map(|at| {
                        view! {
                            <div>
                                <dt>"Retiré(e) le"</dt>
                                <dd>{format::date_time(at)}</dd>
                            </div>
                        }
                    })}
            </dl>
            {actions}
            {keys}
        </li>
    }
}

/// Nothing to list: withdrawn (her keys went with her), or no passkey created yet.
fn withdrawn_or_keyless(member: &StaffView) -> bool {
    member.withdrawn_at.is_some() || !member.passkey_enrolled
}

/// The link for the staff member's tablet, and its QR code. Not a link here: opening it on
/// this device would create the passkey on the wrong one.
#[component]
fn EnrolmentLink(enrolment: StaffEnrolment) -> impl IntoView {
    let name = format!(
        "{} {}",
        enrolment.staff.first_name, enrolment.staff.last_name
    );
    // A new link replaces the keys the person held: say so.
    let revoked = match enrolment.revoked_passkeys {
        0 => None,
        1 => Some(
            "Son ancienne clé d'accès a été retirée : elle ne permet plus de se connecter."
                .to_owned(),
        ),
        n => Some(format!(
            "Ses {n} anciennes clés d'accès ont été retirées : elles ne permettent plus de se connecter."
        )),
    };
    view! {
        <div class="enrolment" data-testid="staff-enrolment" role="status">
            <h4>{format!("Lien de clé d'accès pour {name}")}</h4>
            {revoked.map(|text| view! { <p data-testid="staff-enrolment-revoked">{text}</p> })}
            <p>
                <strong>"À ouvrir sur la tablette de la personne, valable 24 h"</strong>
                {format!(" (jusqu'au {}).", format::long_date_time(enrolment.expires_at))}
            </p>
            <div
                class="qr"
                data-testid="staff-enrolment-qr"
                role="img"
                aria-label=format!("QR code du lien de clé d'accès pour {name}")
                inner_html=enrolment.qr_svg
            ></div>
            <p class="hint">"La tablette ne peut pas scanner ? Ouvrez ce lien sur la tablette :"</p>
            <p class="link-text" data-testid="staff-enrolment-link">
                {enrolment.link}
            </p>
        </div>
    }
}

#[component]
fn DeclareForm(
    structure: Uuid,
    enrolment: RwSignal<Option<StaffEnrolment>>,
    on_declared: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let cpe = CpeInput::new(CpeNumber::parse, "");
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let declare = Action::new_local(move |body: &StaffDeclaration| {
        let body = body.clone();
        async move {
            match api::staff_declare(structure, &body).await {
                Ok(link) => {
                    enrolment.set(Some(link));
                    cpe.clear();
                    first_name.set(String::new());
                    last_name.set(String::new());
                    role.set(String::new());
                    on_declared();
                }
                Err(error) => problem.set(Some(error.message)),
            }
        }
    });
    let ready = move || {
        !cpe.is_invalid()
            && [first_name, last_name, role]
                .iter()
                .all(|field| field.with(|v| !v.trim().is_empty()))
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        problem.set(None);
        let Some(cpe_number) = cpe.value() else {
            return;
        };
        if ready() && !declare.pending().get_untracked() {
            declare.dispatch(StaffDeclaration {
                cpe_number,
                first_name: first_name.get_untracked().trim().to_owned(),
                last_name: last_name.get_untracked().trim().to_owned(),
                role: role.get_untracked().trim().to_owned(),
            });
        }
    };
    let ids = |what: &str| format!("{what}-{structure}");
    let list_id = ids("fonctions");
    view! {
        <form class="form declare-staff" on:submit=on_submit novalidate data-testid="declare-staff">
            <h3>"Déclarer un membre du personnel"</h3>
            <CpeField input=cpe id=ids("cpe-personnel") autocomplete="off" />
            <TextField id=ids("prenom") label="Prénom" value=first_name />
            <TextField id=ids("nom") label="Nom" value=last_name />
            <TextField
                id=ids("fonction")
                label="Fonction"
                hint="Par exemple « Secrétaire médicale » ou « Agent d'accueil »."
                value=role
                list=list_id.clone()
            />
            <datalist id=list_id>
                {ROLES.iter().map(|r| view! { <option value=*r></option> }).collect_view()}
            </datalist>
            <button
                type="submit"
                class="button"
                data-testid="declare-staff-submit"
                disabled=move || !ready() || declare.pending().get()
            >
                "Déclarer et créer son lien de clé d'accès"
            </button>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error">{m}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(open: bool, opens: &str, closes: &str) -> (bool, String, String) {
        (open, opens.to_owned(), closes.to_owned())
    }

    #[test]
    fn the_week_is_read_from_the_form() {
        let mut week = vec![day(false, "", ""); 7];
        week[0] = day(true, "08:00", "19:00");
        week[5] = day(true, "09:30:00", "12:00");
        let hours = hours_from(&week).expect("hours");
        assert_eq!(
            hours.days[0].map(|d| d.opens.format("%H:%M").to_string()),
            Some("08:00".into())
        );
        assert!(hours.days[1].is_none());
        assert!(hours.days[5].is_some());

        week[2] = day(true, "", "18:00");
        assert_eq!(
            hours_from(&week).expect_err("missing"),
            "Mercredi : indiquez l'heure d'ouverture et l'heure de fermeture."
        );
        week[2] = day(true, "18:00", "08:00");
        assert_eq!(
            hours_from(&week).expect_err("backwards"),
            "Mercredi : l'heure de fermeture doit suivre l'heure d'ouverture."
        );
    }
}
