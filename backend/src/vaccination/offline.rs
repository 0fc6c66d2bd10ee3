//! Offline entry. While online, a device obtains a permit the server signs: this professional
//! (or this delegate under this authority), this device, at most N entries, until H hours later
//! and never past the session's absolute limit. Entries made offline are queued on the device
//! and synced in order: each lands once (its idempotency key), under the permit's session, with
//! both the device time and the reception time. Nothing is overwritten and nothing is dropped:
//! what conflicts now lands flagged "À vérifier"; what was made after the permit ended (expiry,
//! revocation, end of its session) is refused and listed too.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::offline::{
        OfflinePermit, PermitRequest, QueuedEntry, ReviewItem, ReviewReason, SYNC_BATCH_MAX,
        SyncOutcome, SyncReport, SyncResult,
    },
};

use super::service::{Arrival, OfflineArrival};
use crate::{
    access::Actor,
    entities::{injection, offline_entry, offline_permit, patient, session},
    error::{AppError, AppResult},
    idempotency,
    injections::views,
    state::AppState,
    work::DomainEvent,
};

/// Clock drift tolerated between a device and the server.
const DRIFT: Duration = Duration::minutes(5);

fn invalid_permit(message: &str) -> AppError {
    AppError::with_message(ErrorCode::PermitInvalid, message)
}

/// What the server signs. The row holds the same: the signature proves the device got it from
/// the server; the row says whether it still holds (revocation, entries used).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Signed {
    id: Uuid,
    professional: Uuid,
    staff: Option<Uuid>,
    session: Uuid,
    device: Uuid,
    max: i32,
    expires: DateTime<Utc>,
}

fn sign(state: &AppState, p: &offline_permit::Model) -> AppResult<String> {
    use base64::Engine;
    let body = serde_json::to_vec(&Signed {
        id: p.id,
        professional: p.professional_id,
        staff: p.staff_member_id,
        session: p.session_id,
        device: p.device_id,
        max: p.max_entries,
        expires: p.expires_at,
    })
    .map_err(AppError::internal)?;
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body);
    let mac = state.permit_key.of(&format!("offline_permit:{body}"));
    Ok(format!("{body}.{mac}"))
}

/// The permit row a token names, if the server signed it as it stands.
async fn verify(state: &AppState, token: &str) -> AppResult<offline_permit::Model> {
    use base64::Engine;
    use subtle::ConstantTimeEq;
    let forged = || {
        invalid_permit(
            "Autorisation hors ligne non reconnue : elle n'a pas été délivrée par Vigie.",
        )
    };
    let (body, mac) = token.split_once('.').ok_or_else(forged)?;
    let expected = state.permit_key.of(&format!("offline_permit:{body}"));
    if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
        return Err(forged());
    }
    let signed: Signed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(forged)?;
    let row = offline_permit::Entity::find_by_id(signed.id)
        .one(&state.db)
        .await?
        .ok_or_else(forged)?;
    let stored = Signed {
        id: row.id,
        professional: row.professional_id,
        staff: row.staff_member_id,
        session: row.session_id,
        device: row.device_id,
        max: row.max_entries,
        expires: row.expires_at,
    };
    if stored != signed {
        return Err(forged());
    }
    Ok(row)
}

