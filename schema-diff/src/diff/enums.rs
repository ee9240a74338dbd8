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
