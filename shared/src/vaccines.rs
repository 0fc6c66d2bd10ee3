//! The COVID-19 vaccine catalogue as reference data (EMA EPARs, HAS advice, eHealth Network
//! DCC value sets) and the HAS age recommendations: the server seeds its catalogue from it, and
//! a device entering offline applies the same rules.

pub struct Product {
    pub code: &'static str,
    pub name: &'static str,
    pub manufacturer: &'static str,
    /// EU marketing authorisation number (DCC `mp`).
    pub eu_authorisation: &'static str,
    /// Doses in the primary schedule.
    pub doses: i32,
    /// Minimum days between two doses of the primary schedule.
    pub min_interval_days: i32,
    pub min_age_years: i32,
    /// Still distributed in France.
    pub active: bool,
    /// DCC vaccine/prophylaxis code (`vp`).
    pub dcc_prophylaxis: &'static str,
    /// DCC marketing authorisation holder (`ma`).
    pub dcc_manufacturer: &'static str,
}

const MRNA: &str = "1119349007";
const VECTOR: &str = "29061000087103";
const PROTEIN: &str = "1162643001";
const GENERIC: &str = "28531000087107";

pub const PRODUCTS: [Product; 8] = [
    Product {
        code: "comirnaty",
        name: "Comirnaty",
        manufacturer: "Pfizer / BioNTech",
        eu_authorisation: "EU/1/20/1528",
        doses: 2,
        min_interval_days: 21,
        min_age_years: 5,
        active: true,
        dcc_prophylaxis: MRNA,
        dcc_manufacturer: "ORG-100030215",
    },
    Product {
        code: "spikevax",
        name: "Spikevax",
        manufacturer: "Moderna",
        eu_authorisation: "EU/1/20/1507",
        doses: 2,
        min_interval_days: 28,
        min_age_years: 12,
        active: true,
        dcc_prophylaxis: MRNA,
        dcc_manufacturer: "ORG-100031184",
    },
    Product {
        code: "nuvaxovid",
        name: "Nuvaxovid",
        manufacturer: "Novavax",
        eu_authorisation: "EU/1/21/1618",
        doses: 2,
        min_interval_days: 21,
        min_age_years: 12,
        active: true,
        dcc_prophylaxis: PROTEIN,
        dcc_manufacturer: "ORG-100032020",
    },
    Product {
        code: "bimervax",
        name: "Bimervax",
        manufacturer: "Hipra",
        eu_authorisation: "EU/1/22/1709",
        doses: 1,
        min_interval_days: 0,
        min_age_years: 16,
        active: true,
        dcc_prophylaxis: GENERIC,
        dcc_manufacturer: "ORG-100036914",
    },
    Product {
        code: "vaxzevria",
        name: "Vaxzevria",
        manufacturer: "AstraZeneca",
        eu_authorisation: "EU/1/21/1529",
        doses: 2,
        min_interval_days: 28,
        min_age_years: 18,
        active: false,
        dcc_prophylaxis: VECTOR,
        dcc_manufacturer: "ORG-100001699",
    },
    Product {
        code: "jcovden",
        name: "Jcovden (COVID-19 Vaccine Janssen)",
        manufacturer: "Janssen-Cilag",
        eu_authorisation: "EU/1/20/1525",
        doses: 1,
        min_interval_days: 0,
        min_age_years: 18,
        active: false,
        dcc_prophylaxis: VECTOR,
        dcc_manufacturer: "ORG-100001417",
    },
    Product {
        code: "vidprevtyn-beta",
        name: "VidPrevtyn Beta",
        manufacturer: "Sanofi Pasteur",
        eu_authorisation: "EU/1/21/1580",
        doses: 1,
        min_interval_days: 0,
        min_age_years: 18,
        active: false,
        dcc_prophylaxis: GENERIC,
        dcc_manufacturer: "ORG-100000788",
    },
    Product {
        code: "valneva",
        name: "COVID-19 Vaccine Valneva",
        manufacturer: "Valneva",
        eu_authorisation: "EU/1/21/1624",
        doses: 2,
        min_interval_days: 28,
        min_age_years: 18,
        active: false,
        dcc_prophylaxis: GENERIC,
        dcc_manufacturer: "ORG-100036422",
    },
];

/// Which products to propose for a dose, by age, when the patient has no earlier dose to
/// follow, and which products are advised against at that age.
pub struct AgeRecommendation {
    /// From this age in full years on the injection day, included.
    pub from_years: i32,
    /// Up to this age, excluded; `None`: no upper bound.
    pub until_years: Option<i32>,
    /// In order of preference: the first the structure has a usable lot of is proposed. A
    /// product below its minimum age (`Product::min_age_years`, the catalogue's) is skipped.
    pub proposed: &'static [&'static str],
    /// Given anyway, these need a confirmed warning (`not_recommended_for_age`).
    pub advised_against: &'static [&'static str],
}

/// Where [`AGE_RECOMMENDATIONS`] comes from, as the warning names it.
pub const RECOMMENDATION_SOURCE: &str = "HAS, avis du 8 novembre 2021";

/// Source: Haute Autorité de santé, avis du 8 novembre 2021 on the place of Spikevax
/// (Moderna). Myocarditis being about five times less frequent after Comirnaty than after
/// Spikevax (100 µg) among 12–29-year-olds (Epi-Phare), Comirnaty is the vaccine for anyone
/// under 30, for the primary series as for boosters; from 30, Spikevax may be used too (full
/// dose for the primary series, half dose as a booster). What is encoded: under 30, Comirnaty
/// proposed and Spikevax advised against; from 30, Comirnaty then Spikevax proposed, nothing
/// advised against. The other products are never proposed by default, nor warned about
/// (beyond their minimum age, which is the catalogue's).
pub const AGE_RECOMMENDATIONS: [AgeRecommendation; 2] = [
    AgeRecommendation {
        from_years: 0,
        until_years: Some(30),
        proposed: &["comirnaty"],
        advised_against: &["spikevax"],
    },
    AgeRecommendation {
        from_years: 30,
        until_years: None,
        proposed: &["comirnaty", "spikevax"],
        advised_against: &[],
    },
];

/// The recommendation for this age (full years on the injection day).
pub fn recommendation_for(age: i32) -> &'static AgeRecommendation {
    AGE_RECOMMENDATIONS
        .iter()
        .find(|r| age >= r.from_years && r.until_years.is_none_or(|until| age < until))
        // Below the first band (an age the dates never allow): the first band.
        .unwrap_or(&AGE_RECOMMENDATIONS[0])
}

/// A catalogue product by its code.
pub fn product(code: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.code == code)
}
