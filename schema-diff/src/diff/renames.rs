//! Rename detection from the desired side's `renamed_from` hints, and from
//! [`RenameHints`] given from outside (which become such declarations).
//!
//! Renames are decided first and then applied to the actual schema, so that
//! the rest of the differ matches everything by name and every emitted object
//! (and its reverse) uses the post-rename names.

use std::collections::{HashMap, HashSet};

use crate::ir::{Column, ColumnType, Schema, Table};
use crate::{Change, Dialect};

/// The table and column renames from actual to desired.
#[derive(Debug, Default)]
pub(super) struct Renames {
    /// Old table name → new table name.
    tables: HashMap<String, String>,
    /// New table name → (old column name → new column name).
    columns: HashMap<String, HashMap<String, String>>,
    /// `RenameTable` then `RenameColumn` changes, in desired order.
    changes: Vec<Change>,
}

impl Renames {
    /// Plans the renames: a hint counts only when the old name exists in
    /// `actual`, the new name does not, the old name is not also wanted in
    /// `desired`, and no other hint claimed the old name first.
    pub(super) fn plan(actual: &Schema, desired: &Schema) -> Renames {
        let actual_tables: HashMap<&str, &Table> =
            actual.tables.iter().map(|t| (t.name.as_str(), t)).collect();
        let desired_names: HashSet<&str> = desired.tables.iter().map(|t| t.name.as_str()).collect();
        let mut renames = Renames::default();
        let mut claimed: HashSet<&str> = HashSet::new();
        let mut column_changes = Vec::new();
        for table in &desired.tables {
            let mut old_table = actual_tables.get(table.name.as_str()).copied();
            if old_table.is_none()
                && let Some(old) = table.renamed_from.as_deref()
                && !desired_names.contains(old)
                && let Some(found) = actual_tables.get(old).copied()
                && claimed.insert(old)
            {
                renames.tables.insert(old.to_owned(), table.name.clone());
                renames.changes.push(Change::RenameTable {
                    from: old.to_owned(),
                    to: table.name.clone(),
                });
                old_table = Some(found);
            }
            let Some(old_table) = old_table else {
                continue;
            };
            let map = column_renames(old_table, table);
            for (old, new) in &map {
                column_changes.push(Change::RenameColumn {
                    table: table.name.clone(),
                    from: old.clone(),
                    to: new.clone(),
                });
            }
            if !map.is_empty() {
                renames
                    .columns
                    .insert(table.name.clone(), map.into_iter().collect());
            }
        }
        renames.changes.extend(column_changes);
        renames
    }

    /// Whether no table or column is renamed ([`Renames::apply`] would copy).
    pub(super) fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    /// The `RenameTable` and `RenameColumn` changes.
    pub(super) fn changes(&self) -> Vec<Change> {
        self.changes.clone()
    }

    /// `schema` with the renames applied everywhere a name appears: table and
    /// column names, primary keys, index and foreign key columns, and the
    /// referenced table and columns of every foreign key.
    pub(super) fn apply(&self, schema: &Schema) -> Schema {
        let mut schema = schema.clone();
        if self.tables.is_empty() && self.columns.is_empty() {
            return schema;
        }
        for table in &mut schema.tables {
            if let Some(new) = self.tables.get(&table.name) {
                table.name = new.clone();
            }
            if let Some(map) = self.columns.get(&table.name) {
                for column in &mut table.columns {
                    rename(&mut column.name, map);
                }
                table.primary_key.iter_mut().for_each(|c| rename(c, map));
                for index in &mut table.indexes {
                    index.columns.iter_mut().for_each(|c| rename(c, map));
                }
                for fk in &mut table.foreign_keys {
                    fk.columns.iter_mut().for_each(|c| rename(c, map));
                }
            }
            for fk in &mut table.foreign_keys {
                if let Some(new) = self.tables.get(&fk.ref_table) {
                    fk.ref_table = new.clone();
                }
                if let Some(map) = self.columns.get(&fk.ref_table) {
                    fk.ref_columns.iter_mut().for_each(|c| rename(c, map));
                }
            }
        }
        schema
    }
}

/// Replaces `name` by its new name when `map` renames it.
fn rename(name: &mut String, map: &HashMap<String, String>) {
    if let Some(new) = map.get(name.as_str()) {
        *name = new.clone();
    }
}

/// Column renames of one table pair, as `(old, new)` in desired column order.
fn column_renames(actual: &Table, desired: &Table) -> Vec<(String, String)> {
    let actual_names: HashSet<&str> = actual.columns.iter().map(|c| c.name.as_str()).collect();
    let desired_names: HashSet<&str> = desired.columns.iter().map(|c| c.name.as_str()).collect();
    let mut claimed: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for column in &desired.columns {
        if let Some(old) = column.renamed_from.as_deref()
            && !actual_names.contains(column.name.as_str())
            && actual_names.contains(old)
            && !desired_names.contains(old)
            && claimed.insert(old)
        {
            out.push((old.to_owned(), column.name.clone()));
        }
    }
    out
}