/// One permit per session, ever: its id is derived from the session's, so two requests at once
/// (or a request per made-up device) still make one permit, and a revoked permit stays revoked.
fn permit_id(session: Uuid) -> Uuid {
    let digest = Sha256::digest(format!("offline_permit:{session}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// "Dr Jean Martin", or "Marie Dupont sous la responsabilité du Dr Jean Martin".
fn holder(typist: Option<&String>, professional: &str) -> String {
    match typist {
        Some(typist) => format!("{typist} sous la responsabilité du {professional}"),
        None => professional.to_owned(),
    }
}

fn permit_view(
    state: &AppState,
    p: offline_permit::Model,
    holder: String,
) -> AppResult<OfflinePermit> {
    Ok(OfflinePermit {
        token: sign(state, &p)?,
        id: p.id,
        device_id: p.device_id,
        device_name: p.device_name,
        max_entries: p.max_entries,
        used_entries: p.used_entries,
        issued_at: p.issued_at,
        expires_at: p.expires_at,
        revoked_at: p.revoked_at,
        holder,
    })
}

/// The session's permit for this device: issued at the first request, the same one after.
pub async fn issue(
    state: &AppState,
    actor: &Actor,
    request: &PermitRequest,
) -> AppResult<OfflinePermit> {
    let name = request
        .device_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty()
        || name.chars().count() > 80
        || vigie_shared::text::has_hidden_characters(&request.device_name.replace('\n', " "))
    {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Nom de l'appareil : 1 à 80 caractères visibles.",
        ));
    }
    let session = session::Entity::find_by_id(actor.session_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::SessionExpired))?;
    let now = state.now();
    let hours = Duration::hours(state.settings.offline_permit_hours);
    let row = offline_permit::Model {
        id: permit_id(actor.session_id),
        professional_id: actor.professional_id,
        staff_member_id: actor.staff_member_id,
        session_id: actor.session_id,
        device_id: request.device_id,
        device_name: name,
        max_entries: state.settings.offline_permit_entries,
        used_entries: 0,
        issued_at: now,
        // Offline entry stays within the session's absolute limit.
        expires_at: chrono::SubsecRound::trunc_subsecs(
            (now + hours).min(session.absolute_expires_at),
            0,
        ),
        revoked_at: None,
    };
    let id = row.id;
    let inserted = row.clone();
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let done = offline_permit::Entity::insert(sea_orm::IntoActiveModel::into_active_model(
                inserted,
            ))
            .on_conflict_do_nothing_on([offline_permit::Column::Id])
            .exec_without_returning(work.db())
            .await?;
            if matches!(done, sea_orm::TryInsertResult::Inserted(1)) {
                work.emit(DomainEvent::OfflinePermitIssued {
                    permit: id,
                    device: row.device_id,
                });
            }
            Ok(())
        })
    })
    .await?;
    let stored = offline_permit::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("permit vanished"))?;
    if stored.device_id != request.device_id {
        return Err(AppError::with_message(
            ErrorCode::Conflict,
            "Cette session a déjà une autorisation hors ligne pour un autre appareil.",
        ));
    }
    permit_view(
        state,
        stored,
        holder(actor.typist_name.as_ref(), &actor.professional_name),
    )
}

/// Which permits the actor sees: a professional, theirs and their delegates'; a delegate,
/// their own under this authority.
fn visible_to(actor: &Actor) -> Condition {
    let mine =
        Condition::all().add(offline_permit::Column::ProfessionalId.eq(actor.professional_id));
    match actor.staff_member_id {
        Some(staff) => mine.add(offline_permit::Column::StaffMemberId.eq(staff)),
        None => mine,
    }
}

/// The permits of the last week, the live ones first.
pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<OfflinePermit>> {
    let since = state.now() - Duration::days(7);
    let rows = offline_permit::Entity::find()
        .filter(visible_to(actor))
        .filter(offline_permit::Column::ExpiresAt.gte(since))
        .order_by_desc(offline_permit::Column::IssuedAt)
        .all(&state.db)
        .await?;
    let names =
        crate::access::typist_names(&state.db, rows.iter().filter_map(|p| p.staff_member_id))
            .await?;
    rows.into_iter()
        .map(|p| {
            let holder = holder(
                p.staff_member_id.and_then(|s| names.get(&s)),
                &actor.professional_name,
            );
            permit_view(state, p, holder)
        })
        .collect()
}

/// Revokes a permit: entries made on that device after now are refused at sync, and those made
/// before land flagged. One statement; revoking twice keeps the first time.
pub async fn revoke(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<OfflinePermit> {
    let found = offline_permit::Entity::find_by_id(id)
        .filter(visible_to(actor))
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let done = offline_permit::Entity::update_many()
                .col_expr(offline_permit::Column::RevokedAt, Expr::value(work.now()))
                .filter(offline_permit::Column::Id.eq(id))
                .filter(offline_permit::Column::RevokedAt.is_null())
                .exec(work.db())
                .await?;
            if done.rows_affected == 1 {
                work.emit(DomainEvent::OfflinePermitRevoked { permit: id });
            }
            Ok(())
        })
    })
    .await?;
    let stored = offline_permit::Entity::find_by_id(found.id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("permit vanished"))?;
    let names = crate::access::typist_names(&state.db, stored.staff_member_id).await?;
    let holder = holder(
        stored.staff_member_id.and_then(|s| names.get(&s)),
        &actor.professional_name,
    );
    permit_view(state, stored, holder)
}

/// What became of an offline entry, kept with the write that recorded it (or its refusal).
pub struct Kept<'a> {
    pub flags: &'a [ReviewReason],
    pub message: Option<String>,
    pub patient: Option<Uuid>,
    pub injection: Option<Uuid>,
}

