//! Detection: which changes the differ finds between two IR literals.

use super::test_util::*;
use crate::ir::{
    Check, Column, ColumnType, DefaultValue, EnumType, FkAction, Generated, Schema, Table,
};
use crate::{Change, Dialect, DiffOptions, diff};

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

fn users() -> Table {
    let mut t = table(
        "users",
        vec![
            col("email", ColumnType::String(Some(100))),
            null_col("bio", ColumnType::Text),
        ],
    );
    t.indexes.push(index("idx-users-email", &["email"], true));
    t
}

fn role() -> EnumType {
    EnumType {
        name: "user_role".into(),
        values: vec!["admin".into(), "member".into()],
    }
}

#[test]
fn identical_schemas_give_no_changes_on_every_dialect() {
    let mut s = schema(vec![users(), linked("posts", &["users"])]);
    s.enums.push(role());
    s.tables[1].checks.push(Check {
        name: None,
        expr: "id > 0".into(),
    });
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        assert_eq!(diff(&s, &s, dialect, &DiffOptions::default()), vec![]);
    }
}

#[test]
fn new_and_missing_tables_are_created_and_dropped() {
    let old = table("old_things", vec![]);
    let changes = run(&schema(vec![old.clone()]), &schema(vec![users()]));
    assert_eq!(
        changes,
        vec![
            Change::DropTable { table: old },
            Change::CreateTable { table: users() },
        ]
    );
}

#[test]
fn added_nullable_column_is_a_native_add_column() {
    let mut desired = users();
    desired
        .columns
        .push(null_col("nick", ColumnType::String(Some(30))));
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        changes,
        vec![Change::AddColumn {
            table: "users".into(),
            column: null_col("nick", ColumnType::String(Some(30))),
        }]
    );
}

#[test]
fn removed_column_is_dropped_with_its_old_definition() {
    let mut desired = users();
    desired.columns.retain(|c| c.name != "bio");
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        changes,
        vec![Change::DropColumn {
            table: "users".into(),
            column: null_col("bio", ColumnType::Text),
        }]
    );
}

/// `users` with its `email` column changed by `edit`, diffed with `options`.
fn alter_email(edit: impl Fn(&mut Column), options: DiffOptions) -> Vec<Change> {
    let mut desired = users();
    if let Some(c) = desired.columns.iter_mut().find(|c| c.name == "email") {
        edit(c);
    }
    let a = schema(vec![users()]);
    flat(diff(
        &a,
        &schema(vec![desired]),
        Dialect::Postgres,
        &options,
    ))
}

#[test]
fn type_nullability_and_default_changes_are_alter_column() {
    let changes = alter_email(
        |c| {
            c.ty = ColumnType::String(Some(255));
            c.nullable = true;
        },
        DiffOptions::default(),
    );
    assert_eq!(
        lines(&changes),
        ["~ column users.email: varchar(100) -> varchar(255); NOT NULL -> NULL"]
    );
    let changes = alter_email(
        |c| c.default = Some(DefaultValue::String("x".into())),
        DiffOptions::default(),
    );
    assert_eq!(
        lines(&changes),
        ["~ column users.email: no default -> default 'x'"]
    );
}

#[test]
fn auto_increment_generated_and_comment_changes_are_alter_column() {
    let opts = DiffOptions::default();
    let changes = alter_email(|c| c.auto_increment = true, opts);
    assert!(matches!(&changes[..], [Change::AlterColumn { to, .. }] if to.auto_increment));
    let generated = Generated {
        expr: "lower(name)".into(),
        stored: true,
    };
    let changes = alter_email(|c| c.generated = Some(generated.clone()), opts);
    assert!(matches!(&changes[..], [Change::AlterColumn { to, .. }] if to.generated.is_some()));
    let changes = alter_email(|c| c.comment = Some("login".into()), opts);
    assert_eq!(lines(&changes), ["~ column users.email: comment changed"]);
}

