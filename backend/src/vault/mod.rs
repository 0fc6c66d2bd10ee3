//! Secrets at rest. What would let a reader of the database act as someone else — a mail or an
//! SMS holding a link or a code, a private key, the key of the audit chain — is sealed with
//! AES-256-GCM before it reaches the database, under a key that lives outside it: a keys file
//! (created at first start for the embedded default) or the `VIGIE_VAULT__KEYS` environment
//! variable. A database dump alone opens nothing.
//!
//! Several keys may be configured: the first seals, every one opens (a sealed value names the
//! key that sealed it). Rotation puts a fresh key first, re-seals every value, then drops the
//! old keys: at every step the keys configured open every value stored, so a crash in the
//! middle loses nothing and running the rotation again finishes it.

mod keys;
mod rotation;

use aes_gcm::{
    Aes256Gcm, KeyInit,
    aead::{Aead, Nonce, Payload},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub use keys::{VaultSettings, load};
pub(crate) use rotation::audit_trail_is_empty;
pub use rotation::{
    MAIL_BODY, PUSH_SUBSCRIPTION, SMS_BODY, read_secret, reseal, rotate_file, seal_at_rest,
    server_key, store_once,
};

/// What a sealed value starts with: the format's version.
const PREFIX: &str = "vault1";
const NONCE_LEN: usize = 12;

/// The keys that seal and open values at rest.
pub struct Vault {
    /// The first seals; all open.
    keys: Vec<VaultKey>,
    /// This process created the keys file: the first start with a vault, the only one at which
    /// the database may hold secrets in clear (left by a version before the vault; sealed then).
    created_keys_file: bool,
}

struct VaultKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: they name a key without revealing it.
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Vault").field("keys", &ids).finish()
    }
}

/// The database was altered by someone who can write to it but has no vault key: a secret
/// stored in clear, the canary or the audit chain's key gone. Vigie does not start on it, and
/// `vigie audit-verify` reports it as broken.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Tampered(pub String);

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a sealed value")]
    NotSealed,
    #[error("sealed with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("sealed value altered, or sealed for another use")]
    Altered,
}

