//! Applying and rolling back migrations, on SeaORM's own `seaql_migrations` table.
//!
//! The [`Runner`] wraps the `Vec<Box<dyn MigrationTrait>>` of a sea-orm-migration
//! `Migrator`, so an existing SeaORM project keeps its history. Unlike
//! `Migrator::up`:
//!
//! - every run holds the database's migration lock ([`lock`]), and decides what
//!   to run only once it holds it, so that many processes upgrading at once apply
//!   each migration exactly once;
//! - every migration runs in its own transaction where the backend's DDL is
//!   transactional (PostgreSQL, SQLite), and on SQLite with foreign keys off
//!   (checked again before commit) so that table rebuilds keep child rows;
//! - where it is not (MySQL/MariaDB, or a migration whose `use_transaction()` is
//!   false), the companion table records it as `started` before it runs and
//!   `failed` when it fails, and later runs refuse until someone repairs it
//!   ([`Runner::resolve`], [`Runner::stamp`]), unless it is a data migration
//!   stopped at a checkpoint, which the next upgrade resumes;
//! - on SQLite the whole run is one write transaction (the lock); a migration
//!   whose `use_transaction()` is `Some(false)` (a data migration) runs outside
//!   it, the lock held across by an owner row ([`lock::owner`]), so that its
//!   batches commit one by one as on the other backends.

mod app;
pub mod companion;
mod execute;
pub(crate) mod history;
pub mod lock;
mod recovery;
mod repair;
mod target;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use sea_orm_migration::MigrationTrait;

use companion::CompanionRow;
use execute::Direction;
use lock::Lock;

pub use app::upgrade_app;
pub(crate) use execute::begin_write;
pub use execute::migration_checksum;
pub use history::{AppliedMigration, HISTORY_TABLE, table_exists};
pub use lock::{DEFAULT_LOCK_TIMEOUT, LockGuard, hold_lock};
pub use recovery::{
    dirty_message, format_unix, in_progress_message, is_in_progress, unfinished_message,
};
pub use repair::{Resolution, Resolved, Stamped};
pub use target::{DowngradeTarget, StampTarget, UpgradeTarget, resolve};

/// Errors of the runner.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("unknown migration `{given}`: {hint}")]
    UnknownTarget { given: String, hint: String },
    #[error("`{given}` matches several migrations: {}", matches.join(", "))]
    AmbiguousTarget { given: String, matches: Vec<String> },
    #[error(
        "the database's history names migrations this code does not have: {}; \
         deploy the code that contains them, or remove them from the history with \
         `db-migrate resolve VERSION --rolled-back`",
        .0.join(", ")
    )]
    UnknownApplied(Vec<String>),
    /// A migration failed and left no trace (it ran in a transaction, which was
    /// rolled back; also when its connection was terminated).
    #[error(
        "migration `{version}` failed and was rolled back (it ran in a transaction): \
         nothing of it is applied or recorded; fix the cause and run the command again. \
         The error: {source}"
    )]
    Migration {
        version: String,
        #[source]
        source: DbErr,
    },
    /// A migration failed outside a transaction: part of it may have run.
    #[error("migration `{version}` failed: {source}. {advice}")]
    PartlyApplied {
        version: String,
        #[source]
        source: DbErr,
        advice: String,
    },
    /// Migrations are in an unknown state (see [`dirty_message`]).
    #[error("refusing to run while a migration is in an unknown state: {}", .0.join("; "))]
    Dirty(Vec<String>),
    /// Another run holds the lock.
    #[error("{}", lock_timeout_message(*waited, holder))]
    LockTimeout { waited: Duration, holder: String },
    #[error("invalid target `{0}`: {1}")]
    BadTarget(String, String),
    /// The run no longer holds the migration lock (its session was terminated
    /// or timed out): it stops, since another run may hold the lock now.
    #[error(
        "the migration lock was lost {at}: {cause}. This run stops, since another run may \
         hold the lock now; {advice}"
    )]
    LockLost {
        at: String,
        cause: String,
        advice: String,
    },
}

