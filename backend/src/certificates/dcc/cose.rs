//! CWT / COSE_Sign1 / zlib / base45 layers: [`issue`] and [`verify`].

use std::io::{Cursor, Read, Write};

use chrono::{DateTime, Utc};
use ciborium::Value;
use coset::{
    AsCborValue, CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate,
    TaggedCborSerializable, iana,
};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey};

use super::keys::{KID_LEN, SigningMaterial, certificate_public_key};
use super::{DccError, HealthCertificate};

/// Prefix of a DCC payload (health certificate, version 1).
const PREFIX: &str = "HC1:";
/// Largest accepted `HC1:` string (a version-40 QR code holds 4,296 alphanumeric characters).
pub const MAX_PAYLOAD_CHARS: usize = 16 * 1024;
/// Largest accepted inflated COSE message (zip bomb guard).
pub const MAX_INFLATED_SIZE: usize = 64 * 1024;

/// CBOR tag of COSE_Sign1.
const TAG_COSE_SIGN1: u64 = 18;
/// CBOR tag of a CWT (RFC 8392), tolerated around the COSE_Sign1 when verifying.
const TAG_CWT: u64 = 61;

/// CWT claim keys (RFC 8392) and the hcert claim.
const CLAIM_ISS: i128 = 1;
const CLAIM_EXP: i128 = 4;
const CLAIM_IAT: i128 = 6;
const CLAIM_HCERT: i128 = -260;
/// Key of the EU DCC v1 inside the hcert claim.
const HCERT_EU_DCC_V1: i128 = 1;

/// Result of a successful [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// CWT issuer (`iss`, ISO 3166-1 alpha-2 country code).
    pub issuer: String,
    /// Issued at (`iat`).
    pub iat: DateTime<Utc>,
    /// Expiration (`exp`).
    pub exp: DateTime<Utc>,
    /// Key identifier of the certificate that verified the signature.
    pub kid: [u8; KID_LEN],
    /// The decoded health certificate.
    pub certificate: HealthCertificate,
    /// `true` when `now` is past `exp`: the signature is valid but the certificate has expired.
    pub expired: bool,
}

/// Issues a DCC: returns `HC1:` + base45(zlib(COSE_Sign1)).
///
/// The COSE_Sign1 is tagged (18), has protected header `{1: -7 (ES256), 4: kid}`, an empty
/// unprotected header and a raw `r||s` signature; its payload is the CWT claims map
/// `{1: issuer_country, 4: exp, 6: iat, -260: {1: hc}}` (times in whole Unix seconds).
pub fn issue(
    material: &SigningMaterial,
    hc: &HealthCertificate,
    issuer_country: &str,
    iat: DateTime<Utc>,
    exp: DateTime<Utc>,
) -> Result<String, DccError> {
    if issuer_country.len() != 2 || !issuer_country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(DccError::InvalidInput(format!(
            "issuer must be an ISO 3166-1 alpha-2 code, got {issuer_country:?}"
        )));
    }
    if exp <= iat {
        return Err(DccError::InvalidInput("exp must be after iat".into()));
    }
    let hcert = Value::serialized(hc).map_err(|e| DccError::Cbor(e.to_string()))?;
    let claims = Value::Map(vec![
        (int(CLAIM_ISS), Value::Text(issuer_country.to_owned())),
        (int(CLAIM_EXP), int(exp.timestamp().into())),
        (int(CLAIM_IAT), int(iat.timestamp().into())),
        (
            int(CLAIM_HCERT),
            Value::Map(vec![(int(HCERT_EU_DCC_V1), hcert)]),
        ),
    ]);
    let mut payload = Vec::new();
    ciborium::into_writer(&claims, &mut payload).map_err(|e| DccError::Cbor(e.to_string()))?;

    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(material.kid().to_vec())
        .build();
    let key: &SigningKey = material.signing_key();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(&[], |tbs| {
            let signature: Signature = key.sign(tbs);
            signature.to_bytes().to_vec()
        })
        .build();
    let cose = sign1
        .to_tagged_vec()
        .map_err(|e| DccError::Cose(e.to_string()))?;

    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(&cose)
        .and_then(|()| encoder.finish())
        .map(|compressed| format!("{PREFIX}{}", base45::encode(compressed)))
        .map_err(|e| DccError::Zlib(e.to_string()))
}