fn result_of(
    key: Uuid,
    kept: &Kept,
    recorded: Option<vigie_shared::api::vaccination::VaccinationRecorded>,
) -> SyncResult {
    SyncResult {
        idempotency_key: key,
        outcome: outcome_of(kept),
        reasons: kept.flags.to_vec(),
        message: kept.message.clone(),
        recorded,
    }
}

fn outcome_of(kept: &Kept) -> SyncOutcome {
    if kept.message.is_some() {
        SyncOutcome::Refused
    } else if kept.flags.is_empty() {
        SyncOutcome::Recorded
    } else {
        SyncOutcome::Flagged
    }
}

fn typist_of(actor: &Actor) -> Uuid {
    actor.staff_member_id.unwrap_or(actor.professional_id)
}

fn sync_key(actor: &Actor, key: Uuid) -> String {
    format!("offline:{}:{key}", typist_of(actor))
}

fn sync_fingerprint(entry: &QueuedEntry) -> AppResult<String> {
    idempotency::fingerprint(&(&entry.vaccination, entry.device_time, entry.device_id))
}

/// Keeps the entry's fate (`offline_entry`) and the answer a resent queue gets, inside the
/// write that recorded or refused it.
pub async fn keep_entry(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    arrival: &OfflineArrival,
    key: Uuid,
    kept: Kept<'_>,
    recorded: Option<&vigie_shared::api::vaccination::VaccinationRecorded>,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    offline_entry::Entity::insert(offline_entry::ActiveModel {
        id: Set(id),
        permit_id: Set(arrival.permit),
        typist: Set(typist_of(actor)),
        idempotency_key: Set(key),
        professional_id: Set(actor.professional_id),
        staff_member_id: Set(actor.staff_member_id),
        device_time: Set(arrival.device_time),
        received_at: Set(now),
        outcome: Set(outcome_of(&kept)),
        reasons: Set(serde_json::to_string(kept.flags).map_err(AppError::internal)?),
        message: Set(kept.message.clone()),
        patient_id: Set(kept.patient),
        injection_id: Set(kept.injection),
        reviewed_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    let answer = result_of(key, &kept, recorded.cloned());
    idempotency::store(
        db,
        now,
        &sync_key(actor, key),
        &typist_of(actor).to_string(),
        &arrival.fingerprint,
        &answer,
    )
    .await?;
    Ok(id)
}

/// Why an entry made at `at` under this permit cannot land, if it cannot.
fn ended(
    permit: &offline_permit::Model,
    session_ended: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if at > now + DRIFT {
        return Some("Saisie datée dans le futur par l'appareil : vérifiez son horloge.");
    }
    if at + DRIFT < permit.issued_at {
        return Some(
            "Saisie datée d'avant l'autorisation hors ligne : vérifiez l'horloge de l'appareil.",
        );
    }
    if permit.revoked_at.is_some_and(|r| at >= r) {
        return Some(
            "Saisie faite après la révocation de l'autorisation hors ligne de cet appareil : elle n'est pas enregistrée.",
        );
    }
    if session_ended.is_some_and(|e| at >= e) {
        return Some("Saisie faite après la fin de la session : elle n'est pas enregistrée.");
    }
    if at >= permit.expires_at {
        return Some(
            "Saisie faite après l'expiration de l'autorisation hors ligne : elle n'est pas enregistrée.",
        );
    }
    None
}

/// Syncs a device's queue, in order. Each entry gets its result; a whole-request error only
/// when the request itself is wrong (too many entries) or the server cannot write.
pub async fn sync(
    state: &AppState,
    actor: &Actor,
    entries: Vec<QueuedEntry>,
) -> AppResult<SyncReport> {
    if entries.len() > SYNC_BATCH_MAX {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            format!("Au plus {SYNC_BATCH_MAX} saisies par envoi."),
        ));
    }
    let mut results = Vec::with_capacity(entries.len());
    // A queue's entries share their permit: it is checked once per request.
    let mut permits = Permits::default();
    for entry in entries {
        results.push(sync_one(state, actor, entry, &mut permits).await?);
    }
    Ok(SyncReport { results })
}

/// The permits a request's entries name, as read at their first use: the row, and when its
/// session ended. Entries are still counted one by one in each write.
type Permits =
    std::collections::HashMap<String, AppResult<(offline_permit::Model, Option<DateTime<Utc>>)>>;

