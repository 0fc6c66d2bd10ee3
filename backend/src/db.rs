//! Database connection: SQLite file by default (WAL, synchronous=FULL so an acknowledged write
//! survives a power cut), PostgreSQL when the URL says so. Migrations run at start.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    connect_with(url, 0).await
}

/// `connect`, with a pool of `connections` (0: 8 on SQLite, 16 on PostgreSQL).
pub async fn connect_with(
    url: &str,
    connections: u32,
) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let connections = match connections {
        0 if url.starts_with("sqlite") => 8,
        0 => 16,
        n => n,
    };
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // No checkpoint inside a commit: copying the log into the database (and its
                // fsync) would be paid by whichever write crossed the threshold. A task of its
                // own checkpoints instead (`checkpoint_in_background`).
                .pragma("wal_autocheckpoint", "0")
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    if url.starts_with("sqlite") {
        // A SQLite connection is a file handle: nothing on the way can drop it, so a ping
        // before each query (sqlx's default) is a wasted round trip to its worker thread.
        options.test_before_acquire(false);
    } else {
        // Only a connection idle long enough for a server or proxy to have dropped it.
        options.test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    crate::vaccination::catalogue::seed(&db).await?;
    Ok(db)
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// True when the database answers a trivial query.
pub async fn is_up(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// SQLite: copies the write-ahead log into the database file every `CHECKPOINT_EVERY`, off the
/// write path. `PASSIVE` never waits for readers nor blocks the writer; once the log is all
/// copied, the next write starts it over, so it stays small. (The last connection to close
/// checkpoints too, so the operator commands leave no log behind.)
pub async fn checkpoint_in_background(db: DatabaseConnection) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if let Err(e) = db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}

const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
