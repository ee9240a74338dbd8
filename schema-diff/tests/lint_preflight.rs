//! `lint::preflight` against a real SQLite file: counts turn warnings into dangers.

use schema_diff::Change;
use schema_diff::ir::{Column, ColumnType, FkAction, ForeignKey, Index};
use schema_diff::lint::{Hazard, Severity, preflight};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

async fn fresh_db() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("preflight.db").display()
    );
    let db = Database::connect(&url).await.expect("open sqlite");
    for sql in [
        "CREATE TABLE users (id integer PRIMARY KEY, email varchar(255) NOT NULL, \
         name text NULL, nick text NULL)",
        "INSERT INTO users (id, email, name, nick) VALUES \
         (1, 'a@x', 'Ann', 'a'), (2, 'a@x', NULL, 'b'), (3, 'b@x', NULL, NULL), \
         (4, 'b@x', 'Bob', NULL), (5, 'c@x', 'Cy', NULL)",
        "CREATE TABLE posts (id integer PRIMARY KEY, author_id integer NULL)",
        "INSERT INTO posts (id, author_id) VALUES (1, 1), (2, 9), (3, NULL), (4, 7)",
    ] {
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    (dir, db)
}

fn text(name: &str, nullable: bool) -> Column {
    Column {
        nullable,
        ..Column::new(name, ColumnType::Text)
    }
}

fn unique(name: &str, column: &str) -> Change {
    Change::CreateIndex {
        table: "users".into(),
        index: Index {
            name: name.into(),
            columns: vec![column.into()],
            unique: true,
            constraint: false,
        },
    }
}

fn set_not_null(column: &str) -> Change {
    Change::AlterColumn {
        table: "users".into(),
        from: text(column, true),
        to: text(column, false),
    }
}

fn author_fk() -> ForeignKey {
    ForeignKey {
        name: Some("fk-posts-author".into()),
        columns: vec!["author_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
    }
}

async fn run(db: &DatabaseConnection, changes: &[Change]) -> Vec<Hazard> {
    preflight(db, changes)
        .await
        .unwrap_or_else(|e| panic!("preflight: {e}"))
}

#[tokio::test]
async fn preflight_counts_nulls_and_duplicates() {
    let (_dir, db) = fresh_db().await;
    let hazards = run(
        &db,
        &[set_not_null("name"), unique("users_email_key", "email")],
    )
    .await;
    let summary: Vec<(&str, Severity, Option<&str>)> = hazards
        .iter()
        .map(|h| (h.code, h.severity, h.table.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("DF002", Severity::Danger, Some("users")),
            ("DF003", Severity::Danger, Some("users")),
        ]
    );
    assert_eq!(
        hazards[0].message,
        "2 rows of users have NULL in name: SET NOT NULL will fail"
    );
    assert_eq!(
        hazards[1].message,
        "users has 2 groups of rows sharing (email): unique index users_email_key will fail"
    );
}

#[tokio::test]
async fn preflight_reports_only_real_counts() {
    let (_dir, db) = fresh_db().await;
    // `id` has no NULLs; `nick` repeats only NULLs, which a unique index allows.
    let changes = [set_not_null("id"), unique("users_nick_key", "nick")];
    assert_eq!(run(&db, &changes).await, []);
}

#[tokio::test]
async fn preflight_counts_rows_and_orphans() {
    let (_dir, db) = fresh_db().await;
    let changes = [
        Change::AddColumn {
            table: "users".into(),
            column: Column::new("age", ColumnType::Integer),
        },
        Change::AddForeignKey {
            table: "posts".into(),
            foreign_key: author_fk(),
        },
    ];
    let hazards = run(&db, &changes).await;
    let messages: Vec<&str> = hazards.iter().map(|h| h.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "users has 5 rows: adding NOT NULL column age without a default will fail",
            "2 rows of posts reference no users row through (author_id): the foreign key will fail",
        ]
    );
    assert!(hazards.iter().all(|h| h.severity == Severity::Danger));
}

#[tokio::test]
async fn preflight_follows_renames_and_skips_added_columns() {
    let (_dir, db) = fresh_db().await;
    let changes = [
        Change::RenameTable {
            from: "users".into(),
            to: "people".into(),
        },
        Change::RenameColumn {
            table: "people".into(),
            from: "name".into(),
            to: "full_name".into(),
        },
        Change::AlterColumn {
            table: "people".into(),
            from: text("full_name", true),
            to: text("full_name", false),
        },
        // Added by this migration: nothing to count yet (and no query on a missing
        // column).
        Change::AddColumn {
            table: "people".into(),
            column: text("handle", true),
        },
        Change::CreateIndex {
            table: "people".into(),
            index: Index {
                name: "people_handle_key".into(),
                columns: vec!["handle".into()],
                unique: true,
                constraint: false,
            },
        },
    ];
    let hazards = run(&db, &changes).await;
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
    assert_eq!(hazards[0].code, "DF002");
    assert_eq!(hazards[0].table.as_deref(), Some("people"));
    assert_eq!(
        hazards[0].message,
        "2 rows of people have NULL in full_name: SET NOT NULL will fail"
    );
}