#[test]
fn compare_type_off_ignores_type_and_keeps_it_in_other_alters() {
    let off = DiffOptions {
        compare_type: false,
        ..DiffOptions::default()
    };
    assert_eq!(alter_email(|c| c.ty = ColumnType::Text, off), vec![]);
    let changes = alter_email(
        |c| {
            c.ty = ColumnType::Text;
            c.nullable = true;
        },
        off,
    );
    let [Change::AlterColumn { from, to, .. }] = &changes[..] else {
        panic!("expected one AlterColumn, got {changes:?}");
    };
    assert_eq!(to.ty, ColumnType::String(Some(100)));
    assert_eq!(from.ty, to.ty);
    assert!(to.nullable);
}

#[test]
fn compare_server_default_off_ignores_defaults() {
    let off = DiffOptions {
        compare_server_default: false,
        ..DiffOptions::default()
    };
    let set_default = |c: &mut Column| c.default = Some(DefaultValue::Number("1".into()));
    assert_eq!(alter_email(set_default, off), vec![]);
    let changes = alter_email(
        |c| {
            c.default = Some(DefaultValue::Number("1".into()));
            c.nullable = true;
        },
        off,
    );
    assert!(matches!(&changes[..], [Change::AlterColumn { to, .. }] if to.default.is_none()));
}

#[test]
fn renamed_column_is_renamed_not_dropped_and_added() {
    let mut desired = users();
    desired.columns[2].name = "about".into();
    desired.columns[2].renamed_from = Some("bio".into());
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        changes,
        vec![Change::RenameColumn {
            table: "users".into(),
            from: "bio".into(),
            to: "about".into(),
        }]
    );
}

#[test]
fn renamed_and_altered_column_alters_under_the_new_name() {
    let mut desired = users();
    desired.columns[1].name = "mail".into();
    desired.columns[1].renamed_from = Some("email".into());
    desired.columns[1].ty = ColumnType::String(Some(255));
    desired.indexes[0].columns = vec!["mail".into()];
    let changes = flat(run(&schema(vec![users()]), &schema(vec![desired])));
    assert_eq!(
        lines(&changes),
        [
            "~ column renamed users.email -> mail",
            "~ column users.mail: varchar(100) -> varchar(255)",
        ]
    );
    let Change::AlterColumn { from, .. } = &changes[1] else {
        panic!("expected AlterColumn, got {changes:?}");
    };
    assert_eq!(from.name, "mail");
}

#[test]
fn rename_hint_is_ignored_when_the_old_column_does_not_exist() {
    let mut desired = users();
    let mut nick = null_col("nick", ColumnType::Text);
    nick.renamed_from = Some("nickname".into());
    desired.columns.push(nick.clone());
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        changes,
        vec![Change::AddColumn {
            table: "users".into(),
            column: nick,
        }]
    );
}

#[test]
fn renamed_table_is_renamed_and_then_diffed_as_the_same_table() {
    let mut desired = users();
    desired.name = "accounts".into();
    desired.renamed_from = Some("users".into());
    desired.columns.push(null_col("nick", ColumnType::Text));
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        lines(&changes),
        [
            "~ table renamed users -> accounts",
            "+ column accounts.nick (text, null)",
        ]
    );
}

#[test]
fn foreign_keys_follow_a_renamed_table_and_column() {
    let actual = schema(vec![users(), linked("posts", &["users"])]);
    let mut accounts = users();
    accounts.name = "accounts".into();
    accounts.renamed_from = Some("users".into());
    accounts.columns[0].name = "account_id".into();
    accounts.columns[0].renamed_from = Some("id".into());
    accounts.primary_key = vec!["account_id".into()];
    let mut posts = linked("posts", &["users"]);
    posts.foreign_keys[0].ref_table = "accounts".into();
    posts.foreign_keys[0].ref_columns = vec!["account_id".into()];
    let changes = run(&actual, &schema(vec![accounts, posts]));
    assert_eq!(
        lines(&changes),
        [
            "~ table renamed users -> accounts",
            "~ column renamed accounts.id -> account_id",
        ]
    );
}

