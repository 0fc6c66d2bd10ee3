use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};

/// A request the app makes on its own (keeping an offline permit, sending queued entries,
/// refreshing a count) carries this header: it is not the person's activity, so it does not push
/// the session's idle limit. A client can only ever shorten its own session with it.
pub const BACKGROUND_HEADER: &str = "x-vigie-background";

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Professional,
    StructureAccount,
    /// Staff typing under a professional's responsibility (délégation de saisie).
    Delegate,
}

/// What a session still lacks before it may touch health data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum SessionStage {
    #[cfg_attr(feature = "db", sea_orm(string_value = "active"))]
    Active,
    #[cfg_attr(feature = "db", sea_orm(string_value = "second_factor"))]
    SecondFactor,
    #[cfg_attr(feature = "db", sea_orm(string_value = "password_change"))]
    PasswordChange,
}

/// Who is signed in on this device, and for how long still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionState {
    pub kind: PrincipalKind,
    /// The national identifier (professional) or the account identifier (structure).
    pub identifier: String,
    pub display_name: String,
    pub stage: SessionStage,
    /// How the session was opened: `passkey`, `push`, `password`.
    pub method: String,
    pub started_at: DateTime<Utc>,
    /// When the session closes if nothing happens (idle limit).
    pub idle_expires_at: DateTime<Utc>,
    /// When the session closes whatever happens (absolute limit).
    pub absolute_expires_at: DateTime<Utc>,
    /// Delegated session: who types ("Marie Dupont")…
    #[serde(default)]
    pub typist: Option<String>,
    /// …under whose responsibility ("Dr Jean Martin"); `None` until the professional approves.
    #[serde(default)]
    pub authority: Option<String>,
    /// Delegated session: the structure it is bound to.
    #[serde(default)]
    pub structure: Option<String>,
    /// A professional holding the security officer role (incidents, frozen identities): the
    /// app offers the "Sécurité" page. Said by `GET /api/session` and
    /// `GET /api/session/presence`; other answers may leave it `false` until the next read.
    #[serde(default)]
    pub security_officer: bool,
}

impl SessionState {
    /// The banner every screen of a delegated session carries.
    pub fn delegation_banner(&self) -> Option<String> {
        match (&self.typist, &self.authority) {
            (Some(t), Some(a)) => Some(format!("Saisie par {t} sous la responsabilité du {a}")),
            (Some(t), None) => Some(format!(
                "{t} : session de saisie déléguée en attente de validation par le professionnel"
            )),
            _ => None,
        }
    }
}

/// One of my sessions, in "Mes sessions".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub session_id: uuid::Uuid,
    pub method: String,
    /// "Ordinateur (Chrome)", from the browser.
    pub device: String,
    /// The terminal the session was opened on. A push sign-in names it as the phone showed it
    /// ("Tablette 3 — Centre de vaccination de Melun (poste enregistré)", or "Poste inconnu"
    /// followed by the name typed there, as a hint);
    /// other sessions on a named terminal, the name typed there; `None` for the others.
    #[serde(default)]
    pub terminal: Option<String>,
    pub ip: Option<String>,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// The session of the device asking.
    pub current: bool,
}

/// The token of a sign-in mail's "Ce n'est pas moi" link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionReport {
    pub token: String,
}

/// `session_ended` on a session's live stream: that device is signed out now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionEnded {
    /// `ended_by_user`, `reported`, `ended_by_authority`, `delegation_withdrawn`,
    /// `staff_withdrawn` (or `expired`, set by the client itself).
    #[serde(default)]
    pub reason: Option<String>,
    /// The server's French sentence, when it gives one.
    #[serde(default)]
    pub message: Option<String>,
}

impl SessionEnded {
    pub fn because(reason: &str) -> Self {
        Self {
            reason: Some(reason.to_owned()),
            message: None,
        }
    }
}
