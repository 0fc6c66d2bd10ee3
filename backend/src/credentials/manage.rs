//! "Mes appareils": listing and revoking credentials, by their owner, by the manager of a
//! staff member's structure, or by a security officer.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::credentials::{CredentialKind, CredentialView},
};

use super::{Owner, OwnerKind};
use crate::{
    auth::session::{Current, Principal},
    delegation::structures,
    entities::{approver_device, credential, session_credential, staff_member},
    error::{AppError, AppResult},
    state::AppState,
    work::{Actor, DomainEvent, Work},
};

/// Who revokes, which decides what is allowed and what the audit trail says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoker {
    /// The owner, in their own session: their last passkey stays (it is their only way in).
    Owner,
    /// The manager of the staff member's structure.
    Manager,
    SecurityOfficer,
    /// A new passkey link for the staff member replaces their keys.
    NewStaffLink,
    /// The mail's "Ce n'est pas moi".
    Report {
        incident: Option<Uuid>,
    },
}

impl Revoker {
    fn reason(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Manager => "manager",
            Self::SecurityOfficer => "security_officer",
            Self::NewStaffLink => "new_staff_link",
            Self::Report { .. } => "reported",
        }
    }
}

/// The owner a session's principal speaks for; a structure account holds no credential.
pub fn owner_of(current: &Current) -> AppResult<Owner> {
    match &current.principal {
        Principal::Professional(p) => Ok(Owner::professional(p.id)),
        Principal::Delegate { staff, .. } => Ok(Owner::staff(staff.id)),
        Principal::Account { .. } => Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Un compte de structure n'a pas d'appareil : gérez ceux de votre personnel depuis sa fiche.",
        )),
    }
}