#[test]
fn rename_hint_is_ignored_when_the_new_table_already_exists() {
    let mut desired = users();
    desired.renamed_from = Some("people".into());
    let actual = schema(vec![users(), table("people", vec![])]);
    let changes = run(&actual, &schema(vec![desired]));
    assert_eq!(lines(&changes), ["- table people"]);
}

#[test]
fn indexes_match_on_columns_and_uniqueness_not_names() {
    let mut desired = users();
    desired.indexes[0] = unique_constraint("users_email_key", &["email"]);
    assert_eq!(run(&schema(vec![users()]), &schema(vec![desired])), vec![]);
}

#[test]
fn added_dropped_and_flipped_indexes() {
    let mut desired = users();
    desired.indexes[0].unique = false;
    desired
        .indexes
        .push(index("idx-users-bio", &["bio"], false));
    let changes = run(&schema(vec![users()]), &schema(vec![desired]));
    assert_eq!(
        lines(&changes),
        [
            "- index idx-users-email on users (email) unique",
            "+ index idx-users-email on users (email)",
            "+ index idx-users-bio on users (bio)",
        ]
    );
}

#[test]
fn foreign_key_added_dropped_and_names_ignored() {
    let plain = table("posts", vec![col("users_id", ColumnType::Integer)]);
    let linked_posts = linked("posts", &["users"]);
    let add = flat(run(
        &schema(vec![users(), plain.clone()]),
        &schema(vec![users(), linked_posts.clone()]),
    ));
    assert_eq!(
        lines(&add),
        ["+ foreign key posts (users_id) -> users (id)"]
    );
    let drop = flat(run(
        &schema(vec![users(), linked_posts.clone()]),
        &schema(vec![users(), plain]),
    ));
    assert_eq!(
        lines(&drop),
        ["- foreign key posts (users_id) -> users (id)"]
    );
    let mut renamed = linked_posts.clone();
    renamed.foreign_keys[0].name = Some("posts_users_id_fkey".into());
    let same = run(
        &schema(vec![users(), linked_posts]),
        &schema(vec![users(), renamed]),
    );
    assert_eq!(same, vec![]);
}

#[test]
fn foreign_key_action_change_is_drop_then_add() {
    let before = linked("documents", &["users"]);
    let mut after = before.clone();
    after.foreign_keys[0].on_delete = FkAction::Cascade;
    let changes = flat(run(
        &schema(vec![users(), before.clone()]),
        &schema(vec![users(), after.clone()]),
    ));
    assert_eq!(
        changes,
        vec![
            Change::DropForeignKey {
                table: "documents".into(),
                foreign_key: before.foreign_keys[0].clone(),
            },
            Change::AddForeignKey {
                table: "documents".into(),
                foreign_key: after.foreign_keys[0].clone(),
            },
        ]
    );
    assert_eq!(
        changes[1].describe(),
        "+ foreign key documents (users_id) -> users (id) on delete cascade"
    );
}

#[test]
fn primary_key_change_is_alter_primary_key() {
    let mut desired = users();
    desired.primary_key = vec!["id".into(), "email".into()];
    let changes = flat(run(&schema(vec![users()]), &schema(vec![desired])));
    assert_eq!(
        changes,
        vec![Change::AlterPrimaryKey {
            table: "users".into(),
            from: vec!["id".into()],
            to: vec!["id".into(), "email".into()],
        }]
    );
}

#[test]
fn enums_are_created_altered_and_dropped() {
    let mut grown = role();
    grown.values.push("guest".into());
    let old = EnumType {
        name: "old_kind".into(),
        values: vec!["a".into()],
    };
    let actual = Schema {
        tables: vec![],
        enums: vec![old.clone(), role()],
    };
    let status = EnumType {
        name: "status".into(),
        values: vec!["on".into()],
    };
    let desired = Schema {
        tables: vec![],
        enums: vec![grown.clone(), status.clone()],
    };
    assert_eq!(
        run(&actual, &desired),
        vec![
            Change::CreateEnum { enum_type: status },
            Change::AlterEnum {
                from: role(),
                to: grown,
            },
            Change::DropEnum { enum_type: old },
        ]
    );
}

