//! Vaccination traceability: patients, the consultation and injection recorded in one write,
//! corrections, adverse effects, lots, certificates.

use chrono::{DateTime, NaiveDate, Utc};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{Finess, Nir, Sex};

/// Look a patient up by the full NIR (sent in a POST body, never in a URL).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientLookup {
    pub nir: Nir,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientLookupResult {
    /// None: no patient with this NIR yet (a first dose).
    pub patient: Option<PatientFile>,
}

/// Search among the patients I may see, by family name and birth date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientSearch {
    pub family_name: String,
    pub birth_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientSummary {
    pub id: Uuid,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: NaiveDate,
    /// "2 55 08 ** *** *** **" (sex, year and month of birth): enough to tell two patients apart,
    /// not the NIR.
    pub nir_masked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientFile {
    pub id: Uuid,
    pub nir_masked: String,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub residence_department: String,
    pub esms_finess: Option<String>,
    /// Every injection, across structures, oldest first.
    pub injections: Vec<InjectionView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPatient {
    pub nir: Nir,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Department of residence (`75`, `2A`, `971`…), for statistics.
    pub residence_department: String,
    /// The ES/ESMS where the patient lives, if any.
    pub esms_finess: Option<Finess>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PatientRef {
    Existing { id: Uuid },
    New(NewPatient),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum ConsultationOutcome {
    #[cfg_attr(feature = "db", sea_orm(string_value = "vaccinate"))]
    Vaccinate,
    #[cfg_attr(feature = "db", sea_orm(string_value = "postpone"))]
    Postpone,
    #[cfg_attr(feature = "db", sea_orm(string_value = "contraindicated"))]
    Contraindicated,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsultationInput {
    pub eligible: bool,
    /// Free text; empty when none.
    pub contraindications: String,
    pub consent: bool,
    pub outcome: ConsultationOutcome,
    pub postpone_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum InjectionSite {
    #[cfg_attr(feature = "db", sea_orm(string_value = "left_deltoid"))]
    LeftDeltoid,
    #[cfg_attr(feature = "db", sea_orm(string_value = "right_deltoid"))]
    RightDeltoid,
    #[cfg_attr(feature = "db", sea_orm(string_value = "left_thigh"))]
    LeftThigh,
    #[cfg_attr(feature = "db", sea_orm(string_value = "right_thigh"))]
    RightThigh,
}

impl InjectionSite {
    pub const ALL: [Self; 4] = [
        Self::LeftDeltoid,
        Self::RightDeltoid,
        Self::LeftThigh,
        Self::RightThigh,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::LeftDeltoid => "Deltoïde gauche",
            Self::RightDeltoid => "Deltoïde droit",
            Self::LeftThigh => "Cuisse gauche",
            Self::RightThigh => "Cuisse droite",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::LeftDeltoid => "left_deltoid",
            Self::RightDeltoid => "right_deltoid",
            Self::LeftThigh => "left_thigh",
            Self::RightThigh => "right_thigh",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Something unusual about a dose, which the user must confirm explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    IntervalTooShort,
    ProductMixing,
    AgeOutsideIndication,
    /// Indicated at this age, but advised against by the French recommendation (Spikevax
    /// under 30: Comirnaty instead).
    NotRecommendedForAge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    pub code: WarningCode,
    /// French, for the user.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectionInput {
    pub product_code: String,
    pub lot_id: Uuid,
    pub site: InjectionSite,
    /// Now when absent; never in the future.
    pub administered_at: Option<DateTime<Utc>>,
    /// The warnings the user saw and confirmed.
    #[serde(default)]
    pub confirmed_warnings: Vec<WarningCode>,
}

/// One write: the patient (found or new), the consultation and, when the outcome is to
/// vaccinate, the injection. Retrying with the same key returns the first answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewVaccination {
    pub idempotency_key: Uuid,
    /// A structure the professional practises in, or their own practice (see `place`).
    pub structure_id: Uuid,
    /// Where the dose is given, required when recording under one's own practice (no
    /// structure): the patient's home, the practitioner's cabinet or officine, another place.
    #[serde(default)]
    pub place: Option<VaccinationPlace>,
    pub patient: PatientRef,
    pub consultation: ConsultationInput,
    pub injection: Option<InjectionInput>,
}

/// Where a practitioner without a structure (or acting outside it) gave the dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// At the patient's home (the address is the patient's: not asked again).
    PatientHome,
    /// The practitioner's own cabinet or officine.
    OwnPractice,
    /// Anywhere else (a town hall, a workplace…): the address is required.
    Other,
}

impl PlaceKind {
    pub const ALL: [Self; 3] = [Self::PatientHome, Self::OwnPractice, Self::Other];

    pub fn code(self) -> &'static str {
        match self {
            Self::PatientHome => "patient_home",
            Self::OwnPractice => "own_practice",
            Self::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PatientHome => "Au domicile du patient",
            Self::OwnPractice => "Au cabinet / à l'officine",
            Self::Other => "Autre lieu",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaccinationPlace {
    pub kind: PlaceKind,
    /// Required for `own_practice` (when the practice has no address on file) and `other`.
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaccinationRecorded {
    pub patient_id: Uuid,
    pub consultation_id: Uuid,
    pub injection: Option<InjectionView>,
}

/// What the next dose would be, and the defaults to prefill the form with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DosePreviewRequest {
    pub structure_id: Uuid,
    /// Absent for a new patient.
    pub patient_id: Option<Uuid>,
    /// For a new patient (age rule).
    pub birth_date: Option<NaiveDate>,
    /// Absent: the default product (that of the patient's last dose, else the one
    /// recommended for their age).
    pub product_code: Option<String>,
    pub administered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DosePreview {
    pub product_code: String,
    /// The structure's active lot of that product (the one expiring first), if any.
    pub lot_id: Option<Uuid>,
    pub site: InjectionSite,
    pub dose_number: i32,
    pub series_doses: i32,
    pub booster: bool,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum InjectionStatus {
    #[cfg_attr(feature = "db", sea_orm(string_value = "valid"))]
    Valid,
    #[cfg_attr(feature = "db", sea_orm(string_value = "invalidated"))]
    Invalidated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectionView {
    pub id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub manufacturer: String,
    pub lot_number: String,
    pub dose_number: i32,
    pub series_doses: i32,
    pub booster: bool,
    pub site: InjectionSite,
    pub administered_at: DateTime<Utc>,
    pub structure_name: String,
    pub structure_finess: String,
    /// Given outside any structure: where ("Au domicile du patient", "Autre lieu : …").
    #[serde(default)]
    pub place: Option<String>,
    /// The responsible professional.
    pub vaccinator: String,
    /// Who typed it, when a delegate did.
    pub typed_by: Option<String>,
    pub status: InjectionStatus,
    pub version: i32,
    /// Corrections are possible until then (24 h after the entry), by the author or the
    /// responsible professional.
    pub correctable_until: DateTime<Utc>,
    pub adverse_effects_declared: u32,
    /// The responsible professional contested this entry typed under delegation.
    pub contest: Option<ContestView>,
}

/// A supervising professional's contest of an entry typed under their responsibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContestView {
    pub by: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectionCorrection {
    pub reason: String,
    pub lot_id: Option<Uuid>,
    pub site: Option<InjectionSite>,
    pub administered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectionInvalidation {
    pub reason: String,
}

/// One earlier version of an injection, as kept by a correction or invalidation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectionRevisionView {
    pub version: i32,
    /// `correction` or `invalidation`.
    pub change: String,
    pub reason: String,
    pub changed_at: DateTime<Utc>,
    /// The injection as it was before this change.
    pub before: InjectionView,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdverseEffectDeclaration {
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdverseEffectRecorded {
    pub id: Uuid,
    /// The national reporting portal, to open in a new tab.
    pub portal_url: String,
    /// What to copy into the portal's form.
    pub context: String,
}

/// What a tablet needs to record doses: my structures, the catalogue, each structure's lots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaccinationContext {
    pub structures: Vec<StructureView>,
    pub products: Vec<ProductView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructureView {
    pub id: Uuid,
    pub finess: String,
    pub name: String,
    pub lots: Vec<LotView>,
    /// The professional's own practice (no structure): doses recorded under it state their
    /// place, and its lots are the professional's personal stock.
    #[serde(default)]
    pub own_practice: bool,
}

/// Declares (or updates) the professional's own practice: the cabinet or officine address, or
/// none for a practitioner who only goes to patients' homes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnPracticeInput {
    /// Empty for a practitioner who only goes to patients' homes.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductView {
    pub code: String,
    pub name: String,
    pub manufacturer: String,
    pub eu_authorisation: String,
    pub doses_in_schedule: i32,
    pub min_interval_days: i32,
    pub min_age_years: i32,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotView {
    pub id: Uuid,
    pub product_code: String,
    pub number: String,
    pub expires_on: NaiveDate,
    pub active: bool,
    /// Doses received (None: a lot registered before quantities were counted).
    #[serde(default)]
    pub doses_received: Option<i32>,
    /// Doses received, less those injected and those declared wasted.
    #[serde(default)]
    pub doses_left: Option<i32>,
    #[serde(default)]
    pub doses_wasted: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLot {
    pub product_code: String,
    pub number: String,
    pub expires_on: NaiveDate,
    /// Doses received (a multi-dose vial counts its doses): 1 to 100 000.
    pub doses_received: i32,
}

/// Doses lost (a vial dropped, an opened vial past its use-by time): they leave the stock.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotWastage {
    pub doses: i32,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotActivation {
    pub active: bool,
}

/// The EU Digital COVID Certificate of a patient's vaccinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateView {
    /// `HC1:…`, the QR code's content.
    pub payload: String,
    pub qr_svg: String,
    /// Unique certificate identifier (`URN:UVCI:01:FR:…`).
    pub uvci: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateCheck {
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateVerified {
    pub issuer: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    /// "DURAND Camille"
    pub name: String,
    pub birth_date: String,
    pub vaccinations: Vec<CertifiedDose>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertifiedDose {
    /// The product's name when it is in the catalogue, else its EU number.
    pub product: String,
    pub dose_number: u32,
    pub series_doses: u32,
    pub date: String,
    pub country: String,
    pub issuer: String,
    pub uvci: String,
}

/// The key that signs certificates, published so anyone can check them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningCertificate {
    /// Base64 of the 8-byte key identifier.
    pub kid: String,
    pub certificate_pem: String,
}
