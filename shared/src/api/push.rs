//! Web Push for the approver phone: the server's public VAPID key, the phone's subscription,
//! and the (encrypted) message a push carries. The message says only that a request waits and
//! which one: no name, place or code ever leaves through a push service.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET /api/push/key`: the application server key the phone passes to `pushManager.subscribe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushKey {
    /// The VAPID public key: an uncompressed P-256 point (65 bytes), base64url without padding.
    pub public_key: String,
}

/// The keys of a subscription, as `PushSubscription.toJSON()` gives them (base64url).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushSubscriptionKeys {
    /// The phone's P-256 public key (65 bytes, base64url).
    pub p256dh: String,
    /// The phone's 16-byte authentication secret (base64url).
    pub auth: String,
}

/// `PUT /api/approver/push`: this phone's subscription (the shape of `PushSubscription.toJSON()`;
/// `expirationTime` is accepted and ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PushSubscription {
    /// The push service's URL for this phone (https).
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<f64>,
    pub keys: PushSubscriptionKeys,
}

/// `GET /api/approver/push`: whether this phone is notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushStatus {
    pub subscribed: bool,
}

/// What a push carries once decrypted by the phone's service worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushMessage {
    /// A sign-in or delegation request waits on the phone: open `/validation?demande={id}`.
    ApprovalRequest { approval_id: Uuid },
}
