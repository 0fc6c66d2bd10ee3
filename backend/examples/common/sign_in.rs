//! Signs the demo professional in through the real passkey ceremonies, for the benchmarks.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use url::Url;
use vigie_backend::{auth, demo, entities::professional};
use vigie_shared::api::passkey::{
    AuthenticationChallenge, AuthenticationFinish, RegistrationChallenge, RegistrationFinish,
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

/// Dr Jean Martin, signed in: a client with his session cookie and Vigie's `Origin`.
pub async fn sign_in(
    state: &vigie_backend::state::AppState,
    base: &Url,
) -> anyhow::Result<reqwest::Client> {
    let origin = state.settings.public_url.clone();
    let mut headers = reqwest::header::HeaderMap::new();
    // As a page of Vigie: the server refuses changes from anywhere else.
    headers.insert(
        reqwest::header::ORIGIN,
        state
            .settings
            .public_url
            .origin()
            .ascii_serialization()
            .parse()?,
    );
    let c = reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .pool_max_idle_per_host(256)
        .build()?;
    let id = professional::Entity::find()
        .filter(professional::Column::Rpps.eq(demo::JEAN_MARTIN_RPPS))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo professional"))?
        .id;
    let token = auth::enrolment::issue(&state.db, state.now(), id, auth::enrolment::LIFETIME)
        .await?
        .token;
    let mut key = SoftPasskey::new(true);
    let ch: RegistrationChallenge = c
        .post(base.join("/api/passkeys/registration/start")?)
        .json(&json!({ "enrolment_token": token }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let credential = key
        .do_registration(origin.clone(), ch.options)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    c.post(base.join("/api/passkeys/registration/finish")?)
        .json(&RegistrationFinish {
            ceremony_id: ch.ceremony_id,
            credential,
            label: None,
        })
        .send()
        .await?
        .error_for_status()?;
    let national_id = vigie_shared::Rpps::parse(demo::JEAN_MARTIN_RPPS)?.national_id();
    let ch: AuthenticationChallenge = c
        .post(base.join("/api/passkeys/authentication/start")?)
        .json(&json!({ "national_id": national_id }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let credential = key
        .do_authentication(origin, ch.options)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    c.post(base.join("/api/passkeys/authentication/finish")?)
        .json(&AuthenticationFinish {
            ceremony_id: ch.ceremony_id,
            credential,
        })
        .send()
        .await?
        .error_for_status()?;
    Ok(c)
}