#[test]
fn columns_of_a_named_enum_compare_by_type_name_only() {
    let column = |values: &[&str]| {
        col(
            "role",
            ColumnType::Enum {
                name: "user_role".into(),
                variants: values.iter().map(|v| v.to_string()).collect(),
            },
        )
    };
    let mut grown = role();
    grown.values.push("guest".into());
    let actual = Schema {
        tables: vec![table("users", vec![column(&["admin", "member"])])],
        enums: vec![role()],
    };
    let desired = Schema {
        tables: vec![table("users", vec![column(&["admin", "member", "guest"])])],
        enums: vec![grown],
    };
    let changes = run(&actual, &desired);
    assert_eq!(
        lines(&changes),
        ["~ enum user_role: (admin, member) -> (admin, member, guest)"]
    );
}

#[test]
fn table_comments_and_checks_are_not_compared() {
    let mut desired = users();
    desired.comment = Some("people".into());
    desired.checks.push(Check {
        name: Some("ck".into()),
        expr: "length(email) > 3".into(),
    });
    assert_eq!(run(&schema(vec![users()]), &schema(vec![desired])), vec![]);
}

#[test]
fn describe_and_table_summarize_changes() {
    let mut bio = null_col("bio", ColumnType::Decimal(Some((10, 2))));
    bio.default = Some(DefaultValue::Number("0".into()));
    let add = Change::AddColumn {
        table: "users".into(),
        column: bio,
    };
    assert_eq!(
        add.describe(),
        "+ column users.bio (decimal(10,2), null, default 0)"
    );
    assert_eq!(add.table(), Some("users"));
    let create = Change::CreateIndex {
        table: "users".into(),
        index: index("idx-users-email", &["email"], true),
    };
    assert_eq!(
        create.describe(),
        "+ index idx-users-email on users (email) unique"
    );
    let rebuild = Change::RebuildTable {
        from: users(),
        to: users(),
        changes: vec![add.clone(), create.clone(), add],
    };
    assert_eq!(
        rebuild.describe(),
        "~ rebuild table users (SQLite): 3 changes"
    );
    let rename = Change::RenameTable {
        from: "a".into(),
        to: "b".into(),
    };
    assert_eq!(
        (rename.describe().as_str(), rename.table()),
        ("~ table renamed a -> b", Some("b"))
    );
    let enum_change = Change::DropEnum { enum_type: role() };
    assert_eq!(enum_change.table(), None);
    assert_eq!(enum_change.describe(), "- enum user_role");
}

#[test]
fn enum_types_used_by_new_columns_are_created_even_where_the_dialect_has_none() {
    let mut desired = schema(vec![table(
        "users",
        vec![
            id(),
            col(
                "role",
                ColumnType::Enum {
                    name: "user_role".into(),
                    variants: vec!["a".into()],
                },
            ),
        ],
    )]);
    desired.enums = vec![role_named("user_role")];
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let changes = diff(
            &Schema::default(),
            &desired,
            dialect,
            &DiffOptions::default(),
        );
        assert_eq!(
            changes.first(),
            Some(&Change::CreateEnum {
                enum_type: role_named("user_role")
            }),
            "{dialect:?}: {:?}",
            lines(&changes)
        );
        assert_eq!(changes.len(), 2, "{dialect:?}: {:?}", lines(&changes));
    }
    // Once the column exists, SQLite sees nothing to do.
    let mut actual = desired.clone();
    actual.enums.clear();
    assert_eq!(
        diff(&actual, &desired, Dialect::Sqlite, &DiffOptions::default()),
        vec![]
    );
}

fn role_named(name: &str) -> EnumType {
    EnumType {
        name: name.into(),
        values: vec!["a".into()],
    }
}
