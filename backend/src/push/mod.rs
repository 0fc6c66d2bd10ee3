//! Web Push to the approver phone (RFC 8030 delivery, RFC 8291 `aes128gcm` encryption, RFC 8292
//! VAPID). A phone subscribes with its push service's endpoint and keys (sealed at rest: they
//! let anyone push to the phone). When a sign-in or delegation request that is not atypical
//! commits, one outbox row per subscribed, active phone of the professional is written in the
//! same transaction; each instance's sender claims rows with one conditional UPDATE (exactly
//! one instance sends a row), encrypts `{"kind":"approval_request","approval_id":…}` for the
//! phone and posts it. A push carries no name, place or code: the phone reads those from Vigie.

mod sender;
mod subscription;
mod vapid;

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use p256::{
    ecdsa::SigningKey,
    elliptic_curve::Generate,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigie_shared::api::approval::PendingApproval;

pub use sender::run_sender;
pub use subscription::{forget, status, subscribe, unsubscribe};

use crate::{
    entities::{approver_device, push_outbox, push_subscription},
    error::AppResult,
    vault::Vault,
};

/// The VAPID private key's name in `server_secret`.
const VAPID_KEY: &str = "vapid_private_key";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushSettings {
    /// The VAPID `sub` claim: how a push service reaches the operator (`mailto:` or `https:`).
    /// None: `mailto:webmaster@` the host of `public_url`.
    pub contact: Option<String>,
    /// Accepts `http://` endpoints on 127.0.0.1 / localhost (a push service stand-in for tests).
    /// Never on in production.
    pub allow_loopback_endpoints: bool,
}

/// What the sender and the routes share: the server's VAPID key, the contact, the HTTP client,
/// and the signal that wakes this instance's sender right after a commit.
pub struct Push {
    key: SigningKey,
    /// The uncompressed public point, base64url without padding.
    public_key: String,
    contact: String,
    client: reqwest::Client,
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Push {
    /// The VAPID key pair is created at first start and kept sealed in `server_secret`: the
    /// first instance to store it wins, and every instance signs with the same key (the phones
    /// subscribed with its public half).
    pub async fn load_or_create(
        db: &impl ConnectionTrait,
        vault: &Vault,
        settings: &crate::config::Settings,
    ) -> anyhow::Result<Arc<Self>> {
        use crate::vault::{read_secret, store_once};
        if read_secret(db, vault, VAPID_KEY).await?.is_none() {
            let fresh = SigningKey::try_generate()
                .map_err(|e| anyhow::anyhow!("VAPID key generation: {e}"))?;
            let der = fresh
                .to_pkcs8_der()
                .map_err(|e| anyhow::anyhow!("VAPID key encoding: {e}"))?;
            store_once(db, vault, &[(VAPID_KEY, der.as_bytes())]).await?;
        }
        let der = read_secret(db, vault, VAPID_KEY)
            .await?
            .ok_or_else(|| anyhow::anyhow!("VAPID key missing after creation"))?;
        let key = SigningKey::from_pkcs8_der(&der)
            .map_err(|e| anyhow::anyhow!("VAPID key does not decode: {e}"))?;
        let contact = match &settings.push.contact {
            Some(c) => c.clone(),
            None => format!(
                "mailto:webmaster@{}",
                settings.public_url.host_str().unwrap_or("localhost")
            ),
        };
        anyhow::ensure!(
            contact.starts_with("mailto:") || contact.starts_with("https://"),
            "push.contact must be a mailto: or https: URL"
        );
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .connect_timeout(std::time::Duration::from_secs(5))
            // A push service answers; it never sends the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self {
            public_key: URL_SAFE_NO_PAD.encode(key.verifying_key().to_sec1_point(false).as_bytes()),
            key,
            contact,
            client,
            wake: tokio::sync::Notify::new(),
        }))
    }

    /// `GET /api/push/key`: the application server key phones subscribe with.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Wakes this instance's sender (after a commit that queued pushes).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The reaction to a committed `ApprovalRequested`: one outbox row per active, subscribed phone
/// of the professional, in the request's transaction. Atypical requests are not pushed (the
/// phone shows them in red when opened). True when something was queued.
pub(crate) async fn queue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    professional: Uuid,
    request: &PendingApproval,
) -> AppResult<bool> {
    if !request.atypical.is_empty() || request.expires_at <= now {
        return Ok(false);
    }
    let phones: Vec<Uuid> = approver_device::Entity::find()
        .filter(approver_device::Column::ProfessionalId.eq(professional))
        .filter(approver_device::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if phones.is_empty() {
        return Ok(false);
    }
    let subscribed = push_subscription::Entity::find()
        .filter(push_subscription::Column::ProfessionalId.eq(professional))
        .filter(push_subscription::Column::DeviceId.is_in(phones))
        .all(db)
        .await?;
    if subscribed.is_empty() {
        return Ok(false);
    }
    push_outbox::Entity::insert_many(subscribed.iter().map(|s| push_outbox::ActiveModel {
        id: Set(Uuid::new_v4()),
        device_id: Set(s.device_id),
        approval_id: Set(request.approval_id),
        created_at: Set(now),
        expires_at: Set(request.expires_at),
        next_attempt_at: Set(now),
        attempts: Set(0),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(true)
}
