//! Number of a staff member's CPE card (Carte de Personnel d'Établissement, the CPS family card
//! of non-professional staff): the 10 digits printed on the card. No public key rule.

use super::{IdError, all_digits, check_len, normalise, string_serde};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpeNumber(String);

impl CpeNumber {
    pub const SCHEMA_DESCRIPTION: &'static str = "Numéro de carte CPE : 10 chiffres";
    /// The shape `parse` accepts: 10 digits, with the spaces, dots and dashes people type.
    pub const SCHEMA_PATTERN: &'static str = r"^(?:[\s.-]*[0-9]){10}[\s.-]*$";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        check_len(&s, "Numéro de carte CPE", 10)?;
        if !all_digits(&s) {
            return Err(IdError::NotDigits {
                what: "Numéro de carte CPE",
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(CpeNumber);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_digits_with_spacing_are_accepted() {
        assert_eq!(
            CpeNumber::parse("300 123 4567").expect("spaced").as_str(),
            "3001234567"
        );
    }

    #[test]
    fn other_shapes_are_refused_with_a_french_message() {
        let e = CpeNumber::parse("30012345").expect_err("short");
        assert_eq!(
            e.to_string(),
            "Numéro de carte CPE : 10 caractères attendus, 8 saisis."
        );
        assert!(matches!(
            CpeNumber::parse("30012345AB"),
            Err(IdError::NotDigits { .. })
        ));
        assert!(matches!(CpeNumber::parse(""), Err(IdError::Empty { .. })));
    }
}
