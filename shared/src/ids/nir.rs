//! NIR (numéro d'inscription au répertoire): 13 characters + a 2-digit key.
//! Key = 97 − (number mod 97), where Corsican departments 2A/2B count as 19/18.

use chrono::{Datelike, NaiveDate};
#[cfg(feature = "db")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};

use super::{IdError, all_digits, normalise, string_serde};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "db",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "String(StringLen::None)")
)]
pub enum Sex {
    #[cfg_attr(feature = "db", sea_orm(string_value = "M"))]
    Male,
    #[cfg_attr(feature = "db", sea_orm(string_value = "F"))]
    Female,
}

/// What else was typed about the patient, which the NIR must agree with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NirContext {
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

impl Nir {
    pub const SCHEMA_DESCRIPTION: &'static str = "NIR : 13 caractères et une clé de 2 chiffres";
    /// The shape `parse` accepts (month and key aside): sex digit, 4 digits, department
    /// (2 digits or 2A/2B), 6 digits and the 2-digit key, separators included.
    pub const SCHEMA_PATTERN: &'static str = r"^[\s.-]*[1-478](?:[\s.-]*[0-9]){4}[\s.-]*(?:[0-9][\s.-]*[0-9]|2[\s.-]*[ABab])(?:[\s.-]*[0-9]){8}[\s.-]*$";

    /// Parses a NIR on its own: format and key.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = normalise(input);
        match s.chars().count() {
            0 => return Err(IdError::Empty { what: "NIR" }),
            15 => {}
            n => {
                return Err(IdError::WrongLength {
                    what: "NIR",
                    expected: 15,
                    found: n,
                });
            }
        }
        if !s.is_ascii() {
            return Err(IdError::NirMalformed {
                detail: "caractère inattendu",
            });
        }
        let (body, key) = s.split_at(13);
        if !all_digits(key) {
            return Err(IdError::NirMalformed {
                detail: "la clé doit comporter deux chiffres",
            });
        }
        let sex = body.as_bytes()[0];
        if !matches!(sex, b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
            return Err(IdError::NirMalformed {
                detail: "le premier chiffre doit être 1 ou 2",
            });
        }
        let department = &body[5..7];
        let numeric_body = match department {
            "2A" => format!("{}19{}", &body[..5], &body[7..]),
            "2B" => format!("{}18{}", &body[..5], &body[7..]),
            _ => body.to_owned(),
        };
        if !all_digits(&numeric_body) {
            return Err(IdError::NirMalformed {
                detail: "seuls des chiffres sont permis, sauf 2A ou 2B pour la Corse",
            });
        }
        let month: u32 = body[3..5].parse().unwrap_or(0);
        // 01–12, or the codes used when the birth month is unknown (20–42, 50–99).
        if !(matches!(month, 1..=12 | 20..=42 | 50..=99)) {
            return Err(IdError::NirMalformed {
                detail: "le mois de naissance est invalide",
            });
        }
        let n: u64 = numeric_body.parse().map_err(|_| IdError::NirMalformed {
            detail: "nombre invalide",
        })?;
        let expected = 97 - n % 97;
        let given: u64 = key.parse().unwrap_or(0);
        if expected != given {
            return Err(IdError::BadKey { what: "NIR" });
        }
        Ok(Self(s))
    }

    /// Parses a NIR and checks it against the sex and birth date typed beside it.
    pub fn parse_with(input: &str, context: NirContext) -> Result<Self, IdError> {
        let nir = Self::parse(input)?;
        if let Some(sex) = context.sex
            && nir.sex() != Some(sex)
        {
            return Err(IdError::NirSexMismatch);
        }
        if let Some(date) = context.birth_date {
            let year_ok = nir.birth_year_2() == (date.year().rem_euclid(100)) as u32;
            let month_ok = match nir.birth_month() {
                Some(m) => m == date.month(),
                None => true, // month unknown in the NIR: nothing to compare
            };
            if !year_ok || !month_ok {
                return Err(IdError::NirBirthMismatch);
            }
        }
        Ok(nir)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Odd first digit: male; even: female (provisional numbers 7/8 follow the same parity).
    pub fn sex(&self) -> Option<Sex> {
        match self.0.as_bytes()[0] {
            b'1' | b'3' | b'7' => Some(Sex::Male),
            b'2' | b'4' | b'8' => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn birth_year_2(&self) -> u32 {
        self.0[1..3].parse().unwrap_or(0)
    }

    /// The birth month, when the NIR carries a real one (01–12).
    pub fn birth_month(&self) -> Option<u32> {
        self.0[3..5].parse().ok().filter(|m| (1..=12).contains(m))
    }

    /// Department of birth as written in the NIR (`2A`, `75`, `99` for abroad, …).
    pub fn birth_department(&self) -> &str {
        &self.0[5..7]
    }
}

// A NIR is health-adjacent personal data: never print it whole.
impl std::fmt::Debug for Nir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nir({}…)", &self.0[..1])
    }
}

