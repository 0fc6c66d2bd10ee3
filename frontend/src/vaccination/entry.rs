//! "/vaccination": the tablet's entry flow, built for patient after patient. NIR first (checked
//! as typed; Enter searches), the returning patient's identity and history come back, and the
//! next dose is prefilled (the series' product — for a new patient, none until the birth date is
//! known, then the one recommended for their age —, the structure's lot of the day, the last
//! site, now): eligibility, consent, save. Warnings need an explicit tick. Each save carries a key
//! made when the form opened, so a retry after a network failure never records twice.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use leptos::{html, prelude::*};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode, Finess, Nir, NirContext, Sex,
    api::vaccination::{
        ConsultationInput, ConsultationOutcome, DosePreview, DosePreviewRequest, InjectionInput,
        InjectionSite, InjectionStatus, InjectionView, NewPatient, NewVaccination, PatientFile,
        PatientRef, PatientSearch, VaccinationContext, VaccinationRecorded, WarningCode,
    },
    paris,
};

use super::api;
use crate::{
    format,
    pages::{set_title, supervision::contest_line},
};

#[derive(Clone)]
enum Stage {
    Search,
    /// Found by NIR (`nir` set; `file` absent for a first vaccination) or by name (`nir` unknown).
    Patient {
        nir: Option<Nir>,
        file: Option<PatientFile>,
    },
    Recorded {
        recorded: VaccinationRecorded,
        name: String,
    },
}

#[component]
pub fn VaccinationEntry() -> impl IntoView {
    set_title("Saisie des vaccinations");
    let context = LocalResource::new(api::context);
    view! {
        <h1>"Saisie des vaccinations"</h1>
        {move || match context.get() {
            None => view! { <p class="muted">"Chargement…"</p> }.into_any(),
            Some(Err(error)) => {
                view! {
                    <p role="alert" class="alert alert-error">
                        {error.message}
                        " "
                        <a href="/connexion">"Se connecter"</a>
                    </p>
                }
                    .into_any()
            }
            Some(Ok(context)) if context.structures.is_empty() => {
                view! {
                    <p class="alert alert-info">
                        "Vous n'êtes rattaché à aucune structure : la saisie n'est pas possible."
                    </p>
                }
                    .into_any()
            }
            Some(Ok(context)) => view! { <Entry context /> }.into_any(),
        }}
    }
}

#[component]
fn Entry(context: VaccinationContext) -> impl IntoView {
    let context = StoredValue::new(context);
    let structure = RwSignal::new(context.with_value(|c| c.structures[0].id));
    let stage = RwSignal::new(Stage::Search);
    view! {
        <Show when=move || context.with_value(|c| c.structures.len() > 1)>
            <div class="field">
                <label for="structure">"Lieu de vaccination"</label>
                <select
                    id="structure"
                    on:change=move |ev| {
                        if let Ok(id) = event_target_value(&ev).parse() {
                            structure.set(id);
                        }
                    }
                >
                    {context
                        .with_value(|c| {
                            c.structures
                                .iter()
                                .map(|s| {
                                    view! { <option value=s.id.to_string()>{s.name.clone()}</option> }
                                })
                                .collect_view()
                        })}
                </select>
            </div>
        </Show>
        {move || match stage.get() {
            Stage::Search => view! { <SearchStep stage /> }.into_any(),
            Stage::Patient { nir, file } => {
                view! { <DoseForm context structure=structure.get_untracked() nir file stage /> }
                    .into_any()
            }
            Stage::Recorded { recorded, name } => {
                view! { <RecordedStep recorded name stage /> }.into_any()
            }
        }}
    }
}

