//! Structure password accounts (amelipro rules). The identifier
//! is the FINESS or an Assurance Maladie number, never an e-mail. A password alone opens a
//! session that can do nothing but take the second factor: a 6-digit code sent by SMS to the
//! account's mobile. Then, if the password expired (6 months by default) or was set by an
//! operator, it must be replaced — by one never used before — before anything else.

pub mod password;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Condition, Expr, ExprTrait},
};
use uuid::Uuid;
use vigie_shared::{
    AccountIdentifier, ApiError, ErrorCode,
    api::{
        account::PasswordPolicy,
        session::{SessionStage, SessionState},
    },
};

use crate::{
    auth::session::{self, ClientInfo, Current, Owner, Principal},
    config::Settings,
    entities::{password_history, session as session_row, structure, structure_account},
    error::{AppError, AppResult},
    mail,
    state::AppState,
    work::{Actor, DomainEvent, SessionEnd, Work},
};

/// How long the SMS code is valid, and how many tries it allows.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
pub const MAX_CODE_ATTEMPTS: i32 = 5;

pub fn policy(settings: &Settings) -> PasswordPolicy {
    PasswordPolicy {
        min_length: settings.password.min_length,
        max_age_days: settings.password.max_age_days,
        history: settings.password.history,
    }
}

/// What a new account starts with.
pub struct NewAccount<'a> {
    pub structure: &'a structure::Model,
    pub identifier: &'a AccountIdentifier,
    pub display_name: &'a str,
    pub email: &'a str,
    pub mobile: &'a str,
    pub password: &'a str,
    /// Chosen by an operator: replaced at the first sign-in.
    pub must_change_password: bool,
}

/// Creates the account; an identifier already taken is a conflict (nothing changes).
pub async fn create(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
    new: NewAccount<'_>,
) -> AppResult<structure_account::Model> {
    if structure_account::Entity::find()
        .filter(structure_account::Column::Identifier.eq(new.identifier.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Api(ApiError::new(
            ErrorCode::Conflict,
            "Un compte existe déjà avec cet identifiant.",
        )));
    }
    password::check_strength(
        new.password,
        settings.password.min_length,
        &[
            new.identifier.as_str(),
            new.display_name,
            &new.structure.name,
        ],
    )?;
    let hash = password::hash_blocking(new.password.to_owned()).await?;
    let row = structure_account::ActiveModel {
        id: Set(Uuid::new_v4()),
        structure_id: Set(new.structure.id),
        identifier: Set(new.identifier.as_str().to_owned()),
        display_name: Set(new.display_name.to_owned()),
        email: Set(new.email.to_owned()),
        mobile: Set(new.mobile.to_owned()),
        password_hash: Set(hash),
        password_changed_at: Set(now),
        must_change_password: Set(new.must_change_password),
        failed_attempts: Set(0),
        locked_until: Set(None),
        factor_failures: Set(0),
        factor_window_start: Set(None),
        created_at: Set(now),
    };
    Ok(row.insert(db).await?)
}

fn invalid_credentials() -> AppError {
    ErrorCode::InvalidCredentials.into()
}

