//! FINESS number of a structure: 9 characters, the last a Luhn key. Corsican numbers start with
//! 2A/2B and their key rule is not public: their format is accepted and the key left unchecked.

use super::{IdError, all_digits, check_len, luhn, normalise, string_serde};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finess(String);

impl Finess {
    pub const SCHEMA_DESCRIPTION: &'static str =
        "Numéro FINESS : 9 caractères, clé de Luhn (2A/2B : clé non vérifiée)";
    /// The shape `parse` accepts (key aside): 9 digits, or 2A/2B and 7 digits, separators included.
    pub const SCHEMA_PATTERN: &'static str =
        r"^[\s.-]*(?:[0-9][\s.-]*[0-9]|2[\s.-]*[ABab])(?:[\s.-]*[0-9]){7}[\s.-]*$";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        check_len(&s, "Numéro FINESS", 9)?;
        if s.starts_with("2A") || s.starts_with("2B") {
            if !all_digits(&s[2..]) {
                return Err(IdError::NotDigits {
                    what: "Numéro FINESS",
                });
            }
            return Ok(Self(s));
        }
        if !all_digits(&s) {
            return Err(IdError::NotDigits {
                what: "Numéro FINESS",
            });
        }
        if !luhn::is_valid(&s) {
            return Err(IdError::BadKey {
                what: "Numéro FINESS",
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// False for Corsican numbers, whose key rule is unknown: the UI says the key was not checked.
    pub fn key_checked(&self) -> bool {
        !(self.0.starts_with("2A") || self.0.starts_with("2B"))
    }
}

string_serde!(Finess);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn product_vectors() {
        for ok in ["750712184", "690781810", "130783236", "75 071 218 4"] {
            let f = Finess::parse(ok).expect(ok);
            assert!(f.key_checked());
        }
        let corsica = Finess::parse("2a0000123").expect("Corsican format");
        assert_eq!(corsica.as_str(), "2A0000123");
        assert!(!corsica.key_checked());
        assert_eq!(
            Finess::parse("750712185"),
            Err(IdError::BadKey {
                what: "Numéro FINESS"
            })
        );
        assert!(matches!(
            Finess::parse("75071218"),
            Err(IdError::WrongLength { .. })
        ));
        assert!(matches!(
            Finess::parse("2A00001X3"),
            Err(IdError::NotDigits { .. })
        ));
    }

    proptest! {
        #[test]
        fn luhn_keyed_numbers_parse(body in "[013-9][0-9]{7}") {
            let f = format!("{body}{}", luhn::key_for(&body));
            prop_assert!(Finess::parse(&f).is_ok());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Finess::parse(&s);
        }
    }
}
