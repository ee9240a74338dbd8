//! SQLite rebuild grouping: the last pass of [`super::diff`], for every dialect.
//!
//! A table with at least one change SQLite cannot run natively (see
//! [`sqlite_rules::needs_rebuild`]) gets all its changes except `RenameTable`,
//! `RenameColumn`, `CreateTable` and `DropTable` replaced by one
//! `RebuildTable { from, to, changes }`: `changes` (in order) is what
//! PostgreSQL and MySQL run, `from` → `to` is what SQLite rebuilds. Renames
//! stay native and run before, so `from` carries the post-rename names.
//!
//! Kinds of rebuilt table:
//!
//! - **existing** (in actual and desired): `from` is the actual table with
//!   renames applied, `to` the desired table (with the actual type/default kept
//!   where `compare_type`/`compare_server_default` are off).
//! - **created** in this migration, when it gets an `AddForeignKey` (a foreign
//!   key cut out of its `CreateTable` to break a cycle): `from` is the table as
//!   created, `to` the desired table.
//! - **dropped** in this migration, when it gets a `DropForeignKey` (cut out of
//!   its `DropTable` to break a cycle): `from` is the actual table, `to` the
//!   same without those keys.
//!
//! Placement rules:
//!
//! 1. Rebuilds of existing and created tables run in one slot after every
//!    `CreateTable` and before every `AddForeignKey`/`DropColumn`/`DropEnum`:
//!    every table a rebuilt table may reference then exists, and every other
//!    table's native key changes (`AddColumn`, `AlterPrimaryKey`, `CreateIndex`)
//!    and `DropForeignKey` on the rebuilt table have run.
//! 2. Inside the slot, a rebuild that adds a foreign key to another rebuilt
//!    table runs after it, and one that drops a foreign key to another rebuilt
//!    table runs before it (a depth-first walk in name order; cycles broken by
//!    name).
//! 3. If a rebuild drops a foreign key to a surviving table that natively drops
//!    an index, alters a column or alters its primary key (which would run
//!    earlier, while the key still exists), that table is rebuilt too, so rule
//!    2 puts it after.
//! 4. If a rebuild drops a foreign key to a dropped table, that `DropTable`
//!    (and those of the dropped tables it references) runs after the slot.
//! 5. A `CreateTable` whose foreign key references a rebuilt table on columns
//!    not yet covered by a key of its `from` table loses that foreign key to
//!    an `AddForeignKey`, grouped into a rebuild after the referenced one.
//! 6. Rebuilds of dropped tables run where their first `DropForeignKey` was.

use std::collections::{HashMap, HashSet};

use super::DiffOptions;
use super::sqlite_rules::{Catalog, Schemas, key_ready, needs_rebuild};
use crate::Change;
use crate::ir::Table;
use crate::order::{Phase, post_order};

/// Groups the changes of `changes` (already ordered) that SQLite cannot run
/// natively into `RebuildTable` changes, placed as the module docs describe.
pub(crate) fn group(changes: Vec<Change>, schemas: &Schemas, options: &DiffOptions) -> Vec<Change> {
    let catalog = Catalog::new(&changes, schemas, options);
    let mut rebuilt: HashSet<String> = changes
        .iter()
        .filter(|change| needs_rebuild(change, &catalog))
        .filter_map(Change::table)
        .map(str::to_owned)
        .collect();
    if rebuilt.is_empty() {
        return changes;
    }
    pull_in_key_owners(&changes, &catalog, &mut rebuilt);
    let mut changes = changes;
    let deferred = defer_unready_foreign_keys(&mut changes, &catalog, &mut rebuilt);
    changes.extend(deferred);
    let late = late_drops(&changes, &catalog, &rebuilt);
    emit(changes, &catalog, &rebuilt, &late)
}

/// Whether `change` is one a rebuild absorbs (renames, creates and drops of
/// whole tables stay native).
fn groupable(change: &Change) -> bool {
    matches!(
        change,
        Change::AddColumn { .. }
            | Change::DropColumn { .. }
            | Change::AlterColumn { .. }
            | Change::CreateIndex { .. }
            | Change::DropIndex { .. }
            | Change::AddForeignKey { .. }
            | Change::DropForeignKey { .. }
            | Change::AlterPrimaryKey { .. }
    )
}

