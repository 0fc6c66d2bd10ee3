//! Identifier of a structure's password account (amelipro rules): the structure's FINESS or an
//! Assurance Maladie number, both 9 characters — never an e-mail address. The Assurance
//! Maladie number's key rule is not public: 9 digits that are not a valid FINESS are taken as
//! one, key unchecked.

use super::{Finess, IdError, all_digits, check_len, normalise, string_serde};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountIdentifier(String);

impl AccountIdentifier {
    pub const SCHEMA_DESCRIPTION: &'static str = "Identifiant de compte de structure : numéro FINESS ou numéro Assurance Maladie (9 caractères)";
    /// The shape `parse` accepts (a FINESS, or 9 digits), separators included.
    pub const SCHEMA_PATTERN: &'static str = Finess::SCHEMA_PATTERN;

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        check_len(&s, "Identifiant de compte", 9)?;
        if let Ok(finess) = Finess::parse(&s) {
            return Ok(Self(finess.as_str().to_owned()));
        }
        if !all_digits(&s) {
            return Err(IdError::NotDigits {
                what: "Identifiant de compte",
            });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(AccountIdentifier);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finess_and_assurance_maladie_numbers_are_accepted() {
        assert_eq!(
            AccountIdentifier::parse("75 071 2184")
                .expect("FINESS")
                .as_str(),
            "750712184"
        );
        assert_eq!(
            AccountIdentifier::parse("2A0000017")
                .expect("Corsican FINESS")
                .as_str(),
            "2A0000017"
        );
        assert!(AccountIdentifier::parse("771234561").is_ok());
    }

    #[test]
    fn e_mail_addresses_and_wrong_lengths_are_refused() {
        assert!(matches!(
            AccountIdentifier::parse("centre@melun.fr"),
            Err(IdError::WrongLength { .. })
        ));
        assert!(matches!(
            AccountIdentifier::parse("12345678"),
            Err(IdError::WrongLength { found: 8, .. })
        ));
        assert!(matches!(
            AccountIdentifier::parse("12345678X"),
            Err(IdError::NotDigits { .. })
        ));
    }
}
