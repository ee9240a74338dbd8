//! One test per code on IR literals, plus the public helpers.

use super::preflight::Check;
use super::*;
use crate::ir::{
    Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Generated, Index, Table,
};

fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

fn null_col(name: &str, ty: ColumnType) -> Column {
    Column {
        nullable: true,
        ..col(name, ty)
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut all = vec![Column {
        auto_increment: true,
        ..col("id", ColumnType::Integer)
    }];
    all.extend(columns);
    Table {
        name: name.into(),
        columns: all,
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

fn users() -> Table {
    table(
        "users",
        vec![
            col("email", ColumnType::String(Some(255))),
            null_col("name", ColumnType::Text),
            null_col("legacy", ColumnType::Text),
        ],
    )
}

fn posts() -> Table {
    table("posts", vec![col("author_id", ColumnType::Integer)])
}

fn actual() -> Schema {
    Schema {
        tables: vec![posts(), users()],
        enums: vec![mood(&["happy", "sad"])],
    }
}

fn mood(values: &[&str]) -> EnumType {
    EnumType {
        name: "mood".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn index(name: &str, columns: &[&str], unique: bool) -> Index {
    Index {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        unique,
        constraint: false,
    }
}

fn author_fk() -> ForeignKey {
    ForeignKey {
        name: Some("fk-posts-author".into()),
        columns: vec!["author_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::Cascade,
        on_update: FkAction::NoAction,
    }
}

fn codes(hazards: &[Hazard]) -> Vec<(&'static str, Option<&str>)> {
    hazards
        .iter()
        .map(|h| (h.code, h.table.as_deref()))
        .collect()
}

/// The one hazard of `code`, which must concern `table`.
#[track_caller]
fn only<'a>(hazards: &'a [Hazard], code: &str, table: Option<&str>) -> &'a Hazard {
    let found: Vec<&Hazard> = hazards.iter().filter(|h| h.code == code).collect();
    assert_eq!(found.len(), 1, "one {code} expected in {:#?}", hazards);
    assert_eq!(found[0].table.as_deref(), table, "{:#?}", found[0]);
    found[0]
}

#[track_caller]
fn none_of(hazards: &[Hazard], code: &str) {
    assert!(
        hazards.iter().all(|h| h.code != code),
        "no {code} expected in {hazards:#?}"
    );
}

#[test]
fn dl001_drop_table() {
    let hazards = lint(&[Change::DropTable { table: posts() }], &actual());
    let h = only(&hazards, "DL001", Some("posts"));
    assert_eq!(h.severity, Severity::Danger);
    assert_eq!(h.message, "dropping table posts loses all of its rows");
}

#[test]
fn dl002_drop_column_and_its_comment_line() {
    let change = Change::DropColumn {
        table: "users".into(),
        column: null_col("legacy", ColumnType::Text),
    };
    let hazards = lint(&[change], &actual());
    only(&hazards, "DL002", Some("users"));
    assert_eq!(
        comment_lines(&hazards),
        ["DL002 danger: dropping column users.legacy loses its data"]
    );
}

#[test]
fn dl003_narrowing_type_change_but_not_widening() {
    let alter = |from, to| Change::AlterColumn {
        table: "users".into(),
        from: col("email", from),
        to: col("email", to),
    };
    let narrow = alter(ColumnType::String(Some(255)), ColumnType::String(Some(50)));
    let hazards = lint(&[narrow], &actual());
    let h = only(&hazards, "DL003", Some("users"));
    assert!(
        h.message
            .contains("users.email from varchar(255) to varchar(50)"),
        "{h:?}"
    );

    let to_int = alter(ColumnType::Text, ColumnType::Integer);
    only(&lint(&[to_int], &actual()), "DL003", Some("users"));

    let wide = alter(ColumnType::String(Some(50)), ColumnType::String(Some(255)));
    none_of(&lint(&[wide], &actual()), "DL003");
}

#[test]
fn dl003_enum_losing_a_value() {
    let change = Change::AlterEnum {
        from: mood(&["happy", "sad"]),
        to: mood(&["happy"]),
    };
    let hazards = lint(&[change], &actual());
    let h = only(&hazards, "DL003", None);
    assert!(
        h.message.contains("'sad'") && h.message.contains("mood"),
        "{h:?}"
    );
    let grown = Change::AlterEnum {
        from: mood(&["happy"]),
        to: mood(&["happy", "sad"]),
    };
    assert!(lint(&[grown], &actual()).is_empty());
}

#[test]
fn df001_not_null_without_default_on_existing_table_only() {
    let add = |table: &str, column: Column| Change::AddColumn {
        table: table.into(),
        column,
    };
    let hazards = lint(&[add("users", col("age", ColumnType::Integer))], &actual());
    let h = only(&hazards, "DF001", Some("users"));
    assert_eq!(h.severity, Severity::Warning);
    assert!(h.message.contains("users.age"), "{h:?}");

    let with_default = Column {
        default: Some(DefaultValue::Number("0".into())),
        ..col("age", ColumnType::Integer)
    };
    let generated = Column {
        generated: Some(Generated {
            expr: "id * 2".into(),
            stored: true,
        }),
        ..col("twice", ColumnType::Integer)
    };
    for change in [
        add("users", null_col("age", ColumnType::Integer)),
        add("users", with_default),
        add("users", generated),
        add("tags", col("label", ColumnType::Text)),
    ] {
        let mut changes = vec![Change::CreateTable {
            table: table("tags", vec![]),
        }];
        changes.push(change);
        none_of(&lint(&changes, &actual()), "DF001");
    }
}

#[test]
fn df001_sees_an_existing_table_through_its_rename() {
    let changes = [
        Change::RenameTable {
            from: "users".into(),
            to: "accounts".into(),
        },
        Change::AddColumn {
            table: "accounts".into(),
            column: col("age", ColumnType::Integer),
        },
    ];
    only(&lint(&changes, &actual()), "DF001", Some("accounts"));
}

#[test]
fn df002_null_to_not_null() {
    let change = Change::AlterColumn {
        table: "users".into(),
        from: null_col("name", ColumnType::Text),
        to: col("name", ColumnType::Text),
    };
    let hazards = lint(&[change], &actual());
    only(&hazards, "DF002", Some("users"));
    none_of(&hazards, "LK002");
    none_of(&hazards, "DL003");
}

#[test]
fn df003_unique_index_and_primary_key_on_existing_table() {
    let unique = Change::CreateIndex {
        table: "users".into(),
        index: index("users_email_key", &["email"], true),
    };
    let hazards = lint(&[unique], &actual());
    let h = only(&hazards, "DF003", Some("users"));
    assert!(h.message.contains("users_email_key"), "{h:?}");

    let pk = Change::AlterPrimaryKey {
        table: "posts".into(),
        from: vec!["id".into()],
        to: vec!["id".into(), "author_id".into()],
    };
    only(&lint(&[pk], &actual()), "DF003", Some("posts"));

    let plain = Change::CreateIndex {
        table: "users".into(),
        index: index("idx-users-name", &["name"], false),
    };
    none_of(&lint(&[plain], &actual()), "DF003");
}

#[test]
fn df004_foreign_key_on_existing_table() {
    let change = Change::AddForeignKey {
        table: "posts".into(),
        foreign_key: author_fk(),
    };
    let hazards = lint(&[change], &actual());
    let h = only(&hazards, "DF004", Some("posts"));
    assert!(
        h.message.contains("posts (author_id) -> users (id)"),
        "{h:?}"
    );
}

#[test]
fn rb001_reports_the_rebuild_and_what_is_inside() {
    let mut to = users();
    to.columns.retain(|c| c.name != "legacy");
    let change = Change::RebuildTable {
        from: users(),
        to,
        changes: vec![
            Change::DropColumn {
                table: "users".into(),
                column: null_col("legacy", ColumnType::Text),
            },
            Change::AlterColumn {
                table: "users".into(),
                from: null_col("name", ColumnType::Text),
                to: col("name", ColumnType::Text),
            },
        ],
    };
    let sqlite = crate::lint::LintOptions {
        dialect: Some(crate::Dialect::Sqlite),
        ..Default::default()
    };
    let hazards = crate::lint::lint_with(&[change], &actual(), &sqlite);
    assert_eq!(
        only(&hazards, "RB001", Some("users")).severity,
        Severity::Info
    );
    only(&hazards, "DL002", Some("users"));
    only(&hazards, "DF002", Some("users"));
}

#[test]
fn lk001_index_on_existing_table_not_on_new_one() {
    let on_users = Change::CreateIndex {
        table: "users".into(),
        index: index("idx-users-name", &["name"], false),
    };
    let hazards = lint(&[on_users], &actual());
    assert_eq!(
        only(&hazards, "LK001", Some("users")).severity,
        Severity::Info
    );

    let changes = [
        Change::CreateTable {
            table: table("tags", vec![col("label", ColumnType::Text)]),
        },
        Change::CreateIndex {
            table: "tags".into(),
            index: index("idx-tags-label", &["label"], true),
        },
    ];
    let hazards = lint(&changes, &actual());
    none_of(&hazards, "LK001");
    none_of(&hazards, "DF003");
}

#[test]
fn lk002_type_change_on_existing_table() {
    let change = Change::AlterColumn {
        table: "posts".into(),
        from: col("author_id", ColumnType::Integer),
        to: col("author_id", ColumnType::BigInteger),
    };
    let hazards = lint(std::slice::from_ref(&change), &actual());
    assert_eq!(
        only(&hazards, "LK002", Some("posts")).severity,
        Severity::Warning
    );
    none_of(&hazards, "DL003");

    // SQLite stores both as INTEGER: no type change there.
    let options = LintOptions {
        dialect: Some(Dialect::Sqlite),
        ..Default::default()
    };
    assert!(lint_with(&[change], &actual(), &options).is_empty());
}

#[test]
fn lk002_not_for_the_values_of_a_named_enum() {
    let enum_col = |values: &[&str], nullable| Column {
        nullable,
        ..col(
            "mood",
            ColumnType::Enum {
                name: "mood".into(),
                variants: values.iter().map(|v| v.to_string()).collect(),
            },
        )
    };
    let change = Change::AlterColumn {
        table: "users".into(),
        from: enum_col(&["happy", "sad"], true),
        to: enum_col(&["happy", "sad", "meh"], false),
    };
    assert_eq!(
        codes(&lint(&[change], &actual())),
        [("DF002", Some("users"))]
    );
}

#[test]
fn rn001_drop_and_add_of_a_compatible_column() {
    let changes = [
        Change::AddColumn {
            table: "users".into(),
            column: null_col("full_name", ColumnType::Text),
        },
        Change::DropColumn {
            table: "users".into(),
            column: null_col("name", ColumnType::Text),
        },
    ];
    let hazards = lint(&changes, &actual());
    let h = only(&hazards, "RN001", Some("users"));
    assert!(
        h.message
            .contains("looks like a rename of name to full_name: declare renamed_from"),
        "{h:?}"
    );

    let unrelated = [
        Change::AddColumn {
            table: "users".into(),
            column: null_col("age", ColumnType::Integer),
        },
        Change::DropColumn {
            table: "users".into(),
            column: null_col("name", ColumnType::Text),
        },
    ];
    none_of(&lint(&unrelated, &actual()), "RN001");
}

#[test]
fn rn001_drop_and_create_of_a_table_with_the_same_columns() {
    let mut authors = users();
    authors.name = "authors".into();
    let changes = [
        Change::CreateTable { table: authors },
        Change::DropTable { table: users() },
    ];
    let hazards = lint(&changes, &actual());
    let h = only(&hazards, "RN001", Some("authors"));
    assert!(h.message.contains("rename of users to authors"), "{h:?}");
    only(&hazards, "DL001", Some("users"));
}

#[test]
fn hazards_come_danger_first() {
    let changes = [
        Change::CreateIndex {
            table: "users".into(),
            index: index("idx-users-name", &["name"], false),
        },
        Change::DropTable { table: posts() },
    ];
    let hazards = lint(&changes, &actual());
    assert_eq!(
        codes(&hazards),
        [("DL001", Some("posts")), ("LK001", Some("users"))]
    );
    assert_eq!(max_severity(&hazards), Some(Severity::Danger));
    assert_eq!(max_severity(&[]), None);
}

#[test]
fn lint_of_a_real_diff() {
    let mut desired = actual();
    let users = &mut desired.tables[1];
    users.columns.retain(|c| c.name != "legacy");
    users.columns.push(col("age", ColumnType::Integer));
    users
        .indexes
        .push(index("users_email_key", &["email"], true));
    let changes = crate::diff(
        &actual(),
        &desired,
        Dialect::Postgres,
        &crate::DiffOptions::default(),
    );
    let hazards = lint(&changes, &actual());
    for code in ["DL002", "DF001", "DF003", "LK001"] {
        only(&hazards, code, Some("users"));
    }
}

#[test]
fn severity_is_ordered_parsed_displayed_and_serialized() {
    assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Danger);
    for severity in [Severity::Info, Severity::Warning, Severity::Danger] {
        assert_eq!(severity.to_string().parse::<Severity>(), Ok(severity));
        let json = serde_json::to_string(&severity).unwrap_or_default();
        assert_eq!(json, format!("\"{severity}\""));
    }
    assert_eq!("WARN".parse::<Severity>(), Ok(Severity::Warning));
    assert!("fatal".parse::<Severity>().is_err());
}

#[test]
fn hazards_serialize_with_their_code() {
    let hazards = lint(&[Change::DropTable { table: posts() }], &actual());
    let json = serde_json::to_value(&hazards).unwrap_or_default();
    assert_eq!(json[0]["code"], "DL001");
    assert_eq!(json[0]["severity"], "danger");
    assert_eq!(json[0]["table"], "posts");
}

#[test]
fn preflight_queries_are_portable_counts() {
    use sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};
    let duplicates = Check::Duplicates {
        table: "users".into(),
        db_table: "users".into(),
        columns: vec!["email".into()],
        db_columns: vec!["email".into()],
        what: "unique index users_email_key".into(),
        skip_nulls: true,
    };
    assert_eq!(
        duplicates.query().to_string(SqliteQueryBuilder),
        r#"SELECT COUNT(*) FROM (SELECT 1 FROM "users" WHERE "email" IS NOT NULL GROUP BY "email" HAVING COUNT(*) > 1) AS "duplicate_groups""#
    );
    let orphans = Check::Orphans {
        table: "posts".into(),
        db_table: "posts".into(),
        columns: vec!["author_id".into()],
        db_columns: vec!["author_id".into()],
        ref_table: "users".into(),
        db_target: Some(("users".into(), vec!["id".into()])),
    };
    assert_eq!(
        orphans.query().to_string(PostgresQueryBuilder),
        r#"SELECT COUNT(*) FROM "posts" AS "child_rows" WHERE "child_rows"."author_id" IS NOT NULL AND (NOT EXISTS(SELECT 1 FROM "users" AS "parent_rows" WHERE "parent_rows"."id" = "child_rows"."author_id"))"#
    );
    let nulls = Check::Nulls {
        table: "users".into(),
        db_table: "users".into(),
        column: "name".into(),
        db_column: "name".into(),
    };
    assert_eq!(
        nulls.query().to_string(MysqlQueryBuilder),
        "SELECT COUNT(*) FROM `users` WHERE `name` IS NULL"
    );
    assert_eq!(
        nulls.message(23),
        "23 rows of users have NULL in name: SET NOT NULL will fail"
    );
    assert_eq!(
        nulls.message(1),
        "1 row of users has NULL in name: SET NOT NULL will fail"
    );
}

#[test]
fn pt001_a_column_some_backend_cannot_create() {
    let changes = vec![
        Change::AddColumn {
            table: "users".into(),
            column: null_col("tags", ColumnType::Array(Box::new(ColumnType::Text))),
        },
        Change::AddColumn {
            table: "users".into(),
            column: null_col("born", ColumnType::Year),
        },
        Change::AddColumn {
            table: "users".into(),
            column: null_col("nick", ColumnType::Text),
        },
    ];
    let schema = Schema {
        tables: vec![users()],
        enums: Vec::new(),
    };
    let found: Vec<Hazard> = lint(&changes, &schema)
        .into_iter()
        .filter(|h| h.code == "PT001")
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(found[0].table.as_deref(), Some("users"));
    assert_eq!(
        found[0].message,
        "column users.tags is not portable to SQLite, MySQL: SQLite has no array types; \
         MySQL has no array types; the migration fails there before it changes anything"
    );
    assert!(
        found[1]
            .message
            .starts_with("column users.born is not portable to SQLite, PostgreSQL"),
        "{}",
        found[1].message
    );
    // A small auto-increment key is portable: it is written as each backend numbers.
    let key = Change::CreateTable {
        table: table("counters", Vec::new()),
    };
    let mut small = key.clone();
    if let Change::CreateTable { table } = &mut small {
        table.columns[0].ty = ColumnType::SmallUnsigned;
    }
    assert!(not_portable(&[small]).is_empty());

    // Only the configured backends count: PostgreSQL has arrays, MySQL does not.
    let postgres = LintOptions {
        dialect: Some(Dialect::Postgres),
        backends: crate::Backends::of(&[Dialect::Postgres]).expect("non-empty"),
    };
    let only_postgres: Vec<Hazard> = lint_with(&changes[..1], &schema, &postgres)
        .into_iter()
        .filter(|h| h.code == "PT001")
        .collect();
    assert!(only_postgres.is_empty(), "{only_postgres:#?}");
    let with_mysql = LintOptions {
        backends: crate::Backends::of(&[Dialect::Postgres, Dialect::MySql]).expect("non-empty"),
        ..postgres
    };
    let found: Vec<Hazard> = lint_with(&changes[..1], &schema, &with_mysql)
        .into_iter()
        .filter(|h| h.code == "PT001")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains("not portable to MySQL:"),
        "{}",
        found[0].message
    );
}
