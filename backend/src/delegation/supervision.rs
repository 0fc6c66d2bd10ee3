//! The supervising professional's view: delegated sessions under their authority and the
//! entries typed in them, live; ending a session with one tap; contesting an entry.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::{
        delegation::{DelegatedEntry, DelegatedSessionView, EntryContest, EntryContestedNotice},
        vaccination::ContestView,
    },
};

use crate::work::{Actor, DomainEvent, SessionEnd, Work};
use crate::{
    auth::session::{display_name, staff_name},
    entities::{
        injection, patient, professional, session as session_row, staff_member, structure,
        terminal, vaccine_lot, vaccine_product,
    },
    error::{AppError, AppResult},
    state::AppState,
};

/// How far back the list goes for ended sessions.
const RECENT: Duration = Duration::hours(24);

async fn entry(db: &impl ConnectionTrait, i: &injection::Model) -> AppResult<DelegatedEntry> {
    let p = patient::Entity::find_by_id(i.patient_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("entry without patient"))?;
    let product = vaccine_product::Entity::find_by_id(i.product_id)
        .one(db)
        .await?;
    let lot = vaccine_lot::Entity::find_by_id(i.lot_id).one(db).await?;
    let by = professional::Entity::find_by_id(i.professional_id)
        .one(db)
        .await?;
    Ok(DelegatedEntry {
        injection_id: i.id,
        session_id: i.session_id,
        patient_name: format!("{} {}", p.given_names, p.family_name),
        patient_birth_date: p.birth_date,
        product_name: product.map(|x| x.name).unwrap_or_default(),
        lot_number: lot.map(|x| x.number).unwrap_or_default(),
        dose_number: i.dose_number,
        administered_at: i.administered_at,
        recorded_at: i.created_at,
        status: i.status,
        contest: i.contested_at.map(|at| ContestView {
            by: by.as_ref().map(display_name).unwrap_or_default(),
            reason: i.contest_reason.clone().unwrap_or_default(),
            at,
        }),
    })
}

async fn session_view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    s: &session_row::Model,
    with_entries: bool,
) -> AppResult<DelegatedSessionView> {
    let staff = match s.staff_member_id {
        Some(id) => staff_member::Entity::find_by_id(id).one(db).await?,
        None => None,
    }
    .ok_or_else(|| AppError::internal("delegated session without staff"))?;
    let st = structure::Entity::find_by_id(staff.structure_id)
        .one(db)
        .await?;
    let term = match s.terminal_id {
        Some(t) => terminal::Entity::find_by_id(t).one(db).await?,
        None => None,
    };
    let mut entries = Vec::new();
    if with_entries {
        for i in injection::Entity::find()
            .filter(injection::Column::SessionId.eq(s.id))
            .order_by_desc(injection::Column::CreatedAt)
            .all(db)
            .await?
        {
            entries.push(entry(db, &i).await?);
        }
    }
    Ok(DelegatedSessionView {
        session_id: s.id,
        typist: staff_name(&staff),
        typist_role: staff.role,
        structure_name: st.map(|x| x.name).unwrap_or_default(),
        terminal: term
            .map(|t| t.label)
            .unwrap_or_else(|| "Poste inconnu".into()),
        started_at: s.created_at,
        // Ended by someone, or by its own time limits.
        ended_at: s.ended_at.or({
            let limit = s.idle_expires_at.min(s.absolute_expires_at);
            (limit <= now).then_some(limit)
        }),
        entries,
    })
}

/// My delegated sessions: the open ones and those ended in the last 24 hours, newest first.
pub async fn list(
    state: &AppState,
    p: &professional::Model,
) -> AppResult<Vec<DelegatedSessionView>> {
    let since = state.now() - RECENT;
    let rows = session_row::Entity::find()
        .filter(session_row::Column::ProfessionalId.eq(p.id))
        .filter(session_row::Column::StaffMemberId.is_not_null())
        .filter(
            Condition::any()
                .add(session_row::Column::EndedAt.is_null())
                .add(session_row::Column::EndedAt.gt(since)),
        )
        .filter(session_row::Column::CreatedAt.gt(since - Duration::hours(4)))
        .order_by_desc(session_row::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in &rows {
        out.push(session_view(&state.db, since + RECENT, s, true).await?);
    }
    Ok(out)
}

/// One tap: the delegated session ends now; the tablet hears it at once.
pub async fn end(state: &AppState, p: &professional::Model, session_id: Uuid) -> AppResult<()> {
    let s = session_row::Entity::find_by_id(session_id)
        .one(&state.db)
        .await?
        .filter(|s| s.staff_member_id.is_some() && s.professional_id == Some(p.id))
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    if s.ended_at.is_some() {
        return Ok(());
    }
    let mut work = Work::begin(state, Actor::by(p.id)).await?;
    work.end_session(&s, SessionEnd::ByAuthority).await?;
    work.commit().await
}

/// Contests an entry typed by a delegate under my authority: flagged, earlier version kept,
/// the typist's tablet and my supervision screens told.
pub async fn contest(
    state: &AppState,
    p: &professional::Model,
    by_session: Uuid,
    injection_id: Uuid,
    body: &EntryContest,
) -> AppResult<DelegatedEntry> {
    let reason = super::text_field(&body.reason, "Motif de la contestation", 500)?;
    let (professional, by) = (p.id, display_name(p));
    let actor = Actor {
        id: Some(p.id),
        authority: Some(p.id),
        session: Some(by_session),
        terminal: None,
    };
    // Read inside the write: a correction committed in parallel is kept in the revisions, never
    // overwritten by a version computed from an older read.
    crate::work::write(state, actor, move |work| {
        Box::pin(async move {
            let (txn, now) = (work.db(), work.now());
            let row = injection::Entity::find_by_id(injection_id)
                .one(txn)
                .await?
                .filter(|i| i.professional_id == professional && i.staff_member_id.is_some())
                .ok_or(AppError::code(ErrorCode::NotFound))?;
            if row.contested_at.is_some() && row.contest_reason.as_deref() == Some(reason.as_str())
            {
                return entry(txn, &row).await;
            }
            crate::injections::keep_revision(
                txn,
                now,
                (professional.to_string(), by_session),
                &row,
                "contest",
                &reason,
            )
            .await?;
            let version = row.version + 1;
            let mut a = row.into_active_model();
            a.contested_at = Set(Some(now));
            a.contest_reason = Set(Some(reason.clone()));
            a.contested_by = Set(Some(professional));
            a.version = Set(version);
            a.updated_at = Set(now);
            let row = a.update(txn).await?;
            let e = entry(txn, &row).await?;
            work.emit(DomainEvent::DelegatedEntryContested {
                entry: Box::new(e.clone()),
                typed_in: row.session_id,
                notice: EntryContestedNotice {
                    injection_id: row.id,
                    reason,
                    by,
                    patient_name: e.patient_name.clone(),
                },
            });
            Ok(e)
        })
    })
    .await
}
