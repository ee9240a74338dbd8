//! Column diff: added, dropped and altered columns of one table.

use std::collections::{HashMap, HashSet};

use super::Context;
use super::tables::TablePair;
use crate::Change;
use crate::ir::{Column, ColumnType};

/// Appends `AddColumn`, `AlterColumn` (desired column order) and `DropColumn`
/// (actual column order) changes for `pair` to `out`.
pub(super) fn diff_columns(pair: &TablePair, ctx: &Context, out: &mut Vec<Change>) {
    let table = &pair.desired.name;
    let actual: HashMap<&str, usize> = pair
        .actual_norm
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut kept: HashSet<&str> = HashSet::new();
    for (i, desired_norm) in pair.desired_norm.columns.iter().enumerate() {
        let desired = original(&pair.desired.columns, i, desired_norm);
        let Some(&j) = actual.get(desired_norm.name.as_str()) else {
            out.push(Change::AddColumn {
                table: table.clone(),
                column: desired.clone(),
            });
            continue;
        };
        kept.insert(desired_norm.name.as_str());
        let actual_norm = &pair.actual_norm.columns[j];
        if columns_differ(actual_norm, desired_norm, ctx) {
            let mut from = original(&pair.actual.columns, j, actual_norm).clone();
            let mut to = desired.clone();
            if !ctx.options.compare_type {
                to.ty = from.ty.clone();
            } else if types_equal(&actual_norm.ty, &desired_norm.ty, ctx) {
                // Altered for another attribute: the types are the same on this
                // dialect (MySQL's `timestamp` for a `DateTimeUtc`, `tinyint(1)` for
                // an `i8`, an unnamed `enum(..)` for a named one), so the change is
                // not a type change anywhere, and it keeps the entity's type.
                from.ty = to.ty.clone();
            }
            if !ctx.options.compare_server_default {
                to.default = from.default.clone();
            }
            out.push(Change::AlterColumn {
                table: table.clone(),
                from,
                to,
            });
        }
    }
    for (j, actual_norm) in pair.actual_norm.columns.iter().enumerate() {
        if !kept.contains(actual_norm.name.as_str()) {
            out.push(Change::DropColumn {
                table: table.clone(),
                column: original(&pair.actual.columns, j, actual_norm).clone(),
            });
        }
    }
}

/// The original column at position `i`, whose normalized copy is `norm`
/// (normalization keeps columns in place and names unchanged).
fn original<'a>(columns: &'a [Column], i: usize, norm: &'a Column) -> &'a Column {
    match columns.get(i) {
        Some(column) if column.name == norm.name => column,
        _ => columns.iter().find(|c| c.name == norm.name).unwrap_or(norm),
    }
}

/// Whether two normalized columns differ in anything the options compare.
/// `renamed_from` is never compared.
fn columns_differ(actual: &Column, desired: &Column, ctx: &Context) -> bool {
    (ctx.options.compare_type && !types_equal(&actual.ty, &desired.ty, ctx))
        || (ctx.options.compare_server_default && actual.default != desired.default)
        || actual.nullable != desired.nullable
        || actual.auto_increment != desired.auto_increment
        || actual.generated != desired.generated
        || actual.comment != desired.comment
}

/// Type equality, where two references to the same named enum type are equal
/// whatever variants they list: the values of a named type are diffed once,
/// as `AlterEnum`.
fn types_equal(a: &ColumnType, b: &ColumnType, ctx: &Context) -> bool {
    match (a, b) {
        (ColumnType::Enum { name: x, .. }, ColumnType::Enum { name: y, .. })
            if ctx.named_enums.contains(x.as_str()) =>
        {
            x == y
        }
        (ColumnType::Array(x), ColumnType::Array(y)) => types_equal(x, y, ctx),
        _ => a == b,
    }
}
