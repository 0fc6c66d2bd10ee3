//! A phone's subscription: checked as hostile input, sealed at rest, one per phone.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::push::{PushStatus, PushSubscription},
};

use crate::{
    approvals::approver::Approver,
    entities::push_subscription,
    error::{AppError, AppResult},
    state::AppState,
    vault::PUSH_SUBSCRIPTION,
    work::{Actor, Work},
};

/// Longest endpoint accepted (push services' URLs are a few hundred bytes).
pub const MAX_ENDPOINT: usize = 1024;

/// What is sealed in `push_subscription.body`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub endpoint: String,
    /// The phone's P-256 point, uncompressed (65 bytes).
    pub p256dh: Vec<u8>,
    /// The phone's 16-byte authentication secret.
    pub auth: Vec<u8>,
}

fn refused(message: &str) -> AppError {
    AppError::with_message(ErrorCode::InvalidPushSubscription, message)
}

/// base64url as `PushSubscription.toJSON()` gives it; padding tolerated.
fn base64url(value: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()
}

/// Checks a subscription sent by a phone: an `https://` endpoint (or, when the setting allows
/// it, `http://` on the loopback) of at most 1 KiB, with no credentials and a public host name,
/// a valid P-256 point and a 16-byte secret.
pub(crate) fn validate(sub: &PushSubscription, allow_loopback: bool) -> AppResult<Stored> {
    if sub.endpoint.len() > MAX_ENDPOINT {
        return Err(refused(
            "L'adresse du service de notification est trop longue (1 Kio au plus).",
        ));
    }
    let url = url::Url::parse(&sub.endpoint)
        .map_err(|_| refused("L'adresse du service de notification n'est pas une URL valide."))?;
    let loopback = matches!(
        url.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_loopback && loopback,
        _ => false,
    };
    if !scheme_ok {
        return Err(refused(
            "L'adresse du service de notification doit commencer par https://.",
        ));
    }
    // Push services are public names: no IP address, no single-label or `localhost` name
    // (those would aim the server's requests at itself or its network).
    let host_ok = match url.host() {
        Some(url::Host::Domain(d)) if loopback => allow_loopback && d == "localhost",
        Some(url::Host::Domain(d)) => d.contains('.') && !d.ends_with(".localhost"),
        Some(_) => allow_loopback && loopback,
        None => false,
    };
    if !host_ok || !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "L'adresse du service de notification doit nommer un service par son nom.",
        ));
    }
    let p256dh = base64url(&sub.keys.p256dh)
        .filter(|k| k.len() == 65 && k[0] == 4)
        .filter(|k| p256::PublicKey::from_sec1_bytes(k).is_ok())
        .ok_or_else(|| {
            refused("La clé de chiffrement du téléphone n'est pas une clé P-256 valide.")
        })?;
    let auth = base64url(&sub.keys.auth)
        .filter(|a| a.len() == 16)
        .ok_or_else(|| {
            refused("Le secret d'authentification du téléphone doit faire 16 octets.")
        })?;
    Ok(Stored {
        endpoint: url.to_string(),
        p256dh,
        auth,
    })
}

