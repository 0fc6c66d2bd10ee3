use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::NationalId;

/// Who is signed in on this device, and for how long still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionState {
    pub national_id: NationalId,
    pub display_name: String,
    /// How the session was opened: `passkey`, …
    pub method: String,
    pub started_at: DateTime<Utc>,
    /// When the session closes if nothing happens (idle limit).
    pub idle_expires_at: DateTime<Utc>,
    /// When the session closes whatever happens (absolute limit).
    pub absolute_expires_at: DateTime<Utc>,
}

/// One of my sessions, in "Mes sessions".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub session_id: uuid::Uuid,
    pub method: String,
    /// "Ordinateur (Chrome)", from the browser.
    pub device: String,
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
