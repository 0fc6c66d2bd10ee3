//! The mail sent whenever a credential is added, and its "Ce n'est pas moi" link: a single-use
//! token (stored hashed, in the URL fragment so no log holds it) that revokes what was added at
//! once and opens an incident for the security officers.

use chrono::Duration;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;
use vigie_shared::{ErrorCode, api::credentials::CredentialKind};

use super::{Owner, OwnerKind, manage};
use crate::{
    auth::{session, tokens},
    entities::{credential_report, professional, staff_member, structure_account},
    error::{AppError, AppResult},
    incident, mail,
    state::AppState,
    work::{Actor, Work},
};

/// How long the link works: long enough for a mail read the next week.
pub const REPORT_VALID: Duration = Duration::days(7);

/// Queues the mail announcing a new passkey (and the phone activated with it) in the work that
/// adds it: to the professional's directory address; a staff member has none, so their
/// structure's account is told (its manager handed out the link).
pub async fn announce(
    work: &mut Work,
    owner: Owner,
    passkey: Option<Uuid>,
    device: Option<Uuid>,
    label: &str,
) -> AppResult<()> {
    let now = work.now();
    let (recipient, greeting, whose) = match owner.kind {
        OwnerKind::Professional => {
            let Some(p) = professional::Entity::find_by_id(owner.id)
                .one(work.db())
                .await?
            else {
                return Ok(());
            };
            (
                p.email.clone().unwrap_or_default(),
                session::display_name(&p),
                "votre compte".to_owned(),
            )
        }
        OwnerKind::Staff => {
            let Some(s) = staff_member::Entity::find_by_id(owner.id)
                .one(work.db())
                .await?
            else {
                return Ok(());
            };
            let account = structure_account::Entity::find()
                .filter(structure_account::Column::StructureId.eq(s.structure_id))
                .order_by_asc(structure_account::Column::CreatedAt)
                .one(work.db())
                .await?;
            let Some(account) = account else {
                return Ok(());
            };
            (
                account.email,
                account.display_name,
                format!("le compte de {}", session::staff_name(&s)),
            )
        }
    };
    if recipient.is_empty() {
        return Ok(());
    }
    let token = tokens::random_token(24);
    credential_report::Entity::insert(credential_report::ActiveModel {
        token_hash: Set(tokens::hash(&token)),
        passkey_id: Set(passkey),
        device_id: Set(device),
        owner_kind: Set(owner.kind),
        owner_id: Set(owner.id),
        created_at: Set(now),
        expires_at: Set(now + REPORT_VALID),
        used_at: Set(None),
    })
    .exec_without_returning(work.db())
    .await?;
    let state = work.state().clone();
    let mut link = state
        .settings
        .public_url
        .join("/appareils/signalement")
        .map_err(AppError::internal)?;
    // In the fragment: the browser never sends it, so no server log holds it.
    link.set_fragment(Some(&format!("jeton={token}")));
    let what = if device.is_some() {
        "une clé d'accès a été créée et ce téléphone activé pour valider vos connexions"
    } else {
        "une clé d'accès a été créée"
    };
    let body = format!(
        "Bonjour {greeting},\n\nSur {whose} Vigie, {what} :\n\
         - appareil : {label}\n- le {when}\n\n\
         Si ce n'était pas vous, ouvrez ce lien (valable 7 jours, une seule fois) : l'appareil \
         sera retiré immédiatement et l'incident signalé à l'équipe de sécurité.\n{link}\n",
        when = mail::paris_time(now),
    );
    mail::queue_to(work, &recipient, "Vigie : nouvel appareil ajouté", &body).await
}

/// Removes the tokens of links that expired; returns how many.
pub async fn sweep(
    db: &impl sea_orm::ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<u64> {
    Ok(credential_report::Entity::delete_many()
        .filter(credential_report::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// "Ce n'est pas moi": revokes what the mail announced and opens an incident. Only the first
/// use acts (one conditional UPDATE spends the token); a later, expired or unknown token
/// answers 404.
pub async fn report(state: &AppState, token: &str) -> AppResult<()> {
    let row = credential_report::Entity::find_by_id(tokens::hash(token))
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let mut work = Work::begin(state, Actor::by(row.owner_id)).await?;
    let now = work.now();
    let spent = credential_report::Entity::update_many()
        .col_expr(credential_report::Column::UsedAt, Expr::value(now))
        .filter(credential_report::Column::TokenHash.eq(row.token_hash.clone()))
        .filter(credential_report::Column::UsedAt.is_null())
        .filter(credential_report::Column::ExpiresAt.gt(now))
        .exec(work.db())
        .await?;
    if spent.rows_affected != 1 {
        return Err(ErrorCode::NotFound.into());
    }
    let concerning = match row.owner_kind {
        OwnerKind::Professional => Some(incident::Concerning::Professional(row.owner_id)),
        OwnerKind::Staff => {
            let staff = staff_member::Entity::find_by_id(row.owner_id)
                .one(work.db())
                .await?;
            match staff {
                Some(s) => structure_account::Entity::find()
                    .filter(structure_account::Column::StructureId.eq(s.structure_id))
                    .order_by_asc(structure_account::Column::CreatedAt)
                    .one(work.db())
                    .await?
                    .map(|a| incident::Concerning::Account(a.id)),
                None => None,
            }
        }
    };
    let opened = match concerning {
        Some(c) => Some(incident::open(work.db(), now, c, None, "credential_fraud_report").await?),
        None => None,
    };
    let owner = Owner {
        kind: row.owner_kind,
        id: row.owner_id,
    };
    let reason = manage::Revoker::Report { incident: opened };
    if let Some(p) = row.passkey_id {
        manage::revoke_in(&mut work, owner, CredentialKind::Passkey, p, reason).await?;
    }
    if let Some(d) = row.device_id {
        manage::revoke_in(&mut work, owner, CredentialKind::Phone, d, reason).await?;
    }
    work.commit().await?;
    Ok(())
}