/// Identifier + password. Unknown identifier, wrong password and locked account get the same
/// answer after the same work (one Argon2 verification). Every attempt first counts against the
/// client's address (`account_sign_ins_per_ip_per_hour`), whatever account it names.
pub async fn sign_in(
    state: &AppState,
    identifier: &AccountIdentifier,
    given: &str,
    client: ClientInfo,
) -> AppResult<(String, SessionState)> {
    take_address_quota(state, &client).await?;
    let now = state.now();
    let found = structure_account::Entity::find()
        .filter(structure_account::Column::Identifier.eq(identifier.as_str()))
        .one(&state.db)
        .await?;
    let given = given.chars().take(password::MAX_LENGTH).collect::<String>();
    let Some(account) = found else {
        password::verify_blocking(given, password::decoy_hash().to_owned()).await?;
        return Err(invalid_credentials());
    };
    if account.locked_until.is_some_and(|until| until > now) {
        password::verify_blocking(given, password::decoy_hash().to_owned()).await?;
        let mut work = Work::begin(state, Actor::anonymous()).await?;
        work.emit(DomainEvent::LockedAccountTried {
            account: account.id,
        });
        work.commit().await?;
        return Err(invalid_credentials());
    }
    if !password::verify_blocking(given, account.password_hash.clone()).await? {
        failed(state, &account).await?;
        return Err(invalid_credentials());
    }

    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let now = work.now();
    // A lock set by wrong passwords checked in parallel with this one still holds.
    let unlocked = structure_account::Entity::update_many()
        .col_expr(structure_account::Column::FailedAttempts, Expr::value(0))
        .col_expr(
            structure_account::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(structure_account::Column::Id.eq(account.id))
        .filter(not_locked(now))
        .exec(work.db())
        .await?;
    if unlocked.rows_affected != 1 {
        work.emit(DomainEvent::LockedAccountTried {
            account: account.id,
        });
        work.commit().await?;
        return Err(invalid_credentials());
    }
    // One SMS per password sign-in, `SMS_PER_HOUR` an hour. Counted under the account row's
    // lock just taken (the update above), so parallel sign-ins count one after the other.
    let sent = session_row::Entity::find()
        .filter(session_row::Column::AccountId.eq(account.id))
        .filter(session_row::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(work.db())
        .await?;
    if sent >= SMS_PER_HOUR {
        work.emit(DomainEvent::SmsCapReached {
            account: account.id,
        });
        work.commit().await?;
        return Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de codes SMS envoyés pour ce compte : réessayez dans une heure.",
        ));
    }
    let txn = work.db();
    let opened = session::open_for(
        txn,
        &state.settings,
        now,
        Owner::Account(account.id),
        SessionStage::SecondFactor,
        "password",
        client,
    )
    .await?;
    send_code(&work, &account, opened.session.id).await?;
    work.emit(DomainEvent::PasswordAccepted {
        account: account.id,
        session: opened.session.id,
    });
    work.commit().await?;
    // The row as opened: its state does not depend on the code just stored.
    let current = Current {
        session: opened.session,
        principal: principal(state, account).await?,
    };
    Ok((opened.token, current.state()))
}

/// Counts a password attempt against the client's address (an IPv6 client per /64), before
/// anything is looked up or checked: one client cannot try passwords across many accounts (each
/// account's own lock only counts the tries at it). Committed at once, so the slow password
/// check that follows holds no lock.
async fn take_address_quota(state: &AppState, client: &ClientInfo) -> AppResult<()> {
    let address = client.counted.as_deref().unwrap_or("inconnue");
    let work = Work::begin(state, Actor::anonymous()).await?;
    let allowed = work
        .take_quota(
            &format!("account-sign-in-address:{address}"),
            Duration::hours(1),
            state.settings.account_sign_ins_per_ip_per_hour,
        )
        .await?;
    work.commit().await?;
    if allowed {
        Ok(())
    } else {
        Err(AppError::with_message(
            ErrorCode::RateLimited,
            "Trop de tentatives de connexion depuis cette adresse : réessayez dans une heure.",
        ))
    }
}

async fn principal(state: &AppState, account: structure_account::Model) -> AppResult<Principal> {
    let structure = structure::Entity::find_by_id(account.structure_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("account without structure"))?;
    Ok(Principal::Account { account, structure })
}

/// Not locked at `now`: the condition every counting or unlocking statement carries.
fn not_locked(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(structure_account::Column::LockedUntil.is_null())
        .add(structure_account::Column::LockedUntil.lte(now))
}

