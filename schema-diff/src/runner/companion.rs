//! The companion table `db_migrate_history`: what `seaql_migrations` does not
//! hold (checksum, state, timing, last error), one row per version.
//!
//! `seaql_migrations` stays exactly as SeaORM defines it; this table sits
//! beside it, so projects that adopt the tool keep their history and tools that
//! only know SeaORM keep working.

use sea_orm::sea_query::{
    Alias, ColumnDef, Expr, ExprTrait, OnConflict, Order, Query, Table, TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DbErr};

/// The companion table's name.
pub const COMPANION_TABLE: &str = "db_migrate_history";

/// Where a migration stands in the companion table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    /// Started and not finished: the process died or the migration failed
    /// halfway where DDL is not transactional (MySQL/MariaDB).
    Started,
    /// Applied (its `seaql_migrations` row exists).
    Applied,
    /// Failed where DDL is not transactional: part of it may have run.
    Failed,
    /// A rollback started and did not finish where DDL is not transactional:
    /// part of `down` may have run (its `seaql_migrations` row still exists).
    RollingBack,
}

impl MigrationState {
    /// The text stored in the table (and printed): `started`, `applied`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Started => "started",
            MigrationState::Applied => "applied",
            MigrationState::Failed => "failed",
            MigrationState::RollingBack => "rolling_back",
        }
    }

    /// Whether the migration is in an unknown state: started, failed, or rolling
    /// back without finishing. `upgrade` and `downgrade` refuse to run then.
    pub fn is_dirty(self) -> bool {
        self != MigrationState::Applied
    }

    fn parse(text: &str) -> Result<Self, DbErr> {
        match text {
            "started" => Ok(MigrationState::Started),
            "applied" => Ok(MigrationState::Applied),
            "failed" => Ok(MigrationState::Failed),
            "rolling_back" => Ok(MigrationState::RollingBack),
            other => Err(DbErr::Custom(format!(
                "{COMPANION_TABLE} has an unknown state `{other}`"
            ))),
        }
    }
}

/// One row of the companion table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CompanionRow {
    pub version: String,
    /// SHA-256 of the SQL the migration's `up` sends on this backend
    /// ([`crate::capture::checksum`]); `None` for history adopted from SeaORM.
    pub checksum: Option<String>,
    pub state: MigrationState,
    /// Unix time in seconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub duration_ms: Option<i64>,
    /// The error of a failed migration.
    pub error: Option<String>,
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn create_statement() -> TableCreateStatement {
    Table::create()
        .table(col(COMPANION_TABLE))
        .if_not_exists()
        .col(
            ColumnDef::new(col("version"))
                .string_len(255)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(col("checksum")).string_len(64).null())
        .col(ColumnDef::new(col("state")).string_len(16).not_null())
        .col(ColumnDef::new(col("started_at")).big_integer().not_null())
        .col(ColumnDef::new(col("finished_at")).big_integer().null())
        .col(ColumnDef::new(col("duration_ms")).big_integer().null())
        .col(ColumnDef::new(col("error")).text().null())
        .to_owned()
}

/// Creates the companion table if it does not exist.
pub async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute(&create_statement()).await?;
    Ok(())
}

/// Whether the companion table exists.
pub async fn exists(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    super::history::table_exists(db, COMPANION_TABLE).await
}

/// Every row, ordered by version; empty when the table does not exist.
pub async fn read(db: &impl ConnectionTrait) -> Result<Vec<CompanionRow>, DbErr> {
    if !exists(db).await? {
        return Ok(Vec::new());
    }
    let query = Query::select()
        .columns(
            [
                "version",
                "checksum",
                "state",
                "started_at",
                "finished_at",
                "duration_ms",
                "error",
            ]
            .map(col),
        )
        .from(col(COMPANION_TABLE))
        .order_by(col("version"), Order::Asc)
        .to_owned();
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("", "state")?;
            Ok(CompanionRow {
                version: row.try_get("", "version")?,
                checksum: row.try_get("", "checksum")?,
                state: MigrationState::parse(&state)?,
                started_at: row.try_get("", "started_at")?,
                finished_at: row.try_get("", "finished_at")?,
                duration_ms: row.try_get("", "duration_ms")?,
                error: row.try_get("", "error")?,
            })
        })
        .collect()
}

/// Writes `row`, replacing any row of the same version.
pub async fn upsert(db: &impl ConnectionTrait, row: &CompanionRow) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(col(COMPANION_TABLE))
        .columns(
            [
                "version",
                "checksum",
                "state",
                "started_at",
                "finished_at",
                "duration_ms",
                "error",
            ]
            .map(col),
        )
        .values_panic([
            row.version.clone().into(),
            row.checksum.clone().into(),
            row.state.as_str().into(),
            row.started_at.into(),
            row.finished_at.into(),
            row.duration_ms.into(),
            row.error.clone().into(),
        ])
        .on_conflict(
            OnConflict::column(col("version"))
                .update_columns(
                    [
                        "checksum",
                        "state",
                        "started_at",
                        "finished_at",
                        "duration_ms",
                        "error",
                    ]
                    .map(col),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Removes the row of `version` (after a rollback or `resolve --rolled-back`).
pub async fn remove(db: &impl ConnectionTrait, version: &str) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table(col(COMPANION_TABLE))
        .and_where(ExprTrait::eq(Expr::col(col("version")), version))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}