string_serde!(Nir);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_key(body: &str) -> String {
        let numeric = body.replace("2A", "19").replace("2B", "18");
        let n: u64 = numeric.parse().expect("digits");
        format!("{body}{:02}", 97 - n % 97)
    }

    #[test]
    fn product_vector() {
        let nir = Nir::parse("255081416802538").expect("reference vector");
        assert_eq!(nir.sex(), Some(Sex::Female));
        assert_eq!(nir.birth_year_2(), 55);
        assert_eq!(nir.birth_month(), Some(8));
        assert_eq!(nir.birth_department(), "14");
        assert!(
            Nir::parse("2 55 08 14 168 025 38").is_ok(),
            "spaces allowed"
        );
        assert_eq!(
            Nir::parse("255081416802539"),
            Err(IdError::BadKey { what: "NIR" })
        );
    }

    #[test]
    fn corsica_counts_as_19_and_18() {
        let a = with_key("185072A123456");
        let b = with_key("185072B123456");
        assert!(Nir::parse(&a).is_ok(), "{a}");
        assert!(Nir::parse(&b).is_ok(), "{b}");
        assert!(Nir::parse(&a.to_lowercase()).is_ok(), "lower case accepted");
        // The same digits read as a plain number would give another key.
        assert_ne!(&a[13..], &b[13..]);
    }

    #[test]
    fn coherence_with_typed_fields() {
        let female_1955_08 = NirContext {
            sex: Some(Sex::Female),
            birth_date: NaiveDate::from_ymd_opt(1955, 8, 3),
        };
        assert!(Nir::parse_with("255081416802538", female_1955_08).is_ok());
        let male = NirContext {
            sex: Some(Sex::Male),
            ..female_1955_08
        };
        assert_eq!(
            Nir::parse_with("255081416802538", male),
            Err(IdError::NirSexMismatch)
        );
        let wrong_month = NirContext {
            birth_date: NaiveDate::from_ymd_opt(1955, 9, 3),
            ..female_1955_08
        };
        assert_eq!(
            Nir::parse_with("255081416802538", wrong_month),
            Err(IdError::NirBirthMismatch)
        );
        let wrong_year = NirContext {
            birth_date: NaiveDate::from_ymd_opt(1956, 8, 3),
            ..female_1955_08
        };
        assert_eq!(
            Nir::parse_with("255081416802538", wrong_year),
            Err(IdError::NirBirthMismatch)
        );
    }

    #[test]
    fn malformed_inputs_get_french_messages() {
        for bad in [
            "",
            "25508141680253",
            "555081416802538",
            "255131416802538",
            "25508141680253X",
            "2550814168025é8",
        ] {
            let err = Nir::parse(bad).expect_err(bad);
            assert!(!err.to_string().is_empty());
        }
        assert!(
            format!("{:?}", Nir::parse("255081416802538").expect("valid")).len() < 10,
            "Debug hides the NIR"
        );
    }

    proptest! {
        #[test]
        fn computed_keys_always_validate(sex in "[12]", yy in "[0-9]{2}", mm in 1u32..=12, dep in "(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)", rest in "[0-9]{6}") {
            let body = format!("{sex}{yy}{mm:02}{dep}{rest}");
            let nir = with_key(&body);
            prop_assert!(Nir::parse(&nir).is_ok(), "{}", nir);
        }

        #[test]
        fn a_changed_digit_is_caught(rest in "[0-9]{6}", pos in 7usize..13, delta in 1u8..10) {
            let nir = with_key(&format!("1850775{rest}"));
            let mut bytes = nir.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert!(Nir::parse(&String::from_utf8(bytes).expect("ascii")).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Nir::parse(&s);
        }
    }
}
