//! Offline entry on the tablet. While online and signed in, the app holds the session's offline
//! permit (a signed allowance of N entries until a deadline, for this device). When a save
//! cannot reach the server and the permit still allows it, the entry is checked here (NIR key,
//! lot on the day, dose rank from the cached history) and queued in IndexedDB; the queue is
//! sent back in order when the network returns and at every start. The context and the patient
//! files opened online are cached for the permit's lifetime only (files keyed by a hash of the
//! permit and the NIR, never the NIR itself), wiped at sign-out and at the permit's end.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::{prelude::*, task::spawn_local};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode, Nir,
    api::{
        offline::{PermitRequest, QueuedEntry, ReviewReason},
        vaccination::{
            DosePreview, InjectionSite, InjectionStatus, InjectionView, NewVaccination,
            PatientFile, PatientLookup, PatientLookupResult, PatientRef, VaccinationContext,
        },
    },
    dose_rules::{self, Candidate, PastDose},
    paris, vaccines,
};
use wasm_bindgen::prelude::*;

use crate::{
    api::{self, ApiResult},
    components::site_nav::Role,
    session::use_session,
};

#[wasm_bindgen(module = "/src/vaccination/offline_store.js")]
extern "C" {
    #[wasm_bindgen(js_name = storeGet, catch)]
    async fn store_get(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = storePut, catch)]
    async fn store_put(key: &str, text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = storeWipe, catch)]
    async fn store_wipe(keep: Vec<JsValue>) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = sha256Hex, catch)]
    async fn sha256_hex(text: &str) -> Result<JsValue, JsValue>;
}

const PERMIT: &str = "autorisation";
const QUEUE: &str = "file-attente";
const CONTEXT: &str = "contexte";
/// Kept on the device (local storage) once made: the permit names it.
const DEVICE_ID: &str = "vigie-appareil";

// The server's answers are kept as the JSON texts received (the app only ever reads them), so
// the app carries no code to write them again.
async fn load_text(key: &str) -> Option<String> {
    store_get(key).await.ok()?.as_string()
}

async fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_str(&load_text(key).await?).ok()
}

async fn save_text(key: &str, text: &str) {
    let _ = store_put(key, text).await;
}

/// Forgets the cached context and patient files and the permit; the queue stays (nothing typed
/// is ever dropped: it is sent at the next sign-in).
pub fn wipe_cache() {
    spawn_local(async {
        let _ = store_wipe(vec![JsValue::from_str(QUEUE)]).await;
    });
}

/// A JSON object read with the browser's own parser. For the few small records this app keeps
/// (the permit, the queue, the sync's answer), reading fields by name costs the download far
/// less than a serde deserializer per type (the download is what a tablet on a poor network
/// waits for).
struct Fields(JsValue);

impl Fields {
    fn parse(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text)
            .ok()
            .filter(JsValue::is_object)
            .map(Self)
    }

    fn get(&self, name: &str) -> JsValue {
        js_sys::Reflect::get(&self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name).as_string()
    }

    fn number(&self, name: &str) -> Option<i32> {
        self.get(name).as_f64().map(|n| n as i32)
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.text(name)?.parse().ok()
    }

    fn list(&self, name: &str) -> Vec<JsValue> {
        self.get(name)
            .dyn_into::<js_sys::Array>()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
}

/// A JSON object written by the browser from `(name, value)` pairs.
fn json_object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// The parts of the server's `OfflinePermit` this app reads.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldPermit {
    pub id: Uuid,
    pub token: String,
    pub max_entries: i32,
    pub used_entries: i32,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// "Dr Jean Martin", or "Marie Dupont sous la responsabilité du Dr Jean Martin": what the
    /// banner says offline, when the session cannot be asked.
    pub holder: String,
}

impl HeldPermit {
    fn read(text: &str) -> Option<Self> {
        let f = Fields::parse(text)?;
        Some(Self {
            id: f.parsed("id")?,
            token: f.text("token")?,
            max_entries: f.number("max_entries")?,
            used_entries: f.number("used_entries")?,
            expires_at: f.parsed("expires_at")?,
            revoked_at: match f.text("revoked_at") {
                Some(at) => Some(at.parse().ok()?),
                None => None,
            },
            holder: f.text("holder")?,
        })
    }
}