/// Where the lock was found lost, and what became of the migration at hand.
pub(crate) enum LostAt<'a> {
    /// Before `version` started: nothing of it ran.
    Before(&'a str),
    /// After `version` ran in a transaction, which was rolled back.
    RolledBack(&'a str),
    /// After `version` ran outside a transaction: it is not recorded.
    Unrecorded(&'a str),
    /// Before writing the history (`resolve`, `stamp`): nothing was written.
    History,
}

impl RunError {
    /// The error for a lost lock, from [`lock::Lock::verify`]'s cause.
    pub(crate) fn lock_lost(at: LostAt<'_>, cause: String) -> RunError {
        const AGAIN: &str = "run the command again once no other run is in progress \
                             (`db-migrate status` names the lock's holder)";
        let (at, advice) = match at {
            LostAt::Before(v) => (
                format!("before migration {v}"),
                format!("{v} did not start; {AGAIN}"),
            ),
            LostAt::RolledBack(v) => (
                format!("while migration {v} ran"),
                format!("{v} was rolled back and is not recorded; {AGAIN}"),
            ),
            LostAt::Unrecorded(v) => (
                format!("while migration {v} ran"),
                format!(
                    "{v} ran to the end outside a transaction but is not recorded (it stays \
                     `started` in the history). Once no other run is in progress, check the \
                     schema and run `db-migrate resolve {v} --applied` (or `--rolled-back`)"
                ),
            ),
            LostAt::History => (
                "before writing the history".to_owned(),
                format!("nothing was written; {AGAIN}"),
            ),
        };
        RunError::LockLost { at, cause, advice }
    }
}

fn lock_timeout_message(waited: Duration, holder: &str) -> String {
    let what = if waited.is_zero() {
        "the migration lock is taken (lock timeout 0: not waiting)".to_owned()
    } else {
        format!(
            "timed out after {} s waiting for the migration lock",
            waited.as_secs_f64().ceil() as u64
        )
    };
    format!(
        "{what}, held by {holder}; another migration run is probably in progress on this \
         database: wait for it to finish, or raise the lock timeout (--lock-timeout SECONDS)"
    )
}

/// Where the database stands relative to the code's migrations.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// The last applied migration, if any.
    pub current: Option<String>,
    /// The code's last migration, if any.
    pub head: Option<String>,
    /// Every applied migration the code knows, in the code's order.
    pub applied: Vec<AppliedMigration>,
    /// Migrations of the code not applied yet, in order.
    pub pending: Vec<String>,
    /// Applied versions the code does not have.
    pub unknown: Vec<String>,
    /// Migrations that started or failed outside a transaction and did not
    /// finish: part of them may have run. Runs refuse while there are any.
    pub dirty: Vec<CompanionRow>,
    /// Who holds the migration lock, read by [`Runner::status`] when a dirty
    /// row is `started` or `rolling_back` (PostgreSQL, MySQL/MariaDB): such a
    /// row is then a migration in progress ([`is_in_progress`]), not a failure.
    pub lock_holder: Option<String>,
    /// Data-migration steps started and not finished ([`crate::data`]), with
    /// their progress: running now, or interrupted and resumed by the next upgrade.
    pub data: Vec<crate::data::Checkpoint>,
}

impl Status {
    /// The dirty rows that are not migrations in progress under a live lock:
    /// these need repairing.
    pub fn needs_repair(&self) -> impl Iterator<Item = &CompanionRow> {
        self.dirty.iter().filter(|row| {
            !is_in_progress(row, self.lock_holder.as_deref()) && !self.is_resumable(row)
        })
    }

    /// Whether `row` is an interrupted data migration that the next upgrade
    /// resumes from its checkpoint: it stopped on the way up (`started` or
    /// `failed`) while one of its [`crate::data::Backfill`] steps was running.
    pub fn is_resumable(&self, row: &CompanionRow) -> bool {
        matches!(
            row.state,
            companion::MigrationState::Started | companion::MigrationState::Failed
        ) && self.data.iter().any(|step| step.version == row.version)
    }

    /// The dirty rows that a live run is applying or rolling back right now.
    pub fn in_progress(&self) -> impl Iterator<Item = &CompanionRow> {
        self.dirty
            .iter()
            .filter(|row| is_in_progress(row, self.lock_holder.as_deref()))
    }
}

/// One migration run by [`Runner::upgrade`] or [`Runner::downgrade`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub version: String,
    #[serde(serialize_with = "serialize_millis")]
    pub duration: Duration,
}

fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

/// Runs a project's migrations against a database.
pub struct Runner {
    migrations: Vec<Box<dyn MigrationTrait>>,
    lock_timeout: Duration,
}

