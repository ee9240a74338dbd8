//! Data loss, counted: which live tables and columns a migration drops, and how many
//! rows they hold now. `auto` and `downgrade` refuse to go on without a confirmation
//! (or `--allow-data-loss`) when any count is above zero.

use std::fmt;

use sea_orm::{ConnectionTrait, DbErr};
use sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query};
use serde::Serialize;

use super::rules::Names;
use super::{Hazard, Severity};
use crate::Change;

pub use super::sql_drops::dropped_by_sql;

/// A live table or column a migration drops (or empties), named as the database
/// calls it before the migration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dropped {
    /// The table is dropped (or truncated): all of its rows go.
    Table { table: String },
    /// The column is dropped: its values go.
    Column { table: String, column: String },
}

impl Dropped {
    /// The table it concerns.
    pub fn table(&self) -> &str {
        match self {
            Dropped::Table { table } | Dropped::Column { table, .. } => table,
        }
    }

    /// The `DL001`/`DL002` hazard of this drop, before counting.
    pub fn hazard(&self) -> Hazard {
        let (code, message) = match self {
            Dropped::Table { table } => (
                "DL001",
                format!("dropping table {table} loses all of its rows"),
            ),
            Dropped::Column { table, column } => (
                "DL002",
                format!("dropping column {table}.{column} loses its data"),
            ),
        };
        Hazard {
            code,
            severity: Severity::Danger,
            table: Some(self.table().to_owned()),
            message,
        }
    }
}

/// A drop that loses rows: `rows` rows of the table, or rows with a value (not
/// `NULL`) in the column, as counted just before the migration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Loss {
    pub table: String,
    /// `None` for a whole table.
    pub column: Option<String>,
    pub rows: i64,
}

impl Loss {
    /// The counted `DL001`/`DL002` hazard, e.g. `table legacy holds 42 rows: dropping
    /// it loses them`.
    pub fn hazard(&self) -> Hazard {
        let code = if self.column.is_some() {
            "DL002"
        } else {
            "DL001"
        };
        Hazard {
            code,
            severity: Severity::Danger,
            table: Some(self.table.clone()),
            message: self.to_string(),
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = if self.rows == 1 {
            "1 row".to_owned()
        } else {
            format!("{} rows", self.rows)
        };
        match &self.column {
            None => write!(
                f,
                "table {} holds {rows}: dropping it loses them",
                self.table
            ),
            Some(column) => write!(
                f,
                "column {}.{column} holds a value in {rows}: dropping it loses them",
                self.table
            ),
        }
    }
}

/// The live tables and columns `changes` drop (`DropTable`, `DropColumn`, also
/// inside a `RebuildTable`), named as the database calls them before the migration.
/// A column of a dropped table, or one the list adds, is not listed.
pub fn dropped_by_changes(changes: &[Change]) -> Vec<Dropped> {
    let names = Names::of(changes);
    let mut out = Vec::new();
    collect(changes, &names, &mut out);
    let tables: Vec<String> = out
        .iter()
        .filter_map(|d| match d {
            Dropped::Table { table } => Some(table.clone()),
            Dropped::Column { .. } => None,
        })
        .collect();
    out.retain(|d| matches!(d, Dropped::Table { .. }) || !tables.iter().any(|t| t == d.table()));
    out
}

fn collect(changes: &[Change], names: &Names<'_>, out: &mut Vec<Dropped>) {
    for change in changes {
        match change {
            Change::DropTable { table } if !names.creates(&table.name) => {
                out.push(Dropped::Table {
                    table: names.table_before(&table.name),
                });
            }
            Change::DropColumn { table, column } if !names.creates(table) => {
                if let Some(before) = names.column_before(table, &column.name) {
                    out.push(Dropped::Column {
                        table: names.table_before(table),
                        column: before,
                    });
                }
            }
            Change::RebuildTable { changes, .. } => collect(changes, names, out),
            _ => {}
        }
    }
}

/// Counts the rows each of `dropped` holds on `db` (read-only `SELECT COUNT(*)`s:
/// the table's rows; the column's non-`NULL` values) and returns those above zero,
/// each drop once, in order.
pub async fn count_losses<C: ConnectionTrait>(
    db: &C,
    dropped: &[Dropped],
) -> Result<Vec<Loss>, DbErr> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for drop in dropped {
        if !seen.insert(drop) {
            continue;
        }
        let mut query = Query::select();
        query
            .expr(Func::count(Expr::col(Asterisk)))
            .from(Alias::new(drop.table()));
        let column = match drop {
            Dropped::Table { .. } => None,
            Dropped::Column { column, .. } => {
                query.and_where(Expr::col(Alias::new(column)).is_not_null());
                Some(column.clone())
            }
        };
        let what = match &column {
            Some(c) => format!("{}.{c}", drop.table()),
            None => drop.table().to_owned(),
        };
        let rows = match db.query_one(&query).await {
            Ok(Some(row)) => row.try_get_by_index::<i64>(0),
            Ok(None) => Ok(0),
            Err(e) => Err(e),
        }
        .map_err(|e| DbErr::Custom(format!("cannot count the rows of {what}: {e}")))?;
        if rows > 0 {
            out.push(Loss {
                table: drop.table().to_owned(),
                column,
                rows,
            });
        }
    }
    Ok(out)
}