/// Rule 3: tables whose keys a rebuilt table still references until its
/// rebuild, and which natively change those keys earlier, are rebuilt too.
fn pull_in_key_owners(changes: &[Change], catalog: &Catalog, rebuilt: &mut HashSet<String>) {
    let mut key_changers: HashSet<&str> = HashSet::new();
    let mut targets: HashMap<&str, Vec<&str>> = HashMap::new();
    for change in changes {
        match change {
            Change::DropIndex { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::AlterPrimaryKey { table, .. } => {
                key_changers.insert(table);
            }
            Change::DropForeignKey { table, foreign_key } => {
                targets
                    .entry(table)
                    .or_default()
                    .push(&foreign_key.ref_table);
            }
            _ => {}
        }
    }
    let mut work: Vec<String> = rebuilt
        .iter()
        .filter(|t| catalog.surviving(t))
        .cloned()
        .collect();
    while let Some(table) = work.pop() {
        for &target in targets.get(table.as_str()).into_iter().flatten() {
            if target != table
                && catalog.surviving(target)
                && key_changers.contains(target)
                && rebuilt.insert(target.to_owned())
            {
                work.push(target.to_owned());
            }
        }
    }
}

/// Rule 5: cuts foreign keys on not-yet-ready keys of rebuilt tables out of
/// `CreateTable` changes; returns them as `AddForeignKey` changes.
fn defer_unready_foreign_keys(
    changes: &mut [Change],
    catalog: &Catalog,
    rebuilt: &mut HashSet<String>,
) -> Vec<Change> {
    let mut deferred = Vec::new();
    for change in changes.iter_mut() {
        let Change::CreateTable { table } = change else {
            continue;
        };
        let unready = |fk: &crate::ir::ForeignKey| {
            fk.ref_table != table.name
                && rebuilt.contains(&fk.ref_table)
                && catalog.surviving(&fk.ref_table)
                && catalog
                    .actual
                    .get(fk.ref_table.as_str())
                    .is_some_and(|from| !key_ready(from, &fk.ref_columns))
        };
        let (cut, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .partition(|fk| unready(fk));
        table.foreign_keys = kept;
        deferred.extend(cut.into_iter().map(|foreign_key| Change::AddForeignKey {
            table: table.name.clone(),
            foreign_key,
        }));
    }
    for change in &deferred {
        if let Some(table) = change.table() {
            rebuilt.insert(table.to_owned());
        }
    }
    deferred
}

/// Rule 4: dropped tables that must be dropped after the rebuild slot.
fn late_drops(changes: &[Change], catalog: &Catalog, rebuilt: &HashSet<String>) -> HashSet<String> {
    let mut refs: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut work: Vec<&str> = Vec::new();
    for change in changes {
        match change {
            Change::DropTable { table } => {
                let list = refs.entry(&table.name).or_default();
                for fk in &table.foreign_keys {
                    if catalog.dropped.contains(&fk.ref_table) {
                        list.push(&fk.ref_table);
                    }
                }
            }
            Change::DropForeignKey { table, foreign_key }
                if rebuilt.contains(table)
                    && catalog.surviving(table)
                    && catalog.dropped.contains(&foreign_key.ref_table) =>
            {
                work.push(&foreign_key.ref_table);
            }
            _ => {}
        }
    }
    let mut late: HashSet<String> = HashSet::new();
    while let Some(table) = work.pop() {
        if late.insert(table.to_owned()) {
            work.extend(refs.get(table).into_iter().flatten());
        }
    }
    late
}

/// Builds the final list: native changes in place, rebuilds of dropped tables
/// at their first change, the slot of other rebuilds (then late drops) before
/// the first change of a phase after `CreateTable`.
fn emit(
    changes: Vec<Change>,
    catalog: &Catalog,
    rebuilt: &HashSet<String>,
    late: &HashSet<String>,
) -> Vec<Change> {
    let mut groups: HashMap<String, Vec<Change>> = HashMap::new();
    let mut created: HashMap<String, Table> = HashMap::new();
    let mut first_dropped: Vec<(String, usize)> = Vec::new();
    let mut items: Vec<(usize, Change)> = Vec::new();
    for (i, change) in changes.into_iter().enumerate() {
        if let Change::CreateTable { table } = &change {
            created.insert(table.name.clone(), table.clone());
        }
        match change.table() {
            Some(table) if groupable(&change) && rebuilt.contains(table) => {
                let group = groups.entry(table.to_owned()).or_default();
                if group.is_empty() && catalog.dropped.contains(table) {
                    first_dropped.push((table.to_owned(), i));
                }
                group.push(change);
            }
            _ => items.push((i, change)),
        }
    }
    for (table, at) in first_dropped {
        if let Some(group) = groups.remove(&table) {
            items.extend(
                build_dropped(catalog, &table, group)
                    .into_iter()
                    .map(|c| (at, c)),
            );
        }
    }
    items.sort_by_key(|(i, _)| *i);

    let mut slot = Some(slot_rebuilds(groups, catalog, &created));
    let mut late_drops = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (_, change) in items {
        if let Change::DropTable { table } = &change
            && late.contains(&table.name)
        {
            late_drops.push(change);
            continue;
        }
        let after_creates = !matches!(change, Change::RebuildTable { .. })
            && Phase::of(&change) > Phase::CreateTable;
        if after_creates && let Some(rebuilds) = slot.take() {
            out.extend(rebuilds);
            out.append(&mut late_drops);
        }
        out.push(change);
    }
    out.extend(slot.into_iter().flatten());
    out.append(&mut late_drops);
    out
}

/// Rule 1 and 2: the rebuilds of existing and created tables, in slot order.
fn slot_rebuilds(
    mut groups: HashMap<String, Vec<Change>>,
    catalog: &Catalog,
    created: &HashMap<String, Table>,
) -> Vec<Change> {
    let mut names: Vec<String> = groups.keys().cloned().collect();
    names.sort();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    // preds[x]: the rebuilds that must run before x.
    let mut preds: Vec<Vec<(usize, usize)>> = vec![Vec::new(); names.len()];
    for (x, name) in names.iter().enumerate() {
        for change in groups.get(name).into_iter().flatten() {
            match change {
                Change::AddForeignKey { foreign_key, .. } => {
                    if let Some(&y) = index.get(foreign_key.ref_table.as_str()) {
                        preds[x].push((y, 0));
                    }
                }
                Change::DropForeignKey { foreign_key, .. } => {
                    if let Some(&y) = index.get(foreign_key.ref_table.as_str()) {
                        preds[y].push((x, 0));
                    }
                }
                _ => {}
            }
        }
    }
    for list in &mut preds {
        list.sort_unstable();
        list.dedup();
    }
    let (post, _) = post_order(names.len(), |node| preds[node].clone());
    let mut out = Vec::new();
    for node in post {
        let Some(name) = names.get(node) else {
            continue;
        };
        let Some(group) = groups.remove(name) else {
            continue;
        };
        let from = created
            .get(name)
            .or_else(|| catalog.actual.get(name.as_str()).copied());
        out.extend(build(catalog, name, from, group));
    }
    out
}

/// The `RebuildTable` of a created or existing table, or the changes left
/// native if a table cannot be found (which the differ never produces).
fn build(catalog: &Catalog, name: &str, from: Option<&Table>, changes: Vec<Change>) -> Vec<Change> {
    let (Some(from), Some(desired)) = (from, catalog.desired.get(name)) else {
        return changes;
    };
    let mut to = (*desired).clone();
    let options = catalog.options;
    if !catalog.created.contains(name) {
        for column in &mut to.columns {
            if let Some(old) = from.column(&column.name) {
                if !options.compare_type {
                    column.ty = old.ty.clone();
                }
                if !options.compare_server_default {
                    column.default = old.default.clone();
                }
            }
        }
    }
    vec![Change::RebuildTable {
        from: from.clone(),
        to,
        changes,
    }]
}

/// Rule 6: the `RebuildTable` of a dropped table whose foreign keys are dropped
/// before it is.
fn build_dropped(catalog: &Catalog, name: &str, changes: Vec<Change>) -> Vec<Change> {
    let Some(from) = catalog.actual.get(name) else {
        return changes;
    };
    let mut to = (*from).clone();
    for change in &changes {
        if let Change::DropForeignKey { foreign_key, .. } = change
            && let Some(at) = to.foreign_keys.iter().position(|fk| fk == foreign_key)
        {
            to.foreign_keys.remove(at);
        }
    }
    vec![Change::RebuildTable {
        from: (*from).clone(),
        to,
        changes,
    }]
}
