//! The checkpoint table `db_migrate_data_progress`: one row per data-migration
//! step, keyed by (migration version, step name), beside the runner's companion
//! table and in the same style.
//!
//! A batch moves the checkpoint from the key it started after to the last key it
//! covered, in the batch's own transaction: the batch and its checkpoint commit
//! together or not at all, so a resumed run never applies a batch twice. The move
//! is a compare-and-set (`WHERE last_key = <the batch's lower bound>`): two runs
//! of one step cannot both apply a batch either.
//!
//! Like every `db_migrate_*` table, it is not part of the application's schema:
//! introspection leaves it out, so it never shows as drift.

use sea_orm::sea_query::{
    Alias, ColumnDef, Condition, Expr, ExprTrait, Index, OnConflict, Order, Query, Table,
    TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DbErr, Value};

use super::key::BatchKey;
use crate::runner::history;

/// The checkpoint table's name.
pub const CHECKPOINT_TABLE: &str = "db_migrate_data_progress";

/// Where a data-migration step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Started and not finished: running now, stopped by a failure, or killed.
    /// The next run resumes after [`Checkpoint::last_key`].
    Running,
    /// Every batch is committed.
    Done,
}

impl StepState {
    /// The text stored in the table: `running` or `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Running => "running",
            StepState::Done => "done",
        }
    }

    fn parse(text: &str) -> Result<Self, DbErr> {
        match text {
            "running" => Ok(StepState::Running),
            "done" => Ok(StepState::Done),
            other => Err(DbErr::Custom(format!(
                "{CHECKPOINT_TABLE} has an unknown state `{other}`"
            ))),
        }
    }
}

/// One row of the checkpoint table: a step's progress.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Checkpoint {
    /// The migration's version (`m20260101_000000_backfill_slug`).
    pub version: String,
    /// The step's name within the migration.
    pub step: String,
    pub state: StepState,
    /// The last key of the last committed batch; `None` before the first one.
    pub last_key: Option<BatchKey>,
    /// Rows covered by the committed batches.
    pub rows_done: i64,
    /// Rows to cover in all, as counted when the step (re)started.
    pub rows_total: i64,
    /// Committed batches.
    pub batches: i64,
    /// Unix time in seconds.
    pub started_at: i64,
    /// Unix time in seconds of the last committed batch.
    pub updated_at: i64,
}

impl Checkpoint {
    /// The share done, 0 to 100 (100 when there is nothing to do).
    pub fn percent(&self) -> u32 {
        if self.rows_total <= 0 {
            return 100;
        }
        ((self.rows_done.clamp(0, self.rows_total) * 100) / self.rows_total) as u32
    }

    /// One line for `status` and `health`: `data migration V (step S): 45% (450/1000 rows)`.
    pub fn describe(&self) -> String {
        format!(
            "data migration {} (step {}): {}% ({}/{} rows){}",
            self.version,
            self.step,
            self.percent(),
            self.rows_done,
            self.rows_total,
            if self.state == StepState::Done {
                ", done"
            } else {
                ""
            }
        )
    }
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 10] = [
    "version",
    "step",
    "state",
    "key_kind",
    "last_key",
    "rows_done",
    "rows_total",
    "batches",
    "started_at",
    "updated_at",
];

fn create_statement() -> TableCreateStatement {
    Table::create()
        .table(col(CHECKPOINT_TABLE))
        .if_not_exists()
        .col(ColumnDef::new(col("version")).string_len(255).not_null())
        .col(ColumnDef::new(col("step")).string_len(255).not_null())
        .col(ColumnDef::new(col("state")).string_len(16).not_null())
        .col(ColumnDef::new(col("key_kind")).string_len(8).null())
        .col(ColumnDef::new(col("last_key")).string_len(255).null())
        .col(ColumnDef::new(col("rows_done")).big_integer().not_null())
        .col(ColumnDef::new(col("rows_total")).big_integer().not_null())
        .col(ColumnDef::new(col("batches")).big_integer().not_null())
        .col(ColumnDef::new(col("started_at")).big_integer().not_null())
        .col(ColumnDef::new(col("updated_at")).big_integer().not_null())
        .primary_key(Index::create().col(col("version")).col(col("step")))
        .to_owned()
}

/// Creates the checkpoint table if it does not exist.
pub async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute(&create_statement()).await?;
    Ok(())
}

/// Whether the checkpoint table exists.
pub async fn exists(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    history::table_exists(db, CHECKPOINT_TABLE).await
}

/// Every checkpoint, by version and step; empty when the table does not exist.
pub async fn read_all(db: &impl ConnectionTrait) -> Result<Vec<Checkpoint>, DbErr> {
    read_where(db, Condition::all()).await
}

/// The checkpoint of one step, if the table and the row exist.
pub async fn read(
    db: &impl ConnectionTrait,
    version: &str,
    step: &str,
) -> Result<Option<Checkpoint>, DbErr> {
    Ok(read_where(db, step_condition(version, step))
        .await?
        .into_iter()
        .next())
}

