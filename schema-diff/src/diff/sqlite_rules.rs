//! Which changes SQLite cannot run as an `ALTER TABLE`.

use std::collections::{HashMap, HashSet};

use super::DiffOptions;
use crate::Change;
use crate::ir::{Column, DefaultValue, Schema, Table};

/// Tables by name, as the rebuild pass looks them up.
pub(super) struct Catalog<'a> {
    /// Actual tables (renames applied), original objects.
    pub actual: HashMap<&'a str, &'a Table>,
    /// Actual tables (renames applied), normalized.
    pub actual_norm: HashMap<&'a str, &'a Table>,
    /// Desired tables, original objects.
    pub desired: HashMap<&'a str, &'a Table>,
    /// Desired tables, normalized.
    pub desired_norm: HashMap<&'a str, &'a Table>,
    /// Tables created by the change list.
    pub created: HashSet<String>,
    /// Tables dropped by the change list.
    pub dropped: HashSet<String>,
    /// `(table, index name)` of every `DropIndex` in the change list.
    pub dropped_indexes: HashSet<(String, String)>,
    /// The compare flags the differ ran with.
    pub options: DiffOptions,
}

/// The four schemas the rebuild pass reads.
pub(crate) struct Schemas<'a> {
    /// Actual schema with renames applied.
    pub actual: &'a Schema,
    /// Its normalized copy.
    pub actual_norm: &'a Schema,
    /// Desired schema.
    pub desired: &'a Schema,
    /// Its normalized copy.
    pub desired_norm: &'a Schema,
}

/// Tables of `schema` by name.
fn by_name(schema: &Schema) -> HashMap<&str, &Table> {
    schema.tables.iter().map(|t| (t.name.as_str(), t)).collect()
}

impl<'a> Catalog<'a> {
    /// Indexes `schemas` and the tables `changes` create, drop or drop indexes of.
    pub(super) fn new(changes: &[Change], schemas: &Schemas<'a>, options: &DiffOptions) -> Self {
        let mut catalog = Catalog {
            actual: by_name(schemas.actual),
            actual_norm: by_name(schemas.actual_norm),
            desired: by_name(schemas.desired),
            desired_norm: by_name(schemas.desired_norm),
            created: HashSet::new(),
            dropped: HashSet::new(),
            dropped_indexes: HashSet::new(),
            options: *options,
        };
        for change in changes {
            match change {
                Change::CreateTable { table } => {
                    catalog.created.insert(table.name.clone());
                }
                Change::DropTable { table } => {
                    catalog.dropped.insert(table.name.clone());
                }
                Change::DropIndex { table, index } => {
                    catalog
                        .dropped_indexes
                        .insert((table.clone(), index.name.clone()));
                }
                _ => {}
            }
        }
        catalog
    }

    /// Whether `table` exists before and after the migration.
    pub(super) fn surviving(&self, table: &str) -> bool {
        self.actual.contains_key(table) && !self.dropped.contains(table)
    }
}

/// Whether SQLite must rebuild the table of `change` to run it.
///
/// - `AddForeignKey`, `DropForeignKey`, `AlterPrimaryKey`: always.
/// - `AlterColumn`: unless only the comment changed (SQLite keeps none).
/// - `DropIndex` of a `UNIQUE` table constraint.
/// - `AddColumn` of a column that is NOT NULL without a default, has a
///   non-constant default (`CURRENT_*` or an expression), is auto-increment or
///   generated, or is part of the primary key or of a unique constraint.
/// - `DropColumn` of a column in the primary key, in one of the table's
///   foreign keys, in an index not dropped by a `DropIndex` of the same list,
///   or named in a CHECK or another column's generated expression.
pub(super) fn needs_rebuild(change: &Change, catalog: &Catalog) -> bool {
    match change {
        Change::AddForeignKey { .. }
        | Change::DropForeignKey { .. }
        | Change::AlterPrimaryKey { .. } => true,
        Change::AlterColumn { table, from, to } => !comment_only(table, from, to, catalog),
        Change::DropIndex { index, .. } => index.constraint,
        Change::AddColumn { table, column } => {
            add_needs_rebuild(column, catalog.desired.get(table.as_str()).copied())
        }
        Change::DropColumn { table, column } => drop_needs_rebuild(table, column, catalog),
        Change::CreateTable { .. }
        | Change::DropTable { .. }
        | Change::RenameTable { .. }
        | Change::RenameColumn { .. }
        | Change::CreateIndex { .. }
        | Change::CreateEnum { .. }
        | Change::DropEnum { .. }
        | Change::AlterEnum { .. }
        | Change::RebuildTable { .. } => false,
    }
}

/// Whether an `AlterColumn` changes nothing but the comment, judged on the
/// normalized columns when they can be found.
fn comment_only(table: &str, from: &Column, to: &Column, catalog: &Catalog) -> bool {
    let normalized = |map: &HashMap<&str, &Table>, name: &str| {
        map.get(table).and_then(|t| t.column(name)).cloned()
    };
    let a = normalized(&catalog.actual_norm, &from.name).unwrap_or_else(|| from.clone());
    let d = normalized(&catalog.desired_norm, &to.name).unwrap_or_else(|| to.clone());
    (!catalog.options.compare_type || a.ty == d.ty)
        && (!catalog.options.compare_server_default || a.default == d.default)
        && a.nullable == d.nullable
        && a.auto_increment == d.auto_increment
        && a.generated == d.generated
}

/// See [`needs_rebuild`] for `AddColumn`.
fn add_needs_rebuild(column: &Column, desired: Option<&Table>) -> bool {
    let no_default = matches!(column.default, None | Some(DefaultValue::Null));
    let non_constant = matches!(
        column.default,
        Some(
            DefaultValue::CurrentTimestamp
                | DefaultValue::CurrentDate
                | DefaultValue::CurrentTime
                | DefaultValue::Expr(_)
        )
    );
    let keyed = desired.is_some_and(|t| {
        t.primary_key.contains(&column.name)
            || t.indexes
                .iter()
                .any(|i| i.unique && i.constraint && i.columns.contains(&column.name))
    });
    (!column.nullable && no_default)
        || non_constant
        || column.auto_increment
        || column.generated.is_some()
        || keyed
}

/// See [`needs_rebuild`] for `DropColumn`.
fn drop_needs_rebuild(table: &str, column: &Column, catalog: &Catalog) -> bool {
    let Some(actual) = catalog.actual.get(table) else {
        return false;
    };
    let name = &column.name;
    actual.primary_key.contains(name)
        || actual
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.contains(name))
        || actual.indexes.iter().any(|i| {
            i.columns.contains(name)
                && !catalog
                    .dropped_indexes
                    .contains(&(table.to_owned(), i.name.clone()))
        })
        || actual.checks.iter().any(|c| mentions(&c.expr, name))
        || actual.columns.iter().any(|c| {
            c.name != *name
                && c.generated
                    .as_ref()
                    .is_some_and(|g| mentions(&g.expr, name))
        })
}

/// Whether SQL expression `expr` names identifier `name` as a whole word.
pub(crate) fn mentions(expr: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    expr.match_indices(name).any(|(at, _)| {
        let before = expr[..at].chars().next_back();
        let after = expr[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Whether `columns` of `table` are covered by its primary key or a unique
/// index (so a foreign key may reference them).
pub(super) fn key_ready(table: &Table, columns: &[String]) -> bool {
    let same = |a: &[String], b: &[String]| {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    columns.iter().all(|c| table.column(c).is_some())
        && (same(&table.primary_key, columns)
            || table
                .indexes
                .iter()
                .any(|i| i.unique && same(&i.columns, columns)))
}
