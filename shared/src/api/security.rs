//! Security officers: incidents opened by fraud reports, identities whose push is frozen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub incident_id: Uuid,
    /// `push_fraud_report` ("Ce n'est pas moi" on the phone) or `session_fraud_report` (mail link).
    pub kind: String,
    pub professional: String,
    pub national_id: String,
    pub opened_at: DateTime<Utc>,
    /// `open` or `closed`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Freeze {
    pub national_id: String,
    pub professional: Option<String>,
    pub frozen_until: DateTime<Utc>,
    pub reason: String,
}

/// Why an officer closes an incident or lifts a freeze (written to the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub reason: String,
}
