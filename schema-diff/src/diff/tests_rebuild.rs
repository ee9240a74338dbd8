//! SQLite rebuild grouping: triggers, contents and placement.

use super::test_util::*;
use crate::ir::{ColumnType, DefaultValue, Table};
use crate::{Change, Dialect, DiffOptions, diff};

fn users() -> Table {
    table(
        "users",
        vec![
            col("email", ColumnType::String(Some(100))),
            null_col("bio", ColumnType::Text),
        ],
    )
}

/// The `(from, to, changes)` of a `RebuildTable`, or a panic naming `change`.
fn parts(change: &Change) -> (&Table, &Table, &[Change]) {
    match change {
        Change::RebuildTable { from, to, changes } => (from, to, changes),
        other => panic!("expected RebuildTable, got {other:?}"),
    }
}

#[test]
fn add_column_is_native_unless_sqlite_cannot_add_it() {
    let add = |column| {
        let mut desired = users();
        desired.columns.push(column);
        run(&schema(vec![users()]), &schema(vec![desired]))
    };
    let native = add(null_col("nick", ColumnType::Text));
    assert!(matches!(&native[..], [Change::AddColumn { .. }]));
    let mut with_default = col("score", ColumnType::Integer);
    with_default.default = Some(DefaultValue::Number("0".into()));
    assert!(matches!(&add(with_default)[..], [Change::AddColumn { .. }]));
    for rebuilt in [col("score", ColumnType::Integer), {
        let mut c = null_col("seen", ColumnType::DateTime);
        c.default = Some(DefaultValue::CurrentTimestamp);
        c
    }] {
        let changes = add(rebuilt);
        assert_eq!(changes.len(), 1);
        let (_, _, inner) = parts(&changes[0]);
        assert!(matches!(inner, [Change::AddColumn { .. }]));
    }
}

#[test]
fn alter_column_rebuilds_with_renames_kept_outside_and_post_rename_from() {
    let mut desired = users();
    desired.columns[1].name = "mail".into();
    desired.columns[1].renamed_from = Some("email".into());
    desired.columns[1].nullable = true;
    let changes = run(&schema(vec![users()]), &schema(vec![desired.clone()]));
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(
        changes[0],
        Change::RenameColumn {
            table: "users".into(),
            from: "email".into(),
            to: "mail".into(),
        }
    );
    let (from, to, inner) = parts(&changes[1]);
    let mut renamed = users();
    renamed.columns[1].name = "mail".into();
    assert_eq!(from, &renamed);
    assert_eq!(to, &desired);
    assert_eq!(
        inner,
        [Change::AlterColumn {
            table: "users".into(),
            from: renamed.columns[1].clone(),
            to: desired.columns[1].clone(),
        }]
    );
}

#[test]
fn comment_only_alter_column_stays_native() {
    let mut desired = users();
    desired.columns[2].comment = Some("about me".into());
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert!(
        matches!(&changes[..], [Change::AlterColumn { .. }]),
        "{changes:?}"
    );
}

#[test]
fn rebuild_takes_all_changes_of_its_table_and_only_those() {
    let actual = schema(vec![table("orgs", vec![]), users()]);
    let mut orgs = table("orgs", vec![]);
    orgs.columns.push(null_col("motto", ColumnType::Text));
    let mut desired_users = users();
    desired_users
        .columns
        .push(null_col("orgs_id", ColumnType::Integer));
    desired_users.foreign_keys.push(fk("orgs_id", "orgs"));
    desired_users
        .indexes
        .push(index("idx-users-bio", &["bio"], false));
    let changes = run(&actual, &schema(vec![orgs, desired_users]));
    assert_eq!(
        lines(&changes),
        [
            "+ column orgs.motto (text, null)",
            "~ rebuild table users (SQLite): 3 changes"
        ]
    );
    let (_, _, inner) = parts(&changes[1]);
    assert_eq!(
        lines(inner),
        [
            "+ column users.orgs_id (integer, null)",
            "+ index idx-users-bio on users (bio)",
            "+ foreign key users (orgs_id) -> orgs (id)",
        ]
    );
}

