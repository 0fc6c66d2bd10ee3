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

pub fn challenge(key: &[u8; 32], rp_id: &str, national_id: &str) -> RequestChallengeResponse {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"decoy-credential:");
    mac.update(national_id.as_bytes());
    // Same length as the credential ids Chrome and most authenticators create.
    let credential_id = mac.finalize().into_bytes().to_vec();
    let mut challenge = [0u8; 32];
    rand::rng().fill_bytes(&mut challenge);
    RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: challenge.to_vec(),
            timeout: Some(CEREMONY_TIMEOUT.as_millis() as u32),
            rp_id: rp_id.to_owned(),
            allow_credentials: vec![AllowCredentials {
                type_: "public-key".into(),
                id: credential_id,
                transports: None,
            }],
            user_verification: UserVerificationPolicy::Required,
            hints: None,
            extensions: None,
        },
        mediation: None,
    }
}
