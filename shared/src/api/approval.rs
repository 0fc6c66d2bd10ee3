//! Push approval (e-CPS style): the terminal asks, the professional's phone shows the request,
//! the code shown on the terminal is typed on the phone, then confirmed with PIN/biometrics.

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs_proto::{PublicKeyCredential, RequestChallengeResponse};

use crate::ids::NationalId;

/// Life of a request: pending, then exactly one of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum ApprovalStatus {
    #[cfg_attr(feature = "db", sea_orm(string_value = "pending"))]
    Pending,
    #[cfg_attr(feature = "db", sea_orm(string_value = "approved"))]
    Approved,
    #[cfg_attr(feature = "db", sea_orm(string_value = "refused"))]
    Refused,
    #[cfg_attr(feature = "db", sea_orm(string_value = "expired"))]
    Expired,
    #[cfg_attr(feature = "db", sea_orm(string_value = "cancelled"))]
    Cancelled,
    #[cfg_attr(feature = "db", sea_orm(string_value = "reported"))]
    Reported,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Refused => "refused",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Reported => "reported",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Approved,
            Self::Refused,
            Self::Expired,
            Self::Cancelled,
            Self::Reported,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// What the terminal says, in French.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "En attente de validation sur le téléphone",
            Self::Approved => "Demande validée",
            Self::Refused => "Demande refusée sur le téléphone",
            Self::Expired => "Demande expirée",
            Self::Cancelled => "Demande annulée",
            // The terminal is told no more than "refused": the fraudster learns nothing.
            Self::Reported => "Demande refusée sur le téléphone",
        }
    }

    pub fn is_final(self) -> bool {
        self != Self::Pending
    }
}

/// Terminal: ask the professional's phone to approve a sign-in here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalCreate {
    pub national_id: NationalId,
    /// Name typed on this terminal ("Tablette 3"); kept for "Mes sessions". The phone shows it
    /// only for an enrolled terminal's proof, else "Poste inconnu".
    pub terminal_label: Option<String>,
    /// An enrolled terminal's signature over this request (`api::terminal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_proof: Option<crate::api::terminal::TerminalProof>,
}

/// Terminal: what to show while waiting. The same for known, unknown and frozen identifiers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalCreated {
    pub approval_id: Uuid,
    /// Six digits to type on the phone.
    pub code: String,
    /// The code as a QR code (SVG), for the phone's camera.
    pub qr_svg: String,
    /// Fixed width: the answer for an unknown identifier must not differ in size.
    #[serde(with = "crate::api::fixed_time")]
    pub expires_at: DateTime<Utc>,
}

/// Terminal: where its request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalState {
    pub approval_id: Uuid,
    pub status: ApprovalStatus,
    pub message: String,
    pub expires_at: DateTime<Utc>,
}

/// Phone: a request waiting for the professional, with its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingApproval {
    pub approval_id: Uuid,
    pub terminal: String,
    pub place: String,
    pub ip: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Who asks, when it is not the professional (delegated entry).
    pub requested_by: Option<String>,
    /// Why this request is unusual (French sentences); empty when it is not.
    pub atypical: Vec<String>,
    /// The request was signed by a terminal its structure enrolled: `terminal` then reads
    /// "Tablette 3 — Centre de vaccination de Melun (poste enregistré)", from its enrolled name
    /// (`terminal_name`) and structure (`terminal_structure`). Otherwise `terminal` is
    /// "Poste inconnu" and the two are absent.
    #[serde(default)]
    pub terminal_enrolled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_structure: Option<String>,
}

/// Phone: this browser is an activated phone, and whose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproverPresence {
    /// The professional the phone approves for ("Dr Jean Martin").
    pub display_name: String,
    /// The phone's name, given at activation.
    pub device_label: String,
    /// Push sign-in of this professional is suspended: until when and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_frozen: Option<PushFrozen>,
}

/// A suspension of push sign-in, as the phone explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushFrozen {
    pub until: DateTime<Utc>,
    /// True after "Ce n'est pas moi" (24 h), false after repeated failures.
    pub reported: bool,
}

/// Phone: the code read on the terminal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeEntry {
    pub code: String,
}

/// Phone: the WebAuthn challenge that confirms this request (after the right code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalChallenge {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: RequestChallengeResponse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalConfirm {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: PublicKeyCredential,
}

/// A live event on a stream (SSE `data:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalEvent {
    pub approval_id: Uuid,
    pub status: ApprovalStatus,
}
