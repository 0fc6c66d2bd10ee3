//! "/vaccination": the tablet's entry flow, built for patient after patient. NIR first (checked
//! as typed; Enter searches), the returning patient's identity and history come back, and the
//! next dose is prefilled (the series' product — for a new patient, none until the birth date is
//! known, then the one recommended for their age —, the structure's lot of the day, the last
//! site, now): eligibility, consent, save. Warnings need an explicit tick. Each save carries a key
//! made when the form opened, so a retry after a network failure never records twice.

use chrono::NaiveDate;
use leptos::{html, prelude::*};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode, Finess, IdError, Nir, NirContext, Sex,
    api::vaccination::{
        ConsultationInput, ConsultationOutcome, DosePreview, DosePreviewRequest, InjectionInput,
        InjectionSite, InjectionStatus, InjectionView, NewPatient, NewVaccination, PatientFile,
        PatientRef, PatientSearch, PlaceKind, VaccinationContext, VaccinationPlace,
        VaccinationRecorded, WarningCode,
    },
};
use wasm_bindgen::JsCast;

use super::{
    api,
    dose_line::{DoseSummary, typed_paris_time},
    draft,
    offline::{self, use_offline},
};
use crate::{format, pages::set_title};

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
    /// Saved on the device while offline: sent when the network returns.
    Queued {
        name: String,
    },
}

#[component]
pub fn VaccinationEntry() -> impl IntoView {
    set_title("Saisie des vaccinations");
    let offline = use_offline();
    let context = LocalResource::new(move || offline::context(offline));
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
    // Also for the corrections of earlier doses, which offer the structure's lots.
    provide_context(context);
    // A form reopened from its draft comes back under the place it was typed for.
    let drafted = draft::current()
        .and_then(|key| draft::load(&key))
        .and_then(|d| d.structure)
        .filter(|id| context.with_value(|c| c.structures.iter().any(|s| s.id == *id)));
    let structure =
        RwSignal::new(drafted.unwrap_or_else(|| context.with_value(|c| c.structures[0].id)));
    let stage = RwSignal::new(Stage::Search);
    reopen_draft(stage);
    forget_on_restore(stage);
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
                                    view! { <option value=s.id.to_string() selected=s.id == structure.get_untracked()>{s.name.clone()}</option> }
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
            Stage::Queued { name } => view! { <QueuedStep name stage /> }.into_any(),
        }}
    }
}

/// The draft's key: the NIR being entered, or the file's id when found by name.
fn draft_key(nir: Option<&Nir>, file: Option<&PatientFile>) -> Option<String> {
    nir.map(|n| n.as_str().to_owned())
        .or_else(|| file.map(|f| format!("patient:{}", f.id)))
}

/// After a reload (or coming back to this screen), the form left with a draft opens again.
fn reopen_draft(stage: RwSignal<Stage>) {
    let Some(key) = draft::current() else {
        return;
    };
    leptos::task::spawn_local(async move {
        let opened = if let Some(id) = key.strip_prefix("patient:") {
            match id.parse() {
                Ok(id) => api::patient(id).await.ok().map(|file| Stage::Patient {
                    nir: None,
                    file: Some(file),
                }),
                Err(_) => None,
            }
        } else {
            match Nir::parse(&key) {
                Ok(nir) => api::lookup(nir.clone())
                    .await
                    .ok()
                    .map(|found| Stage::Patient {
                        nir: Some(nir),
                        file: found.patient,
                    }),
                Err(_) => None,
            }
        };
        if let Some(opened) = opened
            && matches!(stage.try_get_untracked(), Some(Stage::Search))
        {
            stage.set(opened);
        }
    });
}

