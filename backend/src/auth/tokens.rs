//! Random secrets handed to clients (session ids, enrolment tokens) and the hashes stored in
//! their place, so a copy of the database opens no session.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 128 bits or more of OS randomness, URL-safe.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes.max(16)];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token(16);
        assert_eq!(a.len(), 22, "16 bytes, base64url without padding");
        assert_ne!(a, random_token(16));
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), a);
    }
}
