//! Key diff of one table: primary key, indexes and foreign keys.

use std::collections::{HashMap, VecDeque};

use super::tables::TablePair;
use crate::Change;
use crate::ir::{ForeignKey, Index};

/// Appends an `AlterPrimaryKey` when the (normalized) key columns differ.
pub(super) fn diff_primary_key(pair: &TablePair, out: &mut Vec<Change>) {
    if pair.actual_norm.primary_key != pair.desired_norm.primary_key {
        out.push(Change::AlterPrimaryKey {
            table: pair.desired.name.clone(),
            from: pair.actual.primary_key.clone(),
            to: pair.desired.primary_key.clone(),
        });
    }
}

/// Appends `CreateIndex` and `DropIndex` changes. Indexes (and unique
/// constraints) match by `(columns, unique)`; names and the `constraint` flag
/// are not compared.
pub(super) fn diff_indexes(pair: &TablePair, out: &mut Vec<Change>) {
    let table = &pair.desired.name;
    let matched = match_by_key(
        &pair.actual_norm.indexes,
        &pair.desired_norm.indexes,
        |index: &Index| (index.columns.clone(), index.unique),
    );
    for (i, norm) in pair.desired_norm.indexes.iter().enumerate() {
        if matched.desired[i].is_none() {
            out.push(Change::CreateIndex {
                table: table.clone(),
                index: pick(&pair.desired.indexes, i, norm).clone(),
            });
        }
    }
    for (j, norm) in pair.actual_norm.indexes.iter().enumerate() {
        if !matched.actual[j] {
            out.push(Change::DropIndex {
                table: table.clone(),
                index: pick(&pair.actual.indexes, j, norm).clone(),
            });
        }
    }
}

/// Appends `AddForeignKey` and `DropForeignKey` changes. Foreign keys match by
/// `(columns, ref_table, ref_columns)`; a matched key whose actions differ is
/// dropped and added again. Names are not compared.
pub(super) fn diff_foreign_keys(pair: &TablePair, out: &mut Vec<Change>) {
    let table = &pair.desired.name;
    let matched = match_by_key(
        &pair.actual_norm.foreign_keys,
        &pair.desired_norm.foreign_keys,
        |fk: &ForeignKey| {
            (
                fk.columns.clone(),
                fk.ref_table.clone(),
                fk.ref_columns.clone(),
            )
        },
    );
    let mut drops = Vec::new();
    let mut adds = Vec::new();
    for (i, norm) in pair.desired_norm.foreign_keys.iter().enumerate() {
        let desired = pick(&pair.desired.foreign_keys, i, norm);
        match matched.desired[i] {
            None => adds.push(desired.clone()),
            Some(j) => {
                let actual_norm = &pair.actual_norm.foreign_keys[j];
                if actual_norm.on_delete != norm.on_delete
                    || actual_norm.on_update != norm.on_update
                {
                    drops.push(pick(&pair.actual.foreign_keys, j, actual_norm).clone());
                    adds.push(desired.clone());
                }
            }
        }
    }
    for (j, norm) in pair.actual_norm.foreign_keys.iter().enumerate() {
        if !matched.actual[j] {
            drops.push(pick(&pair.actual.foreign_keys, j, norm).clone());
        }
    }
    out.extend(drops.into_iter().map(|foreign_key| Change::DropForeignKey {
        table: table.clone(),
        foreign_key,
    }));
    out.extend(adds.into_iter().map(|foreign_key| Change::AddForeignKey {
        table: table.clone(),
        foreign_key,
    }));
}

/// The result of matching two lists by key.
struct Matched {
    /// For each desired item, the position of its actual match.
    desired: Vec<Option<usize>>,
    /// For each actual item, whether it was matched.
    actual: Vec<bool>,
}

/// Matches items with equal keys, first come first served (a multiset match).
fn match_by_key<T, K, F>(actual: &[T], desired: &[T], key: F) -> Matched
where
    K: std::hash::Hash + Eq,
    F: Fn(&T) -> K,
{
    let mut pool: HashMap<K, VecDeque<usize>> = HashMap::new();
    for (j, item) in actual.iter().enumerate() {
        pool.entry(key(item)).or_default().push_back(j);
    }
    let mut matched = Matched {
        desired: Vec::with_capacity(desired.len()),
        actual: vec![false; actual.len()],
    };
    for item in desired {
        let found = pool.get_mut(&key(item)).and_then(VecDeque::pop_front);
        if let Some(j) = found {
            matched.actual[j] = true;
        }
        matched.desired.push(found);
    }
    matched
}

/// The original object at position `i` (normalization keeps positions), or
/// the normalized one if the original list is shorter.
fn pick<'a, T>(originals: &'a [T], i: usize, norm: &'a T) -> &'a T {
    originals.get(i).unwrap_or(norm)
}
