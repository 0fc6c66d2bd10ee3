//! The sealed values in the database: server secrets, outbox bodies and push subscriptions.
//! Checked at start (the keys must open them; a database from before the vault is sealed once,
//! at the start that creates the keys file, and never again accepts a secret in clear),
//! re-sealed by a rotation.

use anyhow::Context;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait, sea_query::Expr,
};

use super::{Tampered, Vault, VaultSettings, is_sealed, keys};
use crate::entities::{audit_event, audit_head, mail_outbox, server_secret};

/// A value every database holds once its vault is set: if the keys do not open it, they are
/// not this database's keys, and the server refuses to start rather than store secrets that
/// the other instances could not read. It also records that the database is sealed: stored
/// last, in the transaction that seals a new database (or one from before the vault), it says
/// that every secret is sealed and that the audit chain has its key. Someone who can write to
/// the database can delete it but not forge it, and a database in use without it is refused.
const CANARY: &str = "vault_canary";

const WRONG_KEYS: &str = "the vault keys do not open this database's secrets: start with the \
                          keys file (or VIGIE_VAULT__KEYS) that goes with this database";

pub const MAIL_BODY: &str = "mail_outbox.body";
pub const SMS_BODY: &str = "sms_outbox.body";
/// A phone's Web Push endpoint and keys: whoever holds them can push to the phone.
pub const PUSH_SUBSCRIPTION: &str = "push_subscription.body";

fn secret_purpose(name: &str) -> String {
    format!("server_secret:{name}")
}

/// Stores these secrets, sealed, unless they exist already (the first instance to store them
/// wins; all are written in one statement, so nobody reads some without the others).
pub async fn store_once(
    db: &impl ConnectionTrait,
    vault: &Vault,
    secrets: &[(&str, &[u8])],
) -> anyhow::Result<()> {
    server_secret::Entity::insert_many(secrets.iter().map(|(name, value)| {
        server_secret::ActiveModel {
            name: Set((*name).to_owned()),
            value: Set(vault.seal(&secret_purpose(name), value).into_bytes()),
        }
    }))
    .on_conflict_do_nothing_on([server_secret::Column::Name])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A stored secret, opened (`None`: not stored yet).
pub async fn read_secret(
    db: &impl ConnectionTrait,
    vault: &Vault,
    name: &str,
) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(row) = server_secret::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !is_sealed(&row.value) {
        // `seal_at_rest` sealed what a version before the vault left in clear: only someone
        // writing to the database behind the server's back puts a clear value there.
        return Err(Tampered(clear_secret(name)).into());
    }
    let text = std::str::from_utf8(&row.value).context("sealed secret")?;
    Ok(Some(vault.open(&secret_purpose(name), text).with_context(
        || format!("opening the server secret {name}"),
    )?))
}

/// A random 32-byte key kept (sealed) in the database, so every instance derives the same
/// values from it.
pub async fn server_key(
    db: &impl ConnectionTrait,
    vault: &Vault,
    name: &str,
) -> anyhow::Result<[u8; 32]> {
    if read_secret(db, vault, name).await?.is_none() {
        store_once(db, vault, &[(name, &Vault::generate_key())]).await?;
    }
    read_secret(db, vault, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("server key {name} missing"))?
        .try_into()
        .map_err(|_| anyhow::anyhow!("server key {name} has the wrong length"))
}