/// Counts a wrong password; enough in a row lock the account for a while. The count is one
/// statement, and the row stays locked until commit, so parallel wrong passwords are each
/// counted and exactly one of them locks the account.
async fn failed(state: &AppState, account: &structure_account::Model) -> AppResult<()> {
    let rules = &state.settings.password;
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let now = work.now();
    let counted = structure_account::Entity::update_many()
        .col_expr(
            structure_account::Column::FailedAttempts,
            Expr::col(structure_account::Column::FailedAttempts).add(1),
        )
        .filter(structure_account::Column::Id.eq(account.id))
        .filter(not_locked(now))
        .exec(work.db())
        .await?;
    if counted.rows_affected != 1 {
        // Locked meanwhile by a parallel wrong password: not counted again.
        work.emit(DomainEvent::LockedAccountTried {
            account: account.id,
        });
        return work.commit().await;
    }
    let failures = structure_account::Entity::find_by_id(account.id)
        .one(work.db())
        .await?
        .ok_or_else(|| AppError::internal("account vanished"))?
        .failed_attempts;
    if failures >= rules.lock_after_failures {
        structure_account::Entity::update_many()
            .col_expr(structure_account::Column::FailedAttempts, Expr::value(0))
            .col_expr(
                structure_account::Column::LockedUntil,
                Expr::value(Some(now + Duration::minutes(rules.lock_minutes))),
            )
            .filter(structure_account::Column::Id.eq(account.id))
            .exec(work.db())
            .await?;
        work.emit(DomainEvent::AccountLocked {
            account: account.id,
            failures,
        });
    } else {
        work.emit(DomainEvent::PasswordRejected {
            account: account.id,
            failures,
        });
    }
    work.commit().await
}

/// Purpose of the SMS code's keyed hash (see `vault::Fingerprint::code`).
const CODE_PURPOSE: &str = "second-factor";