impl Vault {
    /// A vault over these 32-byte keys, the first sealing.
    pub fn from_keys(keys: &[[u8; 32]]) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "no vault key configured");
        let keys = keys
            .iter()
            .map(|k| {
                Ok(VaultKey {
                    id: key_id(k),
                    cipher: Aes256Gcm::new_from_slice(k)
                        .map_err(|_| anyhow::anyhow!("a vault key is 32 bytes"))?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            keys,
            created_keys_file: false,
        })
    }

    /// A fresh random key.
    pub fn generate_key() -> [u8; 32] {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    }

    /// True when this process created the keys file (see `seal_at_rest`).
    pub fn created_keys_file(&self) -> bool {
        self.created_keys_file
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plain` for one use (`purpose`, e.g. the column it goes to): a value sealed for one
    /// use does not open for another, so nobody can move it where it would be shown.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            // AES-GCM refuses only messages of 64 GiB and more.
            .unwrap_or_default();
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        format!("{PREFIX}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(body))
    }

    pub fn seal_text(&self, purpose: &str, plain: &str) -> String {
        self.seal(purpose, plain.as_bytes())
    }

    /// Opens a value sealed for `purpose` with any configured key.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(PREFIX), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::NotSealed);
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Altered)?;
        if body.len() < NONCE_LEN {
            return Err(OpenError::Altered);
        }
        let (nonce, sealed) = body.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Altered)?;
        key.cipher
            .decrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Altered)
    }

    pub fn open_text(&self, purpose: &str, sealed: &str) -> Result<String, OpenError> {
        String::from_utf8(self.open(purpose, sealed)?).map_err(|_| OpenError::Altered)
    }

    /// True when the value is sealed with the key that seals now (nothing to re-seal).
    pub fn is_current(&self, value: &str) -> bool {
        value
            .strip_prefix(PREFIX)
            .and_then(|v| v.strip_prefix('.'))
            .is_some_and(|v| v.starts_with(&format!("{}.", self.keys[0].id)))
    }
}

/// A keyed fingerprint (HMAC-SHA-256): finds a row by a value without storing the value. A
/// NIR has few enough possibilities that a plain hash of it could be reversed by trying them
/// all; without the key (sealed by the vault), this cannot.
pub struct Fingerprint {
    key: [u8; 32],
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprint")
    }
}

impl Fingerprint {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// 64 hex characters.
    pub fn of(&self, value: &str) -> String {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes a key of any length")
        };
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The stored form of a short code sent to someone (push request, activation, second
    /// factor): keyed, since a plain hash of a 6-digit code is reversed by trying the 10^6
    /// codes. `purpose` keeps one feature's hash from matching another's; `id` is the row the
    /// code belongs to.
    pub fn code(&self, purpose: &str, id: impl std::fmt::Display, code: &str) -> String {
        self.of(&format!("{purpose}:{id}:{code}"))
    }

    /// Whether `code` is the one stored as `stored` (by [`Fingerprint::code`]), in constant
    /// time. Codes stored as plain SHA-256 by an earlier version no longer match: they lived at
    /// most 15 minutes, so a code pending across the upgrade is simply asked for again.
    pub fn code_matches(
        &self,
        purpose: &str,
        id: impl std::fmt::Display,
        code: &str,
        stored: &str,
    ) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(
            self.code(purpose, id, code.trim())
                .as_bytes()
                .ct_eq(stored.as_bytes()),
        )
    }
}

/// True when the value has the form of a sealed value.
pub fn is_sealed(value: &[u8]) -> bool {
    value.starts_with(format!("{PREFIX}.").as_bytes())
}

/// A short public name for a key: the start of a hash of it (never the key itself).
fn key_id(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"vigie vault key id\0");
    h.update(key);
    hex::encode(&h.finalize()[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(keys: &[[u8; 32]]) -> Vault {
        Vault::from_keys(keys).expect("vault")
    }

    #[test]
    fn a_code_matches_only_its_key_purpose_and_row() {
        let key = Fingerprint::new(Vault::generate_key());
        let stored = key.code("approval", "r1", "123456");
        assert!(key.code_matches("approval", "r1", " 123456 ", &stored));
        assert!(!key.code_matches("approval", "r1", "123457", &stored));
        assert!(!key.code_matches("activation", "r1", "123456", &stored));
        assert!(!key.code_matches("approval", "r2", "123456", &stored));
        let other = Fingerprint::new(Vault::generate_key());
        assert!(!other.code_matches("approval", "r1", "123456", &stored));
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_for_its_use_only() {
        let k = Vault::generate_key();
        let v = vault(&[k]);
        let sealed = v.seal_text("mail_outbox.body", "lien secret");
        assert!(!sealed.contains("lien secret"));
        assert!(is_sealed(sealed.as_bytes()));
        assert_eq!(
            v.open_text("mail_outbox.body", &sealed).expect("opens"),
            "lien secret"
        );
        assert!(matches!(
            v.open_text("sms_outbox.body", &sealed),
            Err(OpenError::Altered)
        ));
        // Another key alone does not open it, and says which key is missing.
        let other = vault(&[Vault::generate_key()]);
        assert!(matches!(
            other.open_text("mail_outbox.body", &sealed),
            Err(OpenError::UnknownKey(id)) if id == v.sealing_key_id()
        ));
    }

    #[test]
    fn an_altered_value_does_not_open() {
        let v = vault(&[Vault::generate_key()]);
        let sealed = v.seal_text("p", "code 123456");
        // Flip one character of the ciphertext.
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).expect("ascii");
        assert!(matches!(v.open("p", &altered), Err(OpenError::Altered)));
        assert!(matches!(
            v.open("p", "plain text"),
            Err(OpenError::NotSealed)
        ));
        assert!(matches!(v.open("p", "vault1.x"), Err(OpenError::NotSealed)));
    }

    #[test]
    fn after_rotation_old_values_open_and_new_ones_use_the_new_key() {
        let (old, new) = (Vault::generate_key(), Vault::generate_key());
        let before = vault(&[old]).seal_text("p", "avant");
        let both = vault(&[new, old]);
        assert_eq!(both.open_text("p", &before).expect("old opens"), "avant");
        assert!(!both.is_current(&before));
        let after = both.seal_text("p", "après");
        assert!(both.is_current(&after));
        assert_eq!(
            vault(&[new]).open_text("p", &after).expect("new opens"),
            "après"
        );
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let v = vault(&[Vault::generate_key()]);
        assert_ne!(v.seal_text("p", "même"), v.seal_text("p", "même"));
    }
}