#[test]
fn unique_constraint_drop_rebuilds_but_plain_index_drop_does_not() {
    let mut with_index = users();
    with_index
        .indexes
        .push(index("idx-users-email", &["email"], true));
    let changes = run(&schema(vec![with_index]), &schema(vec![users()]));
    assert!(
        matches!(&changes[..], [Change::DropIndex { .. }]),
        "{changes:?}"
    );
    let mut with_constraint = users();
    with_constraint
        .indexes
        .push(unique_constraint("users_email_key", &["email"]));
    let changes = run(&schema(vec![with_constraint]), &schema(vec![users()]));
    assert_eq!(
        lines(&changes),
        ["~ rebuild table users (SQLite): 1 change"]
    );
}

#[test]
fn drop_column_rebuilds_only_when_sqlite_refuses_it() {
    let mut indexed = users();
    indexed
        .indexes
        .push(index("idx-users-bio", &["bio"], false));
    let mut without_bio = users();
    without_bio.columns.retain(|c| c.name != "bio");
    // The index goes in the same list, so the column can be dropped natively.
    let changes = run(&schema(vec![indexed]), &schema(vec![without_bio]));
    assert_eq!(
        lines(&changes),
        [
            "- index idx-users-bio on users (bio)",
            "- column users.bio (text, null)"
        ]
    );
    // A column of a foreign key (dropped with it) needs a rebuild.
    let posts = linked("posts", &["users"]);
    let mut bare = posts.clone();
    bare.columns.truncate(1);
    bare.foreign_keys.clear();
    let changes = run(&schema(vec![users(), posts]), &schema(vec![users(), bare]));
    assert_eq!(
        lines(&changes),
        ["~ rebuild table posts (SQLite): 2 changes"]
    );
    let (_, _, inner) = parts(&changes[0]);
    assert!(matches!(
        inner,
        [Change::DropForeignKey { .. }, Change::DropColumn { .. }]
    ));
}

#[test]
fn rebuild_runs_after_the_tables_it_references_are_created() {
    let mut desired_users = users();
    desired_users
        .columns
        .push(null_col("orgs_id", ColumnType::Integer));
    desired_users.foreign_keys.push(fk("orgs_id", "orgs"));
    let desired = schema(vec![table("orgs", vec![]), desired_users]);
    let changes = run(&schema(vec![users()]), &desired);
    assert_eq!(
        lines(&changes),
        ["+ table orgs", "~ rebuild table users (SQLite): 2 changes"]
    );
}

#[test]
fn created_table_in_a_cycle_gets_its_deferred_foreign_key_by_rebuild() {
    let desired = schema(vec![linked("a", &["b"]), linked("b", &["a"])]);
    let changes = run(&schema(vec![]), &desired);
    assert_eq!(
        lines(&changes),
        [
            "+ table b",
            "+ table a",
            "~ rebuild table b (SQLite): 1 change"
        ]
    );
    let (from, to, inner) = parts(&changes[2]);
    assert!(from.foreign_keys.is_empty());
    assert_eq!(to, &linked("b", &["a"]));
    assert_eq!(lines(inner), ["+ foreign key b (a_id) -> a (id)"]);
}

#[test]
fn table_referenced_until_a_rebuild_is_dropped_after_it() {
    let actual = schema(vec![table("r", vec![]), linked("t", &["r"])]);
    let desired = schema(vec![table("t", vec![])]);
    let changes = run(&actual, &desired);
    assert_eq!(
        lines(&changes),
        ["~ rebuild table t (SQLite): 2 changes", "- table r"]
    );
}

#[test]
fn referenced_table_changing_its_key_natively_is_rebuilt_after() {
    let mut r = table("r", vec![col("code", ColumnType::Text)]);
    r.indexes.push(index("idx-r-code", &["code"], true));
    let mut t = table("t", vec![col("r_code", ColumnType::Text)]);
    let mut key = fk("r_code", "r");
    key.ref_columns = vec!["code".into()];
    t.foreign_keys.push(key);
    let mut r_after = r.clone();
    r_after.indexes.clear();
    let mut t_after = t.clone();
    t_after.foreign_keys.clear();
    let changes = run(&schema(vec![r, t]), &schema(vec![r_after, t_after]));
    assert_eq!(
        lines(&changes),
        [
            "~ rebuild table t (SQLite): 1 change",
            "~ rebuild table r (SQLite): 1 change",
        ]
    );
}

