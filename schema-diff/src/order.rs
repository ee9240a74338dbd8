//! The ordering pass: puts changes in an order in which they can run.
//!
//! Changes run phase by phase (see [`Phase`]). Inside a phase they are sorted
//! by table (or enum) name with a stable sort, so that the changes of one table
//! keep the order the differ emitted them in and the output is deterministic.
//! Two phases are dependency-ordered instead:
//!
//! - [`Phase::CreateTable`]: referenced tables first (a depth-first walk over
//!   the new tables in name order). A foreign key that closes a cycle is taken
//!   out of its `CreateTable` and emitted as an `AddForeignKey`, which runs
//!   after every table exists. Self-references stay in the `CreateTable`.
//! - [`Phase::DropTable`]: a table is dropped before the tables it references.
//!   A foreign key between dropped tables that closes a cycle is taken out of
//!   the `DropTable` and emitted as a `DropForeignKey`, which runs first.
//!
//! Every pass uses maps keyed by name and is linear in the number of tables and
//! foreign keys (plus the sorts), so it scales to schemas with thousands of tables.

use std::collections::HashMap;

use crate::Change;
use crate::ir::Table;

/// The phases of an ordered migration, in the order they run.
///
/// The ordering differs from a naive "drops last" scheme in three places, all
/// for the sake of `down` (the reversed list) as much as `up`:
///
/// - `RenameColumn` runs right after `RenameTable`, before any drop, so that
///   every later change (and its reverse) names columns by their new names.
/// - `DropTable` runs right after `DropForeignKey`: a dropped table may hold a
///   foreign key to a surviving table whose key is about to change (a dropped
///   index, an altered primary key), which PostgreSQL and MySQL refuse while
///   the foreign key exists. The SQLite-rebuild pass moves a `DropTable` after
///   the rebuilds when a rebuilt table still references it until its rebuild.
/// - `CreateIndex` (only ever on existing tables) runs before `CreateTable`, so
///   that a new table's foreign key can rely on a new unique index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// `CreateEnum` and `AlterEnum`: types exist before columns use them.
    Enums,
    /// `RenameTable`.
    RenameTable,
    /// `RenameColumn`.
    RenameColumn,
    /// `DropForeignKey`, before the drops and alters the key blocks.
    DropForeignKey,
    /// `DropTable`, in reverse dependency order.
    DropTable,
    /// `DropIndex`.
    DropIndex,
    /// `AddColumn`.
    AddColumn,
    /// `AlterColumn`.
    AlterColumn,
    /// `AlterPrimaryKey`.
    AlterPrimaryKey,
    /// `CreateIndex` on existing tables.
    CreateIndex,
    /// `CreateTable`, referenced tables first.
    CreateTable,
    /// `RebuildTable`, placed by the SQLite-rebuild pass; after every table
    /// exists and before foreign keys to rebuilt tables are added.
    Rebuild,
    /// `AddForeignKey`, after the tables and keys they join.
    AddForeignKey,
    /// `DropColumn`.
    DropColumn,
    /// `DropEnum`, once no column uses the type.
    DropEnum,
}

/// How many [`Phase`]s there are.
const PHASES: usize = Phase::DropEnum as usize + 1;

impl Phase {
    /// The phase `change` runs in.
    pub fn of(change: &Change) -> Phase {
        match change {
            Change::CreateEnum { .. } | Change::AlterEnum { .. } => Phase::Enums,
            Change::RenameTable { .. } => Phase::RenameTable,
            Change::RenameColumn { .. } => Phase::RenameColumn,
            Change::DropForeignKey { .. } => Phase::DropForeignKey,
            Change::DropTable { .. } => Phase::DropTable,
            Change::DropIndex { .. } => Phase::DropIndex,
            Change::AddColumn { .. } => Phase::AddColumn,
            Change::AlterColumn { .. } => Phase::AlterColumn,
            Change::AlterPrimaryKey { .. } => Phase::AlterPrimaryKey,
            Change::CreateIndex { .. } => Phase::CreateIndex,
            Change::CreateTable { .. } => Phase::CreateTable,
            Change::RebuildTable { .. } => Phase::Rebuild,
            Change::AddForeignKey { .. } => Phase::AddForeignKey,
            Change::DropColumn { .. } => Phase::DropColumn,
            Change::DropEnum { .. } => Phase::DropEnum,
        }
    }
}