async fn send_code(
    work: &Work,
    account: &structure_account::Model,
    session_id: Uuid,
) -> AppResult<()> {
    let (db, now) = (work.db(), work.now());
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    session_row::Entity::update_many()
        .col_expr(
            session_row::Column::FactorCodeHash,
            Expr::value(work.state().code_key.code(CODE_PURPOSE, session_id, &code)),
        )
        .col_expr(
            session_row::Column::FactorExpiresAt,
            Expr::value(now + CODE_LIFETIME),
        )
        .col_expr(session_row::Column::FactorAttempts, Expr::value(0))
        .filter(session_row::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    mail::queue_sms(
        work,
        &account.mobile,
        &format!(
            "Vigie : votre code de connexion est {code}. Il expire dans 5 minutes. Ne le communiquez à personne."
        ),
    )
    .await?;
    Ok(())
}

fn account_of(current: &Current) -> AppResult<&structure_account::Model> {
    match &current.principal {
        Principal::Account { account, .. } => Ok(account),
        _ => Err(ErrorCode::Forbidden.into()),
    }
}

fn password_due(settings: &Settings, now: DateTime<Utc>, a: &structure_account::Model) -> bool {
    a.must_change_password
        || now >= a.password_changed_at + Duration::days(settings.password.max_age_days)
}

/// The SMS code. Right: the session gets a new id (cookie) and moves on — to `active`, or to
/// `password_change` when the password must be replaced. Wrong 5 times, or late: the session
/// ends and the sign-in starts again.
pub async fn second_factor(
    state: &AppState,
    current: Current,
    code: &str,
) -> AppResult<(String, SessionState)> {
    let account = account_of(&current)?.clone();
    let row = &current.session;
    if current.stage() != SessionStage::SecondFactor {
        return Err(AppError::Api(ApiError::new(
            ErrorCode::Conflict,
            "Le code a déjà été saisi pour cette session.",
        )));
    }
    let mut work = Work::begin(state, Actor::of(&current)).await?;
    let now = work.now();
    if row.factor_expires_at.is_none_or(|at| now >= at) {
        work.end_session(row, SessionEnd::SecondFactorExpired)
            .await?;
        work.commit().await?;
        return Err(second_factor_over());
    }
    // One of the account's day of codes, across all its sessions (a new sign-in brings fresh
    // tries for its session, not for the account). Taken first: the account row is locked
    // before any of its sessions' rows, in every write that takes both.
    if !spend_account_code(&work, account.id).await? {
        work.end_session(row, SessionEnd::SecondFactorFailed)
            .await?;
        work.commit().await?;
        return Err(factor_locked());
    }
    // Every code checked spends one attempt first, in one statement: parallel guesses get no
    // more checks than the limit (refused here, the account's try is not spent: rolled back).
    let spent = work
        .take_attempt(
            session_row::Entity::update_many()
                .filter(session_row::Column::Id.eq(row.id))
                .filter(
                    session_row::Column::Stage.eq(session::stage_name(SessionStage::SecondFactor)),
                )
                .filter(session_row::Column::EndedAt.is_null()),
            session_row::Column::FactorAttempts,
            MAX_CODE_ATTEMPTS,
        )
        .await?;
    if !spent {
        return Err(second_factor_over());
    }
    let expected = row.factor_code_hash.clone().unwrap_or_default();
    if !state
        .code_key
        .code_matches(CODE_PURPOSE, row.id, code, &expected)
    {
        if let Some(failures) = account_codes_spent(&work, account.id).await? {
            lock_for_codes(&mut work, &account, failures).await?;
            work.commit().await?;
            return Err(factor_locked());
        }
        let attempts = session_row::Entity::find_by_id(row.id)
            .one(work.db())
            .await?
            .ok_or_else(|| AppError::internal("session vanished"))?
            .factor_attempts;
        if attempts >= MAX_CODE_ATTEMPTS {
            work.end_session(row, SessionEnd::SecondFactorFailed)
                .await?;
            work.commit().await?;
            return Err(AppError::Api(ApiError::new(
                ErrorCode::SessionExpired,
                "Code erroné 5 fois : la connexion est annulée, reconnectez-vous.",
            )));
        }
        work.emit(DomainEvent::SecondFactorRejected {
            account: account.id,
            session: row.id,
            attempt: attempts,
        });
        work.commit().await?;
        return Err(AppError::Api(ApiError::new(
            ErrorCode::WrongCode,
            format!(
                "Le code saisi ne correspond pas au code reçu par SMS ({} essai(s) restant(s)).",
                MAX_CODE_ATTEMPTS - attempts
            ),
        )));
    }
    // The right code: the try it spent on the account is given back.
    structure_account::Entity::update_many()
        .col_expr(
            structure_account::Column::FactorFailures,
            Expr::col(structure_account::Column::FactorFailures).sub(1),
        )
        .filter(structure_account::Column::Id.eq(account.id))
        .filter(structure_account::Column::FactorFailures.gt(0))
        .exec(work.db())
        .await?;
    let next = if password_due(&state.settings, now, &account) {
        SessionStage::PasswordChange
    } else {
        SessionStage::Active
    };
    let txn = work.db();
    let moved = session_row::Entity::update_many()
        .col_expr(
            session_row::Column::Stage,
            Expr::value(session::stage_name(next)),
        )
        .col_expr(
            session_row::Column::FactorCodeHash,
            Expr::value(Option::<String>::None),
        )
        .filter(session_row::Column::Id.eq(row.id))
        .filter(session_row::Column::Stage.eq(session::stage_name(SessionStage::SecondFactor)))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(second_factor_over());
    }
    let token = session::rotate(txn, row.id).await?;
    work.emit(DomainEvent::SecondFactorPassed {
        account: account.id,
        session: row.id,
    });
    mail::queue_to(
        &work,
        &account.email,
        "Vigie : nouvelle connexion au compte de votre structure",
        &format!(
            "Bonjour,\n\nUne connexion au compte {identifier} ({name}) a eu lieu le {when} \
             (mot de passe et code SMS).\n\nSi ce n'était pas vous, changez le mot de passe \
             et prévenez l'équipe de sécurité de Vigie.\n",
            identifier = account.identifier,
            name = account.display_name,
            when = mail::paris_time(now),
        ),
    )
    .await?;
    work.commit().await?;
    let mut current = current;
    current.session.stage = next;
    Ok((token, current.state()))
}