#[component]
fn SearchStep(stage: RwSignal<Stage>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let parsed = Memo::new(move |_| typed.with(|t| Nir::parse(t)));
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let lookup = Action::new_local(move |nir: &Nir| {
        let nir = nir.clone();
        async move {
            let found = api::lookup(nir.clone()).await?;
            stage.set(Stage::Patient {
                nir: Some(nir),
                file: found.patient,
            });
            Ok::<(), ApiError>(())
        }
    });
    let pending = lookup.pending();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(nir) = parsed.get_untracked()
            && !pending.get_untracked()
        {
            lookup.dispatch(nir);
        }
    };
    let shown_error = move || {
        if typed.with(String::is_empty) {
            None
        } else {
            parsed.get().err().map(|e| e.to_string())
        }
    };
    view! {
        <form class="card form" on:submit=on_submit novalidate>
            <h2>"Patient"</h2>
            <div class="field">
                <label for="nir">"NIR (numéro de sécurité sociale, 15 caractères)"</label>
                <input
                    id="nir"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    spellcheck="false"
                    node_ref=input
                    aria-describedby="nir-error"
                    aria-invalid=move || shown_error().is_some().to_string()
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                    data-testid="nir"
                />
                <p id="nir-error" class="field-error" aria-live="polite">
                    {shown_error}
                </p>
            </div>
            <button
                type="submit"
                class="button button-wide"
                data-testid="nir-search"
                disabled=move || parsed.with(Result::is_err) || pending.get()
            >
                {move || if pending.get() { "Recherche…" } else { "Rechercher" }}
            </button>
            {move || {
                lookup
                    .value()
                    .get()
                    .and_then(Result::err)
                    .map(|e| view! { <p role="alert" class="alert alert-error">{e.message}</p> })
            }}
        </form>
        <NameSearch stage />
    }
}

