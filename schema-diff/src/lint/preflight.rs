//! The data-aware preflight: counting queries for the hazards that fail on some rows.

use sea_orm::{ConnectionTrait, DbErr};
use sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, Func, Query, SelectStatement};

use super::unfit::Unfit;
use super::{Hazard, LintOptions, Severity, rules};
use crate::Change;

/// A count that makes a `DF*` hazard certain. Table and column names come twice:
/// as the migration names them (for messages) and as the database calls them before
/// the migration (`db_*`, for the query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// `DF001`: rows in the table.
    Rows {
        table: String,
        db_table: String,
        column: String,
    },
    /// `DF002`: rows with `NULL` in the column.
    Nulls {
        table: String,
        db_table: String,
        column: String,
        db_column: String,
    },
    /// `DF003`: groups of rows sharing the values of `columns` (rows with a `NULL`
    /// in them left out when `skip_nulls`, as unique indexes do).
    Duplicates {
        table: String,
        db_table: String,
        columns: Vec<String>,
        db_columns: Vec<String>,
        /// `unique index users_email_key`, `the new primary key`.
        what: String,
        skip_nulls: bool,
    },
    /// `DL003`: rows whose value does not fit the column's new, narrower type.
    DoesNotFit {
        table: String,
        db_table: String,
        column: String,
        db_column: String,
        /// The new type, as the change list labels it.
        new_type: String,
        unfit: Unfit,
    },
    /// `DF004`: rows whose (all non-NULL) `columns` match no row of the referenced
    /// table; `db_target` is `None` when the migration creates that table (every
    /// reference is then an orphan).
    Orphans {
        table: String,
        db_table: String,
        columns: Vec<String>,
        db_columns: Vec<String>,
        ref_table: String,
        db_target: Option<(String, Vec<String>)>,
    },
}

/// Runs a counting query for every `DF001`–`DF004` candidate of `changes` against
/// `db`, the database the migration is about to run on, and returns a
/// [`Severity::Danger`] hazard (same code and table) for each one whose count is
/// above zero, e.g. `23 rows of users have NULL in name: SET NOT NULL will fail`.
///
/// The queries are sea-query `SELECT COUNT(*)`s, portable across SQLite, PostgreSQL
/// and MySQL, and read only:
///
/// - `DF001` (`NOT NULL` column without default): rows in the table;
/// - `DF002` (`NULL` → `NOT NULL`): rows with `NULL` in the column;
/// - `DF003` (unique index or constraint, new primary key): groups of rows sharing the
///   indexed values (rows with a `NULL` among them are left out for unique indexes,
///   which let them repeat);
/// - `DF004` (foreign key): rows whose key columns are all non-`NULL` and match no
///   row of the referenced table (every such row, when the migration creates it).
///
/// Names are mapped back through the list's renames. A candidate that involves a
/// column the migration adds is not counted. Every table the list does not create
/// must exist in `db` (preflight runs against the database the list was diffed
/// against); a failing query is returned as an error naming the check.
pub async fn preflight<C: ConnectionTrait>(
    db: &C,
    changes: &[Change],
) -> Result<Vec<Hazard>, DbErr> {
    let mut hazards = Vec::new();
    for finding in rules::findings(changes, None, &LintOptions::default()) {
        let Some(check) = finding.check else {
            continue;
        };
        let code = finding.hazard.code;
        let count = count(db, &check.query()).await.map_err(|err| {
            DbErr::Custom(format!(
                "preflight check {code} ({}): {err}",
                check.subject()
            ))
        })?;
        if count > 0 {
            hazards.push(Hazard {
                code,
                severity: Severity::Danger,
                table: finding.hazard.table,
                message: check.message(count),
            });
        }
    }
    Ok(hazards)
}

async fn count<C: ConnectionTrait>(db: &C, query: &SelectStatement) -> Result<i64, DbErr> {
    match db.query_one(query).await? {
        Some(row) => row.try_get_by_index::<i64>(0),
        None => Ok(0),
    }
}

fn count_all() -> Expr {
    Func::count(Expr::col(Asterisk)).into()
}

fn ident(name: &str) -> Alias {
    Alias::new(name)
}

/// `1 row of t has` / `23 rows of t have`.
fn rows(count: i64) -> String {
    if count == 1 {
        "1 row".to_owned()
    } else {
        format!("{count} rows")
    }
}

impl Check {
    /// What is checked, for error messages: `users.name`.
    fn subject(&self) -> String {
        match self {
            Check::Rows { table, column, .. }
            | Check::Nulls { table, column, .. }
            | Check::DoesNotFit { table, column, .. } => format!("{table}.{column}"),
            Check::Duplicates { table, columns, .. } | Check::Orphans { table, columns, .. } => {
                format!("{table} ({})", columns.join(", "))
            }
        }
    }

