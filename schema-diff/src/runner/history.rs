//! The `seaql_migrations` history table, exactly as sea-orm-migration defines it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sea_orm_migration::seaql_migrations;

/// The history table's name.
pub const HISTORY_TABLE: &str = "seaql_migrations";

/// One row of the history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedMigration {
    pub version: String,
    /// Unix time in seconds.
    pub applied_at: i64,
}

/// Creates the history table if it does not exist, as `Migrator::install` does.
pub async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let schema = sea_orm::Schema::new(db.get_database_backend());
    let mut stmt = schema.create_table_from_entity(seaql_migrations::Entity);
    stmt.if_not_exists();
    db.execute(&stmt).await?;
    Ok(())
}

/// Whether the history table exists.
pub async fn exists(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    table_exists(db, HISTORY_TABLE).await
}

/// Whether the table `name` exists in the connection's current database/schema.
pub async fn table_exists(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
        DbBackend::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = $1"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = ?"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await?
        .ok_or_else(|| DbErr::Custom("no answer to a COUNT query".into()))?;
    let count: i64 = row.try_get_by_index(0)?;
    Ok(count > 0)
}

/// Every applied migration, oldest first; empty when the table does not exist.
pub async fn read(db: &impl ConnectionTrait) -> Result<Vec<AppliedMigration>, DbErr> {
    if !exists(db).await? {
        return Ok(Vec::new());
    }
    let query = Query::select()
        .columns([Alias::new("version"), Alias::new("applied_at")])
        .from(Alias::new(HISTORY_TABLE))
        .order_by(Alias::new("version"), Order::Asc)
        .to_owned();
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            Ok(AppliedMigration {
                version: row.try_get("", "version")?,
                applied_at: row.try_get("", "applied_at")?,
            })
        })
        .collect()
}

/// Records `version` as applied now.
pub async fn insert(db: &impl ConnectionTrait, version: &str) -> Result<(), DbErr> {
    let now = now();
    let stmt = Query::insert()
        .into_table(Alias::new(HISTORY_TABLE))
        .columns([Alias::new("version"), Alias::new("applied_at")])
        .values_panic([version.into(), now.into()])
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Removes `version` from the history.
pub async fn delete(db: &impl ConnectionTrait, version: &str) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table(Alias::new(HISTORY_TABLE))
        .and_where(ExprTrait::eq(Expr::col(Alias::new("version")), version))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Fails when rows violate a foreign key: SQLite migrations run with foreign keys
/// off, so this is checked before commit.
pub async fn check_sqlite_foreign_keys(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tables: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    tables.sort();
    tables.dedup();
    Err(DbErr::Migration(format!(
        "{} row(s) would violate a foreign key afterwards (in {}); nothing was changed",
        rows.len(),
        tables.join(", ")
    )))
}

/// Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
