//! What nobody can use any more leaves the database: expired WebAuthn ceremonies, SMS once their
//! codes are long dead, mails once handed to the relay. Each sweep is one `DELETE` by age, run
//! once a minute by every instance (deleting twice deletes nothing).

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    entities::{mail_outbox, sms_outbox, webauthn_ceremony},
    error::AppResult,
    state::AppState,
};

/// Ceremonies are kept a little past their expiry (a late answer is refused as expired, not as
/// unknown).
pub const CEREMONY_KEPT: Duration = Duration::hours(1);
/// SMS codes live minutes; the messages are kept a day for an operator without an SMS relay
/// (`vigie outbox`), then go.
pub const SMS_KEPT: Duration = Duration::days(1);
/// Mails handed to the relay are kept a week (delivery questions), then go.
pub const SENT_MAIL_KEPT: Duration = Duration::days(7);

/// Rows removed by one sweep: (ceremonies, SMS, mails).
pub async fn sweep(state: &AppState) -> AppResult<(u64, u64, u64)> {
    let now = state.now();
    let ceremonies = webauthn_ceremony::Entity::delete_many()
        .filter(webauthn_ceremony::Column::ExpiresAt.lt(now - CEREMONY_KEPT))
        .exec(&state.db)
        .await?
        .rows_affected;
    let sms = sms_outbox::Entity::delete_many()
        .filter(sms_outbox::Column::CreatedAt.lt(now - SMS_KEPT))
        .exec(&state.db)
        .await?
        .rows_affected;
    let mails = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::SentAt.is_not_null())
        .filter(mail_outbox::Column::CreatedAt.lt(now - SENT_MAIL_KEPT))
        .exec(&state.db)
        .await?
        .rows_affected;
    Ok((ceremonies, sms, mails))
}
