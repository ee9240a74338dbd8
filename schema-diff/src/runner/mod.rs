//! Applying and rolling back migrations, on SeaORM's own `seaql_migrations` table.
//!
//! The [`Runner`] wraps the `Vec<Box<dyn MigrationTrait>>` of a sea-orm-migration
//! `Migrator`, so an existing SeaORM project keeps its history. Unlike
//! `Migrator::up`, every migration runs in its own transaction where the backend's
//! DDL is transactional (PostgreSQL, SQLite), and on SQLite with foreign keys off
//! (checked again before commit) so that table rebuilds keep child rows.

pub mod companion;
mod history;
mod target;

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::{MigrationTrait, SchemaManager};

pub use history::{AppliedMigration, HISTORY_TABLE};
pub use target::{DowngradeTarget, UpgradeTarget};

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
         deploy the code that contains them, or repair the history by hand",
        .0.join(", ")
    )]
    UnknownApplied(Vec<String>),
    #[error("migration `{version}` failed: {source}")]
    Migration {
        version: String,
        #[source]
        source: DbErr,
    },
    #[error("invalid target `{0}`: {1}")]
    BadTarget(String, String),
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
}

impl Runner {
    /// A runner over the migrations of a `MigratorTrait::migrations()` list.
    pub fn new(migrations: Vec<Box<dyn MigrationTrait>>) -> Self {
        Runner { migrations }
    }

    /// The code's migration versions, in order.
    pub fn versions(&self) -> Vec<String> {
        self.migrations
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    /// Reads the history without changing anything (not even creating the table).
    pub async fn status(&self, db: &DatabaseConnection) -> Result<Status, RunError> {
        let applied = history::read(db).await?;
        let versions = self.versions();
        let known: std::collections::HashSet<&str> = versions.iter().map(String::as_str).collect();
        let applied_set: std::collections::HashSet<&str> =
            applied.iter().map(|a| a.version.as_str()).collect();
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
        let position: std::collections::HashMap<&str, usize> = versions
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
        })
    }

    /// Applies pending migrations up to `target`, each in its own transaction where
    /// the backend allows; `on_done` is called after each one.
    pub async fn upgrade(
        &self,
        db: &DatabaseConnection,
        target: &UpgradeTarget,
        mut on_done: impl FnMut(&RunReport),
    ) -> Result<Vec<RunReport>, RunError> {
        let status = self.checked_status(db).await?;
        let plan = target.plan(&self.versions(), &status.pending)?;
        history::install(db).await?;
        companion::install(db).await?;
        let mut reports = Vec::new();
        for version in plan {
            let report = self.run_one(db, &version, Direction::Up).await?;
            on_done(&report);
            reports.push(report);
        }
        Ok(reports)
    }

    /// Rolls back applied migrations down to `target`, newest first.
    pub async fn downgrade(
        &self,
        db: &DatabaseConnection,
        target: &DowngradeTarget,
        mut on_done: impl FnMut(&RunReport),
    ) -> Result<Vec<RunReport>, RunError> {
        let status = self.checked_status(db).await?;
        let applied: Vec<String> = status.applied.iter().map(|a| a.version.clone()).collect();
        let plan = target.plan(&self.versions(), &applied)?;
        if !plan.is_empty() {
            companion::install(db).await?;
        }
        let mut reports = Vec::new();
        for version in plan {
            let report = self.run_one(db, &version, Direction::Down).await?;
            on_done(&report);
            reports.push(report);
        }
        Ok(reports)
    }

    async fn checked_status(&self, db: &DatabaseConnection) -> Result<Status, RunError> {
        let status = self.status(db).await?;
        if !status.unknown.is_empty() {
            return Err(RunError::UnknownApplied(status.unknown));
        }
        Ok(status)
    }

    async fn run_one(
        &self,
        db: &DatabaseConnection,
        version: &str,
        direction: Direction,
    ) -> Result<RunReport, RunError> {
        let migration = self
            .migrations
            .iter()
            .find(|m| m.name() == version)
            .ok_or_else(|| RunError::UnknownTarget {
                given: version.to_owned(),
                hint: "not in the code".into(),
            })?;
        let started = Instant::now();
        let backend = db.get_database_backend();
        let record = Record {
            version,
            checksum: match direction {
                Direction::Up => migration_checksum(migration.as_ref(), backend).await,
                Direction::Down => None,
            },
            started_at: history::now(),
            started,
        };
        let use_transaction = migration
            .use_transaction()
            .unwrap_or(matches!(backend, DbBackend::Postgres | DbBackend::Sqlite));
        tracing::info!(version, ?direction, use_transaction, "running migration");
        let wrap = |source: DbErr| RunError::Migration {
            version: version.to_owned(),
            source,
        };
        if backend == DbBackend::Sqlite {
            // Must precede BEGIN: the pragma is a no-op inside a transaction.
            db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
        }
        let result = if use_transaction {
            let txn = db.begin().await?;
            let outcome = async {
                let manager = SchemaManager::new(&txn);
                direction.run(migration.as_ref(), &manager).await?;
                if backend == DbBackend::Sqlite {
                    history::check_sqlite_foreign_keys(&txn).await?;
                }
                direction.record(&txn, &record).await
            }
            .await;
            match outcome {
                Ok(()) => txn.commit().await,
                Err(e) => {
                    txn.rollback().await?;
                    Err(e)
                }
            }
        } else {
            let manager = SchemaManager::new(db);
            match direction.run(migration.as_ref(), &manager).await {
                Ok(()) => direction.record(db, &record).await,
                Err(e) => Err(e),
            }
        };
        if backend == DbBackend::Sqlite {
            db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
        }
        result.map_err(wrap)?;
        Ok(RunReport {
            version: version.to_owned(),
            duration: started.elapsed(),
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum Direction {
    Up,
    Down,
}

impl Direction {
    async fn run(
        self,
        migration: &dyn MigrationTrait,
        manager: &SchemaManager<'_>,
    ) -> Result<(), DbErr> {
        match self {
            Direction::Up => migration.up(manager).await,
            Direction::Down => migration.down(manager).await,
        }
    }

    async fn record(self, db: &impl ConnectionTrait, record: &Record<'_>) -> Result<(), DbErr> {
        match self {
            Direction::Up => {
                history::insert(db, record.version).await?;
                let row = companion::CompanionRow {
                    version: record.version.to_owned(),
                    checksum: record.checksum.clone(),
                    state: companion::MigrationState::Applied,
                    started_at: record.started_at,
                    finished_at: Some(history::now()),
                    duration_ms: Some(record.started.elapsed().as_millis() as i64),
                    error: None,
                };
                companion::upsert(db, &row).await
            }
            Direction::Down => {
                history::delete(db, record.version).await?;
                companion::remove(db, record.version).await
            }
        }
    }
}

/// What is written about one migration run.
struct Record<'a> {
    version: &'a str,
    checksum: Option<String>,
    started_at: i64,
    started: Instant,
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
