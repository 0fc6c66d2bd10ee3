//! Staff declared by a structure's manager as allowed to type under delegation, withdrawn at
//! any time; the manager hands each one a link (24 h, one use) to create their own passkey.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::delegation::{StaffDeclaration, StaffEnrolment, StaffView},
};

use super::{end_sessions, name_field, structures};
use crate::work::{Actor, DomainEvent, SessionEnd, Work};
use crate::{
    auth::{session::Principal, tokens},
    credentials::{OwnerKind, manage},
    entities::{credential, delegation, professional, session as session_row, staff_member},
    error::{AppError, AppResult},
    state::AppState,
};

pub const ENROLMENT_LIFETIME: Duration = Duration::hours(24);

pub async fn view(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    s: staff_member::Model,
) -> AppResult<StaffView> {
    let passkeys = credential::Entity::find()
        .filter(credential::Column::OwnerKind.eq(OwnerKind::Staff))
        .filter(credential::Column::OwnerId.eq(s.id))
        .filter(credential::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    let grants = delegation::Entity::find()
        .filter(delegation::Column::StaffMemberId.eq(s.id))
        .filter(delegation::Column::WithdrawnAt.is_null())
        .all(db)
        .await?;
    let authorised_by = professional::Entity::find()
        .filter(professional::Column::Id.is_in(grants.iter().map(|g| g.professional_id)))
        .all(db)
        .await?
        .iter()
        .map(crate::auth::session::display_name)
        .collect();
    let open_sessions = session_row::Entity::find()
        .filter(session_row::Column::StaffMemberId.eq(s.id))
        .filter(session_row::Column::EndedAt.is_null())
        .filter(session_row::Column::IdleExpiresAt.gt(now))
        .filter(session_row::Column::AbsoluteExpiresAt.gt(now))
        .count(db)
        .await? as u32;
    Ok(StaffView {
        id: s.id,
        structure_id: s.structure_id,
        cpe_number: s.cpe_number,
        first_name: s.first_name,
        last_name: s.last_name,
        role: s.role,
        declared_at: s.created_at,
        withdrawn_at: s.withdrawn_at,
        passkey_enrolled: passkeys > 0,
        authorised_by,
        open_sessions,
    })
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<Vec<StaffView>> {
    structures::managed(&state.db, principal, structure_id).await?;
    let now = state.now();
    let rows = staff_member::Entity::find()
        .filter(staff_member::Column::StructureId.eq(structure_id))
        .order_by_asc(staff_member::Column::LastName)
        .order_by_asc(staff_member::Column::FirstName)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        out.push(view(&state.db, now, s).await?);
    }
    Ok(out)
}

/// A staff member of this structure, for its manager.
async fn managed_staff(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    staff_id: Uuid,
) -> AppResult<staff_member::Model> {
    structures::managed(&state.db, principal, structure_id).await?;
    staff_member::Entity::find_by_id(staff_id)
        .one(&state.db)
        .await?
        .filter(|s| s.structure_id == structure_id)
        .ok_or(AppError::code(ErrorCode::NotFound))
}

/// Declares a staff member (or declares again one who was withdrawn) and issues their link.
pub async fn declare(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    body: StaffDeclaration,
) -> AppResult<StaffEnrolment> {
    let now = state.now();
    structures::managed(&state.db, principal, structure_id).await?;
    let first_name = name_field(&body.first_name, "Prénom", 60)?;
    let last_name = name_field(&body.last_name, "Nom", 60)?;
    let role = name_field(&body.role, "Fonction", 60)?;
    let existing = staff_member::Entity::find()
        .filter(staff_member::Column::StructureId.eq(structure_id))
        .filter(staff_member::Column::CpeNumber.eq(body.cpe_number.as_str()))
        .one(&state.db)
        .await?;
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let txn = work.db();
    let row = match existing {
        Some(s) if s.withdrawn_at.is_none() => return Err(ErrorCode::AlreadyDeclared.into()),
        Some(s) => {
            let mut a = s.into_active_model();
            a.first_name = Set(first_name);
            a.last_name = Set(last_name);
            a.role = Set(role);
            a.withdrawn_at = Set(None);
            a.update(txn).await?
        }
        None => {
            staff_member::ActiveModel {
                id: Set(Uuid::new_v4()),
                structure_id: Set(structure_id),
                cpe_number: Set(body.cpe_number.as_str().to_owned()),
                first_name: Set(first_name),
                last_name: Set(last_name),
                role: Set(role),
                created_at: Set(now),
                withdrawn_at: Set(None),
                enrolment_token_hash: Set(None),
                enrolment_expires_at: Set(None),
            }
            .insert(txn)
            .await?
        }
    };
    let staff = row.id;
    let issued = issue_link(state, &mut work, now, row).await?;
    work.emit(DomainEvent::StaffDeclared { staff });
    work.commit().await?;
    Ok(issued)
}

/// A new passkey link (the previous one stops working).
pub async fn new_enrolment(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    staff_id: Uuid,
) -> AppResult<StaffEnrolment> {
    let now = state.now();
    let row = managed_staff(state, principal, structure_id, staff_id).await?;
    if row.withdrawn_at.is_some() {
        return Err(AppError::with_message(
            ErrorCode::Conflict,
            "Cette personne a été retirée : déclarez-la de nouveau d'abord.",
        ));
    }
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let staff = row.id;
    let issued = issue_link(state, &mut work, now, row).await?;
    work.emit(DomainEvent::StaffEnrolmentIssued { staff });
    work.commit().await?;
    Ok(issued)
}

/// Issues a staff member's passkey link. The keys they held are revoked: the manager hands out
/// a new link when a key is lost or in doubt, and a lost key must not keep signing in.
async fn issue_link(
    state: &AppState,
    work: &mut Work,
    now: DateTime<Utc>,
    row: staff_member::Model,
) -> AppResult<StaffEnrolment> {
    let revoked_passkeys =
        manage::revoke_all_of_staff(work, row.id, manage::Revoker::NewStaffLink).await?;
    let txn = work.db();
    let token = tokens::random_token(24);
    let expires_at = now + ENROLMENT_LIFETIME;
    let mut a = row.into_active_model();
    a.enrolment_token_hash = Set(Some(tokens::hash(&token)));
    a.enrolment_expires_at = Set(Some(expires_at));
    let row = a.update(txn).await?;
    let mut link = state
        .settings
        .public_url
        .join("/personnel/activation")
        .map_err(AppError::internal)?;
    // In the fragment: the browser never sends it, so no server log holds it.
    link.set_fragment(Some(&format!("jeton={token}")));
    Ok(StaffEnrolment {
        staff: view(txn, now, row).await?,
        qr_svg: crate::http::qr::svg_text(link.as_str()),
        link: link.to_string(),
        enrolment_token: token,
        expires_at,
        revoked_passkeys,
    })
}

/// Withdraws a staff member: open delegated sessions end at once, authorisations lapse,
/// passkeys and any pending link are removed.
pub async fn withdraw(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
    staff_id: Uuid,
) -> AppResult<StaffView> {
    let now = state.now();
    let row = managed_staff(state, principal, structure_id, staff_id).await?;
    if row.withdrawn_at.is_some() {
        return view(&state.db, now, row).await;
    }
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let ended = end_sessions(&mut work, row.id, None, SessionEnd::StaffWithdrawn).await?;
    let txn = work.db();
    delegation::Entity::update_many()
        .col_expr(
            delegation::Column::WithdrawnAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(delegation::Column::StaffMemberId.eq(row.id))
        .filter(delegation::Column::WithdrawnAt.is_null())
        .exec(txn)
        .await?;
    manage::revoke_all_of_staff(&mut work, row.id, manage::Revoker::Manager).await?;
    let txn = work.db();
    let mut a = row.into_active_model();
    a.withdrawn_at = Set(Some(now));
    a.enrolment_token_hash = Set(None);
    a.enrolment_expires_at = Set(None);
    let row = a.update(txn).await?;
    work.emit(DomainEvent::StaffWithdrawn {
        staff: row.id,
        sessions_ended: ended,
    });
    work.commit().await?;
    view(&state.db, now, row).await
}
