//! Structure password accounts (amelipro rules): identifier + password, then a code by SMS,
//! then — when the password expired or was set by an operator — a new password.

use serde::{Deserialize, Serialize};

use crate::ids::AccountIdentifier;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSignIn {
    pub identifier: AccountIdentifier,
    pub password: String,
}

/// The 6-digit code received by SMS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecondFactor {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// The password rules, for the form to show before the user types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_age_days: i64,
    /// How many earlier passwords may not be chosen again.
    pub history: usize,
}

/// The structure account signed in on this device ("Espace structure").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountProfile {
    pub structure_id: uuid::Uuid,
    pub identifier: String,
    pub display_name: String,
    pub structure_name: String,
    pub structure_finess: String,
    pub structure_address: String,
    /// The password must be replaced by then.
    pub password_expires_at: chrono::DateTime<chrono::Utc>,
}
