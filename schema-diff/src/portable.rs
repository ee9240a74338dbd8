//! Portability: what each backend can express, checked before sea-query is asked.
//!
//! A migration module runs on every backend, and sea-query renders its statements for
//! the backend at hand. For some types a backend lacks, sea-query panics
//! (`unimplemented!`) instead of returning an error: arrays on SQLite and MySQL,
//! `Interval` on SQLite, `Year` on SQLite and PostgreSQL, an auto-increment column of
//! a type PostgreSQL has no identity for. So the plan of every change list is checked
//! here, per backend, over the IR: [`check_changes`] lists what a backend cannot run, and
//! the plan starts with a clear failure on that backend (see `statements::plan`), so a
//! generated module, [`crate::statements::apply`] and
//! [`crate::statements::preview_sql`] stop with an error naming the table and column
//! before any statement is built. The lint reports the same as hazard `PT001`.
//!
//! Auto-increment keys of small integer types mean "a key the database numbers", and
//! are written in the type each backend numbers ([`key_type`]): `integer` on SQLite
//! (`AUTOINCREMENT` is only allowed on an `INTEGER PRIMARY KEY`), and on PostgreSQL
//! the identity type that holds every value (`smallint` for `u8`, `integer` for `u16`,
//! `bigint` for `u32`/`u64`).

use std::fmt;

use crate::Change;
use crate::dialect::Dialect;
use crate::ir::{Column, ColumnType, Table};
use crate::statements::{ModifyParts, Node, Op};

/// Every dialect, in the order messages list them.
pub const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql];

/// The backend's name in messages: `SQLite`, `PostgreSQL`, `MySQL`.
pub fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "SQLite",
        Dialect::Postgres => "PostgreSQL",
        Dialect::MySql => "MySQL",
    }
}

/// One column a backend cannot create as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotPortable {
    /// The backend.
    pub dialect: Dialect,
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// Why, as a sentence fragment: `SQLite has no array types`.
    pub reason: &'static str,
}

impl fmt::Display for NotPortable {
    /// ``column `docs`.`tags`: SQLite has no array types``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column `{}`.`{}`: {}",
            crate::display::visible(&self.table),
            crate::display::visible(&self.column),
            self.reason
        )
    }
}

/// Why `dialect` cannot store a column of type `ty`, if it cannot.
pub fn type_problem(ty: &ColumnType, dialect: Dialect) -> Option<&'static str> {
    match (dialect, ty) {
        (Dialect::Sqlite, ColumnType::Array(_)) => Some("SQLite has no array types"),
        (Dialect::Sqlite, ColumnType::Interval) => Some("SQLite has no interval type"),
        (Dialect::Sqlite, ColumnType::Year) => Some("SQLite has no year type"),
        (Dialect::MySql, ColumnType::Array(_)) => Some("MySQL has no array types"),
        (Dialect::MySql, ColumnType::Interval) => Some("MySQL has no interval type"),
        (Dialect::Postgres, ColumnType::Year) => Some("PostgreSQL has no year type"),
        (Dialect::Postgres, ColumnType::Array(inner)) => type_problem(inner, dialect),
        _ => None,
    }
}

/// Why `dialect` cannot number a column of type `ty` (already [`key_type`]d) itself,
/// if it cannot.
fn auto_increment_problem(ty: &ColumnType, dialect: Dialect) -> Option<&'static str> {
    let ok = match dialect {
        Dialect::Postgres => matches!(
            ty,
            ColumnType::SmallInteger | ColumnType::Integer | ColumnType::BigInteger
        ),
        Dialect::Sqlite => ty.is_integer(),
        Dialect::MySql => true,
    };
    (!ok).then_some(match dialect {
        Dialect::Postgres => {
            "PostgreSQL numbers (identity) only smallint, integer and bigint columns"
        }
        _ => "SQLite's AUTOINCREMENT needs an integer primary key",
    })
}

/// The type an auto-increment column of type `ty` is created with on `dialect`, when
/// it is not `ty` itself: `integer` for a small integer key on SQLite; on PostgreSQL
/// the smallest identity type holding every value of `ty`.
pub fn key_type(ty: &ColumnType, dialect: Dialect) -> Option<ColumnType> {
    use ColumnType as T;
    match (dialect, ty) {
        (
            Dialect::Sqlite,
            T::TinyInteger | T::SmallInteger | T::TinyUnsigned | T::SmallUnsigned,
        ) => Some(T::Integer),
        (Dialect::Postgres, T::TinyInteger | T::TinyUnsigned) => Some(T::SmallInteger),
        (Dialect::Postgres, T::SmallUnsigned) => Some(T::Integer),
        (Dialect::Postgres, T::Unsigned | T::BigUnsigned) => Some(T::BigInteger),
        _ => None,
    }
}

/// What `dialect` cannot run of `changes`: every column the migration of `changes`
/// would create or change there in a type (or as an auto-increment key) the backend
/// has no SQL for. Empty when the migration can run there.
pub fn check_changes(changes: &[Change], dialect: Dialect) -> Vec<NotPortable> {
    let nodes = crate::statements::plan(changes);
    check_ops(&crate::statements::flatten(&nodes, dialect), dialect)
}

/// Whether `error` says a migration cannot run on the backend at all: the failure a
/// plan starts with (`not portable to ...`) or a panic caught while building a statement
/// ([`crate::guard::catch_panics`]). Commands report it as an error of their own.
pub fn cannot_run_here(error: &sea_orm::DbErr) -> bool {
    let text = error.to_string();
    text.contains(NOT_PORTABLE) || text.contains(crate::guard::PANICKED)
}

