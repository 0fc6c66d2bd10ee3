//! Offline entry: the permit a device obtains while online, the queue it sends back, and the
//! entries the professional must look at again ("À vérifier").

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vaccination::{InjectionView, NewVaccination, VaccinationRecorded};

/// Most entries one sync request carries: a permit's default allowance, well within the
/// server's 64 KiB body limit (an entry with its permit is about 1 KB).
pub const SYNC_BATCH_MAX: usize = 50;

/// Asked while online, before going where the network may fail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermitRequest {
    /// Random, made once by the device and kept in its storage.
    pub device_id: Uuid,
    /// How the device names itself ("Chrome sur Android"), for "Mes sessions".
    pub device_name: String,
}

/// What the server signed: who may enter offline, on which device, how much, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfflinePermit {
    pub id: Uuid,
    /// The signed permit, sent back with every queued entry.
    pub token: String,
    pub device_id: Uuid,
    pub device_name: String,
    pub max_entries: i32,
    pub used_entries: i32,
    pub issued_at: DateTime<Utc>,
    /// The permit's own limit, never after the session's absolute limit.
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// "Dr Jean Martin", or "Marie Dupont sous la responsabilité du Dr Jean Martin".
    pub holder: String,
}

/// One entry made offline, as the device queued it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedEntry {
    pub permit: String,
    pub device_id: Uuid,
    /// When the entry was saved on the device (its clock).
    pub device_time: DateTime<Utc>,
    /// The dose rank the device computed from the history it had: another rank at sync means
    /// the patient's history changed in the meantime.
    #[serde(default)]
    pub expected_dose_number: Option<i32>,
    pub vaccination: NewVaccination,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    /// In the order they were made; at most [`SYNC_BATCH_MAX`].
    pub entries: Vec<QueuedEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum SyncOutcome {
    /// Recorded as entered.
    #[cfg_attr(feature = "db", sea_orm(string_value = "recorded"))]
    Recorded,
    /// Recorded, and listed "À vérifier": something changed since it was entered.
    #[cfg_attr(feature = "db", sea_orm(string_value = "flagged"))]
    Flagged,
    /// Not recorded (made after the permit's revocation or end, or invalid): shown to the
    /// professional, never dropped silently.
    #[cfg_attr(feature = "db", sea_orm(string_value = "refused"))]
    Refused,
}

/// Why an offline entry needs another look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The patient's history changed meanwhile (a dose recorded elsewhere): the rank differs.
    HistoryChanged,
    /// The dose raises warnings nobody confirmed (interval, product, age).
    UnconfirmedWarnings,
    /// The lot was withdrawn or expired before sync.
    LotUnusable,
    /// The lot's stock says no dose was left.
    LotExhausted,
    /// The permit was revoked after this entry was made.
    PermitRevoked,
}

impl ReviewReason {
    pub fn label(self) -> &'static str {
        match self {
            Self::HistoryChanged => {
                "Le dossier du patient a changé entre-temps (une dose enregistrée ailleurs) : rang de dose à vérifier."
            }
            Self::UnconfirmedWarnings => {
                "Avertissements non confirmés (intervalle, mélange de vaccins, âge)."
            }
            Self::LotUnusable => "Le lot a été retiré ou est périmé depuis la saisie.",
            Self::LotExhausted => "Le stock du lot était épuisé.",
            Self::PermitRevoked => "L'autorisation hors ligne a été révoquée après cette saisie.",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResult {
    pub idempotency_key: Uuid,
    pub outcome: SyncOutcome,
    pub reasons: Vec<ReviewReason>,
    /// For a refusal: why, in French.
    pub message: Option<String>,
    pub recorded: Option<VaccinationRecorded>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReport {
    /// One per entry sent, in the same order.
    pub results: Vec<SyncResult>,
}

/// An offline entry to look at again: flagged when it landed, or refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub id: Uuid,
    pub outcome: SyncOutcome,
    pub reasons: Vec<ReviewReason>,
    pub message: Option<String>,
    pub device_name: String,
    pub device_time: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// "Camille DURAND (née le 20/08/1955)", when the patient is known.
    pub patient: Option<String>,
    pub patient_id: Option<Uuid>,
    pub injection: Option<InjectionView>,
    /// Who typed it under the professional's authority, if a delegate.
    pub typed_by: Option<String>,
}
