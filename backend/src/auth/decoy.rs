//! Passkey sign-in answers the same way whether or not an identifier exists: an unknown one
//! gets a challenge naming a decoy credential, derived from a server key so that asking twice
//! gives the same decoy (a random one would betray the unknown identifier).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use webauthn_rs_proto::{
    AllowCredentials, PublicKeyCredentialRequestOptions, RequestChallengeResponse,
    UserVerificationPolicy,
};

use rand::RngCore;

use super::webauthn::CEREMONY_TIMEOUT;

/// How many credentials every sign-in challenge names: a professional's own, then decoys up
/// to this many; an unknown identifier's, decoys only. The count betrays nothing (up to this
/// many passkeys: a professional with more shows more).
pub const SHOWN: usize = 4;

/// The `slot`-th decoy credential id of an identifier: the same at every request.
fn decoy_id(key: &[u8; 32], identifier: &str, slot: usize) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"decoy-credential:");
    mac.update(identifier.as_bytes());
    mac.update(&(slot as u64).to_be_bytes());
    // Same length as the credential ids Chrome and most authenticators create.
    mac.finalize().into_bytes().to_vec()
}

/// Brings a real challenge's credential list to `SHOWN` entries with the identifier's decoys,
/// and drops the transport hints (decoys have none: a hint would tell them apart).
pub fn pad(key: &[u8; 32], identifier: &str, options: &mut RequestChallengeResponse) {
    let list = &mut options.public_key.allow_credentials;
    for c in list.iter_mut() {
        c.transports = None;
    }
    let mut slot = 0;
    while list.len() < SHOWN {
        list.push(AllowCredentials {
            type_: "public-key".into(),
            id: decoy_id(key, identifier, slot).into(),
            transports: None,
        });
        slot += 1;
    }
}

pub fn challenge(key: &[u8; 32], rp_id: &str, identifier: &str) -> RequestChallengeResponse {
    let mut challenge = [0u8; 32];
    rand::rng().fill_bytes(&mut challenge);
    let mut options = RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: challenge.to_vec().into(),
            timeout: Some(CEREMONY_TIMEOUT.as_millis() as u32),
            rp_id: rp_id.to_owned(),
            allow_credentials: Vec::new(),
            user_verification: UserVerificationPolicy::Required,
            hints: None,
            extensions: None,
        },
        mediation: None,
    };
    pad(key, identifier, &mut options);
    options
}
