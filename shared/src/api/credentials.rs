//! "Mes appareils": a principal's passkeys and approver phones, listed and revoked alike.

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a credential is: a passkey (signs in, approves) or an activated approver phone (sees
/// and answers push requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum CredentialKind {
    #[cfg_attr(feature = "db", sea_orm(string_value = "passkey"))]
    Passkey,
    #[cfg_attr(feature = "db", sea_orm(string_value = "phone"))]
    Phone,
}

/// Who holds a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum OwnerKind {
    #[cfg_attr(feature = "db", sea_orm(string_value = "professional"))]
    Professional,
    #[cfg_attr(feature = "db", sea_orm(string_value = "staff"))]
    Staff,
}

/// One passkey or phone, as its owner (or whoever may revoke it) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialView {
    pub id: Uuid,
    pub kind: CredentialKind,
    /// The name given when it was created ("Téléphone de Jean").
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Last sign-in or approval with it (a phone: last time it read its requests).
    pub last_used_at: Option<DateTime<Utc>>,
    /// The passkey that opened this session, or the phone this browser is.
    pub current: bool,
}

/// The "Ce n'est pas moi" link of the mail sent when a credential was added.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialReport {
    pub token: String,
}
