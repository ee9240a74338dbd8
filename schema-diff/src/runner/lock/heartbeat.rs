//! SQLite: the background task that keeps a run's owner row fresh
//! ([`super::owner`], `heartbeat_at`) while the run is outside its write
//! transaction for a data migration.
//!
//! It runs on a connection of its own, opened with the pool's options, and
//! refreshes the row every interval in a short `BEGIN IMMEDIATE` transaction.
//! A failure (the database busy for longer than the connection's
//! `busy_timeout`, a broken connection) is logged and retried at the next
//! tick with a new connection; it never fails the run. The task ends when the
//! run takes its transaction again, or with the [`Heartbeat`] dropped.

use std::time::Duration;

use sea_orm::sqlx::sqlite::SqliteConnection;
use sea_orm::sqlx::{self, ConnectOptions, Connection};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::task::JoinHandle;

use super::owner::OWNER_TABLE;
use crate::Dialect;
use crate::runner::history;
use crate::sql_text::quote_ident;

/// The running heartbeat task of one run; dropping it stops the task.
pub(in crate::runner) struct Heartbeat(JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // Cancelled at an await: a beat in flight rolls back with its
        // connection, which is closed.
        self.0.abort();
    }
}

impl Heartbeat {
    /// Starts refreshing the row of the run `token` every `every`. `None` for
    /// a database that is not a file (in memory, which no other process sees,
    /// and whose shared cache would make the beat fail the migration's
    /// writers instead of waiting), a connection that is not a sqlx pool, or
    /// outside a tokio runtime.
    pub(super) async fn start(
        db: &DatabaseConnection,
        token: &str,
        every: Duration,
    ) -> Option<Heartbeat> {
        if !is_file(db).await {
            tracing::debug!("no owner-row heartbeat: the database is not a file");
            return None;
        }
        // A sqlx pool only (`get_sqlite_connection_pool` panics on any other).
        if !matches!(
            db.inner,
            sea_orm::DatabaseConnectionType::SqlxSqlitePoolConnection(_)
        ) {
            return None;
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let options = db.get_sqlite_connection_pool().connect_options();
        let token = token.to_owned();
        let task = runtime.spawn(async move {
            let mut conn: Option<SqliteConnection> = None;
            let mut warned = false;
            loop {
                tokio::time::sleep(every).await;
                if conn.is_none() {
                    match options.connect().await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %e, "owner-row heartbeat: cannot connect; retrying");
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                match beat(c, &token).await {
                    Ok(1) => warned = false,
                    Ok(_) if !warned => {
                        warned = true;
                        tracing::warn!(
                            "owner-row heartbeat: the row in {OWNER_TABLE} no longer names \
                             this run (taken over?)"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "owner-row heartbeat failed; retrying");
                        if let Some(c) = conn.take() {
                            c.close().await.ok();
                        }
                    }
                }
            }
        });
        Some(Heartbeat(task))
    }
}

/// One beat: `heartbeat_at = now` for the row of `token`, in a short
/// `BEGIN IMMEDIATE` transaction. The number of rows changed (0: the row is
/// not this run's any more).
async fn beat(conn: &mut SqliteConnection, token: &str) -> Result<u64, sqlx::Error> {
    let mut txn = conn.begin_with("BEGIN IMMEDIATE").await?;
    let sql = format!(
        "UPDATE {} SET heartbeat_at = ? WHERE token = ?",
        quote_ident(Dialect::Sqlite, OWNER_TABLE)
    );
    // The table's name is a constant, quoted.
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(history::now())
        .bind(token)
        .execute(&mut *txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected())
}

/// Whether the main database of `db` is a file.
async fn is_file(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await;
    match row {
        Ok(Some(row)) => row
            .try_get_by_index::<String>(0)
            .is_ok_and(|file| !file.is_empty()),
        _ => false,
    }
}