/// What a locked run does.
enum Job<'t> {
    Up(&'t UpgradeTarget),
    Down(&'t DowngradeTarget),
}

/// What a locked run did, and the error that stopped it.
struct Outcome {
    reports: Vec<RunReport>,
    /// How many of `reports` were already reported to `on_done` (durable).
    reported: usize,
    error: Option<RunError>,
}

impl From<RunError> for Outcome {
    fn from(error: RunError) -> Self {
        Outcome {
            reports: Vec::new(),
            reported: 0,
            error: Some(error),
        }
    }
}

impl Runner {
    /// A runner over the migrations of a `MigratorTrait::migrations()` list,
    /// waiting up to [`DEFAULT_LOCK_TIMEOUT`] for the migration lock.
    pub fn new(migrations: Vec<Box<dyn MigrationTrait>>) -> Self {
        Runner {
            migrations,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long to wait for the migration lock (zero: do not wait).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The code's migration versions, in order.
    pub fn versions(&self) -> Vec<String> {
        self.migrations
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    fn migration(&self, version: &str) -> Option<&dyn MigrationTrait> {
        self.migrations
            .iter()
            .find(|m| m.name() == version)
            .map(|m| m.as_ref())
    }

    /// Reads the history without changing anything (not even creating the
    /// tables). When a migration is `started` or `rolling_back`, also asks who
    /// holds the migration lock ([`Status::lock_holder`]).
    pub async fn status(&self, db: &DatabaseConnection) -> Result<Status, RunError> {
        let mut status = self.status_on(db).await?;
        let unsettled = status.dirty.iter().any(|row| {
            matches!(
                row.state,
                companion::MigrationState::Started | companion::MigrationState::RollingBack
            )
        });
        if unsettled {
            status.lock_holder = lock::holder(db).await?;
        }
        Ok(status)
    }

    async fn status_on(&self, db: &impl ConnectionTrait) -> Result<Status, RunError> {
        let applied = history::read(db).await?;
        let dirty: Vec<CompanionRow> = companion::read(db)
            .await?
            .into_iter()
            .filter(|row| row.state.is_dirty())
            .collect();
        let data = crate::data::checkpoint::read_all(db)
            .await?
            .into_iter()
            .filter(|step| step.state == crate::data::StepState::Running)
            .collect();
        let versions = self.versions();
        let known: HashSet<&str> = versions.iter().map(String::as_str).collect();
        let applied_set: HashSet<&str> = applied.iter().map(|a| a.version.as_str()).collect();
        let unknown = applied
            .iter()
            .filter(|a| !known.contains(a.version.as_str()))
            .map(|a| a.version.clone())
            .collect();
        let pending = versions
            .iter()
            .filter(|v| !applied_set.contains(v.as_str()))
            .cloned()
            .collect();
        // In the code's order, which is the order they were applied in.
        let position: HashMap<&str, usize> = versions
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_str(), i))
            .collect();
        let mut applied_known: Vec<AppliedMigration> = applied
            .into_iter()
            .filter(|a| known.contains(a.version.as_str()))
            .collect();
        applied_known.sort_by_key(|a| position.get(a.version.as_str()).copied());
        Ok(Status {
            current: applied_known.last().map(|a| a.version.clone()),
            head: versions.last().cloned(),
            applied: applied_known,
            pending,
            unknown,
            dirty,
            lock_holder: None,
            data,
        })
    }

    /// The status, or an error when the history names versions the code does
    /// not have or a migration is dirty.
    async fn checked_status(&self, db: &impl ConnectionTrait) -> Result<Status, RunError> {
        let status = self.status_on(db).await?;
        if !status.unknown.is_empty() {
            return Err(RunError::UnknownApplied(status.unknown));
        }
        // An interrupted data migration is not in an unknown state: its
        // checkpoint says where it stopped, and running it again resumes there.
        let broken: Vec<&CompanionRow> = status
            .dirty
            .iter()
            .filter(|row| !status.is_resumable(row))
            .collect();
        if !broken.is_empty() {
            let backend = db.get_database_backend();
            return Err(RunError::Dirty(
                broken
                    .iter()
                    .map(|row| dirty_message(row, backend))
                    .collect(),
            ));
        }
        Ok(status)
    }

    /// Applies pending migrations up to `target`, each in its own transaction where
    /// the backend allows, holding the migration lock; `on_done` is called after
    /// each one (on SQLite, once the run's transaction has committed).
    pub async fn upgrade(
        &self,
        db: &DatabaseConnection,
        target: &UpgradeTarget,
        on_done: impl FnMut(&RunReport),
    ) -> Result<Vec<RunReport>, RunError> {
        // A target the code does not have fails before waiting for the lock.
        target.plan(&self.versions(), &[])?;
        self.locked_run(db, Job::Up(target), on_done).await
    }

    /// Rolls back applied migrations down to `target`, newest first, holding the
    /// migration lock.
    pub async fn downgrade(
        &self,
        db: &DatabaseConnection,
        target: &DowngradeTarget,
        on_done: impl FnMut(&RunReport),
    ) -> Result<Vec<RunReport>, RunError> {
        target.plan(&self.versions(), &[])?;
        self.locked_run(db, Job::Down(target), on_done).await
    }

    /// Takes the lock, runs `job` under it, and releases it: `on_done` hears of
    /// each migration as soon as it is durable (on SQLite, after the commit of
    /// the run's transaction, at the end or before a data migration).
    async fn locked_run(
        &self,
        db: &DatabaseConnection,
        job: Job<'_>,
        mut on_done: impl FnMut(&RunReport),
    ) -> Result<Vec<RunReport>, RunError> {
        let mut lock = Lock::acquire(db, self.lock_timeout).await?;
        let outcome = match job {
            Job::Up(target) => {
                self.upgrade_locked(&mut lock, db, target, &mut on_done)
                    .await
            }
            Job::Down(target) => {
                self.downgrade_locked(&mut lock, db, target, &mut on_done)
                    .await
            }
        };
        finish(db, lock, outcome, on_done).await
    }

    async fn upgrade_locked(
        &self,
        lock: &mut Lock,
        db: &DatabaseConnection,
        target: &UpgradeTarget,
        on_done: &mut impl FnMut(&RunReport),
    ) -> Outcome {
        let prepared = async {
            let exec = lock.executor(db);
            // Decided under the lock: another process may have applied some meanwhile.
            let status = self.checked_status(&exec).await?;
            let plan = target.plan(&self.versions(), &status.pending)?;
            history::install(&exec).await?;
            companion::install(&exec).await?;
            Ok::<_, RunError>(plan)
        };
        match prepared.await {
            Ok(plan) => self.run_plan(lock, db, plan, Direction::Up, on_done).await,
            Err(e) => e.into(),
        }
    }

    async fn downgrade_locked(
        &self,
        lock: &mut Lock,
        db: &DatabaseConnection,
        target: &DowngradeTarget,
        on_done: &mut impl FnMut(&RunReport),
    ) -> Outcome {
        let prepared = async {
            let exec = lock.executor(db);
            let status = self.checked_status(&exec).await?;
            let applied: Vec<String> = status.applied.iter().map(|a| a.version.clone()).collect();
            let plan = target.plan(&self.versions(), &applied)?;
            if !plan.is_empty() {
                companion::install(&exec).await?;
            }
            Ok::<_, RunError>(plan)
        };
        match prepared.await {
            Ok(plan) => {
                self.run_plan(lock, db, plan, Direction::Down, on_done)
                    .await
            }
            Err(e) => e.into(),
        }
    }

    /// Runs `plan` under `lock`. On SQLite a migration whose `use_transaction()`
    /// is `Some(false)` runs outside the run's transaction, tracked as on
    /// MySQL/MariaDB: the lock commits the migrations before it (reported
    /// then) and holds on with its owner row ([`Lock::step_out`]), and takes
    /// the transaction again after it ([`Lock::step_in`]).
    async fn run_plan(
        &self,
        lock: &mut Lock,
        db: &DatabaseConnection,
        plan: Vec<String>,
        direction: Direction,
        on_done: &mut impl FnMut(&RunReport),
    ) -> Outcome {
        let deferred = lock.defers_commit();
        let mut out = Outcome {
            reports: Vec::new(),
            reported: 0,
            error: None,
        };
        for version in plan {
            let Some(migration) = self.migration(&version) else {
                out.error = Some(RunError::UnknownTarget {
                    given: version,
                    hint: "not in the code".into(),
                });
                return out;
            };
            if let Err(cause) = lock.verify().await {
                out.error = Some(RunError::lock_lost(LostAt::Before(&version), cause));
                return out;
            }
            let outside = lock.steps_out() && migration.use_transaction() == Some(false);
            if outside {
                if let Err(e) = lock.step_out(&version).await {
                    out.error = Some(e);
                    return out;
                }
                // Committed: the migrations before this one are durable.
                out.reports[out.reported..].iter().for_each(&mut *on_done);
                out.reported = out.reports.len();
            }
            let ran = {
                let exec = lock.executor(db);
                execute::run_one(lock, &exec, migration, direction).await
            };
            match ran {
                Ok(report) => {
                    if !deferred || outside {
                        on_done(&report);
                        out.reported += 1;
                    }
                    out.reports.push(report);
                }
                Err(error) => {
                    out.error = Some(error);
                    return out;
                }
            }
            if outside && let Err(e) = lock.step_in().await {
                out.error = Some(e);
                return out;
            }
        }
        out
    }
}

/// Releases the lock, keeping the work of the migrations that succeeded (on
/// SQLite: committing them, then reporting those not reported yet), and
/// returns the run's result.
async fn finish(
    db: &DatabaseConnection,
    lock: Lock,
    outcome: Outcome,
    mut on_done: impl FnMut(&RunReport),
) -> Result<Vec<RunReport>, RunError> {
    // A failed migration was rolled back on its own; those before it stay. Any
    // other error (a refusal, a broken connection) keeps nothing.
    let commit = match &outcome.error {
        None => true,
        Some(e) => matches!(e, RunError::Migration { .. }),
    };
    let released = lock.release(db, commit).await;
    if commit && released.is_ok() {
        outcome.reports[outcome.reported..]
            .iter()
            .for_each(&mut on_done);
    }
    match (outcome.error, released) {
        (Some(error), released) => {
            if let Err(e) = released {
                tracing::warn!(error = %e, "releasing the migration lock");
            }
            Err(error)
        }
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Ok(outcome.reports),
    }
}