/// Wrong SMS codes one account may get in a day, across its sessions.
pub const ACCOUNT_CODES_PER_DAY: i32 = 10;
/// Password sign-ins (each sends an SMS) one account may make in an hour.
pub const SMS_PER_HOUR: u64 = 5;

/// The day window of an account's codes restarts when it is over.
fn window_over(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(structure_account::Column::FactorWindowStart.is_null())
        .add(structure_account::Column::FactorWindowStart.lte(now - Duration::days(1)))
}

/// Spends one of the account's day of codes, in one statement (which also holds the account
/// row until commit: parallel codes for one account are checked one after the other). False
/// when the day's codes are spent.
async fn spend_account_code(work: &Work, account: Uuid) -> AppResult<bool> {
    let now = work.now();
    let spent = structure_account::Entity::update_many()
        .col_expr(
            structure_account::Column::FactorFailures,
            Expr::case(window_over(now), 1)
                .finally(Expr::col(structure_account::Column::FactorFailures).add(1))
                .into(),
        )
        .col_expr(
            structure_account::Column::FactorWindowStart,
            Expr::case(window_over(now), Expr::value(now))
                .finally(Expr::col(structure_account::Column::FactorWindowStart))
                .into(),
        )
        .filter(structure_account::Column::Id.eq(account))
        .filter(
            Condition::any()
                .add(window_over(now))
                .add(structure_account::Column::FactorFailures.lt(ACCOUNT_CODES_PER_DAY)),
        )
        .exec(work.db())
        .await?;
    Ok(spent.rows_affected == 1)
}

/// After a wrong code: `Some(failures)` when that code used up the account's day.
async fn account_codes_spent(work: &Work, account: Uuid) -> AppResult<Option<i32>> {
    let failures = structure_account::Entity::find_by_id(account)
        .one(work.db())
        .await?
        .ok_or_else(|| AppError::internal("account vanished"))?
        .factor_failures;
    Ok((failures >= ACCOUNT_CODES_PER_DAY).then_some(failures))
}

/// The account's day of codes is spent: locked for a day (the password alone opens nothing),
/// every sign-in waiting for a code ends, the account's owner is mailed, the security officers
/// get an incident.
async fn lock_for_codes(
    work: &mut Work,
    account: &structure_account::Model,
    failures: i32,
) -> AppResult<()> {
    let now = work.now();
    structure_account::Entity::update_many()
        .col_expr(
            structure_account::Column::LockedUntil,
            Expr::value(Some(now + Duration::days(1))),
        )
        .filter(structure_account::Column::Id.eq(account.id))
        .exec(work.db())
        .await?;
    let waiting = session_row::Entity::find()
        .filter(session_row::Column::AccountId.eq(account.id))
        .filter(session_row::Column::EndedAt.is_null())
        .filter(session_row::Column::Stage.eq(session::stage_name(SessionStage::SecondFactor)))
        .all(work.db())
        .await?;
    for s in &waiting {
        work.end_session(s, SessionEnd::SecondFactorFailed).await?;
    }
    let incident = crate::incident::open(
        work.db(),
        now,
        crate::incident::Concerning::Account(account.id),
        None,
        "second_factor_brute_force",
    )
    .await?;
    mail::queue_to(
        &work,
        &account.email,
        "Vigie : compte bloqué après des codes SMS erronés",
        &format!(
            "Bonjour,\n\n{failures} codes SMS erronés ont été saisis en moins de 24 heures pour le \
             compte {identifier} ({name}). Le compte est bloqué 24 heures et l'équipe de \
             sécurité de Vigie est prévenue.\n\nSi ce n'était pas vous, quelqu'un connaît le \
             mot de passe : changez-le dès le déblocage.\n",
            identifier = account.identifier,
            name = account.display_name,
        ),
    )
    .await?;
    work.emit(DomainEvent::SecondFactorLocked {
        account: account.id,
        failures,
        incident,
    });
    Ok(())
}

