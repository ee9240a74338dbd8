//! Named enum types: created, dropped and altered.

use std::collections::HashMap;

use crate::Change;
use crate::ir::{EnumType, Schema};

/// `CreateEnum`, `AlterEnum` and `DropEnum` changes, matched by name and
/// compared on the normalized copies (`*_norm`); the originals are emitted.
pub(super) fn diff_enums(
    actual: &Schema,
    actual_norm: &Schema,
    desired: &Schema,
    desired_norm: &Schema,
) -> Vec<Change> {
    let by_name = |schema: &Schema| -> HashMap<String, EnumType> {
        schema
            .enums
            .iter()
            .map(|e| (e.name.clone(), e.clone()))
            .collect()
    };
    let actual_orig = by_name(actual);
    let desired_orig = by_name(desired);
    let actual_norm = by_name(actual_norm);
    let desired_norm = by_name(desired_norm);
    let original = |map: &HashMap<String, EnumType>, norm: &EnumType| {
        map.get(&norm.name).cloned().unwrap_or_else(|| norm.clone())
    };

    let mut changes = Vec::new();
    let mut names: Vec<&String> = desired_norm.keys().collect();
    names.sort();
    for name in names {
        let Some(to) = desired_norm.get(name) else {
            continue;
        };
        match actual_norm.get(name) {
            None => changes.push(Change::CreateEnum {
                enum_type: original(&desired_orig, to),
            }),
            Some(from) if from.values != to.values => changes.push(Change::AlterEnum {
                from: original(&actual_orig, from),
                to: original(&desired_orig, to),
            }),
            Some(_) => {}
        }
    }
    let mut gone: Vec<&EnumType> = actual_norm
        .values()
        .filter(|e| !desired_norm.contains_key(&e.name))
        .collect();
    gone.sort_by(|a, b| a.name.cmp(&b.name));
    for enum_type in gone {
        changes.push(Change::DropEnum {
            enum_type: original(&actual_orig, enum_type),
        });
    }
    changes
}

/// On dialects without named enum types (SQLite, MySQL) the differ sees no
/// `CreateEnum`, yet the migration it writes must also run on PostgreSQL, where
/// an enum column needs its type first. So: a `CreateEnum` for every enum type
/// that the changes start using (new tables, added or altered columns) and that
/// no column kept as it is already uses.
pub(super) fn implied_creates(changes: &[Change], desired: &Schema) -> Vec<Change> {
    let enum_name = |ty: &crate::ir::ColumnType| match ty {
        crate::ir::ColumnType::Enum { name, .. } => Some(name.clone()),
        _ => None,
    };
    let mut introduced: Vec<String> = Vec::new();
    let mut touched: std::collections::HashSet<(String, String)> = Default::default();
    for change in changes {
        match change {
            Change::CreateTable { table } => {
                for c in &table.columns {
                    touched.insert((table.name.clone(), c.name.clone()));
                    introduced.extend(enum_name(&c.ty));
                }
            }
            Change::AlterColumn { from, to, .. }
                if enum_name(&from.ty).is_some() && enum_name(&from.ty) == enum_name(&to.ty) =>
            {
                // Keeps its enum type: it introduces nothing, and the type is in use.
            }
            Change::AddColumn { table, column }
            | Change::AlterColumn {
                table, to: column, ..
            } => {
                touched.insert((table.clone(), column.name.clone()));
                introduced.extend(enum_name(&column.ty));
            }
            _ => {}
        }
    }
    let in_use: std::collections::HashSet<String> = desired
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .filter(|(t, c)| !touched.contains(&(t.name.clone(), c.name.clone())))
        .filter_map(|(_, c)| enum_name(&c.ty))
        .collect();
    introduced.sort();
    introduced.dedup();
    introduced
        .into_iter()
        .filter(|name| !in_use.contains(name))
        .filter_map(|name| desired.enum_type(&name).cloned())
        .map(|enum_type| Change::CreateEnum { enum_type })
        .collect()
}
