//! Data safety: a SQLite table rebuild keeps what the IR does not model. A table
//! with two CHECK constraints, a trigger, a partial index, an expression index and a
//! dependent view goes through rebuilds (a column added, one dropped, one altered)
//! and back down; every object is still there and still enforced. A rebuild that
//! would have to lose one of them refuses and changes nothing.

use schema_diff::ir::{ColumnType as T, DefaultValue, Schema};
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Change, Dialect, DiffOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigrationTrait;
use tests::build::*;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

const SETUP: &[&str] = &[
    "CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        price INTEGER NOT NULL CHECK (price >= 0),
        qty INTEGER NOT NULL DEFAULT 1,
        note TEXT,
        legacy TEXT,
        CONSTRAINT qty_positive CHECK (qty > 0)
    )",
    "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER, what TEXT)",
    "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN \
     INSERT INTO audit (item_id, what) VALUES (new.id, 'insert'); END",
    "CREATE INDEX items_cheap ON items (price) WHERE price < 10",
    "CREATE INDEX items_lower_note ON items (lower(note))",
    "CREATE VIEW item_prices AS SELECT id, price FROM items",
    "INSERT INTO items (price, qty, note, legacy) VALUES (5, 2, 'a', 'x'), (50, 1, 'B', NULL)",
];

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

async fn fails(db: &DatabaseConnection, sql: &str) -> bool {
    db.execute_unprepared(sql).await.is_err()
}

/// Every attached object exists, both checks reject bad rows, the trigger fires and
/// the view reads the table.
async fn assert_all_kept(db: &DatabaseConnection, when: &str) {
    for (kind, name) in [
        ("trigger", "items_audit"),
        ("index", "items_cheap"),
        ("index", "items_lower_note"),
        ("view", "item_prices"),
    ] {
        let sql =
            format!("SELECT COUNT(*) FROM sqlite_master WHERE type = '{kind}' AND name = '{name}'");
        assert_eq!(count(db, &sql).await, 1, "{when}: {kind} {name} is gone");
    }
    assert!(
        fails(
            db,
            "INSERT INTO items (price, qty, note) VALUES (-1, 1, 'n')"
        )
        .await,
        "{when}: CHECK (price >= 0) is no longer enforced"
    );
    assert!(
        fails(
            db,
            "INSERT INTO items (price, qty, note) VALUES (1, 0, 'n')"
        )
        .await,
        "{when}: CHECK qty_positive is no longer enforced"
    );
    let audited = count(db, "SELECT COUNT(*) FROM audit").await;
    db.execute_unprepared("INSERT INTO items (price, qty, note) VALUES (3, 1, 'ok')")
        .await
        .unwrap_or_else(|e| panic!("{when}: a valid insert failed: {e}"));
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM audit").await,
        audited + 1,
        "{when}: the trigger no longer fires"
    );
    assert!(
        count(db, "SELECT COUNT(*) FROM item_prices").await >= 3,
        "{when}: view"
    );
    db.execute_unprepared("DELETE FROM items WHERE note = 'ok'")
        .await
        .expect("clean up");
}

async fn state_a(db: &DatabaseConnection) -> Schema {
    for sql in SETUP {
        db.execute_unprepared(sql).await.expect(sql);
    }
    schema_diff::introspect::introspect(db)
        .await
        .expect("introspect")
}

fn runner(changes: Vec<Change>) -> Runner {
    Runner::new(vec![Box::new(Interpreted {
        name: "m00000000_000001_rebuild".into(),
        changes,
    }) as Box<dyn MigrationTrait>])
}