/// `PUT /api/approver/push`: this phone's subscription, replacing its previous one.
pub async fn subscribe(
    state: &AppState,
    approver: &Approver,
    sub: &PushSubscription,
) -> AppResult<()> {
    let stored = validate(sub, state.settings.push.allow_loopback_endpoints)?;
    let json = serde_json::to_string(&stored).map_err(AppError::internal)?;
    let actor = Actor {
        id: Some(approver.professional.id),
        ..Actor::anonymous()
    };
    let work = Work::begin(state, actor).await?;
    push_subscription::Entity::insert(push_subscription::ActiveModel {
        device_id: Set(approver.device.id),
        professional_id: Set(approver.professional.id),
        body: Set(state.vault.seal_text(PUSH_SUBSCRIPTION, &json)),
        created_at: Set(work.now()),
    })
    .on_conflict(
        OnConflict::column(push_subscription::Column::DeviceId)
            .update_columns([
                push_subscription::Column::ProfessionalId,
                push_subscription::Column::Body,
                push_subscription::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(work.db())
    .await?;
    work.commit().await
}

/// `GET /api/approver/push`.
pub async fn status(state: &AppState, approver: &Approver) -> AppResult<PushStatus> {
    let row = push_subscription::Entity::find_by_id(approver.device.id)
        .one(&state.db)
        .await?;
    Ok(PushStatus {
        subscribed: row.is_some(),
    })
}

/// `DELETE /api/approver/push`: this phone is no longer notified.
pub async fn unsubscribe(state: &AppState, approver: &Approver) -> AppResult<()> {
    let actor = Actor {
        id: Some(approver.professional.id),
        ..Actor::anonymous()
    };
    let work = Work::begin(state, actor).await?;
    forget(work.db(), approver.device.id).await?;
    work.commit().await
}

/// Drops a phone's subscription (unsubscribed, or the phone revoked).
pub async fn forget(db: &impl ConnectionTrait, device_id: Uuid) -> AppResult<()> {
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::DeviceId.eq(device_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_shared::api::push::PushSubscriptionKeys;

    fn point() -> String {
        use p256::elliptic_curve::Generate;
        let key = p256::ecdsa::SigningKey::try_generate().expect("key");
        URL_SAFE_NO_PAD.encode(key.verifying_key().to_sec1_point(false).as_bytes())
    }

    fn sub(endpoint: &str, p256dh: &str, auth: &str) -> PushSubscription {
        PushSubscription {
            endpoint: endpoint.into(),
            expiration_time: None,
            keys: PushSubscriptionKeys {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
        }
    }

    const AUTH: &str = "AAECAwQFBgcICQoLDA0ODw";

    #[test]
    fn a_real_subscription_passes() {
        let s = validate(
            &sub("https://fcm.googleapis.com/fcm/send/abc", &point(), AUTH),
            false,
        )
        .expect("valid");
        assert_eq!(s.p256dh.len(), 65);
        assert_eq!(s.auth.len(), 16);
    }

    #[test]
    fn endpoints_that_are_refused() {
        let p = point();
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT));
        for endpoint in [
            long.as_str(),
            "http://push.example/x",
            "ftp://push.example/x",
            "not a url",
            "https://10.0.0.1/x",
            "https://[::1]/x",
            "https://user:pw@push.example/x",
            "http://127.0.0.1:9000/x",
            "https://localhost/x",
            "https://intranet/x",
            "https://a.localhost/x",
        ] {
            let e = validate(&sub(endpoint, &p, AUTH), false).expect_err(endpoint);
            assert!(
                matches!(&e, AppError::Api(a) if a.code == ErrorCode::InvalidPushSubscription),
                "{endpoint}"
            );
        }
        // Loopback over http only when the setting says so, and only the loopback.
        assert!(validate(&sub("http://127.0.0.1:9000/x", &p, AUTH), true).is_ok());
        assert!(validate(&sub("http://localhost:9000/x", &p, AUTH), true).is_ok());
        assert!(validate(&sub("http://192.168.1.2:9000/x", &p, AUTH), true).is_err());
    }

    #[test]
    fn keys_that_are_refused() {
        let ok = "https://push.example/x";
        let p = point();
        // Not base64url, a compressed point, a point off the curve, a short secret.
        assert!(validate(&sub(ok, "***", AUTH), false).is_err());
        let raw = URL_SAFE_NO_PAD.decode(&p).expect("b64");
        assert!(validate(&sub(ok, &URL_SAFE_NO_PAD.encode(&raw[..33]), AUTH), false).is_err());
        let mut off = raw.clone();
        off[64] ^= 1;
        assert!(validate(&sub(ok, &URL_SAFE_NO_PAD.encode(&off), AUTH), false).is_err());
        assert!(validate(&sub(ok, &p, "AAECAwQFBgcICQoLDA0O"), false).is_err());
        assert!(validate(&sub(ok, &p, "%%"), false).is_err());
    }
}
