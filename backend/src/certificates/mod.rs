//! The "Bilan de vaccination": a printable recap and a PDF, both carrying an EU Digital COVID
//! Certificate (signed QR); the public key is published and a public endpoint verifies any
//! certificate against it. The signing key and its self-signed certificate are created at
//! first start and kept in the database (`server_secret`, sealed by the vault), so every
//! instance signs alike.

pub mod dcc;
pub mod recap_pdf;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Paris;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use vigie_shared::{
    ErrorCode,
    api::vaccination::{
        CertificateVerified, CertificateView, CertifiedDose, InjectionStatus, InjectionView,
        PatientFile, SigningCertificate,
    },
};

use crate::{
    access::Actor,
    entities::vaccine_product,
    error::{AppError, AppResult},
    state::AppState,
};

const KEY_NAME: &str = "dcc_signing_key_pkcs8";
const CERT_NAME: &str = "dcc_signing_certificate_der";
/// DCC disease agent: COVID-19 (SNOMED CT 840539006).
const COVID_19: &str = "840539006";
const ISSUER: &str = "Vigie (traçabilité de la vaccination COVID-19)";
const VALIDITY: Duration = Duration::days(365);

/// The signing material, created once: the first instance to store it wins, the others read
/// it. Stored sealed by the vault: the database alone does not give the private key.
pub async fn load_or_create(
    db: &impl ConnectionTrait,
    vault: &crate::vault::Vault,
    now: DateTime<Utc>,
) -> anyhow::Result<dcc::SigningMaterial> {
    use crate::vault::{read_secret, store_once};
    let stored = || async {
        Ok::<_, anyhow::Error>((
            read_secret(db, vault, KEY_NAME).await?,
            read_secret(db, vault, CERT_NAME).await?,
        ))
    };
    if let (Some(key), Some(cert)) = stored().await? {
        return Ok(dcc::SigningMaterial::from_der(&key, &cert)?);
    }
    let fresh = dcc::SigningMaterial::generate("Vigie DSC", now)?;
    let (key, cert) = fresh.to_der();
    // Key and certificate go in one statement, so nobody can read one without the other.
    store_once(db, vault, &[(KEY_NAME, &key), (CERT_NAME, &cert)]).await?;
    let (Some(key), Some(cert)) = stored().await? else {
        anyhow::bail!("DCC signing material missing after creation");
    };
    Ok(dcc::SigningMaterial::from_der(&key, &cert)?)
}

pub fn signing_certificate(state: &AppState) -> SigningCertificate {
    SigningCertificate {
        kid: STANDARD.encode(state.dcc.kid()),
        certificate_pem: state.dcc.certificate_pem(),
    }
}

fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format("%Y-%m-%d").to_string()
}

/// The certificate of the patient's latest valid dose, and the recap of every dose.
pub struct Bilan {
    pub file: PatientFile,
    pub certificate: CertificateView,
    pub valid: Vec<InjectionView>,
}

/// `file` is the patient's file as the asking professional may see it.
pub async fn bilan(state: &AppState, file: PatientFile) -> AppResult<Bilan> {
    let valid: Vec<InjectionView> = file
        .injections
        .iter()
        .filter(|i| i.status == InjectionStatus::Valid)
        .cloned()
        .collect();
    let Some(last) = valid.iter().max_by_key(|i| i.administered_at) else {
        return Err(AppError::with_message(
            ErrorCode::NotFound,
            "Aucune injection valide : pas de certificat à éditer.",
        ));
    };
    let product = vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Code.eq(&last.product_code))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("product of an injection"))?;
    let uvci = dcc::uvci("FR", "VIGIE", &last.id.simple().to_string().to_uppercase())
        .map_err(AppError::internal)?;
    let hc = dcc::HealthCertificate {
        ver: dcc::HealthCertificate::SCHEMA_VERSION.into(),
        nam: dcc::Name {
            fn_: Some(file.family_name.clone()),
            fnt: dcc::icao_transliterate(&file.family_name),
            gn: Some(file.given_names.clone()),
            gnt: Some(dcc::icao_transliterate(&file.given_names)),
        },
        dob: file.birth_date.format("%Y-%m-%d").to_string(),
        v: vec![dcc::VaccinationEntry {
            tg: COVID_19.into(),
            vp: product.dcc_prophylaxis.clone(),
            mp: product.eu_authorisation.clone(),
            ma: product.dcc_manufacturer.clone(),
            dn: last.dose_number.max(1) as u32,
            sd: last.series_doses.max(1) as u32,
            dt: date(last.administered_at),
            co: "FR".into(),
            is: ISSUER.into(),
            ci: uvci.clone(),
        }],
    };
    let now = state.now();
    let payload =
        dcc::issue(&state.dcc, &hc, "FR", now, now + VALIDITY).map_err(AppError::internal)?;
    Ok(Bilan {
        certificate: CertificateView {
            qr_svg: crate::http::qr::svg_text(&payload),
            payload,
            uvci,
            issued_at: now,
            expires_at: now + VALIDITY,
        },
        file,
        valid,
    })
}

