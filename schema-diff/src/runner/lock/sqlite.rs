//! The SQLite migration lock: the run's `BEGIN IMMEDIATE` write transaction,
//! and the owner row ([`super::owner`]) that holds the lock while the run
//! steps out of its transaction for a data migration.

use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};

use super::Lock;
use super::heartbeat::Heartbeat;
use super::holder::sqlite_holder;
use super::owner::{self, HEARTBEAT_INTERVAL, OWNER_TABLE, Owner};
use crate::runner::RunError;

impl Lock {
    /// Whether the run is outside its SQLite transaction now, running a
    /// migration between [`Lock::step_out`] and [`Lock::step_in`].
    pub(in crate::runner) fn is_outside(&self) -> bool {
        matches!(self, Lock::Sqlite { txn: None, .. })
    }

    /// Whether a migration whose `use_transaction()` is `Some(false)` runs
    /// outside the lock's transaction ([`Lock::step_out`]): on SQLite.
    pub(in crate::runner) fn steps_out(&self) -> bool {
        matches!(self, Lock::Sqlite { .. })
    }

    /// SQLite, before a migration that runs outside the write transaction
    /// (`version`): writes the owner row ([`owner`]) naming this run and the
    /// migration, and commits the run's transaction, which makes the
    /// migrations before it durable; then restores the connection's
    /// `foreign_keys` and `busy_timeout` for the migration's own transactions.
    pub(in crate::runner) async fn step_out(&mut self, version: &str) -> Result<(), RunError> {
        let Lock::Sqlite {
            txn,
            db,
            busy_timeout_ms,
            started_at,
            owner,
            heartbeat,
            ..
        } = self
        else {
            return Ok(());
        };
        let Some(open) = txn.take() else {
            return Ok(());
        };
        let mut row = match owner.take() {
            Some((row, _)) => row,
            None => Owner::this_run(*started_at),
        };
        row.version = Some(version.to_owned());
        let written = owner::claim(&open, &row).await;
        let committed = match written {
            Ok(held) => {
                *owner = Some((row, held));
                open.commit().await
            }
            Err(e) => {
                if let Err(rollback) = open.rollback().await {
                    tracing::warn!(error = %rollback, "the rollback could not be sent");
                }
                Err(e)
            }
        };
        let restored = restore_pragmas(db, *busy_timeout_ms).await;
        committed?;
        if let Some((row, _)) = owner.as_ref() {
            *heartbeat = Heartbeat::start(db, &row.token, HEARTBEAT_INTERVAL).await;
        }
        restored?;
        tracing::info!(
            version,
            "migration lock held by its owner row: the run's transaction is committed"
        );
        Ok(())
    }

    /// SQLite, after a migration that ran outside: takes the write transaction
    /// again (waiting up to the lock timeout for the database's other writers)
    /// and checks that the owner row still names this run.
    pub(in crate::runner) async fn step_in(&mut self) -> Result<(), RunError> {
        let Lock::Sqlite {
            txn,
            db,
            wait_ms,
            owner,
            busy_timeout_ms,
            heartbeat,
            ..
        } = self
        else {
            return Ok(());
        };
        if txn.is_some() {
            return Ok(());
        }
        // Back under the write lock, the run's own transaction holds the lock.
        drop(heartbeat.take());
        let begun = begin_immediate(db, *wait_ms).await;
        let open = match begun {
            Ok(open) => open,
            Err(e) => {
                restore_pragmas(db, *busy_timeout_ms).await.ok();
                return Err(e.into());
            }
        };
        let mine = match owner.as_ref() {
            Some((me, _)) => still_owned(&open, &me.token).await,
            None => Err(format!("its owner row in {OWNER_TABLE} is gone")),
        };
        *txn = Some(open);
        mine.map_err(|cause| RunError::LockLost {
            at: "after a data migration".into(),
            cause,
            advice: "the data migration is recorded; run the command again once no other \
                     run is in progress (`db-migrate status` names the lock's holder)"
                .into(),
        })
    }
}