#[test]
fn rebuild_adding_a_foreign_key_runs_after_the_referenced_rebuild() {
    let z = table("z_ref", vec![col("code", ColumnType::Text)]);
    let mut z_after = z.clone();
    z_after.columns[1].nullable = true;
    let a = table("a_tab", vec![null_col("z_ref_id", ColumnType::Integer)]);
    let mut a_after = a.clone();
    a_after.foreign_keys.push(fk("z_ref_id", "z_ref"));
    let changes = run(&schema(vec![a, z]), &schema(vec![a_after, z_after]));
    assert_eq!(
        lines(&changes),
        [
            "~ rebuild table z_ref (SQLite): 1 change",
            "~ rebuild table a_tab (SQLite): 1 change",
        ]
    );
}

#[test]
fn new_table_referencing_a_key_made_by_a_rebuild_gets_the_key_later() {
    let mut users_after = users();
    users_after.columns.push(col("handle", ColumnType::Text));
    users_after
        .indexes
        .push(unique_constraint("users_handle_key", &["handle"]));
    let mut profiles = table("profiles", vec![col("handle", ColumnType::Text)]);
    let mut key = fk("handle", "users");
    key.ref_columns = vec!["handle".into()];
    profiles.foreign_keys.push(key);
    let changes = run(
        &schema(vec![users()]),
        &schema(vec![profiles.clone(), users_after]),
    );
    assert_eq!(
        lines(&changes),
        [
            "+ table profiles",
            "~ rebuild table users (SQLite): 2 changes",
            "~ rebuild table profiles (SQLite): 1 change",
        ]
    );
    let Change::CreateTable { table } = &changes[0] else {
        panic!("expected CreateTable, got {changes:?}");
    };
    assert!(table.foreign_keys.is_empty());
    let (from, to, _) = parts(&changes[2]);
    assert_eq!((from, to), (table, &profiles));
}

#[test]
fn rebuild_target_keeps_actual_type_when_types_are_not_compared() {
    let mut desired = users();
    desired.columns[1].ty = ColumnType::Text;
    desired.columns[1].nullable = true;
    let options = DiffOptions {
        compare_type: false,
        ..DiffOptions::default()
    };
    let changes = diff(
        &schema(vec![users()]),
        &schema(vec![desired]),
        Dialect::Sqlite,
        &options,
    );
    let (_, to, _) = parts(&changes[0]);
    assert_eq!(to.columns[1].ty, ColumnType::String(Some(100)));
    assert!(to.columns[1].nullable);
}

/// PostgreSQL and MySQL users see the plain changes a rebuild groups, and no
/// RB001; SQLite users see the rebuild and RB001, as before.
#[test]
fn rebuilds_are_shown_and_linted_only_for_sqlite() {
    use crate::lint::{LintOptions, lint_with};
    let mut desired_users = users();
    desired_users
        .columns
        .push(null_col("orgs_id", ColumnType::Integer));
    desired_users.foreign_keys.push(fk("orgs_id", "orgs"));
    let actual = schema(vec![table("orgs", vec![]), users()]);
    let desired = schema(vec![table("orgs", vec![]), desired_users]);
    let changes = run(&actual, &desired);
    assert!(matches!(&changes[..], [Change::RebuildTable { .. }]));
    let shown = |dialect| -> Vec<String> {
        crate::change::as_run_on(&changes, dialect)
            .iter()
            .map(|c| c.describe())
            .collect()
    };
    assert_eq!(
        shown(Dialect::Sqlite),
        ["~ rebuild table users (SQLite): 2 changes"]
    );
    for dialect in [Dialect::Postgres, Dialect::MySql] {
        let lines = shown(dialect);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains("rebuild")), "{lines:?}");
        assert!(lines[0].starts_with("+ column users.orgs_id"), "{lines:?}");
    }
    let codes = |dialect| -> Vec<&'static str> {
        let options = LintOptions {
            dialect: Some(dialect),
            ..Default::default()
        };
        lint_with(&changes, &actual, &options)
            .iter()
            .map(|h| h.code)
            .collect()
    };
    assert!(codes(Dialect::Sqlite).contains(&"RB001"));
    assert!(!codes(Dialect::Postgres).contains(&"RB001"));
    assert!(!codes(Dialect::MySql).contains(&"RB001"));
}
