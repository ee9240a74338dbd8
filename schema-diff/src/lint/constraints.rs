//! `CS001` and `CS002`: a migration that removes a guarantee the data relied on.
//! Nothing is lost when it runs, but afterwards inserts that omit a column no longer
//! get its default, and duplicates may enter where a unique index kept them out
//! (after which the `down`, recreating the index, fails).

use super::rules::Finding;
use super::{Hazard, Severity};
use crate::Change;
use crate::ir::{Column, DefaultValue, Index};

/// The findings of `changes`; `existing` says whether a table exists before the
/// migration and is not created by it (rules about new tables stay silent).
pub(super) fn findings(changes: &[Change], existing: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut flat = Vec::new();
    flatten(changes, &mut flat);
    let mut out = Vec::new();
    for change in &flat {
        match change {
            Change::AlterColumn { table, from, to } if existing(table) => {
                if let Some(finding) = dropped_default(table, from, to) {
                    out.push(finding);
                }
            }
            Change::DropIndex { table, index }
                if index.unique && existing(table) && !covered(table, index, &flat) =>
            {
                out.push(dropped_unique(table, index));
            }
            _ => {}
        }
    }
    out
}

fn flatten<'a>(changes: &'a [Change], out: &mut Vec<&'a Change>) {
    for change in changes {
        match change {
            Change::RebuildTable { changes, .. } => flatten(changes, out),
            other => out.push(other),
        }
    }
}

fn has_default(column: &Column) -> bool {
    !matches!(column.default, None | Some(DefaultValue::Null))
}

/// `CS001`: the column had a default and has none now.
fn dropped_default(table: &str, from: &Column, to: &Column) -> Option<Finding> {
    if !has_default(from) || has_default(to) || to.auto_increment || to.generated.is_some() {
        return None;
    }
    let then = if to.nullable {
        "get NULL"
    } else {
        "fail (NOT NULL, no default)"
    };
    let message = format!(
        "dropping the default of {table}.{}: inserts that omit the column will {then}",
        to.name
    );
    Some(finding("CS001", table, message))
}

/// Whether the index's guarantee is kept or moot: its table is dropped, one of its
/// columns is dropped, or the list creates a unique index (or constraint) on the
/// same table over the same columns or a subset of them.
fn covered(table: &str, index: &Index, changes: &[&Change]) -> bool {
    changes.iter().any(|change| match change {
        Change::DropTable { table: t } => t.name == table,
        Change::DropColumn { table: t, column } => {
            t == table && index.columns.contains(&column.name)
        }
        Change::CreateIndex {
            table: t,
            index: new,
        } => {
            t == table
                && new.unique
                && !new.columns.is_empty()
                && new.columns.iter().all(|c| index.columns.contains(c))
        }
        _ => false,
    })
}

/// `CS002`: a unique index or constraint removed.
fn dropped_unique(table: &str, index: &Index) -> Finding {
    let kind = if index.constraint {
        "unique constraint"
    } else {
        "unique index"
    };
    let message = format!(
        "dropping {kind} {} on {table} ({}): duplicate values can be inserted afterwards, and \
         recreating it (the down) fails once they are",
        index.name,
        index.columns.join(", ")
    );
    finding("CS002", table, message)
}

fn finding(code: &'static str, table: &str, message: String) -> Finding {
    Finding {
        hazard: Hazard {
            code,
            severity: Severity::Warning,
            table: Some(table.to_owned()),
            message,
        },
        check: None,
    }
}