async fn permit_of(
    state: &AppState,
    token: &str,
    permits: &mut Permits,
) -> AppResult<(offline_permit::Model, Option<DateTime<Utc>>)> {
    if let Some(known) = permits.get(token) {
        return match known {
            Ok(p) => Ok(p.clone()),
            Err(AppError::Api(e)) => Err(AppError::Api(e.clone())),
            Err(_) => Err(AppError::internal("permit")),
        };
    }
    let read = async {
        let permit = verify(state, token).await?;
        let ended = session::Entity::find_by_id(permit.session_id)
            .one(&state.db)
            .await?
            .and_then(|s| s.ended_at);
        Ok((permit, ended))
    }
    .await;
    match read {
        // What the server could not read is not remembered: the next entry tries again.
        Err(e @ (AppError::Database(_) | AppError::Internal(_))) => Err(e),
        read => {
            permits.insert(token.to_owned(), read);
            Box::pin(permit_of(state, token, permits)).await
        }
    }
}

async fn sync_one(
    state: &AppState,
    actor: &Actor,
    entry: QueuedEntry,
    permits: &mut Permits,
) -> AppResult<SyncResult> {
    let key = entry.vaccination.idempotency_key;
    let refused_now = |e: AppError| SyncResult {
        idempotency_key: key,
        outcome: SyncOutcome::Refused,
        reasons: Vec::new(),
        message: Some(match e {
            AppError::Api(api) => api.message,
            _ => ErrorCode::PermitInvalid.message().to_owned(),
        }),
        recorded: None,
    };
    // A permit not signed by the server, or not this person's or this device's: refused, and
    // nothing is kept (there is no permit to keep it under).
    let (permit, session_ended) = match permit_of(state, &entry.permit, permits).await {
        Ok(p) => p,
        Err(e @ AppError::Api(_)) => return Ok(refused_now(e)),
        Err(e) => return Err(e),
    };
    if permit.professional_id != actor.professional_id
        || permit.staff_member_id != actor.staff_member_id
        || permit.device_id != entry.device_id
    {
        return Ok(refused_now(invalid_permit(
            "Cette autorisation hors ligne a été délivrée à une autre personne ou un autre appareil.",
        )));
    }
    let fingerprint = sync_fingerprint(&entry)?;
    let principal = typist_of(actor).to_string();
    let skey = sync_key(actor, key);
    if let Some(done) = idempotency::replay(&state.db, &skey, &principal, &fingerprint).await? {
        return Ok(done);
    }
    let now = state.now();
    // The entry is recorded under the session it was typed in, as if online.
    let mut typed_as = actor.clone();
    typed_as.session_id = permit.session_id;
    let arrival = OfflineArrival {
        permit: permit.id,
        device: permit.device_id,
        device_time: entry.device_time,
        expected_dose_number: entry.expected_dose_number,
        revoked_since: permit.revoked_at.is_some(),
        fingerprint,
    };
    if let Some(why) = ended(&permit, session_ended, entry.device_time, now) {
        return refuse(
            state,
            &typed_as,
            arrival,
            key,
            why.to_owned(),
            &skey,
            &principal,
        )
        .await;
    }
    match super::service::record_as(
        state,
        &typed_as,
        entry.vaccination,
        Arrival::Offline(Box::new(arrival.clone())),
    )
    .await
    {
        Ok(landed) => {
            // The stored answer, if this entry's first sync won a race with this one.
            if let Some(done) =
                idempotency::replay(&state.db, &skey, &principal, &arrival.fingerprint).await?
            {
                return Ok(done);
            }
            let kept = Kept {
                flags: &landed.flags,
                message: None,
                patient: None,
                injection: None,
            };
            Ok(result_of(key, &kept, Some(landed.answer)))
        }
        // What the entry itself gets wrong is kept as refused; when the server cannot write,
        // the device keeps the entry and tries again.
        Err(AppError::Api(api)) if api.code.status() < 500 => {
            refuse(
                state,
                &typed_as,
                arrival,
                key,
                api.message,
                &skey,
                &principal,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// Keeps a refused entry, so that the professional sees it and a resent queue gets the same
/// answer.
async fn refuse(
    state: &AppState,
    actor: &Actor,
    arrival: OfflineArrival,
    key: Uuid,
    message: String,
    skey: &str,
    principal: &str,
) -> AppResult<SyncResult> {
    let who = actor.clone();
    let kept_message = message.clone();
    let kept_arrival = arrival.clone();
    let skey_owned = skey.to_owned();
    let outcome = crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            work.guard(crate::work::Subject::IdempotencyKey(&skey_owned))
                .await?;
            let exists = offline_entry::Entity::find()
                .filter(offline_entry::Column::Typist.eq(typist_of(&who)))
                .filter(offline_entry::Column::IdempotencyKey.eq(key))
                .one(work.db())
                .await?
                .is_some();
            if exists {
                return Ok(());
            }
            let entry = keep_entry(
                work.db(),
                work.now(),
                &who,
                &kept_arrival,
                key,
                Kept {
                    flags: &[],
                    message: Some(kept_message),
                    patient: None,
                    injection: None,
                },
                None,
            )
            .await?;
            work.emit(DomainEvent::OfflineEntryRefused {
                permit: kept_arrival.permit,
                entry,
                device_time: kept_arrival.device_time,
            });
            Ok(())
        })
    })
    .await;
    outcome?;
    Ok(
        idempotency::replay(&state.db, skey, principal, &arrival.fingerprint)
            .await?
            .unwrap_or(SyncResult {
                idempotency_key: key,
                outcome: SyncOutcome::Refused,
                reasons: Vec::new(),
                message: Some(message),
                recorded: None,
            }),
    )
}

