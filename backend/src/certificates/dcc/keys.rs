//! Document signer key material: a P-256 (ES256) key and its self-signed certificate.

use std::str::FromStr;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2_v011::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Decode, Encode, EncodePem};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use super::DccError;

/// Length of a DCC key identifier (first bytes of SHA-256 of the certificate DER).
pub const KID_LEN: usize = 8;

/// Validity of a generated document signer certificate (~2 years).
const CERT_VALIDITY_DAYS: i64 = 730;

/// A P-256 signing key with its self-signed X.509 certificate.
#[derive(Clone)]
pub struct SigningMaterial {
    key: SigningKey,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for SigningMaterial {
    // Never print the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningMaterial")
            .field("kid", &super::hex_kid(&self.kid()))
            .finish_non_exhaustive()
    }
}

impl SigningMaterial {
    /// Generates a fresh ES256 key and a self-signed certificate with subject `CN=<common_name>`,
    /// valid from `now` for about two years.
    pub fn generate(common_name: &str, now: DateTime<Utc>) -> Result<Self, DccError> {
        let name = common_name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(DccError::InvalidInput(
                "the common name must have 1 to 64 bytes".into(),
            ));
        }
        let subject = Name::from_str(&format!("CN={}", escape_dn_value(name)))
            .map_err(|e| DccError::Certificate(format!("subject name: {e}")))?;

        let key = SigningKey::try_generate()
            .map_err(|e| DccError::Key(format!("key generation: {e}")))?;
        let verifying_key = *key.verifying_key();
        let spki = SubjectPublicKeyInfoOwned::from_key(&verifying_key)
            .map_err(|e| DccError::Key(format!("public key encoding: {e}")))?;

        let not_after = now
            .checked_add_signed(Duration::days(CERT_VALIDITY_DAYS))
            .ok_or_else(|| DccError::InvalidInput("date out of range".into()))?;
        let validity = Validity::new(to_x509_time(now)?, to_x509_time(not_after)?);

        let builder = CertificateBuilder::new(
            SelfSignedSigner { subject },
            serial_number(&verifying_key, now)?,
            validity,
            spki,
        )
        .map_err(|e| DccError::Certificate(e.to_string()))?;
        let certificate = builder
            .build::<_, DerSignature>(&key)
            .map_err(|e| DccError::Certificate(e.to_string()))?;
        let cert_der = certificate
            .to_der()
            .map_err(|e| DccError::Certificate(e.to_string()))?;
        Ok(Self { key, cert_der })
    }

    /// Exports `(PKCS#8 DER private key, certificate DER)`.
    ///
    /// The first element is secret: store it encrypted / out of the database dumps.
    pub fn to_der(&self) -> (Vec<u8>, Vec<u8>) {
        let key = self
            .key
            .to_pkcs8_der()
            // Encoding a valid in-memory P-256 scalar cannot fail.
            .expect("PKCS#8 encoding of a P-256 key")
            .as_bytes()
            .to_vec();
        (key, self.cert_der.clone())
    }

    /// Loads material previously exported with [`SigningMaterial::to_der`].
    ///
    /// Fails with [`DccError::Key`] if the key is not a P-256 PKCS#8 key or does not match the
    /// certificate's public key, and with [`DccError::Certificate`] if the certificate does not parse.
    pub fn from_der(key_pkcs8: &[u8], cert_der: &[u8]) -> Result<Self, DccError> {
        let key = SigningKey::from_pkcs8_der(key_pkcs8)
            .map_err(|e| DccError::Key(format!("PKCS#8: {e}")))?;
        let cert_key = certificate_public_key(cert_der)?;
        if cert_key != *key.verifying_key() {
            return Err(DccError::Key(
                "the private key does not match the certificate's public key".into(),
            ));
        }
        Ok(Self {
            key,
            cert_der: cert_der.to_vec(),
        })
    }

    /// DCC key identifier: the first 8 bytes of SHA-256 over the certificate DER.
    pub fn kid(&self) -> [u8; KID_LEN] {
        kid_of(&self.cert_der)
    }

    /// The certificate, DER-encoded (what goes into a trust list).
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, PEM-encoded (`-----BEGIN CERTIFICATE-----`).
    pub fn certificate_pem(&self) -> String {
        Certificate::from_der(&self.cert_der)
            .and_then(|c| c.to_pem(LineEnding::LF))
            // `cert_der` was produced or validated by this type.
            .expect("certificate DER re-encodes as PEM")
    }

    pub(super) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// First 8 bytes of SHA-256 over a certificate DER.
pub(super) fn kid_of(cert_der: &[u8]) -> [u8; KID_LEN] {
    let digest = Sha256::digest(cert_der);
    let mut kid = [0u8; KID_LEN];
    kid.copy_from_slice(&digest[..KID_LEN]);
    kid
}

/// Extracts the P-256 public key of an X.509 certificate.
pub(super) fn certificate_public_key(cert_der: &[u8]) -> Result<VerifyingKey, DccError> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| DccError::Certificate(format!("X.509 DER: {e}")))?;
    let spki_der = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| DccError::Certificate(e.to_string()))?;
    let spki = SubjectPublicKeyInfoRef::from_der(&spki_der)
        .map_err(|e| DccError::Certificate(e.to_string()))?;
    VerifyingKey::try_from(spki)
        .map_err(|e| DccError::Key(format!("certificate key is not a P-256 key: {e}")))
}

fn to_x509_time(t: DateTime<Utc>) -> Result<Time, DccError> {
    Time::try_from(SystemTime::from(t))
        .map_err(|e| DccError::InvalidInput(format!("date not encodable in X.509: {e}")))
}

/// Positive 16-byte serial derived from the public key and the creation time: unique per key.
fn serial_number(key: &VerifyingKey, now: DateTime<Utc>) -> Result<SerialNumber, DccError> {
    let mut hasher = Sha256::new();
    hasher.update(key.to_sec1_point(false).as_bytes());
    hasher.update(now.timestamp().to_be_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte to strip
    SerialNumber::new(&bytes).map_err(|e| DccError::Certificate(e.to_string()))
}

/// RFC 4514 escaping of an attribute value.
fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Certificate profile for a self-signed document signer (end entity, digitalSignature only).
struct SelfSignedSigner {
    subject: Name,
}

impl BuilderProfile for SelfSignedSigner {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut extensions = Vec::new();
        let bc = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        }
        .to_extension(tbs.subject(), &extensions)?;
        extensions.push(bc);
        let ku = KeyUsage(KeyUsages::DigitalSignature.into())
            .to_extension(tbs.subject(), &extensions)?;
        extensions.push(ku);
        let ski = SubjectKeyIdentifier::try_from(spk)?.to_extension(tbs.subject(), &extensions)?;
        extensions.push(ski);
        Ok(extensions)
    }
}