/// At start: the keys must open this database's secrets, which are all sealed. A database
/// without the canary is sealed here, in one transaction: a new one (no secret, no audit
/// event), or one a version before the vault left in clear, at the start that creates the keys
/// file (its secrets are sealed and its audit chain keyed from the next event on). Any other
/// database without the canary, or with a secret in clear, was altered by someone who can
/// write to it: refused. Outbox bodies left in clear are sealed, and mails already handed to
/// the relay lose their body.
pub async fn seal_at_rest(db: &DatabaseConnection, vault: &Vault) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let secrets = server_secret::Entity::find().all(&txn).await?;
    match secrets.iter().find(|s| s.name == CANARY) {
        Some(canary) => {
            anyhow::ensure!(is_sealed(&canary.value), Tampered(clear_secret(CANARY)));
            let text = std::str::from_utf8(&canary.value).context(WRONG_KEYS)?;
            vault
                .open(&secret_purpose(CANARY), text)
                .context(WRONG_KEYS)?;
            if let Some(clear) = secrets.iter().find(|s| !is_sealed(&s.value)) {
                return Err(Tampered(clear_secret(&clear.name)).into());
            }
        }
        None => {
            let in_use = !secrets.is_empty() || !audit_trail_is_empty(&txn).await?;
            if in_use && !vault.created_keys_file() {
                return Err(Tampered(
                    "the vault's canary is missing from this database, which holds secrets or \
                     audit events: someone who can write to the database deleted it (or these \
                     are not the database's keys). Vigie does not start on it: restore the \
                     database from a backup. (A database from a version before the vault is \
                     sealed once, at the first start, which creates the keys file.)"
                        .to_owned(),
                )
                .into());
            }
            for row in &secrets {
                if !is_sealed(&row.value) {
                    let sealed = vault.seal(&secret_purpose(&row.name), &row.value);
                    replace_secret(&txn, row, sealed).await?;
                }
            }
            crate::audit::ChainKey::create(&txn, vault).await?;
            // Last: the database is sealed.
            store_once(&txn, vault, &[(CANARY, &Vault::generate_key())]).await?;
        }
    }
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Body, Expr::value(""))
        .filter(mail_outbox::Column::SentAt.is_not_null())
        .filter(mail_outbox::Column::Body.ne(""))
        .exec(&txn)
        .await?;
    for outbox in [MAIL, SMS, PUSH] {
        for (id, body) in outbox.bodies(&txn, false).await? {
            let sealed = vault.seal_text(outbox.purpose, &body);
            outbox.replace(&txn, id, &body, sealed).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

fn clear_secret(name: &str) -> String {
    format!(
        "the server secret {name} is stored in clear, but this database's secrets are sealed: \
         someone who can write to the database put it there. Vigie does not start on it: restore \
         the server_secret table from a backup"
    )
}

/// True when the audit chain holds no event yet (a new database).
pub(crate) async fn audit_trail_is_empty(db: &impl ConnectionTrait) -> anyhow::Result<bool> {
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    Ok(head.is_none_or(|h| h.seq == 0) && audit_event::Entity::find().one(db).await?.is_none())
}

async fn replace_secret(
    db: &impl ConnectionTrait,
    row: &server_secret::Model,
    sealed: String,
) -> anyhow::Result<()> {
    // Only if nobody changed it meanwhile.
    server_secret::Entity::update_many()
        .col_expr(
            server_secret::Column::Value,
            Expr::value(sealed.into_bytes()),
        )
        .filter(server_secret::Column::Name.eq(row.name.clone()))
        .filter(server_secret::Column::Value.eq(row.value.clone()))
        .exec(db)
        .await?;
    Ok(())
}

/// A table whose bodies are sealed (mail or SMS outbox, push subscriptions).
#[derive(Clone, Copy)]
struct Outbox {
    table: &'static str,
    /// Its key column.
    id: &'static str,
    purpose: &'static str,
}

const MAIL: Outbox = Outbox {
    table: "mail_outbox",
    id: "id",
    purpose: MAIL_BODY,
};
const SMS: Outbox = Outbox {
    table: "sms_outbox",
    id: "id",
    purpose: SMS_BODY,
};
const PUSH: Outbox = Outbox {
    table: "push_subscription",
    id: "device_id",
    purpose: PUSH_SUBSCRIPTION,
};

impl Outbox {
    /// (id, body) of the rows with a body, sealed or (`sealed` false) still in clear.
    async fn bodies(
        &self,
        db: &impl ConnectionTrait,
        sealed: bool,
    ) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
        use sea_orm::sea_query::{Alias, ExprTrait, Query};
        let body = Expr::col(Alias::new("body"));
        let form = if sealed {
            body.clone().like("vault1.%")
        } else {
            body.clone().not_like("vault1.%")
        };
        let query = Query::select()
            .expr_as(Expr::col(Alias::new(self.id)), Alias::new("id"))
            .column(Alias::new("body"))
            .from(Alias::new(self.table))
            .and_where(form)
            .and_where(body.ne(""))
            .to_owned();
        let mut out = Vec::new();
        for row in db.query_all(&query).await? {
            out.push((row.try_get("", "id")?, row.try_get("", "body")?));
        }
        Ok(out)
    }

    /// Replaces one body, only if nobody changed it meanwhile.
    async fn replace(
        &self,
        db: &impl ConnectionTrait,
        id: uuid::Uuid,
        old: &str,
        new: String,
    ) -> anyhow::Result<()> {
        use sea_orm::sea_query::{Alias, ExprTrait, Query};
        let update = Query::update()
            .table(Alias::new(self.table))
            .value(Alias::new("body"), new)
            .and_where(Expr::col(Alias::new(self.id)).eq(id))
            .and_where(Expr::col(Alias::new("body")).eq(old))
            .to_owned();
        db.execute(&update).await?;
        Ok(())
    }
}

/// Re-seals with the first key every value sealed with another, in one transaction; returns
/// how many. A value no configured key opens stops it: nothing is changed.
pub async fn reseal(db: &DatabaseConnection, vault: &Vault) -> anyhow::Result<u64> {
    let txn = db.begin().await?;
    let mut n = 0;
    for row in server_secret::Entity::find().all(&txn).await? {
        let text = String::from_utf8_lossy(&row.value).into_owned();
        if is_sealed(&row.value) && !vault.is_current(&text) {
            let purpose = secret_purpose(&row.name);
            let plain = vault
                .open(&purpose, &text)
                .with_context(|| format!("opening the server secret {}", row.name))?;
            replace_secret(&txn, &row, vault.seal(&purpose, &plain)).await?;
            n += 1;
        }
    }
    for outbox in [MAIL, SMS, PUSH] {
        for (id, body) in outbox.bodies(&txn, true).await? {
            if !vault.is_current(&body) {
                let plain = vault
                    .open_text(outbox.purpose, &body)
                    .with_context(|| format!("a body of {}", outbox.table))?;
                outbox
                    .replace(&txn, id, &body, vault.seal_text(outbox.purpose, &plain))
                    .await?;
                n += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(n)
}

/// Rotates the keys file: a fresh key goes first (the old ones still open), every value is
/// re-sealed with it, then the old keys leave the file. Returns the new key's id and how many
/// values were re-sealed. Run again after a crash, it finishes the job.
pub async fn rotate_file(
    settings: &VaultSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<(String, u64)> {
    anyhow::ensure!(
        !settings.from_environment(),
        "the vault keys come from VIGIE_VAULT__KEYS: put a new key first in it (vigie \
         vault-new-key prints one), keep the old ones after it, run vigie vault-reseal, then \
         remove the old keys"
    );
    let path = &settings.keys_file;
    let old = keys::read_file(path)?;
    // The database must open with the keys as they are before anything changes.
    let current = Vault::from_keys(&old)?;
    seal_at_rest(db, &current).await?;
    let fresh = Vault::generate_key();
    let mut both = vec![fresh];
    both.extend_from_slice(&old);
    keys::replace(path, &both)?;
    let vault = Vault::from_keys(&both)?;
    let n = reseal(db, &vault).await?;
    keys::replace(path, &[fresh])?;
    Ok((vault.sealing_key_id().to_owned(), n))
}
