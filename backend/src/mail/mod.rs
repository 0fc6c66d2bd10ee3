//! Mail to professionals. Every message is first written to the `mail_outbox` table in the
//! transaction of the event it reports (so none is lost or sent for an event that rolled back);
//! a sender task then delivers it through the configured SMTP relay (lettre). With no relay
//! configured, messages stay in the outbox, which `vigie outbox` prints for the operator.
//! Bodies are sealed by the vault while they wait, and wiped once the relay has taken them.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    entities::{mail_outbox, professional, sms_outbox},
    error::AppResult,
    vault::{MAIL_BODY, SMS_BODY, Vault},
    work::Work,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Sender address of every message.
    pub from: String,
    /// SMTP relay; none: messages stay in the outbox.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `none` (plain, for a relay on the same host), `starttls` or `tls`.
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    #[serde(serialize_with = "crate::config::serialize_secret_opt")]
    pub smtp_password: Option<secrecy::SecretString>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "Vigie <ne-pas-repondre@vigie.localhost>".into(),
            smtp_host: None,
            smtp_port: 25,
            smtp_security: "none".into(),
            smtp_username: None,
            smtp_password: None,
        }
    }
}

/// "le 22/11/2026 à 14:05" in Paris time, for message bodies.
pub fn paris_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

/// Queues a message to the professional's directory e-mail (none: nothing to send).
pub async fn queue(
    work: &Work,
    to: &professional::Model,
    subject: &str,
    body: &str,
) -> AppResult<()> {
    let Some(email) = to.email.as_deref() else {
        return Ok(());
    };
    queue_to(work, email, subject, body).await
}

/// Queues a message to an address (empty: nothing to send). Bodies may hold a link that acts
/// for the recipient: they are stored sealed, and wiped once handed to the relay.
pub async fn queue_to(work: &Work, email: &str, subject: &str, body: &str) -> AppResult<()> {
    if email.is_empty() {
        return Ok(());
    }
    mail_outbox::Entity::insert(mail_outbox::ActiveModel {
        id: Set(Uuid::new_v4()),
        recipient: Set(email.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(work.state().vault.seal_text(MAIL_BODY, body)),
        created_at: Set(work.now()),
        sent_at: Set(None),
        error: Set(None),
    })
    .exec_without_returning(work.db())
    .await?;
    Ok(())
}

/// Queues an SMS in `sms_outbox`, the interface of the SMS gateway, sealed: its codes open
/// sessions and phones.
pub async fn queue_sms(work: &Work, mobile: &str, body: &str) -> AppResult<()> {
    sms_outbox::Entity::insert(sms_outbox::ActiveModel {
        id: Set(Uuid::new_v4()),
        recipient: Set(mobile.to_owned()),
        body: Set(work.state().vault.seal_text(SMS_BODY, body)),
        created_at: Set(work.now()),
    })
    .exec_without_returning(work.db())
    .await?;
    Ok(())
}

fn transport(
    settings: &MailSettings,
) -> anyhow::Result<Option<AsyncSmtpTransport<Tokio1Executor>>> {
    let Some(host) = settings.smtp_host.as_deref() else {
        return Ok(None);
    };
    let mut builder = match settings.smtp_security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    }
    .port(settings.smtp_port)
    .timeout(Some(Duration::from_secs(20)));
    if let (Some(user), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(Some(builder.build()))
}

/// Delivers queued messages. Each is claimed by a conditional UPDATE first, so two instances
/// never send the same message; a failed delivery is released and retried.
pub async fn run_sender(db: DatabaseConnection, settings: MailSettings, vault: Arc<Vault>) {
    let transport = match transport(&settings) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "mail: bad SMTP settings, messages stay in the outbox");
            return;
        }
    };
    let from: Mailbox = match settings.from.parse() {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "mail: bad sender address");
            return;
        }
    };
    loop {
        if let Err(e) = send_batch(&db, &vault, &transport, &from).await {
            tracing::warn!(error = %e, "mail: delivery round failed");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn send_batch(
    db: &DatabaseConnection,
    vault: &Vault,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> anyhow::Result<()> {
    let queued = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::SentAt.is_null())
        .order_by_asc(mail_outbox::Column::CreatedAt)
        .limit(20)
        .all(db)
        .await?;
    for m in queued {
        let claimed = mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::SentAt, Expr::value(Utc::now()))
            .filter(mail_outbox::Column::Id.eq(m.id))
            .filter(mail_outbox::Column::SentAt.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let body = match vault.open_text(MAIL_BODY, &m.body) {
            Ok(body) => body,
            Err(e) => {
                // Kept claimed (never retried): no key configured opens it.
                tracing::error!(error = %e, mail = %m.id, "mail: body does not open, not sent");
                note_error(db, m.id, &e.to_string()).await?;
                continue;
            }
        };
        let message = Message::builder()
            .from(from.clone())
            .to(m.recipient.parse()?)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        let sent = transport.send(message).await;
        if sent.is_ok() {
            // Handed to the relay: the link it may hold leaves the database.
            mail_outbox::Entity::update_many()
                .col_expr(mail_outbox::Column::Body, Expr::value(""))
                .filter(mail_outbox::Column::Id.eq(m.id))
                .exec(db)
                .await?;
        }
        if let Err(e) = sent {
            // Release it for a later round, and say why (no content, no address in the log).
            tracing::warn!(error = %e, mail = %m.id, "mail: delivery failed, will retry");
            mail_outbox::Entity::update_many()
                .col_expr(
                    mail_outbox::Column::SentAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(mail_outbox::Column::Error, Expr::value(e.to_string()))
                .filter(mail_outbox::Column::Id.eq(m.id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

async fn note_error(db: &DatabaseConnection, id: Uuid, error: &str) -> anyhow::Result<()> {
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Error, Expr::value(error))
        .filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
