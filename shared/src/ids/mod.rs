//! Identifiers that parse or refuse. Each type has a private field, so holding one proves it
//! passed its rule; the rules and their test vectors come from PRODUCT.md "Identifiers".

mod finess;
mod luhn;
mod national_id;
mod nir;

pub use finess::Finess;
pub use national_id::{NationalId, Rpps};
pub use nir::{Nir, NirContext, Sex};

/// Why an identifier was refused. `Display` is the French message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("Le champ {what} est vide.")]
    Empty { what: &'static str },
    #[error("Le {what} doit comporter {expected} caractères (vous en avez saisi {found}).")]
    WrongLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("Le {what} ne doit contenir que des chiffres.")]
    NotDigits { what: &'static str },
    #[error("Le {what} doit commencer par {expected}.")]
    WrongPrefix {
        what: &'static str,
        expected: &'static str,
    },
    #[error("La clé de contrôle du {what} ne correspond pas : vérifiez la saisie.")]
    BadKey { what: &'static str },
    #[error("Le NIR est mal formé : {detail}.")]
    NirMalformed { detail: &'static str },
    #[error("Le sexe indiqué ne correspond pas au premier chiffre du NIR.")]
    NirSexMismatch,
    #[error("La date de naissance ne correspond pas à l'année ou au mois inscrits dans le NIR.")]
    NirBirthMismatch,
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
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_serde;
