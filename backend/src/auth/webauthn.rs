//! The one `Webauthn` of the process, built at start from the public URL: its origin and host
//! are the relying party, checked on every ceremony.

use std::time::Duration;

use url::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// How long the browser lets the user answer a ceremony; the server-side state lives as long.
pub const CEREMONY_TIMEOUT: Duration = Duration::from_secs(120);

pub fn build(public_url: &Url) -> anyhow::Result<Webauthn> {
    let rp_id = public_url
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("public_url has no host"))?;
    let webauthn = WebauthnBuilder::new(rp_id, public_url)?
        .rp_name("Vigie")
        .timeout(CEREMONY_TIMEOUT)
        .build()?;
    Ok(webauthn)
}
