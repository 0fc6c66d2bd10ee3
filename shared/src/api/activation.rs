//! Activation of the approver app on a phone (e-CPS style): a link by e-mail and a code by SMS,
//! both needed; or a QR code shown by a computer already signed in with a passkey.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::NationalId;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationStart {
    pub national_id: NationalId,
}

/// The same answer for every identifier: it says what happens and how to fix one's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationStarted {
    pub message: String,
}

/// The link's token (from the e-mail) and the code received by SMS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationVerify {
    pub link_token: String,
    pub sms_code: String,
}

/// Permission to create a passkey on this phone (a one-time enrolment token).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationGranted {
    pub enrolment_token: String,
}

/// A QR code for the phone to scan, valid 90 seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationQr {
    pub qr_svg: String,
    /// The same link, for a phone that cannot scan.
    pub link: String,
    pub expires_at: DateTime<Utc>,
}
