//! DCC payload types (schema 1.3.0, vaccination group only) and identifier helpers.

use serde::{Deserialize, Serialize};

use super::DccError;

/// The `hcert` v1 content (eu-dcc-schema 1.3.0), restricted to the vaccination group.
///
/// Field names are the schema's (`ver`, `nam`, `dob`, `v`). When decoding a foreign
/// certificate, test (`t`) and recovery (`r`) groups are ignored and `v` may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCertificate {
    /// Schema version, "1.3.0".
    pub ver: String,
    /// Holder's name.
    pub nam: Name,
    /// Date of birth, `YYYY-MM-DD` (the schema also allows `YYYY-MM`, `YYYY` or "").
    pub dob: String,
    /// Vaccination entries (exactly one in a certificate issued by a Member State).
    #[serde(default)]
    pub v: Vec<VaccinationEntry>,
}

impl HealthCertificate {
    /// Schema version written by [`super::issue`] callers.
    pub const SCHEMA_VERSION: &'static str = "1.3.0";
}

/// Holder's name (`nam`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Family name(s) as written (`fn`).
    #[serde(rename = "fn", default, skip_serializing_if = "Option::is_none")]
    pub fn_: Option<String>,
    /// Family name(s) transliterated, ICAO 9303 (`fnt`, `^[A-Z<]*$`).
    pub fnt: String,
    /// Given name(s) as written (`gn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gn: Option<String>,
    /// Given name(s) transliterated (`gnt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gnt: Option<String>,
}

/// One vaccination entry (`v[i]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaccinationEntry {
    /// Disease or agent targeted: "840539006" (COVID-19).
    pub tg: String,
    /// Vaccine or prophylaxis (SNOMED CT code, value set `sct-vaccines-covid-19`).
    pub vp: String,
    /// Medicinal product (EU authorisation number, e.g. "EU/1/20/1528").
    pub mp: String,
    /// Marketing authorisation holder or manufacturer (e.g. "ORG-100030215").
    pub ma: String,
    /// Dose number.
    pub dn: u32,
    /// Total number of doses in the series.
    pub sd: u32,
    /// Date of vaccination, `YYYY-MM-DD`.
    pub dt: String,
    /// Member State or third country of vaccination (ISO 3166-1 alpha-2).
    pub co: String,
    /// Certificate issuer (free text, max 80).
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// ICAO 9303 (Part 3) transliteration used for `fnt` / `gnt`.
///
/// Upper-cases, removes diacritics (É→E, Ç→C), expands ligatures and the letters ICAO
/// expands (Æ→AE, Œ→OE, Ä→AE, Ö→OE, Ü→UE, Å→AA, Ø→OE, ß→SS, Þ→TH), turns spaces, hyphens
/// and other separators into a single `<`, and omits apostrophes (ICAO 9303 and the DCC
/// schema example: "d'Červenková Panklová" → "DCERVENKOVA<PANKLOVA"). Characters with no
/// Latin transliteration (other scripts, digits) are dropped. The result matches `^[A-Z<]*$`.
pub fn icao_transliterate(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´') {
            continue; // apostrophes are omitted
        }
        if c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–' | '—' | ',' | '.' | '<' | '_')
        {
            if !out.is_empty() && !out.ends_with('<') {
                out.push('<');
            }
            continue;
        }
        for u in c.to_uppercase() {
            if u.is_ascii_uppercase() {
                out.push(u);
            } else if let Some(t) = latin_fold(u) {
                out.push_str(t);
            }
        }
    }
    while out.ends_with('<') {
        out.pop();
    }
    out
}