/// Verifies an `HC1:` payload against trusted `(kid, certificate DER)` pairs.
///
/// Accepts a tagged or untagged COSE_Sign1 (optionally inside a CWT tag 61), takes the kid
/// from the protected header or else from the unprotected one, requires ES256 and checks the
/// signature with the public key of every trusted certificate carrying that kid. An expired
/// certificate is still returned, with `expired = true`.
pub fn verify(
    payload: &str,
    trusted: &[([u8; KID_LEN], Vec<u8>)],
    now: DateTime<Utc>,
) -> Result<Verified, DccError> {
    let payload = payload.trim();
    if payload.len() > MAX_PAYLOAD_CHARS {
        return Err(DccError::TooLarge(format!(
            "{} characters (max {MAX_PAYLOAD_CHARS})",
            payload.len()
        )));
    }
    let body = payload.strip_prefix(PREFIX).ok_or(DccError::BadPrefix)?;
    let compressed = base45::decode(body).map_err(|e| DccError::Base45(e.to_string()))?;
    let cose = inflate_capped(&compressed)?;
    let sign1 = parse_cose_sign1(&cose)?;

    // Algorithm: ES256 only, from the protected header (where the spec requires it).
    match &sign1.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) => {}
        Some(other) => return Err(DccError::UnsupportedAlgorithm(format!("{other:?}"))),
        None => return Err(DccError::UnsupportedAlgorithm("none".into())),
    }
    let kid = if !sign1.protected.header.key_id.is_empty() {
        sign1.protected.header.key_id.clone()
    } else if !sign1.unprotected.key_id.is_empty() {
        sign1.unprotected.key_id.clone()
    } else {
        return Err(DccError::MissingKid);
    };
    let candidates: Vec<&([u8; KID_LEN], Vec<u8>)> = trusted
        .iter()
        .filter(|(k, _)| k.as_slice() == kid.as_slice())
        .collect();
    if candidates.is_empty() {
        return Err(DccError::UnknownKid(kid));
    }
    let signature = Signature::from_slice(&sign1.signature).map_err(|_| DccError::BadSignature)?;
    let tbs = sign1.tbs_data(&[]);
    let mut matched = None;
    let mut cert_error = None;
    for (k, cert_der) in candidates {
        match certificate_public_key(cert_der) {
            Ok(public_key) => {
                if public_key.verify(&tbs, &signature).is_ok() {
                    matched = Some(*k);
                    break;
                }
            }
            Err(e) => cert_error = Some(e),
        }
    }
    let kid = match (matched, cert_error) {
        (Some(kid), _) => kid,
        // The only candidate certificates were unusable: report that, not a forgery.
        (None, Some(e)) => return Err(e),
        (None, None) => return Err(DccError::BadSignature),
    };

    let claims_bytes = sign1
        .payload
        .as_deref()
        .ok_or_else(|| DccError::Cose("detached payload".into()))?;
    let claims = decode_claims(claims_bytes)?;
    Ok(Verified {
        expired: now > claims.exp,
        issuer: claims.issuer,
        iat: claims.iat,
        exp: claims.exp,
        kid,
        certificate: claims.hc,
    })
}

fn int(i: i128) -> Value {
    // All the values used here fit in a CBOR integer (i64 range).
    Value::Integer(ciborium::value::Integer::try_from(i).expect("CBOR integer in range of u64/i64"))
}

fn inflate_capped(compressed: &[u8]) -> Result<Vec<u8>, DccError> {
    let mut out = Vec::new();
    ZlibDecoder::new(compressed)
        .take(MAX_INFLATED_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DccError::Zlib(e.to_string()))?;
    if out.len() > MAX_INFLATED_SIZE {
        return Err(DccError::TooLarge(format!(
            "inflated data exceeds {MAX_INFLATED_SIZE} bytes"
        )));
    }
    Ok(out)
}

/// Parses a COSE_Sign1, tagged (18) or not, possibly wrapped in a CWT tag (61).
fn parse_cose_sign1(bytes: &[u8]) -> Result<CoseSign1, DccError> {
    let mut cursor = Cursor::new(bytes);
    let mut value: Value =
        ciborium::from_reader(&mut cursor).map_err(|e| DccError::Cose(e.to_string()))?;
    if cursor.position() as usize != bytes.len() {
        return Err(DccError::Cose(
            "trailing bytes after the COSE message".into(),
        ));
    }
    if let Value::Tag(TAG_CWT, inner) = value {
        value = *inner;
    }
    match value {
        Value::Tag(TAG_COSE_SIGN1, inner) => {
            CoseSign1::from_cbor_value(*inner).map_err(|e| DccError::Cose(e.to_string()))
        }
        Value::Tag(other, _) => Err(DccError::Cose(format!("unexpected CBOR tag {other}"))),
        untagged => CoseSign1::from_cbor_value(untagged).map_err(|e| DccError::Cose(e.to_string())),
    }
}

struct Claims {
    issuer: String,
    iat: DateTime<Utc>,
    exp: DateTime<Utc>,
    hc: HealthCertificate,
}

fn decode_claims(bytes: &[u8]) -> Result<Claims, DccError> {
    let value: Value = ciborium::from_reader(bytes).map_err(|e| DccError::Cbor(e.to_string()))?;
    let Value::Map(entries) = value else {
        return Err(DccError::Claims("CWT payload is not a map".into()));
    };
    let claim = |key: i128| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == key))
            .map(|(_, v)| v)
    };
    let issuer = match claim(CLAIM_ISS) {
        Some(Value::Text(s)) => s.clone(),
        Some(_) => return Err(DccError::Claims("iss is not a text string".into())),
        None => return Err(DccError::Claims("iss is missing".into())),
    };
    let iat = timestamp(claim(CLAIM_IAT), "iat")?;
    let exp = timestamp(claim(CLAIM_EXP), "exp")?;
    let hcert = match claim(CLAIM_HCERT) {
        Some(Value::Map(m)) => m
            .iter()
            .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == HCERT_EU_DCC_V1))
            .map(|(_, v)| v)
            .ok_or_else(|| DccError::Claims("hcert claim has no EU DCC v1 entry".into()))?,
        Some(_) => return Err(DccError::Claims("hcert claim is not a map".into())),
        None => return Err(DccError::Claims("hcert claim (-260) is missing".into())),
    };
    let hc: HealthCertificate = hcert
        .deserialized()
        .map_err(|e| DccError::Cbor(format!("health certificate: {e}")))?;
    Ok(Claims {
        issuer,
        iat,
        exp,
        hc,
    })
}

/// NumericDate: an integer or (tolerated) floating-point number of seconds.
fn timestamp(value: Option<&Value>, name: &str) -> Result<DateTime<Utc>, DccError> {
    let secs = match value {
        Some(Value::Integer(i)) => i64::try_from(i128::from(*i)).ok(),
        Some(Value::Float(f)) if f.is_finite() && f.abs() < 1e15 => Some(f.trunc() as i64),
        Some(_) => None,
        None => return Err(DccError::Claims(format!("{name} is missing"))),
    };
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| DccError::Claims(format!("{name} is not a valid timestamp")))
}
