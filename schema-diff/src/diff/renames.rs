//! Rename detection from the desired side's `renamed_from` hints.
//!
//! Renames are decided first and then applied to the actual schema, so that
//! the rest of the differ matches everything by name and every emitted object
//! (and its reverse) uses the post-rename names.

use std::collections::{HashMap, HashSet};

use crate::Change;
use crate::ir::{Schema, Table};

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