fn step_condition(version: &str, step: &str) -> Condition {
    Condition::all()
        .add(Expr::col(col("version")).eq(version))
        .add(Expr::col(col("step")).eq(step))
}

async fn read_where(
    db: &impl ConnectionTrait,
    filter: Condition,
) -> Result<Vec<Checkpoint>, DbErr> {
    if !exists(db).await? {
        return Ok(Vec::new());
    }
    let query = Query::select()
        .columns(COLUMNS.map(col))
        .from(col(CHECKPOINT_TABLE))
        .cond_where(filter)
        .order_by(col("version"), Order::Asc)
        .order_by(col("step"), Order::Asc)
        .to_owned();
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("", "state")?;
            let kind: Option<String> = row.try_get("", "key_kind")?;
            let text: Option<String> = row.try_get("", "last_key")?;
            let last_key = match (kind, text) {
                (Some(kind), Some(text)) => Some(BatchKey::parse(&kind, &text)?),
                _ => None,
            };
            Ok(Checkpoint {
                version: row.try_get("", "version")?,
                step: row.try_get("", "step")?,
                state: StepState::parse(&state)?,
                last_key,
                rows_done: row.try_get("", "rows_done")?,
                rows_total: row.try_get("", "rows_total")?,
                batches: row.try_get("", "batches")?,
                started_at: row.try_get("", "started_at")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .collect()
}

fn key_values(key: Option<&BatchKey>) -> (Value, Value) {
    match key {
        Some(k) => (k.kind().into(), k.to_text().into()),
        None => (Option::<String>::None.into(), Option::<String>::None.into()),
    }
}

/// Writes `checkpoint`, replacing the row of the same step.
pub async fn save(db: &impl ConnectionTrait, checkpoint: &Checkpoint) -> Result<(), DbErr> {
    let (kind, text) = key_values(checkpoint.last_key.as_ref());
    let stmt = Query::insert()
        .into_table(col(CHECKPOINT_TABLE))
        .columns(COLUMNS.map(col))
        .values_panic([
            checkpoint.version.clone().into(),
            checkpoint.step.clone().into(),
            checkpoint.state.as_str().into(),
            Expr::val(kind),
            Expr::val(text),
            checkpoint.rows_done.into(),
            checkpoint.rows_total.into(),
            checkpoint.batches.into(),
            checkpoint.started_at.into(),
            checkpoint.updated_at.into(),
        ])
        .on_conflict(
            OnConflict::columns([col("version"), col("step")])
                .update_columns(COLUMNS[2..].iter().copied().map(col))
                .to_owned(),
        )
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Moves the checkpoint of `next`'s step from `from` to `next.last_key`, with
/// its counters, only if it still stands at `from`. `false` when it did not (a
/// second run of the same step moved it meanwhile).
pub async fn advance(
    db: &impl ConnectionTrait,
    from: Option<&BatchKey>,
    next: &Checkpoint,
) -> Result<bool, DbErr> {
    let (kind, text) = key_values(next.last_key.as_ref());
    let at_from = match from {
        Some(key) => Expr::col(col("last_key")).eq(key.to_text()),
        None => Expr::col(col("last_key")).is_null(),
    };
    let stmt = Query::update()
        .table(col(CHECKPOINT_TABLE))
        .value(col("state"), next.state.as_str())
        .value(col("key_kind"), kind)
        .value(col("last_key"), text)
        .value(col("rows_done"), next.rows_done)
        .value(col("rows_total"), next.rows_total)
        .value(col("batches"), next.batches)
        .value(col("updated_at"), next.updated_at)
        .cond_where(step_condition(&next.version, &next.step).add(at_from))
        .to_owned();
    Ok(db.execute(&stmt).await?.rows_affected() == 1)
}

/// Removes the checkpoints of `version` (after its rollback: a later upgrade
/// starts its steps afresh). Nothing to do when the table does not exist.
pub async fn remove_version(db: &impl ConnectionTrait, version: &str) -> Result<(), DbErr> {
    if !exists(db).await? {
        return Ok(());
    }
    let stmt = Query::delete()
        .from_table(col(CHECKPOINT_TABLE))
        .and_where(Expr::col(col("version")).eq(version))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(done: i64, total: i64) -> Checkpoint {
        Checkpoint {
            version: "m1".into(),
            step: "s".into(),
            state: StepState::Running,
            last_key: Some(BatchKey::Int(7)),
            rows_done: done,
            rows_total: total,
            batches: 1,
            started_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn describes_progress_in_percent_and_rows() {
        assert_eq!(
            checkpoint(450, 1000).describe(),
            "data migration m1 (step s): 45% (450/1000 rows)"
        );
        assert_eq!(checkpoint(0, 0).percent(), 100);
        assert_eq!(checkpoint(2000, 1000).percent(), 100);
    }
}