fn factor_locked() -> AppError {
    AppError::Api(ApiError::new(
        ErrorCode::SessionExpired,
        "Trop de codes erronés pour ce compte aujourd'hui : il est bloqué 24 heures et son \
         responsable est prévenu par courriel.",
    ))
}

fn second_factor_over() -> AppError {
    AppError::Api(ApiError::new(
        ErrorCode::SessionExpired,
        "Le code a expiré ou a été mal saisi trop de fois : reconnectez-vous.",
    ))
}

/// Replaces the password: the current one must be given, the new one must be strong and must
/// not be the current one nor one of the last `history`.
pub async fn change_password(
    state: &AppState,
    current: Current,
    current_password: &str,
    new_password: &str,
) -> AppResult<SessionState> {
    let now = state.now();
    if current.stage() == SessionStage::SecondFactor {
        return Err(ErrorCode::SecondFactorRequired.into());
    }
    let (account, structure) = match &current.principal {
        Principal::Account { account, structure } => (account.clone(), structure.clone()),
        _ => return Err(ErrorCode::Forbidden.into()),
    };
    let given = current_password
        .chars()
        .take(password::MAX_LENGTH)
        .collect::<String>();
    if !password::verify_blocking(given, account.password_hash.clone()).await? {
        return Err(AppError::Api(ApiError::new(
            ErrorCode::InvalidInput,
            "Le mot de passe actuel est incorrect.",
        )));
    }
    password::check_strength(
        new_password,
        state.settings.password.min_length,
        &[&account.identifier, &account.display_name, &structure.name],
    )?;
    let earlier: Vec<String> = password_history::Entity::find()
        .filter(password_history::Column::AccountId.eq(account.id))
        .order_by_desc(password_history::Column::SetAt)
        .limit(state.settings.password.history as u64)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|h| h.password_hash)
        .chain(std::iter::once(account.password_hash.clone()))
        .collect();
    let candidate = new_password.to_owned();
    let reused =
        password::gated(move || earlier.iter().any(|phc| password::verify(&candidate, phc)))
            .await?;
    if reused {
        return Err(ErrorCode::PasswordReused.into());
    }
    let hash = password::hash_blocking(new_password.to_owned()).await?;

    let actor = Actor {
        id: Some(account.id),
        session: Some(current.session.id),
        ..Actor::anonymous()
    };
    let mut work = Work::begin(state, actor).await?;
    let txn = work.db();
    password_history::Entity::insert(password_history::ActiveModel {
        id: Set(Uuid::new_v4()),
        account_id: Set(account.id),
        password_hash: Set(account.password_hash.clone()),
        set_at: Set(account.password_changed_at),
    })
    .exec_without_returning(txn)
    .await?;
    let mut row = account.clone().into_active_model();
    row.password_hash = Set(hash);
    row.password_changed_at = Set(now);
    row.must_change_password = Set(false);
    row.update(txn).await?;
    session_row::Entity::update_many()
        .col_expr(
            session_row::Column::Stage,
            Expr::value(session::stage_name(SessionStage::Active)),
        )
        .filter(session_row::Column::Id.eq(current.session.id))
        .exec(txn)
        .await?;
    // Whoever else held the old password is out: every other session of the account ends.
    let others = session_row::Entity::find()
        .filter(session_row::Column::AccountId.eq(account.id))
        .filter(session_row::Column::EndedAt.is_null())
        .filter(session_row::Column::Id.ne(current.session.id))
        .all(txn)
        .await?;
    for other in &others {
        work.end_session(other, SessionEnd::PasswordChanged).await?;
    }
    work.emit(DomainEvent::PasswordChanged);
    work.commit().await?;
    let mut current = current;
    current.session.stage = SessionStage::Active;
    Ok(current.state())
}

/// When the account's password must be replaced at the latest.
pub fn password_expires_at(settings: &Settings, a: &structure_account::Model) -> DateTime<Utc> {
    a.password_changed_at + Duration::days(settings.password.max_age_days)
}