/// The owner's passkeys and (a professional's) phones, not revoked, newest first.
/// `session` and `device` say which ones the caller is using now.
pub async fn list(
    db: &impl ConnectionTrait,
    owner: Owner,
    session: Option<Uuid>,
    device: Option<Uuid>,
) -> AppResult<Vec<CredentialView>> {
    let opened_with = match session {
        Some(s) => session_credential::Entity::find_by_id(s)
            .one(db)
            .await?
            .map(|r| r.credential_id),
        None => None,
    };
    let mut out: Vec<CredentialView> = credential::Entity::find()
        .filter(credential::Column::OwnerKind.eq(owner.kind))
        .filter(credential::Column::OwnerId.eq(owner.id))
        .filter(credential::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| CredentialView {
            current: opened_with == Some(c.id),
            id: c.id,
            kind: CredentialKind::Passkey,
            name: c.label,
            created_at: c.created_at,
            last_used_at: c.last_used_at,
        })
        .collect();
    if owner.kind == OwnerKind::Professional {
        out.extend(
            approver_device::Entity::find()
                .filter(approver_device::Column::ProfessionalId.eq(owner.id))
                .filter(approver_device::Column::RevokedAt.is_null())
                .all(db)
                .await?
                .into_iter()
                .map(|d| CredentialView {
                    current: device == Some(d.id),
                    id: d.id,
                    kind: CredentialKind::Phone,
                    name: d.label,
                    created_at: d.created_at,
                    last_used_at: Some(d.last_seen_at),
                }),
        );
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Revokes one credential of `owner`, in `work`. False when it is not (or no longer) a live
/// credential of theirs. The owner's own last passkey is refused (`last_passkey`): the owner's
/// live keys are locked first (PostgreSQL; SQLite has one writer), then counted, so two
/// parallel revocations cannot both take what they each believe is not the last one.
pub async fn revoke_in(
    work: &mut Work,
    owner: Owner,
    kind: CredentialKind,
    id: Uuid,
    by: Revoker,
) -> AppResult<bool> {
    let now = work.now();
    let revoked = match kind {
        CredentialKind::Passkey => {
            if by == Revoker::Owner {
                let mut live = credential::Entity::find()
                    .select_only()
                    .column(credential::Column::Id)
                    .filter(credential::Column::OwnerKind.eq(owner.kind))
                    .filter(credential::Column::OwnerId.eq(owner.id))
                    .filter(credential::Column::RevokedAt.is_null());
                if work.db().get_database_backend() == sea_orm::DbBackend::Postgres {
                    live = live.lock_exclusive();
                }
                let ids: Vec<Uuid> = live.into_tuple().all(work.db()).await?;
                if ids.contains(&id) && ids.len() < 2 {
                    return Err(ErrorCode::LastPasskey.into());
                }
            }
            credential::Entity::update_many()
                .col_expr(credential::Column::RevokedAt, Expr::value(now))
                .filter(credential::Column::Id.eq(id))
                .filter(credential::Column::OwnerKind.eq(owner.kind))
                .filter(credential::Column::OwnerId.eq(owner.id))
                .filter(credential::Column::RevokedAt.is_null())
                .exec(work.db())
                .await?
                .rows_affected
                == 1
        }
        CredentialKind::Phone => {
            owner.kind == OwnerKind::Professional
                && approver_device::Entity::update_many()
                    .col_expr(approver_device::Column::RevokedAt, Expr::value(now))
                    .filter(approver_device::Column::Id.eq(id))
                    .filter(approver_device::Column::ProfessionalId.eq(owner.id))
                    .filter(approver_device::Column::RevokedAt.is_null())
                    .exec(work.db())
                    .await?
                    .rows_affected
                    == 1
        }
    };
    if revoked {
        work.emit(DomainEvent::CredentialRevoked {
            credential: id,
            kind,
            owner: owner.id,
            reason: by.reason(),
            incident: match by {
                Revoker::Report { incident } => incident,
                _ => None,
            },
        });
    }
    Ok(revoked)
}

/// What an id names among `owner`'s live credentials (any owner's, for `None`).
async fn find(
    db: &impl ConnectionTrait,
    owner: Option<Owner>,
    id: Uuid,
) -> AppResult<Option<(Owner, CredentialKind)>> {
    let mut passkeys = credential::Entity::find()
        .filter(credential::Column::Id.eq(id))
        .filter(credential::Column::RevokedAt.is_null());
    if let Some(o) = owner {
        passkeys = passkeys
            .filter(credential::Column::OwnerKind.eq(o.kind))
            .filter(credential::Column::OwnerId.eq(o.id));
    }
    if let Some(c) = passkeys.one(db).await? {
        return Ok(Some((
            Owner {
                kind: c.owner_kind,
                id: c.owner_id,
            },
            CredentialKind::Passkey,
        )));
    }
    if owner.is_some_and(|o| o.kind != OwnerKind::Professional) {
        return Ok(None);
    }
    let mut phones = approver_device::Entity::find()
        .filter(approver_device::Column::Id.eq(id))
        .filter(approver_device::Column::RevokedAt.is_null());
    if let Some(o) = owner {
        phones = phones.filter(approver_device::Column::ProfessionalId.eq(o.id));
    }
    Ok(phones.one(db).await?.map(|d| {
        (
            Owner::professional(d.professional_id),
            CredentialKind::Phone,
        )
    }))
}

/// Revokes `id` for `owner` (any owner's for a security officer), in a work of its own. An id
/// that is not a live credential of theirs answers 404, like an unknown one.
pub async fn revoke(
    state: &AppState,
    actor: Actor,
    owner: Option<Owner>,
    id: Uuid,
    by: Revoker,
) -> AppResult<()> {
    let (owner, kind) = find(&state.db, owner, id)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let mut work = Work::begin(state, actor).await?;
    if !revoke_in(&mut work, owner, kind, id, by).await? {
        return Err(ErrorCode::NotFound.into());
    }
    work.commit().await?;
    Ok(())
}

/// A staff member of a structure the principal manages (404 for another structure's, 403 for
/// a structure they only work in, as the other staff routes answer).
pub async fn managed_staff(
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

/// Revokes every live passkey of a staff member (a new link replaces them, or they are
/// withdrawn); returns how many.
pub async fn revoke_all_of_staff(work: &mut Work, staff_id: Uuid, by: Revoker) -> AppResult<u32> {
    let owner = Owner::staff(staff_id);
    let ids: Vec<Uuid> = credential::Entity::find()
        .select_only()
        .column(credential::Column::Id)
        .filter(credential::Column::OwnerKind.eq(OwnerKind::Staff))
        .filter(credential::Column::OwnerId.eq(staff_id))
        .filter(credential::Column::RevokedAt.is_null())
        .order_by_asc(credential::Column::CreatedAt)
        .into_tuple()
        .all(work.db())
        .await?;
    let mut n = 0;
    for id in ids {
        if revoke_in(work, owner, CredentialKind::Passkey, id, by).await? {
            n += 1;
        }
    }
    Ok(n)
}