/// How [`failure_message`] starts.
const NOT_PORTABLE: &str = "not portable to ";

/// What `dialect` cannot run among `ops` (the plan flattened for `dialect`).
pub(crate) fn check_ops(ops: &[&Op], dialect: Dialect) -> Vec<NotPortable> {
    let mut found = Vec::new();
    let mut column = |table: &str, column: &Column, with_auto_increment: bool| {
        let reason = type_problem(&column.ty, dialect).or_else(|| {
            (with_auto_increment && column.auto_increment)
                .then(|| auto_increment_problem(&column.ty, dialect))
                .flatten()
        });
        if let Some(reason) = reason {
            found.push(NotPortable {
                dialect,
                table: table.to_owned(),
                column: column.name.clone(),
                reason,
            });
        }
    };
    for op in ops {
        match op {
            Op::CreateTable(table) | Op::RebuildSqlite { table, .. } => {
                for c in &table.columns {
                    column(&table.name, c, true);
                }
            }
            Op::AddColumn { table, column: c } => column(table, c, true),
            Op::ModifyColumn {
                table,
                column: c,
                parts,
            } => match parts {
                ModifyParts::Full => column(table, c, true),
                // PostgreSQL: the type alone; identity is set by its own clause.
                ModifyParts::TypeUsing(_) => column(table, c, false),
                ModifyParts::NullDefault => {}
            },
            _ => {}
        }
    }
    found
}

/// The message of the failure a plan starts with on `dialect`.
pub(crate) fn failure_message(dialect: Dialect, problems: &[NotPortable]) -> String {
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!(
        "{NOT_PORTABLE}{name}: {}; this migration cannot run on {name} (nothing was \
         changed). Generate it against the backend you deploy to, or change the column type.",
        list.join("; "),
        name = dialect_name(dialect),
    )
}

/// The plan with every auto-increment key written in the type each backend numbers
/// ([`key_type`]): an operation that needs another type on some backend becomes a
/// backend condition with one version per backend. `reach` is the backends the nodes
/// run on.
pub(crate) fn specialize_keys(nodes: Vec<Node>, reach: &[Dialect]) -> Vec<Node> {
    nodes
        .into_iter()
        .map(|node| match node {
            Node::If {
                dialect,
                then,
                otherwise,
            } => {
                let inside: Vec<Dialect> =
                    reach.iter().copied().filter(|d| *d == dialect).collect();
                let outside: Vec<Dialect> =
                    reach.iter().copied().filter(|d| *d != dialect).collect();
                Node::If {
                    dialect,
                    then: specialize_keys(then, &inside),
                    otherwise: specialize_keys(otherwise, &outside),
                }
            }
            Node::Op(op) => specialize_op(op, reach),
            comment @ Node::Comment(_) => comment,
        })
        .collect()
}

fn specialize_op(op: Op, reach: &[Dialect]) -> Node {
    // The backends grouped by the version of `op` they run, in `reach` order.
    let mut groups: Vec<(Op, Vec<Dialect>)> = Vec::new();
    for dialect in reach {
        let version = keyed_op(&op, *dialect).unwrap_or_else(|| op.clone());
        match groups.iter_mut().find(|(v, _)| *v == version) {
            Some((_, dialects)) => dialects.push(*dialect),
            None => groups.push((version, vec![*dialect])),
        }
    }
    if groups.len() <= 1 {
        return Node::Op(groups.pop().map_or(op, |(version, _)| version));
    }
    // The largest group is the `else`; every other one is a single backend (there are
    // three), tested by name.
    let largest = (0..groups.len())
        .max_by_key(|i| (groups[*i].1.len(), std::cmp::Reverse(*i)))
        .unwrap_or(0);
    let (otherwise, _) = groups.remove(largest);
    groups
        .into_iter()
        .rev()
        .fold(Node::Op(otherwise), |otherwise, (version, dialects)| {
            Node::If {
                dialect: dialects[0],
                then: vec![Node::Op(version)],
                otherwise: vec![otherwise],
            }
        })
}

/// `op` with its auto-increment keys in `dialect`'s key types, when any differs.
fn keyed_op(op: &Op, dialect: Dialect) -> Option<Op> {
    match op {
        Op::CreateTable(table) => keyed_table(table, dialect).map(Op::CreateTable),
        Op::RebuildSqlite {
            table,
            copy_columns,
        } => keyed_table(table, dialect).map(|table| Op::RebuildSqlite {
            table,
            copy_columns: copy_columns.clone(),
        }),
        // SQLite adds no key column (AUTOINCREMENT needs the primary key).
        Op::AddColumn { table, column } if dialect == Dialect::Postgres => {
            let ty = keyed(column, dialect)?;
            Some(Op::AddColumn {
                table: table.clone(),
                column: Column {
                    ty,
                    ..column.clone()
                },
            })
        }
        _ => None,
    }
}

fn keyed(column: &Column, dialect: Dialect) -> Option<ColumnType> {
    column
        .auto_increment
        .then(|| key_type(&column.ty, dialect))
        .flatten()
}

fn keyed_table(table: &Table, dialect: Dialect) -> Option<Table> {
    let single_key = match table.primary_key.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    };
    let mut out = table.clone();
    let mut changed = false;
    for column in &mut out.columns {
        // SQLite numbers only a single-column INTEGER PRIMARY KEY.
        if dialect == Dialect::Sqlite && single_key != Some(column.name.as_str()) {
            continue;
        }
        if let Some(ty) = keyed(column, dialect) {
            column.ty = ty;
            changed = true;
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests;
