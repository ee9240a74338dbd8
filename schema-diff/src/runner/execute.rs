//! Running one migration, in a transaction where the backend's DDL is
//! transactional, and tracked in the companion table where it is not.

use std::time::Instant;

use sea_orm::{
    ConnectionTrait, DatabaseExecutor, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use super::companion::{self, CompanionRow, MigrationState};
use super::lock::{Lock, session_keys};
use super::{LostAt, RunError, RunReport, history, recovery};

/// Why a migration stopped: its own error, or the run's (a lost lock).
enum Stop {
    Db(DbErr),
    Run(RunError),
}

impl From<DbErr> for Stop {
    fn from(e: DbErr) -> Self {
        Stop::Db(e)
    }
}

/// Which way a migration runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Up,
    Down,
}

/// What is written about one migration run.
struct Record<'a> {
    version: &'a str,
    checksum: Option<String>,
    started_at: i64,
    started: Instant,
}

impl Record<'_> {
    fn row(&self, state: MigrationState, error: Option<String>) -> CompanionRow {
        let finished = state != MigrationState::Started && state != MigrationState::RollingBack;
        CompanionRow {
            version: self.version.to_owned(),
            checksum: self.checksum.clone(),
            state,
            started_at: self.started_at,
            finished_at: finished.then(history::now),
            duration_ms: finished.then(|| self.started.elapsed().as_millis() as i64),
            error,
        }
    }
}

