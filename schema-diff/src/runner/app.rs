//! The one-line replacement for `Migrator::up(&db, None)` in an application:
//! [`upgrade_app`].

use sea_orm::sqlx::sqlite::SqlitePoolOptions;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqlxSqliteConnector};
use sea_orm_migration::MigratorTrait;

use super::{RunError, RunReport, Runner, UpgradeTarget};

/// Applies every pending migration of `M` the way `db-migrate upgrade` does, for an
/// application that ran `M::up(&db, None)` at start-up:
///
/// ```no_run
/// # use sea_orm_migration::prelude::*;
/// # struct Migrator;
/// # impl MigratorTrait for Migrator {
/// #     fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] }
/// # }
/// # async fn start(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
/// // was: Migrator::up(db, None).await?;
/// schema_diff::runner::upgrade_app::<Migrator>(db).await?;
/// # Ok(()) }
/// ```
///
/// Unlike `Migrator::up` it holds the migration lock (replicas starting together
/// apply each migration once), runs each migration in a transaction where the
/// backend allows, on SQLite with foreign keys off (checked before commit) so that
/// generated table rebuilds keep child rows, and keeps the companion table
/// `db_migrate_history` beside `seaql_migrations`, whose rows stay as
/// sea-orm-migration writes them. It waits up to
/// [`DEFAULT_LOCK_TIMEOUT`](super::DEFAULT_LOCK_TIMEOUT) for the lock; for another
/// wait, or to hear of each migration, use [`Runner`] (or
/// [`crate::startup::migrate_on_startup`] for start-up policies).
///
/// The error converts into a [`DbErr`] (`?` in a function returning `DbErr`, as
/// `Migrator::up` did) and into `anyhow::Error`.
///
/// On SQLite, `PRAGMA foreign_keys` belongs to one connection: SeaORM opens a
/// SQLite pool with a single connection unless told otherwise, and that pool is
/// used as it is; a pool of more connections has the migrations run on a
/// one-connection pool of its own, opened with the same options and closed after.
pub async fn upgrade_app<M: MigratorTrait>(
    db: &DatabaseConnection,
) -> Result<Vec<RunReport>, RunError> {
    let runner = Runner::new(M::migrations());
    let Some(single) = single_sqlite_connection(db).await? else {
        return runner.upgrade(db, &UpgradeTarget::Head, |_| {}).await;
    };
    let result = runner.upgrade(&single, &UpgradeTarget::Head, |_| {}).await;
    if let Err(e) = single.close().await {
        tracing::debug!(error = %e, "closing the migration connection");
    }
    result
}

/// A one-connection pool on the same SQLite database, when `db` is a SQLite pool of
/// more than one connection; `None` otherwise.
async fn single_sqlite_connection(
    db: &DatabaseConnection,
) -> Result<Option<DatabaseConnection>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let pool = db.get_sqlite_connection_pool();
    if pool.options().get_max_connections() <= 1 {
        return Ok(None);
    }
    let options = (*pool.connect_options()).clone();
    let single = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(e))))?;
    Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(single)))
}

impl From<RunError> for DbErr {
    /// A database error as it is; anything else as [`DbErr::Migration`] with the
    /// runner's message.
    fn from(error: RunError) -> Self {
        match error {
            RunError::Db(db) => db,
            other => DbErr::Migration(other.to_string()),
        }
    }
}
