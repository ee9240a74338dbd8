//! Rename hints given from outside the entities, and the drop + add pairs offered as
//! rename candidates.

use super::test_util::*;
use super::{RenameHints, diff_with_hints, rename_candidates};
use crate::ir::{ColumnType, Schema, Table};
use crate::{Change, Dialect, DiffOptions, diff};

fn users() -> Table {
    table(
        "users",
        vec![
            col("name", ColumnType::String(Some(100))),
            null_col("bio", ColumnType::Text),
        ],
    )
}

/// `users` with `name` renamed to `full_name`, and no `renamed_from`.
fn users_full_name() -> Table {
    let mut t = users();
    t.columns[1].name = "full_name".into();
    t
}

/// The changes with every `RebuildTable` replaced by the changes it groups.
fn flat(changes: Vec<Change>) -> Vec<Change> {
    changes
        .into_iter()
        .flat_map(|change| match change {
            Change::RebuildTable { changes, .. } => changes,
            other => vec![other],
        })
        .collect()
}

fn hinted(actual: &Schema, desired: &Schema, hints: &RenameHints) -> Vec<Change> {
    diff_with_hints(
        actual,
        desired,
        Dialect::Postgres,
        &DiffOptions::default(),
        hints,
    )
}

fn column_hint(table: &str, old: &str, new: &str) -> RenameHints {
    RenameHints {
        tables: Vec::new(),
        columns: vec![(table.into(), old.into(), new.into())],
    }
}

#[test]
fn without_hints_a_renamed_column_is_dropped_and_added() {
    let changes = hinted(
        &schema(vec![users()]),
        &schema(vec![users_full_name()]),
        &RenameHints::default(),
    );
    assert_eq!(
        lines(&flat(changes)),
        [
            "+ column users.full_name (varchar(100), not null)",
            "- column users.name (varchar(100), not null)",
        ]
    );
}

#[test]
fn a_column_hint_renames_exactly_as_renamed_from_does() {
    let actual = schema(vec![users()]);
    let hints = column_hint("users", "name", "full_name");
    let changes = hinted(&actual, &schema(vec![users_full_name()]), &hints);
    assert_eq!(
        changes,
        vec![Change::RenameColumn {
            table: "users".into(),
            from: "name".into(),
            to: "full_name".into(),
        }]
    );
    let mut declared = users_full_name();
    declared.columns[1].renamed_from = Some("name".into());
    let by_declaration = run(&actual, &schema(vec![declared]));
    assert_eq!(changes, by_declaration);
}

#[test]
fn a_table_hint_renames_the_table_and_a_column_hint_may_use_either_name() {
    let mut accounts = users_full_name();
    accounts.name = "accounts".into();
    let actual = schema(vec![users()]);
    let desired = schema(vec![accounts]);
    for table_name in ["users", "accounts"] {
        let hints = RenameHints {
            tables: vec![("users".into(), "accounts".into())],
            columns: vec![(table_name.into(), "name".into(), "full_name".into())],
        };
        assert_eq!(
            lines(&hinted(&actual, &desired, &hints)),
            [
                "~ table renamed users -> accounts",
                "~ column renamed accounts.name -> full_name",
            ],
            "column hint on {table_name}"
        );
    }
}

#[test]
fn a_hint_naming_nothing_changes_nothing() {
    let actual = schema(vec![users()]);
    let desired = schema(vec![users_full_name()]);
    let hints = RenameHints {
        tables: vec![("nope".into(), "users".into())],
        columns: vec![("users".into(), "missing".into(), "full_name".into())],
    };
    let plain = diff(
        &actual,
        &desired,
        Dialect::Postgres,
        &DiffOptions::default(),
    );
    assert_eq!(
        lines(&flat(hinted(&actual, &desired, &hints))),
        lines(&flat(plain))
    );
    assert_eq!(
        hints.apply(&desired).tables[0].columns[1]
            .renamed_from
            .as_deref(),
        Some("missing")
    );
    assert_eq!(
        hints.apply(&desired).tables[0].renamed_from.as_deref(),
        Some("nope")
    );
}

#[test]
fn candidates_pair_compatible_drops_and_adds_in_one_table() {
    let mut desired = users_full_name();
    // An integer column that replaces a text one is no rename candidate.
    desired.columns.push(col("age_number", ColumnType::Integer));
    let mut actual = users();
    actual.columns.push(col("age", ColumnType::Text));
    let changes = run(&schema(vec![actual]), &schema(vec![desired]));
    let candidates = rename_candidates(&changes, Some(Dialect::Postgres));
    assert_eq!(candidates, column_hint("users", "name", "full_name"));
}

#[test]
fn candidates_pair_a_dropped_and_a_created_table_with_the_same_columns() {
    let mut people = users();
    people.name = "people".into();
    let changes = run(
        &schema(vec![users(), table("other", vec![])]),
        &schema(vec![people]),
    );
    let candidates = rename_candidates(&changes, Some(Dialect::Postgres));
    assert_eq!(
        candidates,
        RenameHints {
            tables: vec![("users".into(), "people".into())],
            columns: Vec::new(),
        }
    );
}

#[test]
fn candidates_inside_a_sqlite_rebuild_are_found() {
    let mut desired = users_full_name();
    desired.columns[1].ty = ColumnType::String(Some(200));
    let changes = diff(
        &schema(vec![users()]),
        &schema(vec![desired]),
        Dialect::Sqlite,
        &DiffOptions::default(),
    );
    let candidates = rename_candidates(&changes, Some(Dialect::Sqlite));
    assert_eq!(candidates, column_hint("users", "name", "full_name"));
}