/// Runs `migration` in `direction` on `exec` (the pool, or on SQLite the run's
/// write transaction, in which each migration gets a savepoint; the pool for a
/// migration the run stepped out of it for, see [`Lock::step_out`]).
///
/// - In a transaction (PostgreSQL and SQLite by default): the migration and its
///   history rows commit together, or nothing happens.
/// - Otherwise (MySQL/MariaDB, where DDL commits on its own, or a migration whose
///   `use_transaction()` is false): the companion row says `started` (or
///   `rolling_back`) before it runs, and `failed` with the error if it fails;
///   the error then says how to recover.
///
/// The lock is verified again after the migration ran and before it is
/// recorded; if it was lost, the transaction is rolled back (or, outside one,
/// nothing is recorded) and the error is [`RunError::LockLost`].
pub(super) async fn run_one(
    lock: &Lock,
    exec: &DatabaseExecutor<'_>,
    migration: &dyn MigrationTrait,
    direction: Direction,
) -> Result<RunReport, RunError> {
    let version = migration.name();
    let backend = exec.get_database_backend();
    let checksum = match refuse_unrunnable(migration, direction, backend).await {
        Ok(checksum) => checksum,
        Err(source) => {
            return Err(RunError::Migration {
                version: version.to_owned(),
                source,
            });
        }
    };
    let record = Record {
        version,
        checksum,
        started_at: history::now(),
        started: Instant::now(),
    };
    let transactional = match backend {
        // The run's own transaction is open, each migration is a savepoint;
        // except a migration that the run stepped out of it for
        // (`use_transaction()` is `Some(false)`, see `Lock::step_out`).
        DbBackend::Sqlite => !lock.is_outside(),
        DbBackend::Postgres => migration.use_transaction().unwrap_or(true),
        _ => migration.use_transaction().unwrap_or(false),
    };
    // A transaction on MySQL keeps DML together, but DDL commits on its own.
    let tracked = backend == DbBackend::MySql || !transactional;
    tracing::info!(
        version,
        ?direction,
        transactional,
        tracked,
        "running migration"
    );
    if tracked {
        let state = match direction {
            Direction::Up => MigrationState::Started,
            Direction::Down => MigrationState::RollingBack,
        };
        companion::upsert(exec, &record.row(state, None)).await?;
    }
    let lost = |cause: String| {
        let at = if tracked {
            LostAt::Unrecorded(version)
        } else {
            LostAt::RolledBack(version)
        };
        Stop::Run(RunError::lock_lost(at, cause))
    };
    let result: Result<(), Stop> = if transactional {
        // Every failure from here on is this migration's, and names it: its
        // connection may be gone (terminated, a network cut) before, during or
        // after it ran.
        let txn = match exec.begin().await {
            Ok(txn) => txn,
            Err(e) => return Err(failed_in_transaction(version, e)),
        };
        let outcome = async {
            if backend == DbBackend::Postgres {
                wait_for_other_runs(&txn, version, direction).await?;
            }
            let manager = SchemaManager::new(&txn);
            run(migration, direction, &manager).await?;
            if backend == DbBackend::Sqlite {
                history::check_sqlite_foreign_keys(&txn).await?;
            }
            lock.verify().await.map_err(lost)?;
            write_record(&txn, direction, &record).await?;
            Ok::<_, Stop>(())
        }
        .await;
        match outcome {
            Ok(()) => txn.commit().await.map_err(Stop::Db),
            Err(e) => {
                if let Err(rollback) = txn.rollback().await {
                    // The connection is gone: the server rolls back the
                    // transaction of a session that ended, so the migration's
                    // own error is the one to report.
                    tracing::warn!(version, error = %rollback, "the rollback could not be sent");
                }
                Err(e)
            }
        }
    } else {
        let manager = SchemaManager::new(reborrow(exec));
        match run(migration, direction, &manager).await {
            Ok(()) => match lock.verify().await {
                Err(cause) => Err(lost(cause)),
                Ok(()) => {
                    // Both history rows, or neither (on SQLite a write
                    // transaction from the start: no read-to-write upgrade).
                    let txn = begin_write(exec).await?;
                    match write_record(&txn, direction, &record).await {
                        Ok(()) => txn.commit().await.map_err(Stop::Db),
                        Err(e) => {
                            txn.rollback().await?;
                            Err(Stop::Db(e))
                        }
                    }
                }
            },
            Err(e) => Err(Stop::Db(e)),
        }
    };
    match result {
        Ok(()) => Ok(RunReport {
            version: version.to_owned(),
            duration: record.started.elapsed(),
        }),
        // Without the lock nothing more is written: the row says what is true.
        Err(Stop::Run(error)) => Err(error),
        Err(Stop::Db(source)) if tracked => {
            let message = crate::error::without_server_source_line(&source.to_string());
            let text = match direction {
                Direction::Up => message,
                Direction::Down => format!("while rolling back: {message}"),
            };
            let failed = record.row(MigrationState::Failed, Some(text));
            if let Err(e) = companion::upsert(exec, &failed).await {
                // The row still says started: as dirty, and as true.
                tracing::warn!(version, error = %e, "could not record the failure");
            }
            let advice = if direction == Direction::Up && stopped_at_checkpoint(exec, version).await
            {
                "Its data migration stopped after its last committed batch (`db-migrate \
                 status` shows where): fix the cause and run `db-migrate upgrade` again, \
                 which resumes from the checkpoint"
                    .to_owned()
            } else {
                recovery::just_failed(version, direction == Direction::Down, backend)
            };
            Err(RunError::PartlyApplied {
                version: version.to_owned(),
                advice,
                source,
            })
        }
        Err(Stop::Db(source)) => Err(failed_in_transaction(version, source)),
    }
}

/// A transaction that writes: on SQLite `BEGIN IMMEDIATE`, which waits for
/// other writers (`busy_timeout`) instead of failing when a read in it would
/// have to become a write.
pub(crate) async fn begin_write<C>(db: &C) -> Result<DatabaseTransaction, DbErr>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// Whether `version` has a data-migration step that started and did not finish
/// ([`crate::data`]): the next upgrade resumes it, so it needs no repair.
async fn stopped_at_checkpoint(exec: &DatabaseExecutor<'_>, version: &str) -> bool {
    match crate::data::checkpoint::read_all(exec).await {
        Ok(steps) => steps
            .iter()
            .any(|s| s.version == version && s.state == crate::data::StepState::Running),
        Err(e) => {
            tracing::debug!(version, error = %e, "reading the data-migration checkpoints");
            false
        }
    }
}

/// A migration that failed inside its transaction, which was rolled back (by
/// the runner, or by the server when the connection ended).
fn failed_in_transaction(version: &str, source: DbErr) -> RunError {
    RunError::Migration {
        version: version.to_owned(),
        source,
    }
}

