//! The migration lock held for work other than a migration run, such as a
//! backup: while a [`LockGuard`] lives, no `upgrade`, `downgrade`, `resolve` or
//! `stamp` runs on the database, and none is running when it is granted.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::super::RunError;
use super::Lock;

/// The database's migration lock, held until [`LockGuard::release`].
///
/// On PostgreSQL and MySQL/MariaDB it holds a connection of `db`'s pool of its
/// own (the pool needs at least 2 connections), and other work can go through
/// `db`. On SQLite it is a `BEGIN IMMEDIATE` write transaction on `db`'s
/// connection, granted only while no live run owns the lock across a data
/// migration (its owner row, see [`super::owner`]): with a one-connection pool,
/// work under the lock must use another connection to the same file (readers
/// are not blocked by the write lock).
///
/// Dropped without [`LockGuard::release`], the lock ends with its connection
/// (PostgreSQL, MySQL) or its transaction (SQLite).
#[must_use = "the lock is held until the guard is released"]
pub struct LockGuard {
    lock: Lock,
    db: DatabaseConnection,
}

/// Waits up to `timeout` (zero: not at all) for `db`'s migration lock, as
/// `upgrade` does; a busy lock gives the same [`RunError::LockTimeout`] as
/// `upgrade`'s, naming the holder where the database can tell.
pub async fn hold_lock(db: &DatabaseConnection, timeout: Duration) -> Result<LockGuard, RunError> {
    let lock = Lock::acquire(db, timeout).await?;
    Ok(LockGuard {
        lock,
        db: db.clone(),
    })
}

impl LockGuard {
    /// Releases the lock. Nothing is written under it: SQLite's transaction is
    /// rolled back.
    pub async fn release(self) -> Result<(), RunError> {
        self.lock.release(&self.db, false).await
    }
}
