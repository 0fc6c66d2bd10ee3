//! Activation of the approver app. From the phone, the
//! professional types their national identifier; if the directory holds their e-mail and
//! mobile, an activation link is e-mailed and a 6-digit code sent by SMS — both are needed to
//! get an enrolment token, then a passkey is created on the phone. A professional already
//! signed in with a passkey on a computer can instead show a QR code valid 90 seconds.
//!
//! SMS leave through the `sms_outbox` table (the sender interface): a gateway adapter delivers
//! from it; without one, the operator reads it (`vigie outbox`).

use chrono::Duration;
use rand::Rng;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode, NationalId,
    api::activation::{ActivationGranted, ActivationQr, ActivationStarted},
};

use crate::{
    auth::{enrolment, session::SignedIn, tokens},
    entities::{activation, professional},
    error::{AppError, AppResult},
    mail,
    state::AppState,
    work::{Actor, DomainEvent, Subject, Work},
};

pub const LIFETIME: Duration = Duration::minutes(15);
pub const QR_LIFETIME: Duration = Duration::seconds(90);
const MAX_CODE_ATTEMPTS: i32 = 5;
const MAX_PER_HOUR: u64 = 3;
/// Wrong codes one identity may type in a day, across its activations (each activation alone
/// would give 5, and 3 activations an hour can be started).
pub const WRONG_CODES_PER_DAY: i32 = 10;

pub const STARTED_MESSAGE: &str = "Si l'annuaire connaît votre adresse e-mail et votre numéro de mobile, \
vous allez recevoir un e-mail contenant un lien d'activation et un SMS contenant un code à 6 chiffres : \
ouvrez le lien sur ce téléphone puis saisissez le code. Rien reçu ? Vérifiez vos coordonnées dans \
l'annuaire santé (RPPS) auprès de votre ordre ou de l'Agence régionale de santé, puis recommencez.";

/// Purpose of the SMS code's keyed hash (see `vault::Fingerprint::code`).
const CODE_PURPOSE: &str = "activation";