/// PostgreSQL: takes the run key of the schema ([`super::lock::postgres_keys`]) for the migration's transaction, so
/// that it waits for a migration still running in a run that lost the lock,
/// then checks that the history still says what the plan assumed.
async fn wait_for_other_runs(
    txn: &DatabaseTransaction,
    version: &str,
    direction: Direction,
) -> Result<(), Stop> {
    let (_, run_key) = session_keys(txn).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [run_key.into()],
    ))
    .await?;
    let recorded = history::read(txn)
        .await?
        .iter()
        .any(|a| a.version == version);
    if recorded == (direction == Direction::Up) {
        let what = if recorded { "applied" } else { "rolled back" };
        return Err(Stop::Run(RunError::Migration {
            version: version.to_owned(),
            source: DbErr::Custom(format!(
                "another run {what} it meanwhile (a run that had lost the migration lock); \
                 this run did not run it: run the command again"
            )),
        }));
    }
    Ok(())
}

/// The same executor, borrowed: `SchemaManager` takes one by value.
fn reborrow<'a>(exec: &'a DatabaseExecutor<'_>) -> DatabaseExecutor<'a> {
    match exec {
        DatabaseExecutor::Connection(c) => DatabaseExecutor::Connection(c),
        DatabaseExecutor::Transaction(t) => DatabaseExecutor::Transaction(t),
        DatabaseExecutor::OwnedTransaction(t) => DatabaseExecutor::Transaction(t),
    }
}

async fn run(
    migration: &dyn MigrationTrait,
    direction: Direction,
    manager: &SchemaManager<'_>,
) -> Result<(), DbErr> {
    let backend = crate::Dialect::of(manager.get_database_backend())
        .map_or("this backend", crate::portable::dialect_name);
    let (what, run) = match direction {
        Direction::Up => (format!("running up on {backend}"), migration.up(manager)),
        Direction::Down => (
            format!("running down on {backend}"),
            migration.down(manager),
        ),
    };
    // A hand-written module can still reach a sea-query panic: an error, not a crash.
    crate::guard::catch_panics(migration.name(), &what, run).await
}

/// The history rows of a finished run: `seaql_migrations` and the companion row.
async fn write_record(
    db: &impl ConnectionTrait,
    direction: Direction,
    record: &Record<'_>,
) -> Result<(), DbErr> {
    match direction {
        Direction::Up => {
            history::insert(db, record.version).await?;
            companion::upsert(db, &record.row(MigrationState::Applied, None)).await
        }
        Direction::Down => {
            history::delete(db, record.version).await?;
            // A later upgrade runs its data-migration steps afresh.
            crate::data::checkpoint::remove_version(db, record.version).await?;
            companion::remove(db, record.version).await
        }
    }
}

/// The checksum of `migration` ([`migration_checksum`]), after a dry run on a recording
/// connection in `direction`: a migration that cannot run on `backend` at all (its plan
/// fails there, or building a statement panics, see
/// [`crate::portable::cannot_run_here`]) is an error before anything is written, not
/// even the companion row, so it is refused and not left half-done or dirty.
async fn refuse_unrunnable(
    migration: &dyn MigrationTrait,
    direction: Direction,
    backend: DbBackend,
) -> Result<Option<String>, DbErr> {
    let up = crate::capture::capture_up_sql(migration, backend).await;
    let captured = match direction {
        Direction::Up => up.as_ref().map(|_| ()).map_err(Clone::clone),
        Direction::Down => crate::capture::capture_down_sql(migration, backend)
            .await
            .map(|_| ()),
    };
    if let Err(e) = captured
        && crate::portable::cannot_run_here(&e)
    {
        return Err(DbErr::Migration(format!(
            "not started, nothing was changed: {}",
            e.to_string().trim_start_matches("Migration Error: ")
        )));
    }
    Ok(match up {
        Ok(statements) => Some(crate::capture::checksum(&statements)),
        Err(e) => {
            tracing::debug!(version = migration.name(), error = %e, "no checksum");
            None
        }
    })
}

/// The checksum of the SQL `migration.up` sends on `backend`, captured without
/// running it; `None` when it cannot be captured (a migration that reads the
/// database, such as `manager.has_table`).
pub async fn migration_checksum(
    migration: &dyn MigrationTrait,
    backend: DbBackend,
) -> Option<String> {
    match crate::capture::capture_up_sql(migration, backend).await {
        Ok(statements) => Some(crate::capture::checksum(&statements)),
        Err(e) => {
            tracing::debug!(version = migration.name(), error = %e, "no checksum");
            None
        }
    }
}