/// Entries the responsible professional must look at again: flagged or refused, not yet
/// marked as seen. A delegate sees their own.
pub async fn review(state: &AppState, actor: &Actor) -> AppResult<Vec<ReviewItem>> {
    let mut find = offline_entry::Entity::find()
        .filter(offline_entry::Column::ProfessionalId.eq(actor.professional_id))
        .filter(offline_entry::Column::Outcome.ne(SyncOutcome::Recorded))
        .filter(offline_entry::Column::ReviewedAt.is_null());
    if let Some(staff) = actor.staff_member_id {
        find = find.filter(offline_entry::Column::StaffMemberId.eq(staff));
    }
    let rows = find
        .order_by_asc(offline_entry::Column::DeviceTime)
        .all(&state.db)
        .await?;
    let injections = views(
        &state.db,
        injection::Entity::find()
            .filter(injection::Column::Id.is_in(rows.iter().filter_map(|r| r.injection_id)))
            .all(&state.db)
            .await?,
    )
    .await?;
    let patients: std::collections::HashMap<Uuid, patient::Model> = patient::Entity::find()
        .filter(patient::Column::Id.is_in(rows.iter().filter_map(|r| r.patient_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let permits: std::collections::HashMap<Uuid, offline_permit::Model> =
        offline_permit::Entity::find()
            .filter(offline_permit::Column::Id.is_in(rows.iter().map(|r| r.permit_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let names =
        crate::access::typist_names(&state.db, rows.iter().filter_map(|r| r.staff_member_id))
            .await?;
    rows.into_iter()
        .map(|r| {
            let reasons: Vec<ReviewReason> =
                serde_json::from_str(&r.reasons).map_err(AppError::internal)?;
            let patient = r.patient_id.and_then(|id| patients.get(&id));
            Ok(ReviewItem {
                id: r.id,
                outcome: r.outcome,
                reasons,
                message: r.message,
                device_name: permits
                    .get(&r.permit_id)
                    .map(|p| p.device_name.clone())
                    .unwrap_or_default(),
                device_time: r.device_time,
                received_at: r.received_at,
                patient: patient.map(|p| {
                    format!(
                        "{} {} (né(e) le {})",
                        p.given_names,
                        p.family_name,
                        p.birth_date.format("%d/%m/%Y")
                    )
                }),
                patient_id: r.patient_id,
                injection: r
                    .injection_id
                    .and_then(|id| injections.iter().find(|i| i.id == id).cloned()),
                typed_by: r.staff_member_id.and_then(|s| names.get(&s).cloned()),
            })
        })
        .collect()
}

/// The responsible professional has looked at the entry again: it leaves the list.
pub async fn reviewed(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<()> {
    if actor.staff_member_id.is_some() {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Seul le professionnel responsable vérifie les saisies hors ligne.",
        ));
    }
    let professional = actor.professional_id;
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let done = offline_entry::Entity::update_many()
                .col_expr(offline_entry::Column::ReviewedAt, Expr::value(work.now()))
                .filter(offline_entry::Column::Id.eq(id))
                .filter(offline_entry::Column::ProfessionalId.eq(professional))
                .filter(offline_entry::Column::ReviewedAt.is_null())
                .exec(work.db())
                .await?;
            if done.rows_affected == 1 {
                work.emit(DomainEvent::OfflineEntryReviewed { entry: id });
                return Ok(());
            }
            // Already seen, or not this professional's (which must look the same as absent).
            let mine = offline_entry::Entity::find_by_id(id)
                .filter(offline_entry::Column::ProfessionalId.eq(professional))
                .one(work.db())
                .await?;
            match mine {
                Some(_) => Ok(()),
                None => Err(ErrorCode::NotFound.into()),
            }
        })
    })
    .await
}