/// Transliteration of upper-case Latin letters with diacritics (Latin-1 Supplement,
/// Latin Extended-A and a few Extended-B letters used in EU languages).
fn latin_fold(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' | 'Ǎ' => "A",
        'Ä' | 'Æ' | 'Ǽ' => "AE",
        'Å' => "AA",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ď' | 'Đ' | 'Ð' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'Ĳ' => "IJ",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' | 'Ơ' => "O",
        'Ö' | 'Ø' | 'Œ' => "OE",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ẞ' => "SS",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'Þ' => "TH",
        'Ù' | 'Ú' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' | 'Ư' => "U",
        'Ü' => "UE",
        'Ŵ' => "W",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

/// Character set of the UVCI Luhn mod N checksum, in code-point order
/// (eu-dcc-schema FAQ "UVCI checksum" and its reference implementation, N = 38).
const UVCI_LUHN_ALPHABET: &[u8; 38] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:";

/// Maximum length of the `ci` field in the DCC schema.
const CI_MAX_LEN: usize = 80;

/// Builds a UVCI (eHealth Network guidelines, Annex 2, version 01) with its checksum:
/// `URN:UVCI:01:<country>:<issuer_prefix>/<unique>#<check>` (or
/// `URN:UVCI:01:<country>:<unique>#<check>` when `issuer_prefix` is empty).
///
/// Parts are upper-cased; `issuer_prefix` and `unique` may only contain `A-Z`, `0-9` and `/`
/// (pass a UUID in its simple, dash-less form). The check character is Luhn mod 38 over the
/// whole string including the `URN:UVCI:` prefix, alphabet `A-Z0-9/:`.
pub fn uvci(country: &str, issuer_prefix: &str, unique: &str) -> Result<String, DccError> {
    let country = country.to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(DccError::InvalidInput(format!(
            "UVCI country must be two letters, got {country:?}"
        )));
    }
    let issuer_prefix = issuer_prefix.to_ascii_uppercase();
    let unique = unique.to_ascii_uppercase();
    let valid = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/');
    if unique.is_empty() || !valid(&unique) || !valid(&issuer_prefix) {
        return Err(DccError::InvalidInput(
            "UVCI parts may only contain A-Z, 0-9 and '/'".into(),
        ));
    }
    let body = if issuer_prefix.is_empty() {
        format!("URN:UVCI:01:{country}:{unique}")
    } else {
        format!("URN:UVCI:01:{country}:{issuer_prefix}/{unique}")
    };
    if body.len() + 2 > CI_MAX_LEN {
        return Err(DccError::InvalidInput(format!(
            "UVCI longer than {CI_MAX_LEN} characters"
        )));
    }
    let check = luhn_mod_n_check(&body, UVCI_LUHN_ALPHABET).ok_or_else(|| {
        DccError::InvalidInput("UVCI contains characters outside the checksum alphabet".into())
    })?;
    Ok(format!("{body}#{check}"))
}

/// Luhn mod N check character of `text` over `alphabet` (code point = index; N must be even).
/// `None` if `text` has a character outside the alphabet.
pub(super) fn luhn_mod_n_check(text: &str, alphabet: &[u8]) -> Option<char> {
    let n = alphabet.len() as u32;
    let mut sum = 0u32;
    // The check character will sit at the right with weight 1, so the rightmost
    // character of `text` gets weight 2, then alternating leftwards.
    for (i, byte) in text.bytes().rev().enumerate() {
        let code = alphabet.iter().position(|&a| a == byte)? as u32;
        let weight = if i % 2 == 0 { 2 } else { 1 };
        let addend = code * weight;
        sum += addend / n + addend % n;
    }
    let check = (n - sum % n) % n;
    Some(alphabet[check as usize] as char)
}

/// Checks a `URN:UVCI:...#C` string against its Luhn mod N check character
/// (same rule as [`uvci`]). UVCIs issued without a checksum return `false`.
pub fn uvci_checksum_valid(uvci: &str) -> bool {
    let Some((body, check)) = uvci.rsplit_once('#') else {
        return false;
    };
    check.len() == 1
        && luhn_mod_n_check(body, UVCI_LUHN_ALPHABET).map(|c| c.to_string())
            == Some(check.to_string())
}