/// Orders `changes` so that they can run as listed (see the module docs).
///
/// Expects the differ's native changes; `RebuildTable` items, if any, are kept
/// in [`Phase::Rebuild`] in their input order. Applying `order` to its own
/// output returns it unchanged.
pub fn order(changes: Vec<Change>) -> Vec<Change> {
    let mut buckets: [Vec<Change>; PHASES] = std::array::from_fn(|_| Vec::new());
    for change in changes {
        buckets[Phase::of(&change) as usize].push(change);
    }

    let creates = std::mem::take(&mut buckets[Phase::CreateTable as usize]);
    let (creates, deferred) = order_creates(creates);
    buckets[Phase::CreateTable as usize] = creates;
    buckets[Phase::AddForeignKey as usize].extend(deferred);

    let drops = std::mem::take(&mut buckets[Phase::DropTable as usize]);
    let (drops, split) = order_drops(drops);
    buckets[Phase::DropTable as usize] = drops;
    buckets[Phase::DropForeignKey as usize].extend(split);

    for (i, bucket) in buckets.iter_mut().enumerate() {
        if i == Phase::Enums as usize || i == Phase::DropEnum as usize {
            bucket.sort_by(|a, b| enum_name(a).cmp(&enum_name(b)));
        } else if i != Phase::CreateTable as usize
            && i != Phase::DropTable as usize
            && i != Phase::Rebuild as usize
        {
            bucket.sort_by(|a, b| a.table().cmp(&b.table()));
        }
    }
    buckets.into_iter().flatten().collect()
}

/// The enum type a change is about, for sorting.
fn enum_name(change: &Change) -> Option<&str> {
    match change {
        Change::CreateEnum { enum_type } | Change::DropEnum { enum_type } => Some(&enum_type.name),
        Change::AlterEnum { to, .. } => Some(&to.name),
        _ => None,
    }
}

/// Visit state of a depth-first walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Active,
    Done,
}

/// An iterative depth-first post-order walk over `0..n` in index order, where
/// `edges(node)` lists `(target, label)` pairs. Returns the post-order and the
/// `(node, label)` of every edge that pointed at a node still on the stack
/// (the edges that close a cycle). Self-edges are ignored.
pub(crate) fn post_order<F>(n: usize, edges: F) -> (Vec<usize>, Vec<(usize, usize)>)
where
    F: Fn(usize) -> Vec<(usize, usize)>,
{
    let mut state = vec![Visit::New; n];
    let mut out = Vec::with_capacity(n);
    let mut back = Vec::new();
    for root in 0..n {
        if state[root] != Visit::New {
            continue;
        }
        state[root] = Visit::Active;
        let mut stack = vec![(root, edges(root), 0usize)];
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let next = top.2;
            top.2 += 1;
            match top.1.get(next).copied() {
                Some((target, _)) if target == node => {}
                Some((target, label)) => match state[target] {
                    Visit::New => {
                        state[target] = Visit::Active;
                        stack.push((target, edges(target), 0));
                    }
                    Visit::Active => back.push((node, label)),
                    Visit::Done => {}
                },
                None => {
                    state[node] = Visit::Done;
                    out.push(node);
                    stack.pop();
                }
            }
        }
    }
    (out, back)
}