/// The PDF recap: every valid dose, who entered them, and the certificate's QR code.
pub async fn recap_pdf(state: &AppState, actor: &Actor, file: PatientFile) -> AppResult<Vec<u8>> {
    let b = bilan(state, file).await?;
    let issuer = b
        .valid
        .last()
        .map(|last| match (&last.place, last.structure_finess.as_str()) {
            // Given outside any structure: the practitioner answers for it.
            (Some(_), _) | (None, "") => last.vaccinator.clone(),
            (None, finess) => format!("{} (FINESS {finess})", last.structure_name),
        })
        .unwrap_or_default();
    let entered_by = match &actor.typist_name {
        Some(typist) => format!(
            "Saisie par {typist} sous la responsabilité du {}",
            actor.professional_name
        ),
        None => actor.professional_name.clone(),
    };
    let recap = recap_pdf::Recap {
        patient_name: format!("{} {}", b.file.given_names, b.file.family_name),
        birth_date: b.file.birth_date,
        nir_masked: b.file.nir_masked.clone(),
        injections: b
            .valid
            .iter()
            .map(|i| recap_pdf::RecapInjection {
                date: i.administered_at.with_timezone(&Paris).date_naive(),
                product: i.product_name.clone(),
                manufacturer: i.manufacturer.clone(),
                lot: i.lot_number.clone(),
                dose: if i.booster {
                    "Rappel".into()
                } else {
                    format!("{}/{}", i.dose_number, i.series_doses)
                },
                site: i.site.label().into(),
                place: i.place.clone().unwrap_or_else(|| i.structure_name.clone()),
                vaccinator: match &i.typed_by {
                    Some(t) => format!("{} (saisie : {t})", i.vaccinator),
                    None => i.vaccinator.clone(),
                },
            })
            .collect(),
        issued_at: b.certificate.issued_at,
        issuer,
        entered_by,
        certificate_qr_payload: b.certificate.payload.clone(),
        certificate_id: b.certificate.uvci.clone(),
    };
    Ok(
        tokio::task::spawn_blocking(move || recap_pdf::render(&recap))
            .await
            .map_err(AppError::internal)?,
    )
}

/// Checks a pasted or scanned certificate against our published key; says what it holds.
/// Every check, readable or not, first counts against the client's address (`address`, an IPv6
/// client per /64): at most `certificate_checks_per_ip_per_hour` an hour.
pub async fn verify(
    state: &AppState,
    payload: &str,
    address: &str,
) -> AppResult<CertificateVerified> {
    let work = crate::work::Work::begin(state, crate::work::Actor::anonymous()).await?;
    let allowed = work
        .take_quota(
            &format!("certificate-check-address:{address}"),
            Duration::hours(1),
            state.settings.certificate_checks_per_ip_per_hour,
        )
        .await?;
    work.commit().await?;
    if !allowed {
        return Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de vérifications de certificats depuis cette adresse : réessayez dans une heure.",
        ));
    }
    let trusted = [(state.dcc.kid(), state.dcc.certificate_der().to_vec())];
    let verified = dcc::verify(payload, &trusted, state.now())
        .map_err(|e| AppError::with_message(ErrorCode::InvalidInput, e.message_fr()))?;
    let products = vaccine_product::Entity::find().all(&state.db).await?;
    let hc = verified.certificate;
    Ok(CertificateVerified {
        issuer: verified.issuer,
        issued_at: verified.iat,
        expires_at: verified.exp,
        expired: verified.expired,
        name: format!(
            "{} {}",
            hc.nam.fn_.clone().unwrap_or_else(|| hc.nam.fnt.clone()),
            hc.nam.gn.clone().unwrap_or_default()
        )
        .trim()
        .to_owned(),
        birth_date: hc.dob,
        vaccinations: hc
            .v
            .into_iter()
            .map(|v| CertifiedDose {
                product: products
                    .iter()
                    .find(|p| p.eu_authorisation == v.mp)
                    .map(|p| p.name.clone())
                    .unwrap_or(v.mp),
                dose_number: v.dn,
                series_doses: v.sd,
                date: v.dt,
                country: v.co,
                issuer: v.is,
                uvci: v.ci,
            })
            .collect(),
    })
}