/// The other way in: family name and birth date, among the patients I may see.
#[component]
fn NameSearch(stage: RwSignal<Stage>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let birth = RwSignal::new(String::new());
    let search = Action::new_local(move |(name, birth): &(String, NaiveDate)| {
        let body = PatientSearch {
            family_name: name.clone(),
            birth_date: *birth,
        };
        async move { api::search(&body).await }
    });
    let open = Action::new_local(move |id: &Uuid| {
        let id = *id;
        async move {
            let file = api::patient(id).await?;
            stage.set(Stage::Patient {
                nir: None,
                file: Some(file),
            });
            Ok::<(), ApiError>(())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(date) = NaiveDate::parse_from_str(&birth.get_untracked(), "%Y-%m-%d") {
            search.dispatch((name.get_untracked(), date));
        }
    };
    view! {
        <details class="card">
            <summary>"Rechercher par nom et date de naissance"</summary>
            <form class="form" on:submit=on_submit novalidate>
                <div class="field">
                    <label for="recherche-nom">"Nom de naissance (début)"</label>
                    <input id="recherche-nom" type="text" autocomplete="off" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="recherche-naissance">"Date de naissance"</label>
                    <input id="recherche-naissance" type="date" prop:value=birth on:change=move |ev| birth.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class="button" disabled=move || name.with(|n| n.trim().is_empty()) || birth.with(String::is_empty)>
                    "Rechercher"
                </button>
            </form>
            {move || search.value().get().map(|result| match result {
                Ok(found) if found.is_empty() => view! {
                    <p class="empty">"Aucun de vos patients ne correspond : recherchez par NIR."</p>
                }.into_any(),
                Ok(found) => view! {
                    <ul class="link-list">
                        {found.into_iter().map(|p| {
                            let id = p.id;
                            view! {
                                <li>
                                    <button type="button" class="button button-quiet" on:click=move |_| { open.dispatch(id); }>
                                        {format!("{} {} — né(e) le {} — {}", p.given_names, p.family_name, p.birth_date.format("%d/%m/%Y"), p.nir_masked)}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p role="alert" class="alert alert-error">{e.message}</p> }.into_any(),
            })}
        </details>
    }
}

fn outcome_of(code: &str) -> ConsultationOutcome {
    match code {
        "postpone" => ConsultationOutcome::Postpone,
        "contraindicated" => ConsultationOutcome::Contraindicated,
        _ => ConsultationOutcome::Vaccinate,
    }
}

/// The typed identity of a new patient.
#[derive(Clone, Copy)]
struct Identity {
    family_name: RwSignal<String>,
    given_names: RwSignal<String>,
    birth_date: RwSignal<String>,
    sex: RwSignal<Option<Sex>>,
    department: RwSignal<String>,
    esms: RwSignal<String>,
}

impl Identity {
    fn new(nir: Option<&Nir>) -> Self {
        Self {
            family_name: RwSignal::new(String::new()),
            given_names: RwSignal::new(String::new()),
            birth_date: RwSignal::new(String::new()),
            sex: RwSignal::new(nir.and_then(Nir::sex)),
            department: RwSignal::new(String::new()),
            esms: RwSignal::new(String::new()),
        }
    }

    fn birth(self) -> Option<NaiveDate> {
        self.birth_date
            .with(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }

    /// The new patient, or the first problem in French.
    fn patient(self, nir: Option<&Nir>) -> Result<NewPatient, String> {
        let nir = nir.ok_or("Recherchez d'abord le patient par son NIR.")?;
        let birth = self.birth().ok_or("Indiquez la date de naissance.")?;
        let sex = self.sex.get_untracked().ok_or("Indiquez le sexe.")?;
        Nir::parse_with(
            nir.as_str(),
            NirContext {
                sex: Some(sex),
                birth_date: Some(birth),
            },
        )
        .map_err(|e| e.to_string())?;
        let family_name = self.family_name.get_untracked();
        let given_names = self.given_names.get_untracked();
        if family_name.trim().is_empty() || given_names.trim().is_empty() {
            return Err("Indiquez le nom et le prénom.".into());
        }
        let esms = self.esms.get_untracked();
        let esms_finess = if esms.trim().is_empty() {
            None
        } else {
            Some(Finess::parse(&esms).map_err(|e| e.to_string())?)
        };
        Ok(NewPatient {
            nir: nir.clone(),
            family_name,
            given_names,
            birth_date: birth,
            sex,
            residence_department: self.department.get_untracked(),
            esms_finess,
        })
    }
}

#[component]
fn DoseForm(
    context: StoredValue<VaccinationContext>,
    structure: Uuid,
    nir: Option<Nir>,
    file: Option<PatientFile>,
    stage: RwSignal<Stage>,
) -> impl IntoView {
    // One key for this form, kept across retries: the server records it once.
    let key = StoredValue::new(Uuid::new_v4());
    let patient_id = file.as_ref().map(|f| f.id);
    let identity = Identity::new(nir.as_ref());
    let history = RwSignal::new(
        file.as_ref()
            .map(|f| f.injections.clone())
            .unwrap_or_default(),
    );
    let name = file
        .as_ref()
        .map(|f| format!("{} {}", f.given_names, f.family_name));
    let existing_birth = file.as_ref().map(|f| f.birth_date);

    let eligible = RwSignal::new(false);
    let consent = RwSignal::new(false);
    let contraindications = RwSignal::new(String::new());
    let outcome = RwSignal::new(ConsultationOutcome::Vaccinate);
    let postpone_reason = RwSignal::new(String::new());
    let product = RwSignal::new(None::<String>);
    let lot = RwSignal::new(None::<Uuid>);
    let site = RwSignal::new(InjectionSite::LeftDeltoid);
    let when = RwSignal::new(String::new());
    let confirmed = RwSignal::new(Vec::<WarningCode>::new());
    let preview = RwSignal::new(None::<DosePreview>);
    let problem = RwSignal::new(None::<String>);
    // Why there is no preview (an impossible birth or injection date…), in French.
    let preview_problem = RwSignal::new(None::<String>);
    // The birth date, known for a returning patient, typed for a new one.
    let birth_known = move || existing_birth.is_some() || identity.birth().is_some();

    // The time typed is Paris time on that date (summer or winter time as it was then),
    // whatever the tablet's zone or today's offset. Empty: now.
    let typed_time = move || -> Result<Option<DateTime<Utc>>, String> {
        let Some(local) = when.with(|w| NaiveDateTime::parse_from_str(w, "%Y-%m-%dT%H:%M").ok())
        else {
            return Ok(None);
        };
        paris::to_utc(local).map(Some).map_err(|_| {
            "Cette heure n'a pas existé à Paris : ce jour-là, les horloges sont passées de 02:00 à \
             03:00 (heure d'été). Indiquez l'heure lue sur une montre à l'heure."
                .to_owned()
        })
    };
    let administered_at = move || typed_time().ok().flatten();

    // No dose proposed: product, lot, preview and confirmations cleared (each only if set, so
    // that the preview is not asked for again).
    let forget_dose = move || {
        if product.with_untracked(Option::is_some) {
            product.set(None);
        }
        if lot.with_untracked(Option::is_some) {
            lot.set(None);
        }
        if preview.with_untracked(Option::is_some) {
            preview.set(None);
        }
        confirmed.set(Vec::new());
    };

    // The next dose: rank, warnings and defaults, each time the product, date or birth date change.
    let fetch_preview = Action::new_local(move |request: &DosePreviewRequest| {
        let request = request.clone();
        async move {
            match api::preview(&request).await {
                Ok(p) => {
                    if product.get_untracked().is_none() {
                        site.set(p.site);
                    }
                    // Setting the same product again would ask for the preview once more.
                    if product.get_untracked().as_deref() != Some(p.product_code.as_str()) {
                        product.set(Some(p.product_code.clone()));
                    }
                    // The lot of the day, unless one was chosen for this product already.
                    if lot.get_untracked().is_none() {
                        lot.set(p.lot_id);
                    }
                    confirmed.set(Vec::new());
                    preview_problem.set(None);
                    preview.set(Some(p));
                }
                Err(e) => {
                    // A date the server refuses (born in the future, vaccinated before birth…):
                    // no product, no lot, nothing to confirm, nothing to save until it is fixed.
                    if e.code == ErrorCode::InvalidInput {
                        forget_dose();
                    }
                    preview_problem.set(Some(e.message));
                }
            }
        }
    });
    Effect::new(move |_| {
        let birth = existing_birth.or_else(|| identity.birth());
        if patient_id.is_none() && birth.is_none() {
            // No birth date, no age: no product is proposed yet.
            forget_dose();
            preview_problem.set(None);
            return;
        }
        fetch_preview.dispatch(DosePreviewRequest {
            structure_id: structure,
            patient_id,
            birth_date: birth,
            product_code: product.get(),
            administered_at: administered_at(),
        });
    });

    let lots = move || {
        let chosen = product.get();
        context.with_value(|c| {
            c.structures
                .iter()
                .find(|s| s.id == structure)
                .map(|s| {
                    s.lots
                        .iter()
                        .filter(|l| l.active && Some(&l.product_code) == chosen.as_ref())
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };

    let save = Action::new_local(move |body: &NewVaccination| {
        let body = body.clone();
        async move { api::record(&body).await }
    });
    let saving = save.pending();
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(recorded) => {
                    let name = name.clone().unwrap_or_else(|| {
                        format!(
                            "{} {}",
                            identity.given_names.get_untracked(),
                            identity.family_name.get_untracked().to_uppercase()
                        )
                    });
                    stage.set(Stage::Recorded { recorded, name });
                }
                Err(ApiError {
                    code: ErrorCode::Network,
                    message,
                }) => problem.set(Some(format!(
                    "{message} Rien n'est perdu : appuyez de nouveau sur « Enregistrer »."
                ))),
                Err(e) => problem.set(Some(e.message)),
            }
        }
    });

    let nir_for_submit = nir.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        problem.set(None);
        let patient = match patient_id {
            Some(id) => PatientRef::Existing { id },
            None => match identity.patient(nir_for_submit.as_ref()) {
                Ok(p) => PatientRef::New(p),
                Err(message) => {
                    problem.set(Some(message));
                    return;
                }
            },
        };
        let outcome = outcome.get_untracked();
        let injection = if outcome == ConsultationOutcome::Vaccinate {
            let (Some(product_code), Some(lot_id)) = (product.get_untracked(), lot.get_untracked())
            else {
                problem.set(Some("Choisissez le vaccin et le lot.".into()));
                return;
            };
            if let Err(message) = typed_time() {
                problem.set(Some(message));
                return;
            }
            Some(InjectionInput {
                product_code,
                lot_id,
                site: site.get_untracked(),
                administered_at: administered_at(),
                confirmed_warnings: confirmed.get_untracked(),
            })
        } else {
            None
        };
        save.dispatch(NewVaccination {
            idempotency_key: key.get_value(),
            structure_id: structure,
            patient,
            consultation: ConsultationInput {
                eligible: eligible.get_untracked(),
                contraindications: contraindications.get_untracked(),
                consent: consent.get_untracked(),
                outcome,
                postpone_reason: Some(postpone_reason.get_untracked())
                    .filter(|r| !r.trim().is_empty()),
            },
            injection,
        });
    };

    let warnings_pending = move || {
        preview.with(|p| {
            p.as_ref().is_some_and(|p| {
                p.warnings
                    .iter()
                    .any(|w| !confirmed.with(|c| c.contains(&w.code)))
            })
        })
    };
    let vaccinate = move || outcome.get() == ConsultationOutcome::Vaccinate;
    let can_save = move || {
        !saving.get()
            && match outcome.get() {
                ConsultationOutcome::Vaccinate => {
                    eligible.get() && consent.get() && lot.get().is_some() && !warnings_pending()
                }
                ConsultationOutcome::Postpone => postpone_reason.with(|r| !r.trim().is_empty()),
                ConsultationOutcome::Contraindicated => true,
            }
    };

    let masked = file.as_ref().map(|f| f.nir_masked.clone());
    view! {
        <form class="card form" on:submit=on_submit novalidate data-testid="dose-form">
            {match file.clone() {
                Some(f) => {
                    view! {
                        <h2 data-testid="patient-name">
                            {format!("{} {}", f.given_names, f.family_name)}
                        </h2>
                        <p class="muted">
                            {format!(
                                "Né(e) le {} — NIR {}",
                                f.birth_date.format("%d/%m/%Y"),
                                masked.clone().unwrap_or_default(),
                            )}
                        </p>
                    }
                        .into_any()
                }
                None => view! { <NewPatientFields identity /> }.into_any(),
            }}
            <History history />
            <fieldset class="fieldset">
                <legend>"Consultation pré-vaccinale"</legend>
                <label class="check">
                    <input type="checkbox" prop:checked=eligible on:change=move |ev| eligible.set(event_target_checked(&ev)) data-testid="eligible" />
                    "Éligible à la vaccination"
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=consent on:change=move |ev| consent.set(event_target_checked(&ev)) data-testid="consent" />
                    "Consentement recueilli"
                </label>
                <div class="field">
                    <label for="contre-indications">"Contre-indications (aucune si vide)"</label>
                    <input id="contre-indications" type="text" prop:value=contraindications on:input=move |ev| contraindications.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="decision">"Décision"</label>
                    <select id="decision" on:change=move |ev| outcome.set(outcome_of(&event_target_value(&ev)))>
                        <option value="vaccinate">"Vacciner"</option>
                        <option value="postpone">"Reporter"</option>
                        <option value="contraindicated">"Contre-indication"</option>
                    </select>
                </div>
                <Show when=move || outcome.get() == ConsultationOutcome::Postpone>
                    <div class="field">
                        <label for="motif-report">"Motif du report"</label>
                        <input id="motif-report" type="text" prop:value=postpone_reason on:input=move |ev| postpone_reason.set(event_target_value(&ev)) />
                    </div>
                </Show>
            </fieldset>
            <Show when=vaccinate>
                <fieldset class="fieldset">
                    <legend>
                        "Injection"
                        {move || preview.with(|p| p.as_ref().map(|p| {
                            if p.booster {
                                format!(" — rappel (dose {})", p.dose_number)
                            } else {
                                format!(" — dose {}/{}", p.dose_number, p.series_doses)
                            }
                        }))}
                    </legend>
                    <div class="field">
                        <label for="vaccin">"Vaccin"</label>
                        <select id="vaccin" data-testid="product" disabled=move || !birth_known() on:change=move |ev| {
                            lot.set(None);
                            product.set(Some(event_target_value(&ev)).filter(|code| !code.is_empty()));
                        }>
                            <option value="" selected=move || product.with(Option::is_none)>
                                {move || if birth_known() {
                                    "— choisir un vaccin —"
                                } else {
                                    "— indiquez d'abord la date de naissance —"
                                }}
                            </option>
                            {context.with_value(|c| c.products.iter().filter(|p| p.active).map(|p| {
                                let code = p.code.clone();
                                let selected = move || product.get().as_deref() == Some(code.as_str());
                                view! { <option value=p.code.clone() selected=selected>{format!("{} ({})", p.name, p.manufacturer)}</option> }
                            }).collect_view())}
                        </select>
                    </div>
                    <div class="field">
                        <label for="lot">"Lot"</label>
                        <select id="lot" data-testid="lot" on:change=move |ev| lot.set(event_target_value(&ev).parse().ok())>
                            <option value="" selected=move || lot.get().is_none()>"— choisir un lot —"</option>
                            {move || lots().into_iter().map(|l| {
                                let id = l.id;
                                view! {
                                    <option value=l.id.to_string() selected=move || lot.get() == Some(id)>
                                        {format!("{} (expire le {})", l.number, l.expires_on.format("%d/%m/%Y"))}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="site">"Site d'injection"</label>
                        <select id="site" on:change=move |ev| {
                            if let Some(s) = InjectionSite::from_code(&event_target_value(&ev)) {
                                site.set(s);
                            }
                        }>
                            {InjectionSite::ALL.into_iter().map(|s| view! {
                                <option value=s.code() selected=move || site.get() == s>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="quand">"Date et heure (maintenant si vide)"</label>
                        <input id="quand" type="datetime-local" prop:value=when on:change=move |ev| when.set(event_target_value(&ev)) />
                    </div>
                    {move || preview_problem.get().map(|m| view! {
                        <p role="alert" class="alert alert-error" data-testid="preview-error">{m}</p>
                    })}
                    {move || preview.with(|p| p.as_ref().map(|p| p.warnings.iter().map(|w| {
                        let code = w.code;
                        view! {
                            <div class="alert alert-error" role="alert">
                                <p>{w.message.clone()}</p>
                                <label class="check">
                                    <input type="checkbox" data-testid="confirm-warning" on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        confirmed.update(|c| {
                                            c.retain(|x| *x != code);
                                            if on { c.push(code); }
                                        });
                                    } />
                                    "Je confirme en connaissance de cause"
                                </label>
                            </div>
                        }
                    }).collect_view()))}
                </fieldset>
            </Show>
            {move || problem.get().map(|m| view! { <p role="alert" class="alert alert-error" data-testid="dose-error">{m}</p> })}
            <div class="actions">
                <button type="submit" class="button button-wide" data-testid="save" disabled=move || !can_save()>
                    {move || if saving.get() { "Enregistrement…" } else { "Enregistrer" }}
                </button>
                <button type="button" class="button button-quiet" on:click=move |_| stage.set(Stage::Search)>
                    "Annuler"
                </button>
            </div>
        </form>
    }
}

#[component]
fn NewPatientFields(identity: Identity) -> impl IntoView {
    let sex_value = move || match identity.sex.get() {
        Some(Sex::Female) => "female",
        Some(Sex::Male) => "male",
        None => "",
    };
    view! {
        <h2>"Nouveau patient"</h2>
        <p class="muted">"Aucune vaccination enregistrée avec ce NIR : saisissez l'identité."</p>
        <div class="field">
            <label for="nom">"Nom de naissance"</label>
            <input id="nom" type="text" autocomplete="off" data-testid="family-name" prop:value=identity.family_name on:input=move |ev| identity.family_name.set(event_target_value(&ev)) />
        </div>
        <div class="field">
            <label for="prenoms">"Prénom(s)"</label>
            <input id="prenoms" type="text" autocomplete="off" data-testid="given-names" prop:value=identity.given_names on:input=move |ev| identity.given_names.set(event_target_value(&ev)) />
        </div>
        <div class="field">
            <label for="naissance">"Date de naissance"</label>
            <input id="naissance" type="date" data-testid="birth-date" prop:value=identity.birth_date on:change=move |ev| identity.birth_date.set(event_target_value(&ev)) />
        </div>
        <div class="field">
            <label for="sexe">"Sexe"</label>
            <select id="sexe" prop:value=sex_value on:change=move |ev| identity.sex.set(match event_target_value(&ev).as_str() {
                "female" => Some(Sex::Female),
                "male" => Some(Sex::Male),
                _ => None,
            })>
                <option value="">"—"</option>
                <option value="female">"Féminin"</option>
                <option value="male">"Masculin"</option>
            </select>
        </div>
        <div class="field">
            <label for="departement">"Département de résidence"</label>
            <input id="departement" type="text" inputmode="numeric" autocomplete="off" data-testid="department" prop:value=identity.department on:input=move |ev| identity.department.set(event_target_value(&ev)) />
        </div>
        <div class="field">
            <label for="esms">"FINESS de l'ES/ESMS de résidence (facultatif)"</label>
            <input id="esms" type="text" inputmode="numeric" autocomplete="off" prop:value=identity.esms on:input=move |ev| identity.esms.set(event_target_value(&ev)) />
        </div>
    }
}

/// Earlier doses, across structures, with what may still be done about each.
#[component]
fn History(history: RwSignal<Vec<InjectionView>>) -> impl IntoView {
    view! {
        <Show when=move || history.with(|h| !h.is_empty())>
            <h3>"Vaccinations enregistrées"</h3>
            <ul class="history" data-testid="history">
                {move || history.get().into_iter().map(|i| view! { <HistoryItem injection=i history /> }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn HistoryItem(injection: InjectionView, history: RwSignal<Vec<InjectionView>>) -> impl IntoView {
    let id = injection.id;
    let invalid = injection.status == InjectionStatus::Invalidated;
    let reason = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let corrected_site = RwSignal::new(injection.site);
    // A correction or an invalidation: the server keeps the earlier version.
    let change = Action::new_local(move |(reason, site): &(String, Option<InjectionSite>)| {
        let (reason, site) = (reason.clone(), *site);
        async move {
            let answer = match site {
                Some(site) => api::correct_site(id, reason, site).await,
                None => api::invalidate(id, reason).await,
            };
            match answer {
                Ok(updated) => history.update(|h| {
                    for i in h.iter_mut().filter(|i| i.id == id) {
                        *i = updated.clone();
                    }
                }),
                Err(e) => notice.set(Some(e.message)),
            }
        }
    });
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
                Err(e) => notice.set(Some(e.message)),
            }
        }
    });
    let dose = if injection.booster {
        format!("rappel (dose {})", injection.dose_number)
    } else {
        format!("dose {}/{}", injection.dose_number, injection.series_doses)
    };
    view! {
        <li class:invalidated=invalid>
            <p>
                <strong>{format::date_time(injection.administered_at)}</strong>
                {format!(
                    " — {} {} — lot {} — {} — {} ({})",
                    injection.product_name,
                    dose,
                    injection.lot_number,
                    injection.site.label(),
                    injection.structure_name,
                    injection.vaccinator,
                )}
                {invalid.then_some(" — invalidée")}
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
            <Show when=move || !invalid>
                <details>
                    <summary>"Corriger, invalider ou déclarer un effet indésirable"</summary>
                    <div class="field">
                        <label for=format!("site-{id}")>"Site d'injection corrigé"</label>
                        <select id=format!("site-{id}") on:change=move |ev| {
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
                        <label for=format!("motif-{id}")>"Motif ou description"</label>
                        <input id=format!("motif-{id}") type="text" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </div>
                    <div class="actions">
                        <button type="button" class="button button-danger" disabled=move || reason.with(|r| r.trim().is_empty())
                            on:click=move |_| { change.dispatch((reason.get_untracked(), None)); }>
                            "Invalider (24 h)"
                        </button>
                        <button type="button" class="button" disabled=move || reason.with(|r| r.trim().is_empty())
                            on:click=move |_| { change.dispatch((reason.get_untracked(), Some(corrected_site.get_untracked()))); }>
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

#[component]
fn RecordedStep(
    recorded: VaccinationRecorded,
    name: String,
    stage: RwSignal<Stage>,
) -> impl IntoView {
    let summary = match &recorded.injection {
        Some(i) => format!(
            "{name} : {} {} (lot {}) enregistrée.",
            i.product_name,
            if i.booster {
                format!("rappel, dose {}", i.dose_number)
            } else {
                format!("dose {}/{}", i.dose_number, i.series_doses)
            },
            i.lot_number
        ),
        None => format!("{name} : consultation enregistrée, sans injection."),
    };
    let next = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(el) = next.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="card">
            <p class="alert alert-success" role="status" data-testid="recorded">{summary}</p>
            <div class="actions">
                <button type="button" class="button" node_ref=next data-testid="next-patient" on:click=move |_| stage.set(Stage::Search)>
                    "Patient suivant"
                </button>
                <a class="button button-quiet" href=format!("/bilan/{}", recorded.patient_id) data-testid="open-bilan">
                    "Bilan de vaccination"
                </a>
            </div>
        </div>
    }
}
