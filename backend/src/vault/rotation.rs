//! The sealed values in the database: server secrets and outbox bodies. Checked at start
//! (the keys must open them; what an earlier version stored in clear is sealed), re-sealed
//! by a rotation.

use anyhow::Context;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait, sea_query::Expr,
};

use super::{Vault, VaultSettings, is_sealed, keys};
use crate::entities::{mail_outbox, server_secret};

/// A value every database holds once its vault is set: if the keys do not open it, they are
/// not this database's keys, and the server refuses to start rather than store secrets that
/// the other instances could not read.
const CANARY: &str = "vault_canary";

pub const MAIL_BODY: &str = "mail_outbox.body";
pub const SMS_BODY: &str = "sms_outbox.body";

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
        // Stored in clear by an earlier version; `seal_at_rest` seals it at start.
        return Ok(Some(row.value));
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

/// At start: the keys must open this database's secrets; what an earlier version stored in
/// clear is sealed now, and mails already handed to the relay lose their body.
pub async fn seal_at_rest(db: &DatabaseConnection, vault: &Vault) -> anyhow::Result<()> {
    server_key(db, vault, CANARY).await.context(
        "the vault keys do not open this database's secrets: start with the keys file (or \
         VIGIE_VAULT__KEYS) that goes with this database",
    )?;
    let txn = db.begin().await?;
    for row in server_secret::Entity::find().all(&txn).await? {
        if !is_sealed(&row.value) {
            let sealed = vault.seal(&secret_purpose(&row.name), &row.value);
            replace_secret(&txn, &row, sealed).await?;
        }
    }
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Body, Expr::value(""))
        .filter(mail_outbox::Column::SentAt.is_not_null())
        .filter(mail_outbox::Column::Body.ne(""))
        .exec(&txn)
        .await?;
    for outbox in [MAIL, SMS] {
        for (id, body) in outbox.bodies(&txn, false).await? {
            let sealed = vault.seal_text(outbox.purpose, &body);
            outbox.replace(&txn, id, &body, sealed).await?;
        }
    }
    txn.commit().await?;
    Ok(())
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

/// An outbox table whose bodies are sealed (mail or SMS).
#[derive(Clone, Copy)]
struct Outbox {
    table: &'static str,
    purpose: &'static str,
}

const MAIL: Outbox = Outbox {
    table: "mail_outbox",
    purpose: MAIL_BODY,
};
const SMS: Outbox = Outbox {
    table: "sms_outbox",
    purpose: SMS_BODY,
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
            .columns([Alias::new("id"), Alias::new("body")])
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
            .and_where(Expr::col(Alias::new("id")).eq(id))
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
    for outbox in [MAIL, SMS] {
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