    /// The `SELECT COUNT(*)` of this check.
    pub(super) fn query(&self) -> SelectStatement {
        let mut query = Query::select();
        query.expr(count_all());
        match self {
            Check::Rows { db_table, .. } => {
                query.from(ident(db_table));
            }
            Check::Nulls {
                db_table,
                db_column,
                ..
            } => {
                query
                    .from(ident(db_table))
                    .and_where(Expr::col(ident(db_column)).is_null());
            }
            Check::DoesNotFit {
                db_table,
                db_column,
                unfit,
                ..
            } => {
                query
                    .from(ident(db_table))
                    .cond_where(does_not_fit(db_column, unfit));
            }
            Check::Duplicates {
                db_table,
                db_columns,
                skip_nulls,
                ..
            } => {
                let mut groups = Query::select();
                groups.expr(Expr::cust("1")).from(ident(db_table));
                for column in db_columns {
                    groups.group_by_col(ident(column));
                    if *skip_nulls {
                        groups.and_where(Expr::col(ident(column)).is_not_null());
                    }
                }
                groups.and_having(count_all().gt(1));
                query.from_subquery(groups, ident("duplicate_groups"));
            }
            Check::Orphans {
                db_table,
                db_columns,
                db_target,
                ..
            } => {
                let (child, parent) = (ident("child_rows"), ident("parent_rows"));
                query.from_as(ident(db_table), child.clone());
                for column in db_columns {
                    query.and_where(Expr::col((child.clone(), ident(column))).is_not_null());
                }
                if let Some((target, target_columns)) = db_target {
                    let mut matching = Query::select();
                    matching
                        .expr(Expr::cust("1"))
                        .from_as(ident(target), parent.clone());
                    for (column, target_column) in db_columns.iter().zip(target_columns) {
                        matching.and_where(
                            Expr::col((parent.clone(), ident(target_column)))
                                .equals((child.clone(), ident(column))),
                        );
                    }
                    query.and_where(Expr::not_exists(matching));
                }
            }
        }
        query
    }

    /// The hazard sentence, given a count above zero.
    pub(super) fn message(&self, count: i64) -> String {
        let (of, verb) = (rows(count), if count == 1 { "has" } else { "have" });
        match self {
            Check::Rows { table, column, .. } => format!(
                "{table} has {of}: adding NOT NULL column {column} without a default will fail"
            ),
            Check::Nulls { table, column, .. } => {
                format!("{of} of {table} {verb} NULL in {column}: SET NOT NULL will fail")
            }
            Check::DoesNotFit {
                table,
                column,
                new_type,
                ..
            } => format!(
                "{of} of {table} {verb} a value in {column} that does not fit {new_type}: \
                 the type change will fail (it never truncates)"
            ),
            Check::Duplicates {
                table,
                columns,
                what,
                ..
            } => format!(
                "{table} has {count} group{} of rows sharing ({}): {what} will fail",
                if count == 1 { "" } else { "s" },
                columns.join(", ")
            ),
            Check::Orphans {
                table,
                columns,
                ref_table,
                ..
            } => format!(
                "{of} of {table} reference{} no {ref_table} row through ({}): the foreign key \
                 will fail",
                if count == 1 { "s" } else { "" },
                columns.join(", ")
            ),
        }
    }
}

/// The rows of `column` that a narrower type cannot hold.
pub(crate) fn does_not_fit(column: &str, unfit: &Unfit) -> Condition {
    let col = || Expr::col(ident(column));
    match unfit {
        Unfit::Length(n) => Condition::all().add(Expr::expr(Func::char_length(col())).gt(*n)),
        Unfit::Range { min, max, whole } => {
            let mut any = Condition::any()
                .add(col().lt(Expr::cust(min.to_string())))
                .add(col().gt(Expr::cust(max.to_string())));
            if *whole {
                any = any.add(col().ne(Expr::expr(Func::round(col()))));
            }
            any
        }
        Unfit::Decimal {
            integer_digits,
            scale,
        } => {
            let limit = format!("1{}", "0".repeat(*integer_digits as usize));
            Condition::any()
                .add(Expr::expr(Func::abs(col())).gte(Expr::cust(limit)))
                // A literal scale: PostgreSQL has `round(numeric, integer)` only, and a
                // bound parameter arrives as a bigint.
                .add(col().ne(Expr::expr(Func::round_with_precision(
                    col(),
                    Expr::cust(scale.to_string()),
                ))))
        }
        Unfit::Values(values) => Condition::all().add(col().is_in(values.iter().cloned())),
    }
}