/// What became of an entry made offline.
#[derive(Debug, Clone, PartialEq)]
pub enum QueuedState {
    Pending,
    Recorded,
    /// Recorded, to look at again: why, in French.
    Flagged(String),
    /// Refused: the server's message.
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct Queued {
    /// The entry's idempotency key.
    pub key: Uuid,
    /// The `QueuedEntry` as sent, in JSON.
    pub entry: String,
    /// The patient's name as typed or cached, for the list.
    pub patient: String,
    pub state: QueuedState,
}

impl Queued {
    fn to_js(&self) -> JsValue {
        let (state, note) = match &self.state {
            QueuedState::Pending => ("attente", ""),
            QueuedState::Recorded => ("enregistree", ""),
            QueuedState::Flagged(why) => ("a-verifier", why.as_str()),
            QueuedState::Refused(why) => ("refusee", why.as_str()),
        };
        json_object(&[
            ("key", JsValue::from_str(&self.key.to_string())),
            ("entry", JsValue::from_str(&self.entry)),
            ("patient", JsValue::from_str(&self.patient)),
            ("state", JsValue::from_str(state)),
            ("note", JsValue::from_str(note)),
        ])
    }

    fn from_js(value: JsValue) -> Option<Self> {
        let f = Fields(value);
        let note = f.text("note").unwrap_or_default();
        Some(Self {
            key: f.parsed("key")?,
            entry: f.text("entry")?,
            patient: f.text("patient")?,
            state: match f.text("state")?.as_str() {
                "attente" => QueuedState::Pending,
                "enregistree" => QueuedState::Recorded,
                "a-verifier" => QueuedState::Flagged(note),
                "refusee" => QueuedState::Refused(note),
                _ => return None,
            },
        })
    }
}

/// The stored queue (a JSON array of `Queued`).
fn read_queue(text: &str) -> Vec<Queued> {
    js_sys::JSON::parse(text)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
        .map(|a| a.iter().filter_map(Queued::from_js).collect())
        .unwrap_or_default()
}

/// The server's `SyncReport`: for each entry sent, its key and new state.
fn read_sync_report(text: &str) -> Option<Vec<(Uuid, QueuedState)>> {
    Fields::parse(text)?
        .list("results")
        .into_iter()
        .map(|line| {
            let line = Fields(line);
            let reasons: Vec<&str> = line
                .list("reasons")
                .iter()
                .filter_map(|r| {
                    use serde::{Deserialize, de::IntoDeserializer};
                    let code = r.as_string()?;
                    let code: serde::de::value::StrDeserializer<serde::de::value::Error> =
                        code.as_str().into_deserializer();
                    ReviewReason::deserialize(code)
                        .ok()
                        .map(ReviewReason::label)
                })
                .collect();
            let state = match line.text("outcome")?.as_str() {
                "recorded" => QueuedState::Recorded,
                "flagged" => QueuedState::Flagged(reasons.join(" ")),
                _ => QueuedState::Refused(line.text("message").unwrap_or_default()),
            };
            Some((line.parsed("idempotency_key")?, state))
        })
        .collect()
}

/// The entry app's offline state, provided by [`OfflineEntry`].
#[derive(Clone, Copy)]
pub struct Offline {
    pub online: RwSignal<bool>,
    pub permit: RwSignal<Option<HeldPermit>>,
    /// In the order made; recorded ones stay shown until dismissed or the next start.
    pub queue: RwSignal<Vec<Queued>>,
    /// The last sync failure, in French (the entries stay queued).
    pub problem: RwSignal<Option<String>>,
    /// "À vérifier": flagged or refused entries the professional has not looked at.
    pub review_count: RwSignal<Option<usize>>,
    syncing: StoredValue<bool>,
    /// Signed in as a professional (who has entries to look at again).
    professional: RwSignal<bool>,
}

pub fn use_offline() -> Option<Offline> {
    use_context::<Offline>()
}

fn browser_online() -> bool {
    window().navigator().on_line()
}

/// This device's id, made once.
fn device_id() -> Uuid {
    let storage = window().local_storage().ok().flatten();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(DEVICE_ID).ok().flatten())
        .and_then(|id| id.parse().ok())
    {
        return id;
    }
    let id = Uuid::new_v4();
    if let Some(s) = storage {
        let _ = s.set_item(DEVICE_ID, &id.to_string());
    }
    id
}

