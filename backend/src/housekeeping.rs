//! What nobody can use any more leaves the database: expired WebAuthn ceremonies, SMS once their
//! codes are long dead, mails once handed to the relay, terminals whose cookie no browser can
//! still hold. Each sweep is one `DELETE` by age, run once a minute by every instance (deleting
//! twice deletes nothing).

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    entities::{mail_outbox, sms_outbox, terminal, terminal_usage, webauthn_ceremony},
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

/// A terminal's cookie lives 400 days from its creation: a terminal unseen for that long can no
/// longer be presented by any browser. Its past requests keep its label; "first time on this
/// terminal" goes with it.
pub const TERMINAL_KEPT: Duration = Duration::days(400);

/// Rows removed by one sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub ceremonies: u64,
    pub sms: u64,
    pub mails: u64,
    pub terminals: u64,
}

pub async fn sweep(state: &AppState) -> AppResult<Swept> {
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
    let dead = now - TERMINAL_KEPT;
    // Usages first: a crash between the two statements leaves a terminal to sweep next time,
    // never a usage of a terminal that is gone.
    terminal_usage::Entity::delete_many()
        .filter(
            terminal_usage::Column::TerminalId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(terminal::Column::Id)
                    .from(terminal::Entity)
                    .and_where(terminal::Column::LastSeenAt.lt(dead))
                    .to_owned(),
            ),
        )
        .exec(&state.db)
        .await?;
    let terminals = terminal::Entity::delete_many()
        .filter(terminal::Column::LastSeenAt.lt(dead))
        .exec(&state.db)
        .await?
        .rows_affected;
    // Enrolled terminals' nonces live a minute; a late one proves nothing anyway.
    crate::terminals::sweep_nonces(&state.db, now).await?;
    // The new-credential mails' links, once they can no longer be used.
    crate::credentials::report::sweep(&state.db, now).await?;
    Ok(Swept {
        ceremonies,
        sms,
        mails,
        terminals,
    })
}
