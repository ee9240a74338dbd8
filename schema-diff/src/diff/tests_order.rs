//! Ordering: phases, dependency order of creates and drops, cycles.

use super::test_util::*;
use crate::Change;
use crate::ir::{ColumnType, EnumType};
use crate::order::order;

/// The table names of the `CreateTable`/`DropTable` changes, in order.
fn table_ops(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable { table } => Some(format!("+{}", table.name)),
            Change::DropTable { table } => Some(format!("-{}", table.name)),
            _ => None,
        })
        .collect()
}

#[test]
fn created_tables_come_referenced_first() {
    let desired = schema(vec![
        linked("comments", &["posts", "users"]),
        linked("posts", &["users"]),
        table("users", vec![]),
    ]);
    let changes = run(&schema(vec![]), &desired);
    assert_eq!(table_ops(&changes), ["+users", "+posts", "+comments"]);
    assert_eq!(changes.len(), 3, "no foreign key was deferred: {changes:?}");
}

#[test]
fn self_reference_stays_in_create_table() {
    let tree = linked("nodes", &["nodes"]);
    let changes = run(&schema(vec![]), &schema(vec![tree.clone()]));
    assert_eq!(changes, vec![Change::CreateTable { table: tree }]);
}

#[test]
fn create_cycle_is_broken_into_add_foreign_key() {
    let desired = schema(vec![linked("a", &["b"]), linked("b", &["a"])]);
    let changes = order(
        run(&schema(vec![]), &desired)
            .into_iter()
            .flat_map(unrebuild)
            .collect(),
    );
    let mut b_without = linked("b", &["a"]);
    let cut = b_without.foreign_keys.remove(0);
    assert_eq!(
        changes,
        vec![
            Change::CreateTable { table: b_without },
            Change::CreateTable {
                table: linked("a", &["b"]),
            },
            Change::AddForeignKey {
                table: "b".into(),
                foreign_key: cut,
            },
        ]
    );
}

/// Undoes a `RebuildTable` of a created table back into its `AddForeignKey`s.
fn unrebuild(change: Change) -> Vec<Change> {
    match change {
        Change::RebuildTable { changes, .. } => changes,
        other => vec![other],
    }
}

#[test]
fn dropped_tables_go_before_the_tables_they_reference() {
    let actual = schema(vec![
        linked("comments", &["posts"]),
        linked("posts", &["users"]),
        table("users", vec![]),
        table("zebras", vec![]),
    ]);
    let changes = run(&actual, &schema(vec![]));
    assert_eq!(
        table_ops(&changes),
        ["-comments", "-posts", "-users", "-zebras"]
    );
    let actual = schema(vec![
        table("a_users", vec![]),
        linked("b_posts", &["a_users"]),
    ]);
    assert_eq!(
        table_ops(&run(&actual, &schema(vec![]))),
        ["-b_posts", "-a_users"]
    );
}

#[test]
fn drop_cycle_is_broken_by_dropping_a_foreign_key_first() {
    let changes = order(vec![
        Change::DropTable {
            table: linked("a", &["b"]),
        },
        Change::DropTable {
            table: linked("b", &["a"]),
        },
    ]);
    let mut a_without = linked("a", &["b"]);
    let cut = a_without.foreign_keys.remove(0);
    assert_eq!(
        changes,
        vec![
            Change::DropForeignKey {
                table: "a".into(),
                foreign_key: cut,
            },
            Change::DropTable {
                table: linked("b", &["a"]),
            },
            Change::DropTable { table: a_without },
        ]
    );
}

#[test]
fn phases_run_in_order_and_tables_by_name_within_a_phase() {
    let e = EnumType {
        name: "kind".into(),
        values: vec!["x".into()],
    };
    let users = table("users", vec![]);
    let shuffled = vec![
        Change::DropEnum {
            enum_type: e.clone(),
        },
        Change::DropColumn {
            table: "b".into(),
            column: col("x", ColumnType::Text),
        },
        Change::AddForeignKey {
            table: "posts".into(),
            foreign_key: fk("users_id", "users"),
        },
        Change::CreateTable { table: users },
        Change::CreateIndex {
            table: "b".into(),
            index: index("i", &["y"], false),
        },
        Change::AlterPrimaryKey {
            table: "b".into(),
            from: vec![],
            to: vec!["id".into()],
        },
        Change::AlterColumn {
            table: "b".into(),
            from: col("y", ColumnType::Text),
            to: null_col("y", ColumnType::Text),
        },
        Change::AddColumn {
            table: "b".into(),
            column: null_col("z", ColumnType::Text),
        },
        Change::AddColumn {
            table: "a".into(),
            column: null_col("z", ColumnType::Text),
        },
        Change::DropIndex {
            table: "b".into(),
            index: index("old", &["y"], false),
        },
        Change::DropTable {
            table: table("gone", vec![]),
        },
        Change::DropForeignKey {
            table: "b".into(),
            foreign_key: fk("gone_id", "gone"),
        },
        Change::RenameColumn {
            table: "b".into(),
            from: "w".into(),
            to: "y".into(),
        },
        Change::RenameTable {
            from: "bb".into(),
            to: "b".into(),
        },
        Change::CreateEnum { enum_type: e },
    ];
    let lines = lines(&order(shuffled));
    assert_eq!(
        lines,
        [
            "+ enum kind (x)",
            "~ table renamed bb -> b",
            "~ column renamed b.w -> y",
            "- foreign key b (gone_id) -> gone (id)",
            "- table gone",
            "- index old on b (y)",
            "+ column a.z (text, null)",
            "+ column b.z (text, null)",
            "~ column b.y: NOT NULL -> NULL",
            "~ primary key b: () -> (id)",
            "+ index i on b (y)",
            "+ table users",
            "+ foreign key posts (users_id) -> users (id)",
            "- column b.x (text, not null)",
            "- enum kind",
        ]
    );
}

#[test]
fn order_is_idempotent() {
    let desired = schema(vec![
        linked("a", &["c"]),
        linked("b", &["a"]),
        linked("c", &["b"]),
        linked("d", &["a", "b"]),
    ]);
    let once = order(
        run(&schema(vec![]), &desired)
            .into_iter()
            .flat_map(unrebuild)
            .collect(),
    );
    assert_eq!(order(once.clone()), once);
    assert_eq!(table_ops(&once), ["+b", "+c", "+a", "+d"]);
}

#[test]
fn five_thousand_chained_tables_order_without_deep_recursion() {
    let n = 5000;
    let name = |i: usize| format!("t{i:04}");
    let tables = (0..n)
        .map(|i| {
            if i + 1 < n {
                linked(&name(i), &[&name(i + 1)])
            } else {
                table(&name(i), vec![])
            }
        })
        .collect();
    let changes = run(&schema(vec![]), &schema(tables));
    assert_eq!(changes.len(), n);
    let ops = table_ops(&changes);
    assert_eq!(ops.first().map(String::as_str), Some("+t4999"));
    assert_eq!(ops.last().map(String::as_str), Some("+t0000"));
    let dropped = run(&schema(changes_tables(&changes)), &schema(vec![]));
    let ops = table_ops(&dropped);
    assert_eq!(ops.first().map(String::as_str), Some("-t0000"));
    assert_eq!(ops.last().map(String::as_str), Some("-t4999"));
}

/// The tables of `CreateTable` changes.
fn changes_tables(changes: &[Change]) -> Vec<crate::ir::Table> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable { table } => Some(table.clone()),
            _ => None,
        })
        .collect()
}
