//! Table-level diff: created, dropped and changed tables.

use std::collections::{HashMap, HashSet};

use super::{Context, columns, keys};
use crate::Change;
use crate::ir::{Schema, Table};

/// One side of the diff: the original schema, whose objects are emitted, and
/// its normalized copy, which is compared.
pub(super) struct Side<'a> {
    orig: HashMap<&'a str, &'a Table>,
    norm: &'a Schema,
}

impl<'a> Side<'a> {
    /// Pairs `orig` with its normalized copy `norm`.
    pub(super) fn new(orig: &'a Schema, norm: &'a Schema) -> Self {
        Side {
            orig: orig.tables.iter().map(|t| (t.name.as_str(), t)).collect(),
            norm,
        }
    }

    /// The original table of normalized table `norm` (normalization keeps names).
    fn orig<'b>(&self, norm: &'b Table) -> &'b Table
    where
        'a: 'b,
    {
        self.orig.get(norm.name.as_str()).copied().unwrap_or(norm)
    }
}

/// The same table on both sides, each as original and normalized copy.
pub(super) struct TablePair<'a> {
    /// Actual table (renames applied), as emitted.
    pub actual: &'a Table,
    /// Actual table, normalized.
    pub actual_norm: &'a Table,
    /// Desired table, as emitted.
    pub desired: &'a Table,
    /// Desired table, normalized.
    pub desired_norm: &'a Table,
}

/// Changes to tables: `CreateTable`, `DropTable` and the changes inside tables
/// present on both sides, table by table in name order.
pub(super) fn diff_tables(actual: &Side, desired: &Side, ctx: &Context) -> Vec<Change> {
    let actual_norm: HashMap<&str, &Table> = actual
        .norm
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut wanted: Vec<&Table> = desired.norm.tables.iter().collect();
    wanted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seen: HashSet<&str> = HashSet::new();
    let mut changes = Vec::new();
    for desired_norm in wanted {
        if !seen.insert(desired_norm.name.as_str()) {
            continue;
        }
        let desired_orig = desired.orig(desired_norm);
        match actual_norm.get(desired_norm.name.as_str()) {
            Some(actual_norm) => {
                let pair = TablePair {
                    actual: actual.orig(actual_norm),
                    actual_norm,
                    desired: desired_orig,
                    desired_norm,
                };
                diff_table(&pair, ctx, &mut changes);
            }
            None => changes.push(Change::CreateTable {
                table: desired_orig.clone(),
            }),
        }
    }
    let mut gone: Vec<&Table> = actual
        .norm
        .tables
        .iter()
        .filter(|t| !seen.contains(t.name.as_str()))
        .collect();
    gone.sort_by(|a, b| a.name.cmp(&b.name));
    for actual_norm in gone {
        changes.push(Change::DropTable {
            table: actual.orig(actual_norm).clone(),
        });
    }
    changes
}

/// The changes inside one table present on both sides. Table comments and
/// CHECK constraints are not compared (there is no `Change` for them).
fn diff_table(pair: &TablePair, ctx: &Context, out: &mut Vec<Change>) {
    columns::diff_columns(pair, ctx, out);
    keys::diff_primary_key(pair, out);
    keys::diff_indexes(pair, out);
    keys::diff_foreign_keys(pair, out);
}
