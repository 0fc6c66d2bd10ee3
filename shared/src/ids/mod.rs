//! Identifiers that parse or refuse. Each type has a private field, so holding one proves it
//! passed its rule; each rule comes with its test vectors.

mod account;
mod cpe;
mod finess;
mod luhn;
mod national_id;
mod nir;

pub use account::AccountIdentifier;
pub use cpe::CpeNumber;
pub use finess::Finess;
pub use national_id::{NationalId, Rpps};
pub use nir::{Nir, NirContext, Sex};

/// Why an identifier was refused. `Display` is the French message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} : le champ est vide.")]
    Empty { what: &'static str },
    #[error("{what} : {expected} caractères attendus, {found} saisis.")]
    WrongLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{what} : seuls des chiffres sont permis.")]
    NotDigits { what: &'static str },
    #[error("{what} : doit commencer par {expected}.")]
    WrongPrefix {
        what: &'static str,
        expected: &'static str,
    },
    #[error("{what} : la clé de contrôle ne correspond pas, vérifiez la saisie.")]
    BadKey { what: &'static str },
    #[error("NIR : {detail}.")]
    NirMalformed { detail: &'static str },
    #[error("NIR : le sexe indiqué ne correspond pas au premier chiffre.")]
    NirSexMismatch,
    #[error("NIR : la date de naissance ne correspond pas à l'année ou au mois inscrits.")]
    NirBirthMismatch,
}

impl IdError {
    /// Every refusal message starts with one of these names (how the server tells an
    /// identifier refusal from other bad input inside a JSON body).
    pub const NAMES: [&'static str; 6] = [
        "Identifiant national",
        "Numéro de carte CPE",
        "Identifiant de compte",
        "Numéro RPPS",
        "NIR",
        "Numéro FINESS",
    ];
}

/// Removes the spaces, dots and dashes people type to group digits, and upper-cases letters.
pub(crate) fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub(crate) fn check_len(s: &str, what: &'static str, expected: usize) -> Result<(), IdError> {
    match s.chars().count() {
        0 => Err(IdError::Empty { what }),
        n if n != expected => Err(IdError::WrongLength {
            what,
            expected,
            found: n,
        }),
        _ => Ok(()),
    }
}

pub(crate) fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Serde support shared by every identifier: serialised as its canonical string, parsed on the way in.
macro_rules! string_serde {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                <$ty>::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty>::parse(s)
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(<$ty>::SCHEMA_DESCRIPTION))
                    .pattern(Some(<$ty>::SCHEMA_PATTERN))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_serde;

#[cfg(test)]
mod pattern_tests {
    use proptest::prelude::*;

    use super::*;

    /// The strings a schema pattern describes (proptest wants it without its anchors).
    fn described(pattern: &'static str) -> proptest::string::RegexGeneratorStrategy<String> {
        let inner = pattern
            .strip_prefix('^')
            .and_then(|p| p.strip_suffix('$'))
            .expect("anchored");
        proptest::string::string_regex(inner).expect("pattern")
    }

    /// What a pattern leaves to `parse`: keys (and a NIR's birth month), never the shape.
    fn beyond_shape(e: &IdError) -> bool {
        matches!(
            e,
            IdError::BadKey { .. }
                | IdError::NirMalformed {
                    detail: "le mois de naissance est invalide"
                }
        )
    }

    proptest! {
        #[test]
        fn every_pattern_describes_a_shape_parse_accepts(
            rpps in described(Rpps::SCHEMA_PATTERN),
            national_id in described(NationalId::SCHEMA_PATTERN),
            cpe in described(CpeNumber::SCHEMA_PATTERN),
            finess in described(Finess::SCHEMA_PATTERN),
            account in described(AccountIdentifier::SCHEMA_PATTERN),
            nir in described(Nir::SCHEMA_PATTERN),
        ) {
            for refused in [
                Rpps::parse(&rpps).err(),
                NationalId::parse(&national_id).err(),
                CpeNumber::parse(&cpe).err(),
                Finess::parse(&finess).err(),
                AccountIdentifier::parse(&account).err(),
                Nir::parse(&nir).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(beyond_shape(&refused), "{refused:?}");
            }
        }
    }
}
