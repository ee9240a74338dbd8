//! Migrations generated on one backend run on the others, or stop before they start.
//!
//! - `u8`/`u16` auto-increment keys (what a MariaDB schema has): on SQLite they are
//!   created `integer` (`smallint ... AUTOINCREMENT` is rejected there), on
//!   PostgreSQL as the identity type that holds them (sea-query panicked with
//!   "SmallUnsigned doesn't support auto increment"); applied, the re-diff is empty.
//! - A `Year` column (MySQL only) on SQLite and PostgreSQL, an array column
//!   (PostgreSQL only) on SQLite and MySQL: the runner refuses the migration with an
//!   error naming it, the table and the column, and nothing is created.

use schema_diff::ir::{Column, ColumnType, Schema, Table};
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Change, Dialect, DiffOptions};
use sea_orm_migration::MigrationTrait;
use tests::converge::changes_to;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

fn keyed(name: &str, ty: ColumnType) -> Table {
    let mut id = Column::new("id", ty);
    id.auto_increment = true;
    Table {
        name: name.into(),
        columns: vec![id, Column::new("label", ColumnType::String(Some(40)))],
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

fn migration(name: &str, changes: Vec<Change>) -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Interpreted {
        name: name.into(),
        changes,
    })]
}

async fn small_keys(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "faults_small_keys").await else {
        return;
    };
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("dialect");
    let mut desired = Schema {
        tables: vec![
            keyed("tiny_keyed", ColumnType::TinyUnsigned),
            keyed("small_keyed", ColumnType::SmallUnsigned),
            keyed("signed_small_keyed", ColumnType::SmallInteger),
            keyed("unsigned_keyed", ColumnType::Unsigned),
        ],
        enums: Vec::new(),
    };
    desired.sort();
    let up = schema_diff::diff(
        &Schema::default(),
        &desired,
        dialect,
        &DiffOptions::default(),
    );
    let runner = Runner::new(migration("m20990101_000000_small_keys", up));
    if let Err(e) = runner.upgrade(db, &UpgradeTarget::Head, |_| {}).await {
        panic!("{backend:?}: creating small auto-increment keys failed: {e}");
    }
    let left = changes_to(db, &desired).await.expect("re-diff");
    assert!(left.is_empty(), "{backend:?}: after up: {left:#?}");
    // The keys number rows.
    use sea_orm::ConnectionTrait;
    for table in &desired.tables {
        let quoted = schema_diff::sql_text::quote_ident(dialect, &table.name);
        db.execute_unprepared(&format!("INSERT INTO {quoted} (label) VALUES ('a')"))
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: insert into {}: {e}", table.name));
    }
    runner
        .downgrade(db, &DowngradeTarget::Base, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: down: {e}"));
    scratch.cleanup().await;
}

#[tokio::test]
async fn faults_small_auto_increment_keys_on_sqlite() {
    small_keys(Backend::Sqlite).await;
}

#[tokio::test]
async fn faults_small_auto_increment_keys_on_postgres() {
    small_keys(Backend::Postgres).await;
}

#[tokio::test]
async fn faults_small_auto_increment_keys_on_mysql() {
    small_keys(Backend::MySql).await;
}

/// A table with `column` is refused on `backend` with `reason`, before it starts.
async fn refused(backend: Backend, column: Column, reason: &str) {
    let Some(scratch) = Scratch::new(backend, "faults_not_portable").await else {
        return;
    };
    let db = &scratch.db;
    let mut table = keyed("unportable", ColumnType::Integer);
    table.columns.push(column);
    let version = "m20990101_000000_unportable";
    let runner = Runner::new(migration(version, vec![Change::CreateTable { table }]));
    let err = runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .expect_err("refused");
    let text = err.to_string();
    for needle in [
        version,
        "column `unportable`.`c`",
        reason,
        "nothing was changed",
    ] {
        assert!(
            text.contains(needle),
            "{backend:?}: `{needle}` missing: {text}"
        );
    }
    let actual = schema_diff::introspect::introspect(db)
        .await
        .expect("introspect");
    assert!(
        actual.table("unportable").is_none(),
        "{backend:?}: created anyway"
    );
    // Nothing recorded: the same refusal again, not a dirty migration.
    let again = runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .expect_err("refused again");
    assert!(again.to_string().contains(reason), "{backend:?}: {again}");
    scratch.cleanup().await;
}

#[tokio::test]
async fn faults_year_is_refused_on_sqlite_and_postgres() {
    let year = Column::new("c", ColumnType::Year);
    refused(Backend::Sqlite, year.clone(), "SQLite has no year type").await;
    refused(Backend::Postgres, year, "PostgreSQL has no year type").await;
}

#[tokio::test]
async fn faults_arrays_are_refused_on_sqlite_and_mysql() {
    let array = Column::new("c", ColumnType::Array(Box::new(ColumnType::Text)));
    refused(Backend::Sqlite, array.clone(), "SQLite has no array types").await;
    refused(Backend::MySql, array, "MySQL has no array types").await;
}
