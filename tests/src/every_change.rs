//! Two schemas whose difference needs every kind of [`Change`]: the generated
//! module for it is compiled into the test suite (`tests/fixtures/every_change.rs`)
//! and run on every backend.

use schema_diff::ir::{ColumnType as T, EnumType, FkAction, Schema};
use schema_diff::{Change, Dialect, DiffOptions};

use crate::build::*;

fn enum_type(name: &str, values: &[&str]) -> EnumType {
    EnumType {
        name: name.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn enum_col(name: &str, ty: &EnumType) -> schema_diff::ir::Column {
    col(
        name,
        T::Enum {
            name: ty.name.clone(),
            variants: ty.values.clone(),
        },
    )
}

/// State A.
pub fn before() -> Schema {
    let mood = enum_type("mood", &["happy", "sad"]);
    let legacy = enum_type("legacy_kind", &["a", "b"]);
    let mut s = schema(vec![
        table("users")
            .with(col("email", T::String(Some(100))))
            .with(col("name", T::String(Some(50))).null())
            .with(col("legacy", T::Text).null())
            .with(enum_col("mood", &mood).null())
            .index("users_email_idx", &["email"]),
        table("posts")
            .with(col("user_id", T::Integer))
            .with(col("title", T::String(Some(200))))
            .fk(&["user_id"], "users", &["id"], FkAction::Cascade),
        table("old_things")
            .with(col("label", T::Text))
            .with(enum_col("kind", &legacy).null()),
        table("people").with(col("label", T::Text)),
        bare_table("memberships")
            .with(col("group_id", T::Integer))
            .with(col("user_id", T::Integer))
            .pk(&["group_id"]),
        table("tags")
            .with(col("name", T::String(Some(50))))
            .unique_constraint("tags_name_key", &["name"]),
    ]);
    s.enums = vec![legacy, mood];
    s.sort();
    s
}

/// State B.
pub fn after() -> Schema {
    let mood = enum_type("mood", &["happy", "sad", "meh"]);
    let status = enum_type("post_status", &["draft", "live"]);
    let mut s = schema(vec![
        table("users")
            .with(col("email", T::String(Some(100))))
            .with(
                col("full_name", T::String(Some(50)))
                    .null()
                    .renamed_from("name"),
            )
            .with(enum_col("mood", &mood).null())
            .with(col("bio", T::Text).null())
            .index("idx-users-full_name", &["full_name"]),
        table("posts")
            .with(col("user_id", T::Integer))
            .with(col("title", T::String(Some(300))))
            .with(enum_col("status", &status).null())
            .fk(&["user_id"], "users", &["id"], FkAction::Restrict),
        table("persons")
            .with(col("label", T::Text))
            .renamed_from("people"),
        bare_table("memberships")
            .with(col("group_id", T::Integer))
            .with(col("user_id", T::Integer))
            .pk(&["group_id", "user_id"]),
        table("tags").with(col("name", T::String(Some(50)))),
        table("comments")
            .with(col("post_id", T::Integer))
            .with(col("body", T::Text))
            .fk(&["post_id"], "posts", &["id"], FkAction::Cascade),
    ]);
    s.enums = vec![mood, status];
    s.sort();
    s
}

/// Rows for state A (plain SQL every backend accepts).
pub const SEED: &[&str] = &[
    "INSERT INTO users (email, name, legacy) VALUES ('a@x.io', 'Ann', 'x'), ('b@x.io', NULL, NULL)",
    "INSERT INTO posts (user_id, title) VALUES (1, 'one'), (2, 'two')",
    "INSERT INTO people (label) VALUES ('p')",
    "INSERT INTO memberships (group_id, user_id) VALUES (1, 1), (2, 2)",
    "INSERT INTO tags (name) VALUES ('t1'), ('t2')",
];

/// The changes from A to B, as the differ orders them (PostgreSQL keeps named
/// enum types, so every variant appears).
pub fn changes() -> Vec<Change> {
    schema_diff::diff(
        &before(),
        &after(),
        Dialect::Postgres,
        &DiffOptions::default(),
    )
}

/// The `op` names of `changes`, nested ones included.
pub fn ops(changes: &[Change]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for c in changes {
        if let Some(op) = serde_json::to_value(c)
            .ok()
            .and_then(|v| v.get("op")?.as_str().map(str::to_owned))
        {
            out.insert(op);
        }
        if let Change::RebuildTable { changes, .. } = c {
            out.extend(ops(changes));
        }
    }
    out
}

/// Every `op` a [`Change`] can have.
pub const ALL_OPS: [&str; 16] = [
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "rename_column",
    "alter_column",
    "create_index",
    "drop_index",
    "add_foreign_key",
    "drop_foreign_key",
    "alter_primary_key",
    "create_enum",
    "drop_enum",
    "alter_enum",
    "rebuild_table",
];