/// Renames decided outside the entities (a `--rename` flag, an answer to a prompt),
/// applied exactly as `renamed_from` declarations would be: see
/// [`RenameHints::apply`] and [`super::diff_with_hints`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenameHints {
    /// `(old, new)` table names.
    pub tables: Vec<(String, String)>,
    /// `(table, old, new)` column names; `table` is the table's desired (new) name,
    /// or its old name when a table hint or `renamed_from` renames it.
    pub columns: Vec<(String, String, String)>,
}

impl RenameHints {
    /// Whether there are no hints.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    /// `desired` with the hints written as `renamed_from` declarations: table
    /// `new` gets `renamed_from = old`, and column `new` of the table gets
    /// `renamed_from = old`. A hint replaces a declaration of the same object; a
    /// hint naming an object `desired` does not have is left out.
    pub fn apply(&self, desired: &Schema) -> Schema {
        let mut desired = desired.clone();
        for (old, new) in &self.tables {
            if let Some(table) = desired.tables.iter_mut().find(|t| &t.name == new) {
                table.renamed_from = Some(old.clone());
            }
        }
        for (table_name, old, new) in &self.columns {
            let found = desired
                .tables
                .iter()
                .position(|t| &t.name == table_name)
                .or_else(|| {
                    desired
                        .tables
                        .iter()
                        .position(|t| t.renamed_from.as_ref() == Some(table_name))
                });
            let Some(table) = found.map(|i| &mut desired.tables[i]) else {
                continue;
            };
            if let Some(column) = table.columns.iter_mut().find(|c| &c.name == new) {
                column.renamed_from = Some(old.clone());
            }
        }
        desired
    }
}

/// The drop + add pairs of `changes` that look like renames, as hints a user may
/// confirm: the pairing of the lint's `RN001` (see [`crate::lint`]). A dropped column
/// pairs with the first added column of the same table whose type it fits (the same
/// type in `dialect`'s canonical form, or a widening one); a dropped table pairs
/// with the first created table with the same column names. Each object pairs at
/// most once. Changes inside a `RebuildTable` count as top-level ones.
pub fn rename_candidates(changes: &[Change], dialect: Option<Dialect>) -> RenameHints {
    let mut flat = Vec::new();
    flatten(changes, &mut flat);
    let mut drops: Vec<(&str, &Column)> = Vec::new();
    let mut adds: Vec<(&str, &Column)> = Vec::new();
    let mut dropped: Vec<&Table> = Vec::new();
    let mut created: Vec<&Table> = Vec::new();
    for change in flat {
        match change {
            Change::DropColumn { table, column } => drops.push((table, column)),
            Change::AddColumn { table, column } => adds.push((table, column)),
            Change::DropTable { table } => dropped.push(table),
            Change::CreateTable { table } => created.push(table),
            _ => {}
        }
    }
    let mut hints = RenameHints::default();
    let mut used = vec![false; created.len()];
    for old in dropped {
        let fit = (0..created.len()).find(|&i| !used[i] && same_column_names(old, created[i]));
        if let Some(i) = fit {
            used[i] = true;
            hints
                .tables
                .push((old.name.clone(), created[i].name.clone()));
        }
    }
    let mut used = vec![false; adds.len()];
    for (table, old) in drops {
        let fit = (0..adds.len()).find(|&i| {
            !used[i] && adds[i].0 == table && compatible(&old.ty, &adds[i].1.ty, dialect)
        });
        if let Some(i) = fit {
            used[i] = true;
            hints
                .columns
                .push((table.to_owned(), old.name.clone(), adds[i].1.name.clone()));
        }
    }
    hints
}

/// `changes` with every `RebuildTable` replaced by the changes it groups.
fn flatten<'a>(changes: &'a [Change], out: &mut Vec<&'a Change>) {
    for change in changes {
        match change {
            Change::RebuildTable { changes, .. } => flatten(changes, out),
            other => out.push(other),
        }
    }
}

/// Whether the values of a column of type `from` fit a column of type `to`.
fn compatible(from: &ColumnType, to: &ColumnType, dialect: Option<Dialect>) -> bool {
    let canonical = |ty: &ColumnType| match dialect {
        Some(Dialect::Sqlite) => crate::dialect::sqlite::canonical_type(ty),
        Some(Dialect::Postgres) => crate::dialect::postgres::canonical_type(ty),
        Some(Dialect::MySql) | None => ty.clone(),
    };
    let (a, b) = (canonical(from), canonical(to));
    let same_enum = matches!(
        (&a, &b),
        (
            ColumnType::Enum { name: x, variants: xs },
            ColumnType::Enum { name: y, variants: ys },
        ) if x == y || xs == ys
    );
    same_enum || crate::lint::is_widening(&a, &b)
}

/// Whether two tables have the same (non-empty) set of column names.
fn same_column_names(a: &Table, b: &Table) -> bool {
    !a.columns.is_empty() && sorted_names(a) == sorted_names(b)
}

fn sorted_names(table: &Table) -> Vec<&str> {
    let mut names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names
}