/// The tables of a bucket of `CreateTable`/`DropTable` changes, sorted by
/// name, with a name → position map.
fn tables_of(changes: Vec<Change>) -> (Vec<Table>, HashMap<String, usize>) {
    let mut tables: Vec<Table> = changes
        .into_iter()
        .filter_map(|change| match change {
            Change::CreateTable { table } | Change::DropTable { table } => Some(table),
            _ => None,
        })
        .collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let index = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    (tables, index)
}

/// Removes the foreign keys listed in `cut` (`(table, fk position)`) from
/// `tables`, returning them as `(table name, foreign key)` in `cut` order.
fn cut_foreign_keys(
    tables: &mut [Table],
    cut: &[(usize, usize)],
) -> Vec<(String, crate::ir::ForeignKey)> {
    let mut marked: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(table, fk) in cut {
        marked.entry(table).or_default().push(fk);
    }
    let mut removed: HashMap<(usize, usize), crate::ir::ForeignKey> = HashMap::new();
    for (&t, positions) in &marked {
        let Some(table) = tables.get_mut(t) else {
            continue;
        };
        let fks = std::mem::take(&mut table.foreign_keys);
        for (k, fk) in fks.into_iter().enumerate() {
            if positions.contains(&k) {
                removed.insert((t, k), fk);
            } else {
                table.foreign_keys.push(fk);
            }
        }
    }
    cut.iter()
        .filter_map(|key| {
            let fk = removed.remove(key)?;
            Some((tables.get(key.0)?.name.clone(), fk))
        })
        .collect()
}

/// Orders `CreateTable` changes with referenced tables first; returns them and
/// the `AddForeignKey` changes for foreign keys cut out to break cycles.
fn order_creates(changes: Vec<Change>) -> (Vec<Change>, Vec<Change>) {
    let (mut tables, index) = tables_of(changes);
    let (post, back) = post_order(tables.len(), |node| {
        tables[node]
            .foreign_keys
            .iter()
            .enumerate()
            .filter_map(|(k, fk)| index.get(&fk.ref_table).map(|&target| (target, k)))
            .collect()
    });
    let deferred = cut_foreign_keys(&mut tables, &back)
        .into_iter()
        .map(|(table, foreign_key)| Change::AddForeignKey { table, foreign_key })
        .collect();
    let mut slots: Vec<Option<Table>> = tables.into_iter().map(Some).collect();
    let creates = post
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .map(|table| Change::CreateTable { table })
        .collect();
    (creates, deferred)
}

/// Orders `DropTable` changes so that a table goes before the tables it
/// references; returns them and the `DropForeignKey` changes for foreign keys
/// cut out to break cycles.
fn order_drops(changes: Vec<Change>) -> (Vec<Change>, Vec<Change>) {
    let (mut tables, index) = tables_of(changes);
    // referencers[r] = (d, k): foreign key k of dropped table d references r.
    let mut referencers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); tables.len()];
    for (d, table) in tables.iter().enumerate() {
        for (k, fk) in table.foreign_keys.iter().enumerate() {
            if let Some(&r) = index.get(&fk.ref_table) {
                referencers[r].push((d, k));
            }
        }
    }
    // Walking "referenced by" edges, a referencing table finishes first. The
    // edge label is the position in `referencers[node]`, so a back edge
    // (r → d with d on the stack) names the foreign key d holds on r.
    let (post, back) = post_order(tables.len(), |node| {
        referencers[node]
            .iter()
            .enumerate()
            .map(|(j, &(d, _))| (d, j))
            .collect()
    });
    let cut: Vec<(usize, usize)> = back
        .iter()
        .filter_map(|&(r, j)| referencers.get(r)?.get(j).copied())
        .collect();
    let split = cut_foreign_keys(&mut tables, &cut)
        .into_iter()
        .map(|(table, foreign_key)| Change::DropForeignKey { table, foreign_key })
        .collect();
    let mut slots: Vec<Option<Table>> = tables.into_iter().map(Some).collect();
    let drops = post
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .map(|table| Change::DropTable { table })
        .collect();
    (drops, split)
}
