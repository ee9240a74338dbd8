//! Snapshots of rendered modules: one small change of each kind, and a realistic file.

use super::*;
use crate::ir::{
    Check, Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Generated, Index,
    Table,
};

fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

fn id(ty: ColumnType) -> Column {
    Column {
        auto_increment: true,
        ..col("id", ty)
    }
}

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            id(ColumnType::Integer),
            col("email", ColumnType::String(Some(255))),
            Column {
                nullable: true,
                ..col("display_name", ColumnType::Text)
            },
            Column {
                default: Some(DefaultValue::CurrentTimestamp),
                ..col("created_at", ColumnType::TimestampWithTimeZone)
            },
        ],
        primary_key: vec!["id".into()],
        indexes: vec![
            Index {
                name: "users_email_key".into(),
                columns: vec!["email".into()],
                unique: true,
                constraint: true,
            },
            Index {
                name: "idx_users_created_at".into(),
                columns: vec!["created_at".into()],
                unique: false,
                constraint: false,
            },
        ],
        ..Table::default()
    }
}

pub(super) fn user_fk() -> ForeignKey {
    ForeignKey {
        name: Some("fk_posts_user_id".into()),
        columns: vec!["user_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::Cascade,
        on_update: FkAction::NoAction,
    }
}

fn status(values: &[&str]) -> EnumType {
    EnumType {
        name: "post_status".into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

fn render(changes: &[Change]) -> String {
    let options = RenderOptions {
        description: "test migration".into(),
        hazards: Vec::new(),
        ..Default::default()
    };
    render_migration(changes, &options).expect("renders")
}

#[test]
fn create_table() {
    let code = render(&[Change::CreateTable { table: users() }]);
    insta::assert_snapshot!(code);
}

#[test]
fn drop_table() {
    let code = render(&[Change::DropTable { table: users() }]);
    insta::assert_snapshot!(code);
}

#[test]
fn rename_table() {
    let code = render(&[Change::RenameTable {
        from: "users".into(),
        to: "accounts".into(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn add_column() {
    let code = render(&[Change::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(DefaultValue::Bool(true)),
            comment: Some("Can sign in.".into()),
            ..col("active", ColumnType::Boolean)
        },
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn drop_column() {
    let code = render(&[Change::DropColumn {
        table: "users".into(),
        column: Column {
            nullable: true,
            ..col("display_name", ColumnType::Text)
        },
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn rename_column() {
    let code = render(&[Change::RenameColumn {
        table: "users".into(),
        from: "display_name".into(),
        to: "nickname".into(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn alter_column() {
    let code = render(&[Change::AlterColumn {
        table: "users".into(),
        from: Column {
            nullable: true,
            default: Some(DefaultValue::String("0".into())),
            ..col("age", ColumnType::String(Some(10)))
        },
        to: col("age", ColumnType::Integer),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn create_index() {
    let code = render(&[Change::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "idx_users_name_email".into(),
            columns: vec!["display_name".into(), "email".into()],
            unique: true,
            constraint: false,
        },
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn drop_index() {
    let code = render(&[Change::DropIndex {
        table: "users".into(),
        index: users().indexes[1].clone(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn unique_constraint() {
    let code = render(&[Change::CreateIndex {
        table: "users".into(),
        index: users().indexes[0].clone(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn add_foreign_key() {
    let code = render(&[Change::AddForeignKey {
        table: "posts".into(),
        foreign_key: user_fk(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn drop_foreign_key() {
    let code = render(&[Change::DropForeignKey {
        table: "posts".into(),
        foreign_key: user_fk(),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn alter_primary_key() {
    let code = render(&[Change::AlterPrimaryKey {
        table: "post_tags".into(),
        from: vec!["id".into()],
        to: vec!["post_id".into(), "tag".into()],
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn create_enum() {
    let code = render(&[Change::CreateEnum {
        enum_type: status(&["draft", "published"]),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn drop_enum() {
    let code = render(&[Change::DropEnum {
        enum_type: status(&["draft", "published"]),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn alter_enum() {
    let code = render(&[Change::AlterEnum {
        from: status(&["draft", "published"]),
        to: status(&["draft", "review", "published"]),
    }]);
    insta::assert_snapshot!(code);
}

#[test]
fn rebuild_table() {
    let from = users();
    let mut to = users();
    to.columns[2].nullable = false;
    to.columns[2].default = Some(DefaultValue::String(String::new()));
    let code = render(&[Change::RebuildTable {
        changes: vec![Change::AlterColumn {
            table: "users".into(),
            from: from.columns[2].clone(),
            to: to.columns[2].clone(),
        }],
        from,
        to,
    }]);
    insta::assert_snapshot!(code);
}

/// A realistic `db-migrate auto` result: an enum, a new table with a foreign key and
/// odd column names, a new column, an index, and a SQLite rebuild; with hazards.
pub(super) fn realistic_changes() -> Vec<Change> {
    let posts = Table {
        name: "posts".into(),
        columns: vec![
            id(ColumnType::BigInteger),
            col("user_id", ColumnType::Integer),
            col("title", ColumnType::String(Some(200))),
            Column {
                nullable: true,
                ..col("body", ColumnType::Text)
            },
            Column {
                default: Some(DefaultValue::String("draft".into())),
                ..col(
                    "status",
                    ColumnType::Enum {
                        name: "post_status".into(),
                        variants: vec!["draft".into(), "published".into()],
                    },
                )
            },
            Column {
                default: Some(DefaultValue::Number("0".into())),
                ..col("viewCount", ColumnType::BigInteger)
            },
            Column {
                nullable: true,
                ..col("table", ColumnType::JsonBinary)
            },
            Column {
                generated: Some(Generated {
                    expr: "lower(title)".into(),
                    stored: true,
                }),
                nullable: true,
                ..col("title_lower", ColumnType::String(Some(200)))
            },
            Column {
                nullable: true,
                ..col("attachment", ColumnType::VarBinary(None))
            },
        ],
        primary_key: vec!["id".into()],
        indexes: vec![Index {
            name: "idx_posts_user_id".into(),
            columns: vec!["user_id".into()],
            unique: false,
            constraint: false,
        }],
        foreign_keys: vec![user_fk()],
        checks: vec![Check {
            name: Some("posts_title_not_empty".into()),
            expr: "title <> ''".into(),
        }],
        comment: Some("Blog posts.".into()),
        ..Table::default()
    };
    let from = users();
    let mut to = users();
    to.columns[1] = col("email", ColumnType::String(Some(320)));
    to.columns.push(Column {
        default: Some(DefaultValue::Number("0".into())),
        ..col("login_count", ColumnType::Integer)
    });
    vec![
        Change::CreateEnum {
            enum_type: status(&["draft", "published"]),
        },
        Change::CreateTable { table: posts },
        Change::AddColumn {
            table: "users".into(),
            column: Column {
                nullable: true,
                ..col("bio", ColumnType::Text)
            },
        },
        Change::CreateIndex {
            table: "users".into(),
            index: Index {
                name: "idx_users_display_name".into(),
                columns: vec!["display_name".into()],
                unique: false,
                constraint: false,
            },
        },
        Change::RebuildTable {
            changes: vec![
                Change::AlterColumn {
                    table: "users".into(),
                    from: from.columns[1].clone(),
                    to: to.columns[1].clone(),
                },
                Change::AddColumn {
                    table: "users".into(),
                    column: to.columns[4].clone(),
                },
            ],
            from,
            to,
        },
    ]
}

#[test]
fn realistic_migration() {
    let options = RenderOptions {
        description: "add posts and user login counts".into(),
        hazards: vec![
            "hazard[table-rebuild]: `users` is rebuilt on SQLite (rows are copied).".into(),
            "hazard[narrowing]: none; `users.email` grows from varchar(255) to varchar(320), \
             which on MySQL rewrites the table and holds a lock for its duration."
                .into(),
        ],
        ..Default::default()
    };
    let code = render_migration(&realistic_changes(), &options).expect("renders");
    insta::assert_snapshot!(code);
}

#[test]
fn no_changes_leave_the_manager_unused() {
    let code = render(&[]);
    assert!(code.contains("_manager: &SchemaManager"), "{code}");
    assert!(!code.contains("DbBackend"), "{code}");
}

#[test]
fn comment_markers_all_become_comments() {
    let code = render_migration(&realistic_changes(), &RenderOptions::default()).expect("renders");
    assert!(!code.contains("__comment"), "{code}");
    assert!(
        code.contains("// SQLite cannot ALTER `users` this way"),
        "{code}"
    );
}

#[test]
fn sql_literals_stay_readable() {
    assert_eq!(sql_literal("a b").to_string(), "\"a b\"");
    assert_eq!(sql_literal(r#""a""#).to_string(), "r#\"\"a\"\"#");
    assert_eq!(sql_literal(r##""a"#"##).to_string(), "r##\"\"a\"#\"##");
}

#[test]
fn foreign_key_actions_match_statements() {
    for action in [
        FkAction::NoAction,
        FkAction::Restrict,
        FkAction::Cascade,
        FkAction::SetNull,
        FkAction::SetDefault,
    ] {
        assert_eq!(
            crate::statements::fk_action(action)
                .map(|a| format!("{a:?}"))
                .as_deref(),
            ops::action_variant(action)
        );
    }
}

#[test]
fn column_type_values_match_statements() {
    let types = [
        ColumnType::Char(Some(3)),
        ColumnType::String(None),
        ColumnType::VarBinary(None),
        ColumnType::Decimal(Some((10, 2))),
        ColumnType::Binary(16),
        ColumnType::Money,
        ColumnType::Interval,
        ColumnType::Uuid,
        ColumnType::Custom("citext".into()),
        ColumnType::Array(Box::new(ColumnType::Integer)),
    ];
    for ty in types {
        let mut ctx = Ctx {
            names: Names::default(),
            comments: Vec::new(),
            uses: Uses::default(),
        };
        // Compare the printed value with the built value's Debug form, spelling
        // differences aside.
        let printed = column::column_type(&mut ctx, &ty)
            .to_string()
            .replace(' ', "")
            .replace("ColumnType::", "")
            .replace("StringLen::", "")
            .replace(".into()", "");
        let built = format!("{:?}", crate::statements::vocab::sea_type(&ty)).replace(' ', "");
        let built = built.replace("Custom(DynIden(\"citext\"))", "custom(\"citext\")");
        assert_eq!(printed, built, "{ty:?}");
    }
}

/// A module with a column only PostgreSQL has and a `u16` auto-increment key: it
/// fails first on SQLite and MySQL, naming the column, and writes the key `integer`
/// on SQLite and PostgreSQL.
#[test]
fn not_portable_column_and_small_key() {
    let mut table = Table {
        name: "tagged".into(),
        columns: vec![
            id(ColumnType::SmallUnsigned),
            col("tags", ColumnType::Array(Box::new(ColumnType::Text))),
        ],
        primary_key: vec!["id".into()],
        ..Table::default()
    };
    table.indexes.clear();
    let code = render(&[Change::CreateTable { table }]);
    assert!(
        code.contains("not portable to SQLite: column `tagged`.`tags`"),
        "{code}"
    );
    assert!(
        code.contains("not portable to MySQL: column `tagged`.`tags`"),
        "{code}"
    );
    insta::assert_snapshot!(code);
}
