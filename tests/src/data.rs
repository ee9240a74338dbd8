//! The table `items` and its backfill, shared by `tests/tests/data_migrations.rs`,
//! the child it kills (`src/bin/data_child.rs`) and the benchmark
//! (`src/bin/bench_backfill.rs`).
//!
//! `items(id, a, b, counter, total)`: the backfill sets `total = a + b` and
//! increments `counter`, so a row updated twice shows `counter = 2`.

use schema_diff::data::Backfill;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, UpdateStatement};
use sea_orm::{ConnectionTrait, DbErr};

/// The version of the data migration the tests run.
pub const VERSION: &str = "m20990101_000000_fill_total";

/// The backfill step's name.
pub const STEP: &str = "total from a and b";

/// Creates `items` with `rows` rows (ids 1..=rows, `a = id`, `b = 2 * id`),
/// inserted `chunk` at a time. `total` may never be `-1` (a CHECK constraint),
/// which is how a test makes one row's update fail.
pub async fn create_items(db: &impl ConnectionTrait, rows: i64, chunk: i64) -> Result<(), DbErr> {
    db.execute_unprepared(
        "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, a INTEGER NOT NULL, \
         b INTEGER NOT NULL, counter INTEGER NOT NULL DEFAULT 0, total BIGINT NULL, \
         CHECK (total IS NULL OR total <> -1))",
    )
    .await?;
    let mut start = 1;
    while start <= rows {
        let end = Ord::min(start + chunk - 1, rows);
        let values: Vec<String> = (start..=end)
            .map(|id| format!("({id}, {id}, {})", 2 * id))
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO items (id, a, b) VALUES {}",
            values.join(", ")
        ))
        .await?;
        start = end + 1;
    }
    Ok(())
}

/// The backfill of `items` as step [`STEP`] of `version`, `batch` rows at a time.
pub fn items_backfill(version: &str, batch: u64) -> Backfill {
    Backfill::new(version, STEP)
        .table(Alias::new("items"))
        .key(Alias::new("id"))
        .batch_size(batch)
}

/// The update: `total = a + b`, `counter = counter + 1`; with `poison`, the
/// row of that id gets `total = -1`, which its CHECK constraint refuses.
pub fn counting_update(poison: Option<i64>) -> impl FnMut(&mut UpdateStatement) + Send {
    move |update| {
        let sum = Expr::col(Alias::new("a")).add(Expr::col(Alias::new("b")));
        let total: Expr = match poison {
            Some(id) => Expr::case(Expr::col(Alias::new("id")).eq(id), -1)
                .finally(sum)
                .into(),
            None => sum,
        };
        update.value(Alias::new("total"), total).value(
            Alias::new("counter"),
            Expr::col(Alias::new("counter")).add(1),
        );
    }
}

/// How many rows have each `counter` value, and how many have a wrong total
/// (updated but `total <> a + b`).
#[derive(Debug, PartialEq, Eq)]
pub struct Tally {
    pub untouched: i64,
    pub once: i64,
    pub more: i64,
    pub wrong_total: i64,
    /// The largest id updated, if any.
    pub last_updated: Option<i64>,
}

/// Counts `items` by `counter`.
pub async fn tally(db: &impl ConnectionTrait) -> Result<Tally, DbErr> {
    let sql = "SELECT \
         CAST(SUM(CASE WHEN counter = 0 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN counter = 1 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN counter > 1 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN counter > 0 AND (total IS NULL OR total <> a + b) THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(MAX(CASE WHEN counter > 0 THEN id END) AS BIGINT) \
         FROM items";
    let sql = if db.get_database_backend() == sea_orm::DbBackend::MySql {
        sql.replace("AS BIGINT", "AS SIGNED")
    } else {
        sql.to_owned()
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no answer".into()))?;
    Ok(Tally {
        untouched: row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0),
        once: row.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0),
        more: row.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0),
        wrong_total: row.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0),
        last_updated: row.try_get_by_index::<Option<i64>>(4)?,
    })
}
