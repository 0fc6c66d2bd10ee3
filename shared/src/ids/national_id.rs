//! RPPS number and the national identifier (e-CPS) built on it: `8` + RPPS.

use super::{IdError, all_digits, check_len, luhn, normalise, string_serde};

/// RPPS number: 11 digits, the last a Luhn key over all 11.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rpps(String);

impl Rpps {
    pub const SCHEMA_DESCRIPTION: &'static str = "Numéro RPPS : 11 chiffres, clé de Luhn";
    /// The shape `parse` accepts (key aside): 11 digits, separators included.
    pub const SCHEMA_PATTERN: &'static str = r"^(?:[\s.-]*[0-9]){11}[\s.-]*$";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        check_len(&s, "Numéro RPPS", 11)?;
        if !all_digits(&s) {
            return Err(IdError::NotDigits {
                what: "Numéro RPPS",
            });
        }
        if !luhn::is_valid(&s) {
            return Err(IdError::BadKey {
                what: "Numéro RPPS",
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn national_id(&self) -> NationalId {
        NationalId(format!("8{}", self.0))
    }
}

/// National identifier of a health professional: `8` followed by the RPPS number.
/// The Luhn key runs on the 11 RPPS digits, not on the 12-character identifier.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalId(String);

impl NationalId {
    pub const SCHEMA_DESCRIPTION: &'static str =
        "Identifiant national : « 8 » suivi du numéro RPPS (12 chiffres)";
    /// The shape `parse` accepts (key aside): `8` and 11 digits, separators included.
    pub const SCHEMA_PATTERN: &'static str = r"^[\s.-]*8(?:[\s.-]*[0-9]){11}[\s.-]*$";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        check_len(&s, "Identifiant national", 12)?;
        if !all_digits(&s) {
            return Err(IdError::NotDigits {
                what: "Identifiant national",
            });
        }
        if !s.starts_with('8') {
            return Err(IdError::WrongPrefix {
                what: "Identifiant national",
                expected: "8",
            });
        }
        if !luhn::is_valid(&s[1..]) {
            return Err(IdError::BadKey {
                what: "Identifiant national",
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn rpps(&self) -> Rpps {
        Rpps(self.0[1..].to_owned())
    }
}

// Identifiers are public (RPPS is published), but keep Debug explicit and short.
impl std::fmt::Debug for Rpps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rpps({})", self.0)
    }
}
impl std::fmt::Debug for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NationalId({})", self.0)
    }
}
impl std::fmt::Display for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

string_serde!(Rpps);
string_serde!(NationalId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Valid RPPS numbers used across tests and demonstration data.
    const VALID_RPPS: &str = "10003456786";

    #[test]
    fn vectors() {
        assert!(luhn::is_valid(VALID_RPPS));
        let rpps = Rpps::parse(VALID_RPPS).expect("valid rpps");
        assert_eq!(rpps.national_id().as_str(), "810003456786");
        let id = NationalId::parse("8 1000 345 6786").expect("spaces are allowed");
        assert_eq!(id.rpps(), rpps);
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            NationalId::parse(""),
            Err(IdError::Empty {
                what: "Identifiant national"
            })
        );
        assert!(matches!(
            NationalId::parse("81000345678"),
            Err(IdError::WrongLength { .. })
        ));
        assert!(matches!(
            NationalId::parse("710003456786"),
            Err(IdError::WrongPrefix { .. })
        ));
        assert!(matches!(
            NationalId::parse("81000345678A"),
            Err(IdError::NotDigits { .. })
        ));
        assert!(matches!(
            NationalId::parse("810003456781"),
            Err(IdError::BadKey { .. })
        ));
        // The key is computed on the RPPS digits: Luhn over all 12 characters would differ.
        let msg = NationalId::parse("810003456781")
            .expect_err("bad key")
            .to_string();
        assert!(msg.contains("clé de contrôle"), "{msg}");
    }

    proptest! {
        #[test]
        fn every_body_has_exactly_one_valid_key(body in "[0-9]{10}") {
            let key = luhn::key_for(&body);
            let rpps = format!("{body}{key}");
            prop_assert!(Rpps::parse(&rpps).is_ok());
            let national = format!("8{rpps}");
            prop_assert!(NationalId::parse(&national).is_ok());
            for other in ('0'..='9').filter(|k| *k != key) {
                let wrong = format!("{body}{other}");
                prop_assert!(Rpps::parse(&wrong).is_err());
            }
        }

        #[test]
        fn a_single_digit_typo_is_caught(body in "[0-9]{10}", pos in 0usize..11, delta in 1u8..10) {
            let rpps = format!("{body}{}", luhn::key_for(&body));
            let mut bytes = rpps.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Rpps::parse(&typo).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = NationalId::parse(&s);
            let _ = Rpps::parse(&s);
        }

        #[test]
        fn serde_round_trip(body in "[0-9]{10}") {
            let id = NationalId::parse(&format!("8{body}{}", luhn::key_for(&body))).expect("valid");
            let json = serde_json::to_string(&id).expect("serialise");
            prop_assert_eq!(serde_json::from_str::<NationalId>(&json).expect("parse"), id);
        }
    }
}