/// A page the browser keeps in memory and shows again on Back shows no patient whose form was
/// closed since (saved, cancelled, "Patient suivant"): only the form whose draft is still the
/// current one stays.
fn forget_on_restore(stage: RwSignal<Stage>) {
    let handle = window_event_listener(leptos::ev::pageshow, move |ev| {
        if !ev.persisted() {
            return;
        }
        let keep = match stage.get_untracked() {
            Stage::Search => true,
            Stage::Patient { nir, file } => draft_key(nir.as_ref(), file.as_ref())
                .is_some_and(|key| draft::current() == Some(key)),
            Stage::Recorded { .. } | Stage::Queued { .. } => false,
        };
        if !keep {
            stage.set(Stage::Search);
        }
    });
    on_cleanup(move || handle.remove());
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
    let offline = use_offline();
    let lookup = Action::new_local(move |nir: &Nir| {
        let nir = nir.clone();
        async move {
            let file = offline::lookup(offline, nir.clone()).await?;
            stage.set(Stage::Patient {
                nir: Some(nir),
                file,
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
        if let Some(date) = format::parse_date_field(&birth.get_untracked()) {
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
                                        {format!("{} {} — né(e) le {} — {}", p.given_names, p.family_name, format::day(p.birth_date), p.nir_masked)}
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

fn outcome_code(outcome: ConsultationOutcome) -> &'static str {
    match outcome {
        ConsultationOutcome::Vaccinate => "vaccinate",
        ConsultationOutcome::Postpone => "postpone",
        ConsultationOutcome::Contraindicated => "contraindicated",
    }
}

fn sex_code(sex: Option<Sex>) -> &'static str {
    match sex {
        Some(Sex::Female) => "female",
        Some(Sex::Male) => "male",
        None => "",
    }
}

fn sex_of(code: &str) -> Option<Sex> {
    match code {
        "female" => Some(Sex::Female),
        "male" => Some(Sex::Male),
        _ => None,
    }
}

/// The server's rule for a department of residence: 2 digits (or 2A/2B), 3 overseas (97x).
fn department_ok(department: &str) -> bool {
    let d = department.trim().to_ascii_uppercase();
    let ok = match d.len() {
        2 => d.chars().all(|c| c.is_ascii_digit()) && d != "00" || d == "2A" || d == "2B",
        3 => d.starts_with("97") && d.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    ok && d != "20"
}

/// Something that keeps the dose from being saved, next to its field and in the summary.
#[derive(Clone, Debug, PartialEq)]
struct Problem {
    /// The field's id (its message is `{field}-error`).
    field: String,
    /// A few words for "Il manque : …".
    label: &'static str,
    /// The sentence shown next to the field and in the summary.
    message: String,
    /// Something still to fill in, tick or choose (the save button says so); otherwise a value
    /// to correct (said when "Enregistrer" is pressed).
    missing: bool,
}

impl Problem {
    fn missing(field: &str, label: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            label,
            message: message.into(),
            missing: true,
        }
    }

    fn wrong(field: &str, label: &'static str, message: impl Into<String>) -> Self {
        Self {
            missing: false,
            ..Self::missing(field, label, message)
        }
    }
}

/// "Il manque : a, b. À corriger : c." — why "Enregistrer" cannot save yet, or that it can.
fn save_hint(problems: &[Problem]) -> String {
    let labels = |missing: bool| {
        let mut labels: Vec<&str> = Vec::new();
        for p in problems.iter().filter(|p| p.missing == missing) {
            if !labels.contains(&p.label) {
                labels.push(p.label);
            }
        }
        labels.join(", ")
    };
    let (missing, wrong) = (labels(true), labels(false));
    match (missing.is_empty(), wrong.is_empty()) {
        (true, true) => "Tout est renseigné : la saisie peut être enregistrée.".to_owned(),
        (false, true) => format!("Il manque : {missing}."),
        (true, false) => format!("À corriger : {wrong}."),
        (false, false) => format!("Il manque : {missing}. À corriger : {wrong}."),
    }
}

/// The problems shown next to their fields: all of them once "Enregistrer" was pressed.
#[derive(Clone, Copy)]
struct FieldErrors {
    problems: Memo<Vec<Problem>>,
    attempted: RwSignal<bool>,
}

impl FieldErrors {
    fn get(self, field: &str) -> Option<String> {
        if !self.attempted.get() {
            return None;
        }
        self.problems.with(|problems| {
            problems
                .iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone())
        })
    }

    fn invalid(self, field: &'static str) -> impl Fn() -> &'static str + Copy {
        move || {
            if self.get(field).is_some() {
                "true"
            } else {
                "false"
            }
        }
    }

    fn described_by(self, field: &'static str) -> impl Fn() -> Option<String> + Copy {
        move || self.get(field).map(|_| format!("{field}-error"))
    }
}

/// The message under a field, when there is one.
#[component]
fn FieldProblem(errors: FieldErrors, field: &'static str) -> impl IntoView {
    move || {
        errors.get(field).map(|message| {
            view! {
                <p id=format!("{field}-error") class="field-problem" data-testid="field-problem">
                    {message}
                </p>
            }
        })
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
        self.birth_date.with(|d| format::parse_date_field(d))
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
    // Under the professional's own practice: where the dose is given.
    let own_practice = context.with_value(|c| {
        c.structures
            .iter()
            .any(|s| s.id == structure && s.own_practice)
    });
    let place_kind = RwSignal::new(None::<PlaceKind>);
    let place_address = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // Why there is no preview (an impossible birth or injection date…), in French.
    let preview_problem = RwSignal::new(None::<String>);
    // The birth date, known for a returning patient, typed for a new one.
    let birth_known = move || existing_birth.is_some() || identity.birth().is_some();

    // What was typed for this patient before a reload or a Back comes back (the save key too:
    // a save whose answer was lost still records once).
    let draft_key = StoredValue::new(draft_key(nir.as_ref(), file.as_ref()));
    // Typed or ticked by the user since the form opened (prefilled values do not count).
    let dirty = RwSignal::new(false);
    // Saved or cancelled: the draft is gone and must not be written again.
    let closed = StoredValue::new(false);
    let restored = draft_key.with_value(|k| k.as_deref().and_then(draft::load));
    draft::set_current(restored.as_ref().and(draft_key.get_value()).as_deref());
    if let Some(d) = restored {
        if let Some(k) = d.idempotency_key {
            key.set_value(k);
        }
        identity.family_name.set(d.family_name);
        identity.given_names.set(d.given_names);
        identity.birth_date.set(d.birth_date);
        if !d.sex.is_empty() || nir.is_none() {
            identity.sex.set(sex_of(&d.sex));
        }
        identity.department.set(d.department);
        identity.esms.set(d.esms);
        eligible.set(d.eligible);
        consent.set(d.consent);
        contraindications.set(d.contraindications);
        outcome.set(outcome_of(&d.outcome));
        postpone_reason.set(d.postpone_reason);
        product.set(d.product);
        lot.set(d.lot);
        if let Some(s) = InjectionSite::from_code(&d.site) {
            site.set(s);
        }
        when.set(d.when);
        place_kind.set(PlaceKind::from_code(&d.place));
        place_address.set(d.place_address);
        dirty.set(true);
    }
    Effect::new(move |_| {
        let snapshot = draft::Draft {
            idempotency_key: Some(key.get_value()),
            family_name: identity.family_name.get(),
            given_names: identity.given_names.get(),
            birth_date: identity.birth_date.get(),
            sex: sex_code(identity.sex.get()).to_owned(),
            department: identity.department.get(),
            esms: identity.esms.get(),
            eligible: eligible.get(),
            consent: consent.get(),
            contraindications: contraindications.get(),
            outcome: outcome_code(outcome.get()).to_owned(),
            postpone_reason: postpone_reason.get(),
            product: product.get(),
            lot: lot.get(),
            site: site.get().code().to_owned(),
            when: when.get(),
            structure: Some(structure),
            place: place_kind
                .get()
                .map(PlaceKind::code)
                .unwrap_or_default()
                .to_owned(),
            place_address: place_address.get(),
        };
        if !dirty.get() || closed.get_value() {
            return;
        }
        draft::set_unsaved(true);
        draft_key.with_value(|k| {
            if let Some(k) = k {
                draft::store(k, &snapshot);
            }
        });
    });
    on_cleanup(|| draft::set_unsaved(false));
    // Saved or cancelled: nothing left to keep or to ask about.
    let close = move || {
        closed.set_value(true);
        draft::set_unsaved(false);
        draft_key.with_value(|k| {
            if let Some(k) = k {
                draft::remove(k);
            }
        });
    };
    // Any field of the dose form (not the corrections of earlier doses listed in it).
    let touched = move |ev: leptos::ev::Event| {
        let in_history = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest(".history").ok().flatten())
            .is_some();
        if !in_history && !dirty.get_untracked() && !closed.get_value() {
            dirty.set(true);
        }
    };

    // The time typed is Paris time on that date (summer or winter time as it was then),
    // whatever the tablet's zone or today's offset. Empty: now.
    let typed_time = move || when.with(|w| typed_paris_time(w));
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
            let answer = match api::preview(&request).await {
                // Offline: the same rules, from the cached history and catalogue.
                Err(e) if e.code == ErrorCode::Network => match request.birth_date {
                    Some(birth) => {
                        let at = request
                            .administered_at
                            .unwrap_or_else(crate::api::server_now);
                        context
                            .with_value(|c| {
                                history.with_untracked(|h| {
                                    offline::local_preview(
                                        c,
                                        structure,
                                        h,
                                        birth,
                                        request.product_code.as_deref(),
                                        at,
                                    )
                                })
                            })
                            .map_err(|m| ApiError::new(ErrorCode::Internal, m))
                    }
                    None => Err(e),
                },
                other => other,
            };
            match answer {
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

    let summary = NodeRef::<html::Div>::new();
    // Once shown: the summary is read out and the next Tab reaches its first link.
    let focus_summary = move || {
        request_animation_frame(move || {
            if let Some(el) = summary.get_untracked() {
                let _ = el.focus();
            }
        });
    };
    let offline = use_offline();
    let patient_name = name.clone();
    // `Ok(None)`: the network failed and the entry was queued on the device.
    let save = Action::new_local(move |body: &NewVaccination| {
        let body = body.clone();
        let name = patient_name.clone().unwrap_or_else(|| {
            format!(
                "{} {}",
                identity.given_names.get_untracked(),
                identity.family_name.get_untracked().to_uppercase()
            )
        });
        let expected = preview.with_untracked(|p| p.as_ref().map(|p| p.dose_number));
        async move {
            match api::record(&body).await {
                Err(e) if e.code == ErrorCode::Network && offline.is_some() => {
                    let offline = offline.unwrap_or_else(|| unreachable!());
                    let at = body
                        .injection
                        .as_ref()
                        .and_then(|i| i.administered_at)
                        .unwrap_or_else(crate::api::server_now);
                    let queued = match context.with_value(|c| offline::check_lot(c, &body, at)) {
                        Ok(()) => {
                            let expected = body.injection.as_ref().and(expected);
                            offline.enqueue(body, name, expected).await
                        }
                        Err(message) => Err(message),
                    };
                    queued.map(|()| None).map_err(|message| {
                        ApiError::new(
                            ErrorCode::InvalidInput,
                            format!(
                                "Hors ligne, la saisie ne peut pas être mise en attente : {message}"
                            ),
                        )
                    })
                }
                other => other.map(Some),
            }
        }
    });
    let saving = save.pending();
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(None) => {
                    close();
                    let name = name.clone().unwrap_or_else(|| {
                        format!(
                            "{} {}",
                            identity.given_names.get_untracked(),
                            identity.family_name.get_untracked().to_uppercase()
                        )
                    });
                    stage.set(Stage::Queued { name });
                }
                Ok(Some(recorded)) => {
                    close();
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
                }) => {
                    problem.set(Some(format!(
                        "{message} Rien n'est perdu : appuyez de nouveau sur « Enregistrer »."
                    )));
                    focus_summary();
                }
                Err(e) => {
                    problem.set(Some(e.message));
                    focus_summary();
                }
            }
        }
    });

    // Everything missing or wrong at once, in the order of the form.
    let new_patient = file.is_none();
    let nir_for_check = nir.clone();
    let problems = Memo::new(move |_| {
        let mut list = Vec::new();
        if new_patient {
            if identity.family_name.with(|v| v.trim().is_empty()) {
                list.push(Problem::missing(
                    "nom",
                    "nom de naissance",
                    "Indiquez le nom de naissance.",
                ));
            }
            if identity.given_names.with(|v| v.trim().is_empty()) {
                list.push(Problem::missing(
                    "prenoms",
                    "prénom(s)",
                    "Indiquez le ou les prénoms.",
                ));
            }
            let birth = identity.birth();
            if identity.birth_date.with(String::is_empty) {
                list.push(Problem::missing(
                    "naissance",
                    "date de naissance",
                    "Indiquez la date de naissance.",
                ));
            } else if birth.is_none() {
                list.push(Problem::wrong(
                    "naissance",
                    "date de naissance",
                    "Date de naissance incomplète : jour, mois et année.",
                ));
            }
            let sex = identity.sex.get();
            if sex.is_none() {
                list.push(Problem::missing("sexe", "sexe", "Indiquez le sexe."));
            }
            if let (Some(nir), Some(birth), Some(sex)) = (nir_for_check.as_ref(), birth, sex)
                && let Err(e) = Nir::parse_with(
                    nir.as_str(),
                    NirContext {
                        sex: Some(sex),
                        birth_date: Some(birth),
                    },
                )
            {
                list.push(if e == IdError::NirSexMismatch {
                    Problem::wrong("sexe", "sexe", e.to_string())
                } else {
                    Problem::wrong("naissance", "date de naissance", e.to_string())
                });
            }
            let department = identity.department.get();
            if department.trim().is_empty() {
                list.push(Problem::missing(
                    "departement",
                    "département de résidence",
                    "Indiquez le département de résidence.",
                ));
            } else if !department_ok(&department) {
                list.push(Problem::wrong(
                    "departement",
                    "département de résidence",
                    "Département de résidence invalide : 2 chiffres (ou 2A/2B), 3 chiffres outre-mer (971…).",
                ));
            }
            let esms = identity.esms.get();
            if !esms.trim().is_empty()
                && let Err(e) = Finess::parse(&esms)
            {
                list.push(Problem::wrong(
                    "esms",
                    "FINESS de l'établissement",
                    e.to_string(),
                ));
            }
        }
        if own_practice {
            match place_kind.get() {
                None => list.push(Problem::missing(
                    "lieu",
                    "lieu de la vaccination",
                    "Choisissez le lieu de la vaccination.",
                )),
                Some(PlaceKind::Other) if place_address.with(|a| a.trim().is_empty()) => {
                    list.push(Problem::missing(
                        "adresse-lieu",
                        "adresse du lieu",
                        "Indiquez l'adresse du lieu de la vaccination.",
                    ));
                }
                Some(_) => {}
            }
        }
        match outcome.get() {
            ConsultationOutcome::Vaccinate => {
                if !eligible.get() {
                    list.push(Problem::missing(
                        "eligible",
                        "éligibilité",
                        "Cochez « Éligible à la vaccination » (sinon, choisissez une autre décision).",
                    ));
                }
                if !consent.get() {
                    list.push(Problem::missing(
                        "consentement",
                        "consentement",
                        "Cochez « Consentement recueilli ».",
                    ));
                }
                if let Some(message) = preview_problem.get() {
                    let field = if new_patient && when.with(String::is_empty) {
                        "naissance"
                    } else {
                        "quand"
                    };
                    list.push(Problem::wrong(field, "date", message));
                }
                if product.with(Option::is_none) {
                    list.push(Problem::missing(
                        "vaccin",
                        "vaccin",
                        if birth_known() {
                            "Choisissez le vaccin."
                        } else {
                            "Choisissez le vaccin : il est proposé une fois la date de naissance indiquée."
                        },
                    ));
                }
                if lot.with(Option::is_none) {
                    list.push(Problem::missing("lot", "lot", "Choisissez le lot."));
                }
                preview.with(|p| {
                    if let Some(p) = p {
                        for (i, w) in p.warnings.iter().enumerate() {
                            if !confirmed.with(|c| c.contains(&w.code)) {
                                list.push(Problem::missing(
                                    &format!("confirm-{i}"),
                                    "confirmation de l'avertissement",
                                    format!("Confirmez l'avertissement : {}", w.message),
                                ));
                            }
                        }
                    }
                });
                if let Err(message) = typed_time() {
                    list.push(Problem::wrong("quand", "date et heure", message));
                }
            }
            ConsultationOutcome::Postpone => {
                if postpone_reason.with(|r| r.trim().is_empty()) {
                    list.push(Problem::missing(
                        "motif-report",
                        "motif du report",
                        "Indiquez le motif du report.",
                    ));
                }
            }
            ConsultationOutcome::Contraindicated => {}
        }
        list
    });
    // "Enregistrer" was pressed once: each problem shows next to its field from then on.
    let attempted = RwSignal::new(false);
    // The problems listed in the summary at the last refused press.
    let shown = RwSignal::new(Vec::<Problem>::new());
    let errors = FieldErrors {
        problems,
        attempted,
    };
    let blocked = move || problems.with(|p| p.iter().any(|p| p.missing));

    let nir_for_submit = nir.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        problem.set(None);
        let listed = problems.get_untracked();
        if !listed.is_empty() {
            attempted.set(true);
            shown.set(listed);
            focus_summary();
            return;
        }
        shown.set(Vec::new());
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
            place: own_practice
                .then(|| place_kind.get_untracked())
                .flatten()
                .map(|kind| VaccinationPlace {
                    kind,
                    address: place_address.get_untracked().trim().to_owned(),
                }),
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

    let vaccinate = move || outcome.get() == ConsultationOutcome::Vaccinate;

    let masked = file.as_ref().map(|f| f.nir_masked.clone());
    view! {
        <form class="card form" on:submit=on_submit on:input=touched on:change=touched novalidate data-testid="dose-form">
            {move || {
                let listed = shown.get();
                let server = problem.get();
                (!listed.is_empty() || server.is_some()).then(|| {
                    let count = listed.len();
                    view! {
                        <div class="alert alert-error error-summary" role="alert" tabindex="-1" node_ref=summary data-testid="dose-error">
                            {(count > 0).then(|| view! {
                                <p>
                                    <strong>
                                        {if count == 1 {
                                            "Rien n'est enregistré : 1 point à compléter ou corriger.".to_owned()
                                        } else {
                                            format!("Rien n'est enregistré : {count} points à compléter ou corriger.")
                                        }}
                                    </strong>
                                </p>
                                <ul data-testid="dose-problems">
                                    {listed.into_iter().map(|p| {
                                        let field = p.field.clone();
                                        view! {
                                            <li>
                                                <a href=format!("#{}", p.field) on:click=move |ev| {
                                                    ev.prevent_default();
                                                    if let Some(el) = document()
                                                        .get_element_by_id(&field)
                                                        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                                                    {
                                                        let _ = el.focus();
                                                    }
                                                }>
                                                    {p.message}
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            })}
                            {server.map(|m| view! { <p>{m}</p> })}
                        </div>
                    }
                })
            }}
            {match file.clone() {
                Some(f) => {
                    view! {
                        <h2 data-testid="patient-name">
                            {format!("{} {}", f.given_names, f.family_name)}
                        </h2>
                        <p class="muted">
                            {format!(
                                "Né(e) le {} — NIR {}",
                                format::day(f.birth_date),
                                masked.clone().unwrap_or_default(),
                            )}
                        </p>
                    }
                        .into_any()
                }
                None => view! { <NewPatientFields identity errors /> }.into_any(),
            }}
            <History history patient=patient_id />
            <fieldset class="fieldset">
                <legend>"Consultation pré-vaccinale"</legend>
                <label class="check">
                    <input type="checkbox" id="eligible" aria-invalid=errors.invalid("eligible") aria-describedby=errors.described_by("eligible") prop:checked=eligible on:change=move |ev| eligible.set(event_target_checked(&ev)) data-testid="eligible" />
                    "Éligible à la vaccination"
                </label>
                <FieldProblem errors field="eligible" />
                <label class="check">
                    <input type="checkbox" id="consentement" aria-invalid=errors.invalid("consentement") aria-describedby=errors.described_by("consentement") prop:checked=consent on:change=move |ev| consent.set(event_target_checked(&ev)) data-testid="consent" />
                    "Consentement recueilli"
                </label>
                <FieldProblem errors field="consentement" />
                <div class="field">
                    <label for="contre-indications">"Contre-indications (aucune si vide)"</label>
                    <input id="contre-indications" type="text" prop:value=contraindications on:input=move |ev| contraindications.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="decision">"Décision"</label>
                    <select id="decision" on:change=move |ev| outcome.set(outcome_of(&event_target_value(&ev)))>
                        <option value="vaccinate" selected=move || outcome.get() == ConsultationOutcome::Vaccinate>"Vacciner"</option>
                        <option value="postpone" selected=move || outcome.get() == ConsultationOutcome::Postpone>"Reporter"</option>
                        <option value="contraindicated" selected=move || outcome.get() == ConsultationOutcome::Contraindicated>"Contre-indication"</option>
                    </select>
                </div>
                <Show when=move || outcome.get() == ConsultationOutcome::Postpone>
                    <div class="field">
                        <label for="motif-report">"Motif du report"</label>
                        <input id="motif-report" type="text" aria-invalid=errors.invalid("motif-report") aria-describedby=errors.described_by("motif-report") prop:value=postpone_reason on:input=move |ev| postpone_reason.set(event_target_value(&ev)) />
                        <FieldProblem errors field="motif-report" />
                    </div>
                </Show>
            </fieldset>
            <Show when=move || own_practice>
                <fieldset class="fieldset" data-testid="place">
                    <legend>"Lieu de la vaccination"</legend>
                    {PlaceKind::ALL.into_iter().enumerate().map(|(i, kind)| {
                        let id = if i == 0 { "lieu".to_owned() } else { format!("lieu-{}", kind.code()) };
                        view! {
                            <label class="check">
                                <input type="radio" name="lieu" id=id value=kind.code() aria-describedby=errors.described_by("lieu")
                                    prop:checked=move || place_kind.get() == Some(kind)
                                    on:change=move |_| place_kind.set(Some(kind)) />
                                {kind.label()}
                            </label>
                        }
                    }).collect_view()}
                    <FieldProblem errors field="lieu" />
                    <Show when=move || place_kind.get() == Some(PlaceKind::Other)>
                        <div class="field">
                            <label for="adresse-lieu">"Adresse du lieu"</label>
                            <input id="adresse-lieu" type="text" autocomplete="off" aria-invalid=errors.invalid("adresse-lieu") aria-describedby=errors.described_by("adresse-lieu")
                                prop:value=place_address on:input=move |ev| place_address.set(event_target_value(&ev)) />
                            <FieldProblem errors field="adresse-lieu" />
                        </div>
                    </Show>
                </fieldset>
            </Show>
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
                        <select id="vaccin" data-testid="product" aria-invalid=errors.invalid("vaccin") aria-describedby=errors.described_by("vaccin") disabled=move || !birth_known() on:change=move |ev| {
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
                        <FieldProblem errors field="vaccin" />
                    </div>
                    <div class="field">
                        <label for="lot">"Lot"</label>
                        <select id="lot" data-testid="lot" aria-invalid=errors.invalid("lot") aria-describedby=errors.described_by("lot") on:change=move |ev| lot.set(event_target_value(&ev).parse().ok())>
                            <option value="" selected=move || lot.get().is_none()>"— choisir un lot —"</option>
                            {move || lots().into_iter().map(|l| {
                                let id = l.id;
                                view! {
                                    <option value=l.id.to_string() selected=move || lot.get() == Some(id)>
                                        {format!("{} (expire le {})", l.number, format::day(l.expires_on))}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                        <FieldProblem errors field="lot" />
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
                        <input id="quand" type="datetime-local" aria-invalid=errors.invalid("quand") aria-describedby=errors.described_by("quand") prop:value=when on:change=move |ev| when.set(event_target_value(&ev)) />
                        <FieldProblem errors field="quand" />
                    </div>
                    {move || preview_problem.get().map(|m| view! {
                        <p role="alert" class="alert alert-error" data-testid="preview-error">{m}</p>
                    })}
                    {move || preview.with(|p| p.as_ref().map(|p| p.warnings.iter().enumerate().map(|(i, w)| {
                        let code = w.code;
                        let field: &'static str = match i {
                            0 => "confirm-0",
                            1 => "confirm-1",
                            2 => "confirm-2",
                            _ => "confirm-3",
                        };
                        view! {
                            <div class="alert alert-error" role="alert">
                                <p>{w.message.clone()}</p>
                                <label class="check">
                                    <input type="checkbox" id=field data-testid="confirm-warning" aria-invalid=errors.invalid(field) aria-describedby=errors.described_by(field) on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        confirmed.update(|c| {
                                            c.retain(|x| *x != code);
                                            if on { c.push(code); }
                                        });
                                    } />
                                    "Je confirme en connaissance de cause"
                                </label>
                                <FieldProblem errors field />
                            </div>
                        }
                    }).collect_view()))}
                </fieldset>
            </Show>
            <div class="actions">
                // Greyed while something is missing, yet it still answers a press: the summary
                // lists every problem. The text under it always says why.
                <button type="submit" class="button button-wide" data-testid="save" aria-disabled=move || blocked().to_string() aria-describedby="save-hint" disabled=move || saving.get()>
                    {move || if saving.get() { "Enregistrement…" } else { "Enregistrer" }}
                </button>
                <button type="button" class="button button-quiet" on:click=move |_| {
                    let leave = !dirty.get_untracked()
                        || window()
                            .confirm_with_message("Abandonner la saisie en cours pour ce patient ? Ce qui a été saisi sera effacé.")
                            .unwrap_or(true);
                    if leave {
                        close();
                        stage.set(Stage::Search);
                    }
                }>
                    "Annuler"
                </button>
                <p id="save-hint" class="save-hint" data-testid="save-hint">
                    {move || problems.with(|p| save_hint(p))}
                </p>
            </div>
        </form>
    }
}

#[component]
fn NewPatientFields(identity: Identity, errors: FieldErrors) -> impl IntoView {
    let sex_value = move || sex_code(identity.sex.get());
    view! {
        <h2>"Nouveau patient"</h2>
        <p class="muted">"Aucune vaccination enregistrée avec ce NIR : saisissez l'identité."</p>
        <div class="field">
            <label for="nom">"Nom de naissance"</label>
            <input id="nom" type="text" autocomplete="off" data-testid="family-name" aria-invalid=errors.invalid("nom") aria-describedby=errors.described_by("nom") prop:value=identity.family_name on:input=move |ev| identity.family_name.set(event_target_value(&ev)) />
            <FieldProblem errors field="nom" />
        </div>
        <div class="field">
            <label for="prenoms">"Prénom(s)"</label>
            <input id="prenoms" type="text" autocomplete="off" data-testid="given-names" aria-invalid=errors.invalid("prenoms") aria-describedby=errors.described_by("prenoms") prop:value=identity.given_names on:input=move |ev| identity.given_names.set(event_target_value(&ev)) />
            <FieldProblem errors field="prenoms" />
        </div>
        <div class="field">
            <label for="naissance">"Date de naissance"</label>
            <input id="naissance" type="date" data-testid="birth-date" aria-invalid=errors.invalid("naissance") aria-describedby=errors.described_by("naissance") prop:value=identity.birth_date on:change=move |ev| identity.birth_date.set(event_target_value(&ev)) />
            <FieldProblem errors field="naissance" />
        </div>
        <div class="field">
            <label for="sexe">"Sexe"</label>
            <select id="sexe" aria-invalid=errors.invalid("sexe") aria-describedby=errors.described_by("sexe") prop:value=sex_value on:change=move |ev| identity.sex.set(sex_of(&event_target_value(&ev)))>
                <option value="" selected=move || sex_value().is_empty()>"—"</option>
                <option value="female" selected=move || sex_value() == "female">"Féminin"</option>
                <option value="male" selected=move || sex_value() == "male">"Masculin"</option>
            </select>
            <FieldProblem errors field="sexe" />
        </div>
        <div class="field">
            <label for="departement">"Département de résidence"</label>
            <input id="departement" type="text" inputmode="numeric" autocomplete="off" data-testid="department" aria-invalid=errors.invalid("departement") aria-describedby=errors.described_by("departement") prop:value=identity.department on:input=move |ev| identity.department.set(event_target_value(&ev)) />
            <FieldProblem errors field="departement" />
        </div>
        <div class="field">
            <label for="esms">"FINESS de l'ES/ESMS de résidence (facultatif)"</label>
            <input id="esms" type="text" inputmode="numeric" autocomplete="off" aria-invalid=errors.invalid("esms") aria-describedby=errors.described_by("esms") prop:value=identity.esms on:input=move |ev| identity.esms.set(event_target_value(&ev)) />
            <FieldProblem errors field="esms" />
        </div>
    }
}

/// Earlier doses, across structures, each with a link to what may still be done about it.
#[component]
fn History(history: RwSignal<Vec<InjectionView>>, patient: Option<Uuid>) -> impl IntoView {
    view! {
        {patient.map(|patient| view! {
            <Show when=move || history.with(|h| !h.is_empty())>
                <h3>"Vaccinations enregistrées"</h3>
                <ul class="history" data-testid="history">
                    {move || history.get().into_iter().map(|i| view! { <HistoryItem injection=i patient /> }).collect_view()}
                </ul>
            </Show>
        })}
    }
}

/// An earlier dose, as the entry screen lists it; what may still be done about it (correct,
/// invalidate, declare an adverse effect) is on the patient's recap.
#[component]
fn HistoryItem(injection: InjectionView, patient: Uuid) -> impl IntoView {
    let invalid = injection.status == InjectionStatus::Invalidated;
    let to_recap = format!("/bilan/{patient}#dose-{}", injection.id);
    view! {
        <li class:invalidated=invalid data-testid="injection">
            <DoseSummary injection />
            {(!invalid).then(|| view! {
                <p>
                    <a href=to_recap data-testid="to-correction">
                        "Corriger, invalider ou déclarer un effet indésirable (sur le bilan)"
                    </a>
                </p>
            })}
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
    let patient = recorded.patient_id;
    let next = focused_when_shown();
    view! {
        <div class="card">
            <p class="alert alert-success" role="status" data-testid="recorded">{summary}</p>
            {recorded.injection.clone().map(|i| view! {
                <ul class="history" data-testid="recorded-injection">
                    <HistoryItem injection=i patient />
                </ul>
            })}
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

/// A button that takes the focus once shown ("Patient suivant" after a save).
fn focused_when_shown() -> NodeRef<html::Button> {
    let node = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    node
}

/// Saved on the device while offline: the banner at the top follows it until it is sent.
#[component]
fn QueuedStep(name: String, stage: RwSignal<Stage>) -> impl IntoView {
    let next = focused_when_shown();
    view! {
        <div class="card">
            <p class="alert alert-info" role="status" data-testid="queued">
                {format!("{name} : saisie gardée sur cet appareil (hors ligne). Elle sera envoyée au retour du réseau.")}
            </p>
            <div class="actions">
                <button type="button" class="button" node_ref=next data-testid="next-patient" on:click=move |_| stage.set(Stage::Search)>
                    "Patient suivant"
                </button>
            </div>
        </div>
    }
}
