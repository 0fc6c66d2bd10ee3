//! EU Digital COVID Certificate (DCC, "HC1:" payloads): signing and verification.
//!
//! The whole module is self-contained (no application types) so that it can be
//! dropped into an application as a sub-module (e.g. `certificates/mod.rs`):
//! every internal path goes through `super::`, never `crate::`.
//!
//! Pipeline (eHealth Network "Electronic Health Certificates" spec):
//!
//! ```text
//! HealthCertificate --CBOR--> CWT claims {1: iss, 4: exp, 6: iat, -260: {1: hcert}}
//!   --COSE_Sign1 (ES256, kid)--> zlib --> base45 --> "HC1:" prefix
//! ```
//!
//! * [`SigningMaterial`]: a P-256 key and its self-signed X.509 document signer certificate.
//! * [`issue`]: builds the `HC1:` string.
//! * [`verify`]: parses an `HC1:` string and checks it against a list of trusted certificates.

mod cose;
mod hcert;
mod keys;

#[cfg(test)]
mod tests;

pub use cose::{MAX_INFLATED_SIZE, MAX_PAYLOAD_CHARS, Verified, issue, verify};
pub use hcert::{
    HealthCertificate, Name, VaccinationEntry, icao_transliterate, uvci, uvci_checksum_valid,
};
pub use keys::{KID_LEN, SigningMaterial};

/// Everything that can go wrong while issuing or verifying a DCC.
///
/// `Display` gives an English technical message (for logs); [`DccError::message_fr`]
/// gives a short French message for end users.
#[derive(Debug, thiserror::Error)]
pub enum DccError {
    /// The payload does not start with `HC1:`.
    #[error("payload does not start with the HC1: prefix")]
    BadPrefix,
    /// The payload (or the inflated data) is larger than the accepted limits.
    #[error("payload too large: {0}")]
    TooLarge(String),
    /// Base45 decoding failed.
    #[error("invalid base45: {0}")]
    Base45(String),
    /// zlib inflation failed.
    #[error("invalid zlib data: {0}")]
    Zlib(String),
    /// The COSE_Sign1 structure is malformed.
    #[error("invalid COSE_Sign1 structure: {0}")]
    Cose(String),
    /// The COSE headers carry no key identifier.
    #[error("no kid in the COSE headers")]
    MissingKid,
    /// The signature algorithm is not ES256.
    #[error("unsupported signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// No trusted certificate has this key identifier.
    #[error("unknown kid {}", hex_kid(.0))]
    UnknownKid(Vec<u8>),
    /// The signature does not verify with the certificate named by the kid.
    #[error("signature verification failed")]
    BadSignature,
    /// CBOR encoding/decoding of the payload or of the health certificate failed.
    #[error("invalid CBOR content: {0}")]
    Cbor(String),
    /// The CWT claims (iss, iat, exp) are missing or malformed.
    #[error("invalid CWT claims: {0}")]
    Claims(String),
    /// Key generation, encoding or decoding failed, or the key does not match the certificate.
    #[error("key error: {0}")]
    Key(String),
    /// The X.509 certificate could not be built or parsed.
    #[error("certificate error: {0}")]
    Certificate(String),
    /// Caller-supplied data is not acceptable (UVCI parts, dates...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl DccError {
    /// Short French message, suitable for the public verification page.
    pub fn message_fr(&self) -> &'static str {
        match self {
            DccError::BadPrefix => {
                "Ce code n'est pas un certificat COVID numérique de l'UE (préfixe « HC1: » absent)."
            }
            DccError::TooLarge(_) => "Ce code est trop volumineux pour être un certificat valide.",
            DccError::Base45(_) => "Le contenu du code est illisible (encodage Base45 invalide).",
            DccError::Zlib(_) => "Le contenu du code est illisible (décompression impossible).",
            DccError::Cose(_) => "La structure signée du certificat est invalide.",
            DccError::MissingKid => "Le certificat n'indique pas la clé qui l'a signé.",
            DccError::UnsupportedAlgorithm(_) => {
                "L'algorithme de signature de ce certificat n'est pas pris en charge."
            }
            DccError::UnknownKid(_) => {
                "Ce certificat a été signé par une clé inconnue : son émetteur n'est pas reconnu."
            }
            DccError::BadSignature => {
                "La signature du certificat est invalide : il a pu être modifié ou falsifié."
            }
            DccError::Cbor(_) => "Le contenu du certificat est mal formé.",
            DccError::Claims(_) => {
                "Les informations d'émission du certificat (émetteur, dates) sont absentes ou invalides."
            }
            DccError::Key(_) => {
                "La clé de signature est invalide ou ne correspond pas au certificat."
            }
            DccError::Certificate(_) => "Le certificat de signature (X.509) est invalide.",
            DccError::InvalidInput(_) => "Les données fournies pour le certificat sont invalides.",
        }
    }
}

fn hex_kid(kid: &[u8]) -> String {
    kid.iter().map(|b| format!("{b:02x}")).collect()
}