#[tokio::test]
async fn rebuilds_keep_checks_triggers_partial_and_expression_indexes_and_views() {
    let scratch = Scratch::new(Backend::Sqlite, "rebuild_kept")
        .await
        .expect("SQLite is always there");
    let db = &scratch.db;
    let before = state_a(db).await;
    let mut after = before.clone();
    let items = after
        .tables
        .iter_mut()
        .find(|t| t.name == "items")
        .expect("items");
    items.columns.retain(|c| c.name != "legacy");
    for column in &mut items.columns {
        if column.name == "note" {
            column.nullable = false;
            column.default = Some(DefaultValue::String(String::new()));
        }
    }
    items.columns.push(col("tag", T::Text).null());
    let changes = schema_diff::diff(&before, &after, Dialect::Sqlite, &DiffOptions::default());
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::RebuildTable { .. })),
        "the change needs a rebuild: {changes:#?}"
    );
    let runner = runner(changes);
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .unwrap_or_else(|e| panic!("up: {e}"));
    assert_all_kept(db, "after up").await;
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM items").await,
        2,
        "rows kept"
    );
    runner
        .downgrade(db, &DowngradeTarget::Base, |_| {})
        .await
        .unwrap_or_else(|e| panic!("down: {e}"));
    assert_all_kept(db, "after down").await;
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM items").await,
        2,
        "rows kept"
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn a_rebuild_that_would_lose_an_object_refuses_and_changes_nothing() {
    let scratch = Scratch::new(Backend::Sqlite, "rebuild_refused")
        .await
        .expect("SQLite is always there");
    let db = &scratch.db;
    let before = state_a(db).await;
    let mut after = before.clone();
    let items = after
        .tables
        .iter_mut()
        .find(|t| t.name == "items")
        .expect("items");
    // `note` is used by the expression index; `qty` goes NOT NULL -> NULL (a rebuild).
    items.columns.retain(|c| c.name != "note");
    for column in &mut items.columns {
        if column.name == "qty" {
            column.nullable = true;
        }
    }
    let changes = schema_diff::diff(&before, &after, Dialect::Sqlite, &DiffOptions::default());
    let err = runner(changes)
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .expect_err("dropping a column an index uses must refuse");
    let message = err.to_string();
    assert!(
        message.contains("items_lower_note") && message.contains("note"),
        "{message}"
    );
    let left = tests::converge::changes_to(db, &before)
        .await
        .expect("introspect");
    assert!(left.is_empty(), "something changed: {left:#?}");
    assert_all_kept(db, "after the refusal").await;
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM items WHERE legacy = 'x'").await,
        1
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn a_rebuild_refuses_what_it_cannot_keep_collations_strict_without_rowid() {
    let cases = [
        "CREATE TABLE kept (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, n INT)",
        "CREATE TABLE kept (id INTEGER PRIMARY KEY, email TEXT, n INT) STRICT",
        "CREATE TABLE kept (id INTEGER PRIMARY KEY, email TEXT, n INT NOT NULL)",
    ];
    for (i, create) in cases.iter().enumerate() {
        let scratch = Scratch::new(Backend::Sqlite, "rebuild_unkept")
            .await
            .expect("SQLite is always there");
        let db = &scratch.db;
        db.execute_unprepared(create).await.expect("create");
        if i == 2 {
            // A descending index: its sort order is not modelled either.
            db.execute_unprepared("CREATE INDEX kept_email_desc ON kept (email DESC)")
                .await
                .expect("index");
        }
        db.execute_unprepared("INSERT INTO kept (email, n) VALUES ('a@x', 1)")
            .await
            .expect("row");
        let before = schema_diff::introspect::introspect(db)
            .await
            .expect("introspect");
        let mut after = before.clone();
        for column in &mut after.tables[0].columns {
            if column.name == "n" {
                column.nullable = !column.nullable;
            }
        }
        let changes = schema_diff::diff(&before, &after, Dialect::Sqlite, &DiffOptions::default());
        let err = runner(changes)
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect_err("the rebuild must refuse");
        assert!(
            err.to_string()
                .contains("which a rebuild from the entities would not keep"),
            "{create}: {err}"
        );
        let sql = "SELECT sql FROM sqlite_master WHERE name = 'kept'";
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("row");
        let kept: String = row.try_get_by_index(0).expect("sql");
        assert_eq!(kept, *create, "the table changed");
        scratch.cleanup().await;
    }
}