/// "Chrome sur Android", from the browser's user agent.
fn device_name() -> String {
    let agent = window().navigator().user_agent().unwrap_or_default();
    let browser = [
        ("Firefox", "Firefox"),
        ("Edg", "Edge"),
        ("Chrom", "Chrome"),
        ("Safari", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map_or("Navigateur", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPad", "iPad"),
        ("iPhone", "iPhone"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map_or("un appareil", |(_, name)| name);
    format!("{browser} sur {system}")
}

impl Offline {
    fn pending(self) -> usize {
        self.queue
            .with(|q| q.iter().filter(|e| e.state == QueuedState::Pending).count())
    }

    /// Why a new entry cannot be queued now, or `None` when it can.
    pub fn refusal(self) -> Option<&'static str> {
        let Some(permit) = self.permit.get_untracked() else {
            return Some(
                "Pas d'autorisation de saisie hors ligne sur cet appareil : reconnectez-vous au réseau.",
            );
        };
        if permit.revoked_at.is_some() || permit.expires_at <= api::server_now() {
            return Some(
                "L'autorisation de saisie hors ligne a pris fin : reconnectez-vous au réseau.",
            );
        }
        let left = permit.max_entries - permit.used_entries - self.pending() as i32;
        (left <= 0).then_some(
            "Le nombre de saisies hors ligne autorisées est atteint : reconnectez-vous au réseau.",
        )
    }

    /// The permit, while it allows entries (for the cache): the one held, else (the app just
    /// started) the one stored.
    async fn live_permit(self) -> Option<HeldPermit> {
        let permit = match self.permit.get_untracked() {
            Some(permit) => Some(permit),
            None => HeldPermit::read(&load_text(PERMIT).await?),
        };
        permit.filter(|p| p.revoked_at.is_none() && p.expires_at > api::server_now())
    }

    async fn persist(self) {
        let kept: js_sys::Array = self.queue.with_untracked(|q| {
            q.iter()
                .filter(|e| e.state != QueuedState::Recorded)
                .map(Queued::to_js)
                .collect()
        });
        if let Some(text) = js_sys::JSON::stringify(&kept)
            .ok()
            .and_then(|t| t.as_string())
        {
            save_text(QUEUE, &text).await;
        }
    }

    /// Queues `vaccination` (refused by the network) after the local checks.
    pub async fn enqueue(
        self,
        vaccination: NewVaccination,
        patient: String,
        expected_dose_number: Option<i32>,
    ) -> Result<(), String> {
        self.online.set(false);
        if let Some(refusal) = self.refusal() {
            return Err(refusal.to_owned());
        }
        let permit = self.permit.get_untracked().ok_or_else(String::new)?;
        let entry = QueuedEntry {
            permit: permit.token,
            device_id: device_id(),
            // The device's own clock (chrono's `Utc::now` is not available in the browser).
            device_time: DateTime::from_timestamp_millis(js_sys::Date::now() as i64)
                .unwrap_or_default(),
            expected_dose_number,
            vaccination,
        };
        let key = entry.vaccination.idempotency_key;
        let entry = serde_json::to_string(&entry).map_err(|_| String::new())?;
        self.queue.update(|q| {
            q.retain(|e| e.key != key);
            q.push(Queued {
                key,
                entry,
                patient,
                state: QueuedState::Pending,
            });
        });
        self.persist().await;
        Ok(())
    }

    pub fn dismiss(self, key: Uuid) {
        self.queue.update(|q| q.retain(|e| e.key != key));
        spawn_local(self.persist());
    }

    /// Sends the pending entries in order; a network failure keeps them all.
    pub async fn sync(self) {
        if self.syncing.get_value() || !browser_online() {
            return;
        }
        let entries: Vec<String> = self.queue.with_untracked(|q| {
            q.iter()
                .filter(|e| e.state == QueuedState::Pending)
                .take(vigie_shared::api::offline::SYNC_BATCH_MAX)
                .map(|e| e.entry.clone())
                .collect()
        });
        if entries.is_empty() {
            return;
        }
        self.syncing.set_value(true);
        // `SyncRequest`, written from the entries' JSON.
        let body = format!("{{\"entries\":[{}]}}", entries.join(","));
        let answer = api::post_json_text("/api/offline/sync", body)
            .await
            .and_then(|text| read_sync_report(&text).ok_or_else(|| ErrorCode::Internal.into()));
        self.syncing.set_value(false);
        match answer {
            Ok(report) => {
                self.online.set(true);
                self.problem.set(None);
                self.queue.update(|q| {
                    for (key, state) in report {
                        if let Some(e) = q.iter_mut().find(|e| e.key == key) {
                            e.state = state;
                        }
                    }
                });
                self.persist().await;
                self.refresh_review();
                // More than one batch: the next one.
                if self.pending() > 0 {
                    Box::pin(self.sync()).await;
                }
            }
            // Still offline (the browser may not know it, e.g. after a reload): retried later.
            Err(ApiError {
                code: ErrorCode::Network,
                ..
            }) => self.online.set(false),
            Err(e) => self.problem.set(Some(format!(
                "Envoi des saisies en attente impossible : {} Elles restent sur cet appareil.",
                e.message
            ))),
        }
    }

    /// The "À vérifier" count (professionals only: delegates' entries are checked by them).
    pub fn refresh_review(self) {
        if !self.professional.get_untracked() {
            return;
        }
        spawn_local(async move {
            // Counted without reading them (the page that reads them is in the office app).
            let items: ApiResult<Vec<serde::de::IgnoredAny>> =
                api::get_from("/api/offline/review", api::Origin::App).await;
            if let Ok(items) = items {
                self.review_count.set(Some(items.len()));
            }
        });
    }

    /// The cached file of a returning patient, while the permit lasts.
    async fn cached_file(self, nir: &Nir) -> Option<PatientFile> {
        let permit = self.live_permit().await?;
        load::<PatientLookupResult>(&file_key(&permit, nir).await?)
            .await?
            .patient
    }

    /// Keeps a lookup answer (a file found) for an offline return of the same patient.
    fn cache_file(self, nir: &Nir, answer: String) {
        let nir = nir.clone();
        spawn_local(async move {
            let Some(permit) = self.live_permit().await else {
                return;
            };
            if let Some(key) = file_key(&permit, &nir).await {
                save_text(&key, &answer).await;
            }
        });
    }

    pub async fn cached_context(self) -> Option<VaccinationContext> {
        self.live_permit().await?;
        load(CONTEXT).await
    }
}

async fn file_key(permit: &HeldPermit, nir: &Nir) -> Option<String> {
    let hash = sha256_hex(&format!("{}:{}", permit.id, nir.as_str()))
        .await
        .ok()?
        .as_string()?;
    Some(format!("dossier:{hash}"))
}

fn parsed<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|_| ApiError::from(ErrorCode::Internal))
}

const CONTEXT_PATH: &str = "/api/vaccination/context";

/// The context for the entry screen: the server's (kept while a permit lasts), or offline the
/// cached one.
pub async fn context(offline: Option<Offline>) -> ApiResult<VaccinationContext> {
    match api::get_text(CONTEXT_PATH, api::Origin::Person).await {
        Ok(text) => {
            let context = parsed(&text)?;
            if let Some(offline) = offline {
                spawn_local(async move {
                    if offline.live_permit().await.is_some() {
                        save_text(CONTEXT, &text).await;
                    }
                });
            }
            Ok(context)
        }
        Err(e) if e.code == ErrorCode::Network => match offline {
            Some(offline) => {
                offline.online.set(false);
                offline.cached_context().await.ok_or(e)
            }
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// A patient by NIR: the server's answer (a file found is kept while a permit lasts), or
/// offline a file opened before on this device, else a new patient.
pub async fn lookup(offline: Option<Offline>, nir: Nir) -> ApiResult<Option<PatientFile>> {
    let lookup = PatientLookup { nir: nir.clone() };
    match api::post_text("/api/patients/lookup", &lookup, api::Origin::Person).await {
        Ok(text) => {
            let found: PatientLookupResult = parsed(&text)?;
            if let (Some(offline), Some(_)) = (offline, found.patient.as_ref()) {
                offline.cache_file(&nir, text);
            }
            Ok(found.patient)
        }
        Err(e) if e.code == ErrorCode::Network => match offline {
            Some(offline) if offline.refusal().is_none() => {
                offline.online.set(false);
                Ok(offline.cached_file(&nir).await)
            }
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

impl Offline {
    /// For the whole entry app (its menu shows the "À vérifier" count).
    pub fn provide() {
        provide_context(Self {
            online: RwSignal::new(browser_online()),
            permit: RwSignal::new(None),
            queue: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            review_count: RwSignal::new(None),
            syncing: StoredValue::new(false),
            professional: RwSignal::new(false),
        });
    }
}

/// Starts the offline machinery of the entry app (see [`Offline::provide`]) and shows the
/// banner above its pages.
#[component]
pub fn OfflineEntry(children: Children) -> impl IntoView {
    let offline = expect_context::<Offline>();
    let session = use_session();
    register_worker();
    Effect::new(move |_| {
        let professional = matches!(
            Role::of(session.access(), session.current().as_ref()),
            Role::Professional { .. }
        );
        offline.professional.set(professional);
    });

    // The stored permit and queue first, then (online) a sync.
    spawn_local(async move {
        let permit = HeldPermit::read(&load_text(PERMIT).await.unwrap_or_default());
        match permit {
            Some(p) if p.expires_at > api::server_now() && p.revoked_at.is_none() => {
                // A permit fetched meanwhile is newer.
                offline.permit.update(|current| {
                    current.get_or_insert(p);
                });
            }
            // Past its end: nothing cached for it may stay.
            Some(_) => {
                let _ = store_wipe(vec![JsValue::from_str(QUEUE)]).await;
            }
            None => {}
        }
        let queue = read_queue(&load_text(QUEUE).await.unwrap_or_default());
        offline.queue.update(|q| {
            for e in queue {
                if !q.iter().any(|x| x.key == e.key) {
                    q.push(e);
                }
            }
        });
        offline.sync().await;
    });

    // Signed in (professional, or delegate once approved) and online: this session's permit.
    let entitled = Memo::new(move |_| {
        let current = session.current();
        matches!(
            Role::of(session.access(), current.as_ref()),
            Role::Professional { .. } | Role::Delegate { approved: true }
        )
        .then(|| current.map(|s| s.started_at))
        .flatten()
    });
    Effect::new(move |_| {
        if entitled.get().is_none() || !offline.online.get() {
            return;
        }
        spawn_local(async move {
            let request = PermitRequest {
                device_id: device_id(),
                device_name: device_name(),
            };
            let answer = api::post_text("/api/offline/permits", &request, api::Origin::App).await;
            if let Some((text, permit)) = answer
                .ok()
                .and_then(|text| Some((text.clone(), HeldPermit::read(&text)?)))
            {
                save_text(PERMIT, &text).await;
                offline.permit.set(Some(permit));
                // What the entry screen needs offline, now that it may be kept.
                if let Ok(context) = api::get_text(CONTEXT_PATH, api::Origin::App).await {
                    save_text(CONTEXT, &context).await;
                }
            }
            offline.sync().await;
            offline.refresh_review();
        });
    });

    // The browser does not always say when the network is back (after a reload without
    // network it may think it is online): entries waiting are retried every few seconds.
    let retry = gloo_timers::callback::Interval::new(5_000, move || {
        if offline.pending() > 0 {
            spawn_local(offline.sync());
        }
    });
    StoredValue::new_local(retry);
    let on_online = window_event_listener(leptos::ev::online, move |_| {
        offline.online.set(true);
        session.refresh();
        spawn_local(offline.sync());
    });
    let on_offline = window_event_listener(leptos::ev::offline, move |_| {
        offline.online.set(false);
    });
    on_cleanup(move || {
        on_online.remove();
        on_offline.remove();
    });

    view! {
        <OfflineBanner offline />
        {children()}
    }
}

/// The service worker lets this app start again without network (`public/sw.js`).
fn register_worker() {
    let navigator = window().navigator();
    let has = js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false);
    if has {
        let _ = navigator.service_worker().register("/sw.js");
    }
}

fn state_text(state: &QueuedState) -> String {
    match state {
        QueuedState::Pending => "en attente".into(),
        QueuedState::Recorded => "enregistrée".into(),
        QueuedState::Flagged(why) => format!("enregistrée, à vérifier : {why}"),
        QueuedState::Refused(message) => format!("refusée : {message}"),
    }
}

/// "Hors ligne — N saisies en attente" and the queued entries, each with its state. Online
/// with nothing queued: nothing.
#[component]
fn OfflineBanner(offline: Offline) -> impl IntoView {
    let shown = move || !offline.online.get() || offline.queue.with(|q| !q.is_empty());
    let headline = move || {
        let pending = offline.pending();
        let entries = if pending == 1 {
            "1 saisie en attente".to_owned()
        } else {
            format!("{pending} saisies en attente")
        };
        if offline.online.get() {
            format!("Saisies hors ligne — {entries}")
        } else {
            format!("Hors ligne — {entries}")
        }
    };
    view! {
        <Show when=shown>
            <section class="alert alert-info offline-banner" data-testid="offline-banner" aria-label="Saisie hors ligne">
                <p role="status" data-testid="offline-status"><strong>{headline}</strong></p>
                // Offline the session cannot be asked: who types under whose authority, from
                // the permit.
                {move || (!offline.online.get()).then(|| offline.permit.get()).flatten().map(|p| view! {
                    <p data-testid="offline-holder">
                        {format!("Saisies par {}, autorisées jusqu'au {}", p.holder, crate::format::date_time(p.expires_at))}
                    </p>
                })}
                {move || offline.problem.get().map(|m| view! { <p class="field-problem">{m}</p> })}
                <ul class="offline-queue" data-testid="offline-queue">
                    {move || {
                        offline
                            .queue
                            .get()
                            .into_iter()
                            .map(|e| {
                                let key = e.key;
                                let done = e.state != QueuedState::Pending;
                                view! {
                                    <li data-testid="offline-entry">
                                        {format!("{} — ", e.patient)}
                                        <span data-testid="offline-entry-state">{state_text(&e.state)}</span>
                                        {done.then(|| view! {
                                            " "
                                            <button type="button" class="button button-quiet" on:click=move |_| offline.dismiss(key)>
                                                "Retirer de la liste"
                                            </button>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}

/// The next dose worked out here from the cached history and catalogue, as the server would:
/// the product asked for, else that of the last dose, else the one recommended for the age with
/// a usable lot; the structure's usable lot expiring first; rank and warnings.
pub fn local_preview(
    context: &VaccinationContext,
    structure: Uuid,
    history: &[InjectionView],
    birth: NaiveDate,
    product: Option<&str>,
    at: DateTime<Utc>,
) -> Result<DosePreview, String> {
    let valid: Vec<&InjectionView> = history
        .iter()
        .filter(|i| i.status != InjectionStatus::Invalidated)
        .collect();
    let day = paris::from_utc(at).date();
    let age = dose_rules::age_on(birth, day);
    let lot_of = |code: &str| {
        context
            .structures
            .iter()
            .find(|s| s.id == structure)
            .and_then(|s| {
                s.lots
                    .iter()
                    .filter(|l| {
                        l.active
                            && l.product_code == code
                            && l.expires_on >= day
                            && l.doses_left != Some(0)
                    })
                    .min_by_key(|l| l.expires_on)
                    .map(|l| l.id)
            })
    };
    let code = match product {
        Some(code) => code.to_owned(),
        None => match valid.last() {
            Some(last) => last.product_code.clone(),
            None => vaccines::recommendation_for(age)
                .proposed
                .iter()
                .find(|code| {
                    vaccines::product(code).is_some_and(|p| age >= p.min_age_years)
                        && lot_of(code).is_some()
                })
                .or(vaccines::recommendation_for(age).proposed.first())
                .map(|c| (*c).to_owned())
                .ok_or("Aucun vaccin proposé à cet âge : choisissez-le.")?,
        },
    };
    let info = context
        .products
        .iter()
        .find(|p| p.code == code)
        .ok_or("Vaccin inconnu.")?;
    let past: Vec<PastDose> = valid
        .iter()
        .map(|i| PastDose {
            product_code: i.product_code.clone(),
            administered_at: i.administered_at,
            booster: i.booster,
        })
        .collect();
    let first_doses = valid.first().and_then(|first| {
        context
            .products
            .iter()
            .find(|p| p.code == first.product_code)
            .map(|p| p.doses_in_schedule)
    });
    let candidate = Candidate {
        code: &info.code,
        name: &info.name,
        doses_in_schedule: info.doses_in_schedule,
        min_interval_days: info.min_interval_days,
        min_age_years: info.min_age_years,
    };
    let rank = dose_rules::rank(&past, first_doses, &candidate);
    let warnings = dose_rules::warnings(&past, &candidate, &rank, birth, at);
    Ok(DosePreview {
        lot_id: lot_of(&code),
        product_code: code,
        site: valid.last().map_or(InjectionSite::LeftDeltoid, |i| i.site),
        dose_number: rank.number,
        series_doses: rank.series,
        booster: rank.booster,
        warnings,
    })
}

/// The local checks of an entry about to be queued: the lot usable on the injection's day (from
/// the cached context). The NIR's key and the form's other rules were checked by the form.
pub fn check_lot(
    context: &VaccinationContext,
    vaccination: &NewVaccination,
    at: DateTime<Utc>,
) -> Result<(), String> {
    let Some(injection) = &vaccination.injection else {
        return Ok(());
    };
    let day = paris::from_utc(at).date();
    let lot = context
        .structures
        .iter()
        .flat_map(|s| s.lots.iter())
        .find(|l| l.id == injection.lot_id)
        .ok_or("Lot inconnu sur cet appareil.")?;
    if lot.expires_on < day {
        return Err(format!(
            "Le lot {} est périmé à la date de l'injection.",
            lot.number
        ));
    }
    if lot.doses_left == Some(0) {
        return Err(format!("Le lot {} n'a plus de doses.", lot.number));
    }
    if let PatientRef::New(patient) = &vaccination.patient {
        Nir::parse_with(
            patient.nir.as_str(),
            vigie_shared::NirContext {
                sex: Some(patient.sex),
                birth_date: Some(patient.birth_date),
            },
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_shared::api::vaccination::{LotView, ProductView, StructureView};

    fn context(structure: Uuid, lot: Uuid) -> VaccinationContext {
        VaccinationContext {
            structures: vec![StructureView {
                id: structure,
                finess: "770012342".into(),
                name: "Centre".into(),
                lots: vec![LotView {
                    id: lot,
                    product_code: "comirnaty".into(),
                    number: "FA1234".into(),
                    expires_on: NaiveDate::from_ymd_opt(2030, 1, 1).expect("date"),
                    active: true,
                    doses_received: Some(10),
                    doses_left: Some(4),
                    doses_wasted: 0,
                }],
                own_practice: false,
            }],
            products: vaccines::PRODUCTS
                .iter()
                .map(|p| ProductView {
                    code: p.code.into(),
                    name: p.name.into(),
                    manufacturer: p.manufacturer.into(),
                    eu_authorisation: p.eu_authorisation.into(),
                    doses_in_schedule: p.doses,
                    min_interval_days: p.min_interval_days,
                    min_age_years: p.min_age_years,
                    active: p.active,
                })
                .collect(),
        }
    }

    #[test]
    fn a_new_adult_gets_the_recommended_product_and_its_lot() {
        let (structure, lot) = (Uuid::new_v4(), Uuid::new_v4());
        let birth = NaiveDate::from_ymd_opt(1979, 6, 14).expect("date");
        let at = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let preview = local_preview(&context(structure, lot), structure, &[], birth, None, at)
            .expect("preview");
        assert_eq!(preview.product_code, "comirnaty");
        assert_eq!(preview.lot_id, Some(lot));
        assert_eq!((preview.dose_number, preview.series_doses), (1, 2));
        assert!(preview.warnings.is_empty());
    }
}
