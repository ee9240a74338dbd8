//! Repairing the history without running migrations: [`Runner::resolve`]
//! settles one migration (after a failure outside a transaction), and
//! [`Runner::stamp`] declares the database to be at a version, like Alembic's
//! `stamp`. Both hold the migration lock and write `seaql_migrations` and the
//! companion table together, in one transaction.

use std::collections::HashSet;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbErr,
    TransactionTrait,
};

use super::companion::{self, CompanionRow, MigrationState};
use super::lock::Lock;
use super::{LostAt, RunError, Runner, StampTarget, history, migration_checksum, target};

/// How [`Runner::resolve`] settles a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// It is fully applied: record it as applied, with the code's checksum.
    Applied,
    /// It is fully undone: remove it from both tables.
    RolledBack,
}

/// What [`Runner::resolve`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Resolved {
    pub version: String,
    /// The state before: `pending`, `applied`, or the companion table's dirty
    /// state (`started`, `failed`, `rolling_back`).
    pub before: String,
    pub after: Resolution,
}

/// What [`Runner::stamp`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stamped {
    /// Versions now recorded as applied that were not (pending or dirty before).
    pub applied: Vec<String>,
    /// Versions removed from the history (applied or dirty before).
    pub removed: Vec<String>,
}

impl Runner {
    /// Records `version` (full name or unique prefix; a version only the
    /// database knows is accepted too) as fully applied or fully rolled back,
    /// without running anything, in both history tables.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        version: &str,
        resolution: Resolution,
    ) -> Result<Resolved, RunError> {
        let lock = Lock::acquire(db, self.lock_timeout).await?;
        let result = {
            let exec = lock.executor(db);
            self.resolve_locked(&lock, &exec, version, resolution).await
        };
        release(db, lock, result).await
    }

    async fn resolve_locked(
        &self,
        lock: &Lock,
        exec: &DatabaseExecutor<'_>,
        given: &str,
        resolution: Resolution,
    ) -> Result<Resolved, RunError> {
        let applied = history::read(exec).await?;
        let rows = companion::read(exec).await?;
        let mut candidates = self.versions();
        for v in applied
            .iter()
            .map(|a| &a.version)
            .chain(rows.iter().map(|r| &r.version))
        {
            if !candidates.contains(v) {
                candidates.push(v.clone());
            }
        }
        let version = target::resolve(given, &candidates)?;
        let row = rows.iter().find(|r| r.version == version);
        let in_history = applied.iter().any(|a| a.version == version);
        let before = match row {
            Some(r) if r.state.is_dirty() => r.state.as_str(),
            _ if in_history => "applied",
            _ => "pending",
        }
        .to_owned();
        match resolution {
            Resolution::Applied => {
                let Some(migration) = self.migration(&version) else {
                    return Err(RunError::UnknownTarget {
                        given: version,
                        hint: "the code does not have it, so it cannot be recorded as applied; \
                               `--rolled-back` removes it from the history"
                            .into(),
                    });
                };
                let checksum = migration_checksum(migration, exec.get_database_backend()).await;
                history::install(exec).await?;
                companion::install(exec).await?;
                let txn = exec.begin().await?;
                if !in_history {
                    history::insert(&txn, &version).await?;
                }
                companion::upsert(&txn, &applied_row(&version, checksum, row)).await?;
                commit_if_locked(lock, txn).await?;
            }
            Resolution::RolledBack => {
                let txn = exec.begin().await?;
                if in_history {
                    history::delete(&txn, &version).await?;
                }
                if row.is_some() {
                    companion::remove(&txn, &version).await?;
                }
                commit_if_locked(lock, txn).await?;
            }
        }
        Ok(Resolved {
            version,
            before,
            after: resolution,
        })
    }

    /// Declares the database to be at `target` without running anything: every
    /// migration up to it recorded as applied, every later one removed from
    /// the history. Refuses when the history names versions the code does not
    /// have (remove them with [`Runner::resolve`] first).
    pub async fn stamp(
        &self,
        db: &DatabaseConnection,
        target: &StampTarget,
    ) -> Result<Stamped, RunError> {
        let count = target.applied_count(&self.versions())?;
        let lock = Lock::acquire(db, self.lock_timeout).await?;
        let result = {
            let exec = lock.executor(db);
            self.stamp_locked(&lock, &exec, count).await
        };
        release(db, lock, result).await
    }

    async fn stamp_locked(
        &self,
        lock: &Lock,
        exec: &DatabaseExecutor<'_>,
        count: usize,
    ) -> Result<Stamped, RunError> {
        let status = self.status_on(exec).await?;
        if !status.unknown.is_empty() {
            return Err(RunError::UnknownApplied(status.unknown));
        }
        let applied: HashSet<&str> = status.applied.iter().map(|a| a.version.as_str()).collect();
        history::install(exec).await?;
        companion::install(exec).await?;
        let rows = companion::read(exec).await?;
        let backend = exec.get_database_backend();
        let mut stamped = Stamped::default();
        let txn = exec.begin().await?;
        let written = async {
            for (i, migration) in self.migrations.iter().enumerate() {
                let version = migration.name();
                let row = rows.iter().find(|r| r.version == version);
                let in_history = applied.contains(version);
                if i < count {
                    if !in_history {
                        history::insert(&txn, version).await?;
                    }
                    if row.is_none_or(|r| r.state != MigrationState::Applied) {
                        let checksum = migration_checksum(migration.as_ref(), backend).await;
                        companion::upsert(&txn, &applied_row(version, checksum, row)).await?;
                    }
                    if !in_history || row.is_some_and(|r| r.state.is_dirty()) {
                        stamped.applied.push(version.to_owned());
                    }
                } else if in_history || row.is_some() {
                    history::delete(&txn, version).await?;
                    companion::remove(&txn, version).await?;
                    stamped.removed.push(version.to_owned());
                }
            }
            Ok::<_, DbErr>(())
        }
        .await;
        match written {
            Ok(()) => commit_if_locked(lock, txn).await?,
            Err(e) => {
                txn.rollback().await?;
                return Err(e.into());
            }
        }
        Ok(stamped)
    }
}

/// Commits `txn` if the run still holds the lock, else rolls it back and
/// reports the lost lock.
async fn commit_if_locked(lock: &Lock, txn: DatabaseTransaction) -> Result<(), RunError> {
    match lock.verify().await {
        Ok(()) => Ok(txn.commit().await?),
        Err(cause) => {
            txn.rollback().await?;
            Err(RunError::lock_lost(LostAt::History, cause))
        }
    }
}

/// The companion row of a version recorded as applied by hand: its first
/// start time is kept, it has no duration and no error.
fn applied_row(
    version: &str,
    checksum: Option<String>,
    before: Option<&CompanionRow>,
) -> CompanionRow {
    let now = history::now();
    CompanionRow {
        version: version.to_owned(),
        checksum,
        state: MigrationState::Applied,
        started_at: before.map_or(now, |r| r.started_at),
        finished_at: Some(now),
        duration_ms: None,
        error: None,
    }
}

/// Releases the lock (on SQLite committing the work, unless it failed) and
/// returns `result`.
async fn release<T>(
    db: &DatabaseConnection,
    lock: Lock,
    result: Result<T, RunError>,
) -> Result<T, RunError> {
    let released = lock.release(db, result.is_ok()).await;
    let value = result?;
    released?;
    Ok(value)
}