pub async fn start(
    state: &AppState,
    national_id: &NationalId,
    address: &str,
) -> AppResult<ActivationStarted> {
    let now = state.now();
    let started = ActivationStarted {
        message: STARTED_MESSAGE.into(),
    };
    // Every request counts against its address, whoever it names (known or not, the answer is
    // the same): one client cannot make Vigie mail and text every professional it can name.
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    if !work
        .take_quota(
            &format!("activation-address:{address}"),
            Duration::hours(1),
            state.settings.activations_per_ip_per_hour,
        )
        .await?
    {
        return Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de demandes d'activation depuis cette adresse : réessayez dans une heure.",
        ));
    }
    let Some(p) = professional::Entity::find()
        .filter(professional::Column::NationalId.eq(national_id.as_str()))
        .one(work.db())
        .await?
    else {
        work.commit().await?;
        return Ok(started);
    };
    let (Some(email), Some(mobile)) = (
        p.email.clone().filter(|e| !e.is_empty()),
        p.mobile.clone().filter(|m| !m.is_empty()),
    ) else {
        work.commit().await?;
        return Ok(started);
    };
    // Counted alone: parallel starts for one professional queue here.
    work.guard(Subject::Activation(p.id)).await?;
    let recent = activation::Entity::find()
        .filter(activation::Column::ProfessionalId.eq(p.id))
        .filter(activation::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(work.db())
        .await?;
    if recent >= MAX_PER_HOUR {
        // Silently: an attacker must not be able to flood a professional's inbox and phone.
        // (The address's request is counted all the same.)
        work.commit().await?;
        return Ok(started);
    }
    let id = Uuid::new_v4();
    let link_token = tokens::random_token(24);
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let mut link = state
        .settings
        .public_url
        .join("/activation")
        .map_err(AppError::internal)?;
    link.set_fragment(Some(&format!("lien={link_token}")));
    let txn = work.db();
    activation::Entity::insert(activation::ActiveModel {
        id: Set(id),
        professional_id: Set(p.id),
        link_token_hash: Set(tokens::hash(&link_token)),
        sms_code_hash: Set(state.code_key.code(CODE_PURPOSE, id, &code)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    mail::queue(
        &work,
        &p,
        "Vigie : activation de l'application sur votre téléphone",
        &format!(
            "Bonjour,\n\nPour activer Vigie sur votre téléphone, ouvrez ce lien sur le téléphone \
             (valable 15 minutes) puis saisissez le code reçu par SMS :\n{link}\n\n\
             Si vous n'avez rien demandé, ignorez ce message : sans le code, le lien ne sert à rien.\n"
        ),
    )
    .await?;
    mail::queue_sms(
        &work,
        &mobile,
        &format!("Vigie : votre code d'activation est {code}. Il expire dans 15 minutes. Ne le communiquez à personne."),
    )
    .await?;
    work.emit(DomainEvent::ActivationStarted {
        professional: p.id,
        activation: id,
    });
    work.commit().await?;
    let _ = email;
    Ok(started)
}

fn invalid() -> AppError {
    AppError::Api(ApiError::new(
        ErrorCode::EnrolmentInvalid,
        "Lien ou code d'activation invalide ou expiré.",
    ))
}

pub async fn verify(
    state: &AppState,
    link_token: &str,
    sms_code: &str,
) -> AppResult<ActivationGranted> {
    let now = state.now();
    let row = activation::Entity::find()
        .filter(activation::Column::LinkTokenHash.eq(tokens::hash(link_token)))
        .one(&state.db)
        .await?
        .filter(|a| a.used_at.is_none() && a.expires_at > now)
        .ok_or_else(invalid)?;
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let now = work.now();
    // One of the identity's day of codes, in one statement, taken before the activation's own
    // attempt (the quota row is always locked before the activation row). Refused further down,
    // the whole work rolls back and gives it back.
    let quota = codes_quota(row.professional_id);
    if !work
        .take_quota(&quota, Duration::days(1), WRONG_CODES_PER_DAY)
        .await?
    {
        return Err(codes_locked());
    }
    // Every code checked spends one attempt first, in one statement.
    let still_open = || {
        activation::Entity::update_many()
            .filter(activation::Column::Id.eq(row.id))
            .filter(activation::Column::ExpiresAt.gt(now))
    };
    let spent = work
        .take_attempt(
            still_open().filter(activation::Column::UsedAt.is_null()),
            activation::Column::Attempts,
            MAX_CODE_ATTEMPTS,
        )
        .await?;
    if !spent {
        return Err(invalid());
    }
    if !state
        .code_key
        .code_matches(CODE_PURPOSE, row.id, sms_code, &row.sms_code_hash)
    {
        let attempt = activation::Entity::find_by_id(row.id)
            .one(work.db())
            .await?
            .map_or(MAX_CODE_ATTEMPTS, |a| a.attempts);
        work.emit(DomainEvent::ActivationCodeRejected {
            professional: row.professional_id,
            activation: row.id,
            attempt,
        });
        // The quota row is ours until commit: exactly one wrong code sees the day spent.
        if work.quota_used(&quota).await? >= WRONG_CODES_PER_DAY {
            codes_spent(&work, row.professional_id).await?;
            work.commit().await?;
            return Err(codes_locked());
        }
        work.commit().await?;
        return Err(AppError::Api(ApiError::new(
            ErrorCode::WrongCode,
            "Le code SMS ne correspond pas.",
        )));
    }
    if !work
        .take_once(still_open(), activation::Column::UsedAt)
        .await?
    {
        return Err(invalid());
    }
    // The right code: its try is given back to the identity (only wrong codes are counted).
    work.give_back_quota(&quota).await?;
    let issued = enrolment::issue(work.db(), now, row.professional_id, enrolment::LIFETIME).await?;
    work.emit(DomainEvent::ActivationVerified {
        professional: row.professional_id,
        activation: row.id,
    });
    work.commit().await?;
    Ok(ActivationGranted {
        enrolment_token: issued.token,
    })
}

fn codes_quota(professional: Uuid) -> String {
    format!("activation_code:{professional}")
}

fn codes_locked() -> AppError {
    AppError::with_message(
        ErrorCode::RateLimited,
        "Trop de codes d'activation erronés pour cet identifiant aujourd'hui : la saisie est \
         bloquée jusqu'à 24 heures et l'équipe de sécurité est prévenue.",
    )
}

/// The identity's day of wrong codes is spent: the security officers get an incident and the
/// professional a mail (their activation link and codes are in someone else's hands, or
/// someone is guessing).
async fn codes_spent(work: &Work, professional_id: Uuid) -> AppResult<()> {
    crate::incident::open(
        work.db(),
        work.now(),
        crate::incident::Concerning::Professional(professional_id),
        None,
        "activation_code_brute_force",
    )
    .await?;
    if let Some(p) = professional::Entity::find_by_id(professional_id)
        .one(work.db())
        .await?
    {
        mail::queue(
            work,
            &p,
            "Vigie : trop de codes SMS erronés pour votre identifiant",
            &format!(
                "Bonjour,\n\n{WRONG_CODES_PER_DAY} codes d'activation erronés ont été saisis en \
                 moins de 24 heures pour votre identifiant. L'activation de l'application est \
                 bloquée jusqu'à 24 heures et l'équipe de sécurité de Vigie est prévenue.\n\nSi ce \
                 n'était pas vous, quelqu'un a tenté d'activer Vigie à votre nom : aucun \
                 téléphone n'a été activé par ces codes et vos clés d'accès restent valables.\n"
            ),
        )
        .await?;
    }
    Ok(())
}

/// A computer signed in with a passkey shows a QR code; the phone that scans it may create
/// its own passkey within 90 seconds.
pub async fn qr(state: &AppState, signed_in: &SignedIn) -> AppResult<ActivationQr> {
    if signed_in.session.method != "passkey" {
        return Err(AppError::Api(ApiError::new(
            ErrorCode::Forbidden,
            "Seule une session ouverte avec une clé d'accès peut activer un autre appareil.",
        )));
    }
    let actor = Actor {
        id: Some(signed_in.professional.id),
        session: Some(signed_in.session.id),
        ..Actor::anonymous()
    };
    let mut work = Work::begin(state, actor).await?;
    let issued = enrolment::issue(
        work.db(),
        work.now(),
        signed_in.professional.id,
        QR_LIFETIME,
    )
    .await?;
    work.emit(DomainEvent::ActivationQrShown);
    work.commit().await?;
    let mut link = state
        .settings
        .public_url
        .join("/activation")
        .map_err(AppError::internal)?;
    link.set_fragment(Some(&format!("jeton={}", issued.token)));
    Ok(ActivationQr {
        qr_svg: crate::http::qr::svg_text(link.as_str()),
        link: link.to_string(),
        expires_at: issued.expires_at,
    })
}