/// `Ok` when the owner row of `db` still names the run `token`; otherwise why
/// not, for [`RunError::LockLost`].
pub(super) async fn still_owned(db: &impl ConnectionTrait, token: &str) -> Result<(), String> {
    match owner::read(db).await {
        Ok(Some(row)) if row.token == token => Ok(()),
        Ok(Some(row)) => Err(format!(
            "its owner row in {OWNER_TABLE} now names {}",
            row.describe()
        )),
        Ok(None) => Err(format!("its owner row in {OWNER_TABLE} is gone")),
        Err(e) => Err(format!("its owner row cannot be read: {e}")),
    }
}

/// Turns SQLite's foreign keys off and sets `busy_timeout` to `wait_ms`, then
/// `BEGIN IMMEDIATE`. Foreign keys must be set before BEGIN (the pragma is a
/// no-op inside a transaction); off so that table rebuilds keep child rows,
/// each migration checks the keys before it ends.
pub(super) async fn begin_immediate(
    db: &DatabaseConnection,
    wait_ms: i64,
) -> Result<DatabaseTransaction, DbErr> {
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    db.execute_unprepared(&format!("PRAGMA busy_timeout = {wait_ms}"))
        .await?;
    crate::runner::begin_write(db).await
}

/// SQLite's connection settings outside the lock: foreign keys on, the
/// caller's `busy_timeout`.
pub(super) async fn restore_pragmas(
    db: &DatabaseConnection,
    busy_timeout_ms: i64,
) -> Result<(), DbErr> {
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    db.execute_unprepared(&format!("PRAGMA busy_timeout = {busy_timeout_ms}"))
        .await?;
    Ok(())
}

/// How long a taker sleeps between looks at a live owner row.
const OWNER_POLL: Duration = Duration::from_millis(200);

pub(super) async fn sqlite(db: &DatabaseConnection, timeout: Duration) -> Result<Lock, RunError> {
    let busy_timeout_ms: i64 = match db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA busy_timeout",
        ))
        .await?
    {
        Some(row) => row.try_get_by_index(0)?,
        None => 5000,
    };
    let wait_ms = timeout.as_millis().min(i32::MAX as u128) as i64;
    let started = Instant::now();
    loop {
        let left = timeout.saturating_sub(started.elapsed());
        let left_ms = left.as_millis().min(i32::MAX as u128) as i64;
        let txn = match begin_immediate(db, left_ms).await {
            Ok(txn) => txn,
            Err(e) => {
                restore_pragmas(db, busy_timeout_ms).await.ok();
                if e.to_string().contains("database is locked") {
                    let holder = match owner::read(db).await {
                        Ok(Some(row)) if !row.is_stale() => row.describe(),
                        _ => sqlite_holder(db).await,
                    };
                    return Err(RunError::LockTimeout {
                        waited: timeout,
                        holder,
                    });
                }
                return Err(e.into());
            }
        };
        let row = match owner::read(&txn).await {
            Ok(row) => row,
            Err(e) => {
                txn.rollback().await.ok();
                restore_pragmas(db, busy_timeout_ms).await.ok();
                return Err(e.into());
            }
        };
        match row {
            None => {}
            Some(row) if row.is_stale() => {
                tracing::warn!(
                    holder = %row.describe(),
                    "taking over the migration lock from a run that is gone (its process \
                     ended, or its heartbeat stopped)"
                );
                if let Err(e) = owner::clear(&txn).await {
                    txn.rollback().await.ok();
                    restore_pragmas(db, busy_timeout_ms).await.ok();
                    return Err(e.into());
                }
            }
            Some(row) => {
                let ended = txn.rollback().await;
                let restored = restore_pragmas(db, busy_timeout_ms).await;
                ended?;
                restored?;
                if started.elapsed() >= timeout {
                    return Err(RunError::LockTimeout {
                        waited: timeout,
                        holder: row.describe(),
                    });
                }
                tracing::debug!(holder = %row.describe(), "waiting for the migration lock's owner");
                tokio::time::sleep(OWNER_POLL.min(timeout.saturating_sub(started.elapsed()))).await;
                continue;
            }
        }
        return Ok(Lock::Sqlite {
            txn: Some(txn),
            db: db.clone(),
            busy_timeout_ms,
            wait_ms,
            started_at: crate::runner::history::now(),
            owner: None,
            heartbeat: None,
        });
    }
}
