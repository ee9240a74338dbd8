//! PostgreSQL introspection against a real server: the example entities, created
//! with SeaORM's PostgreSQL statements, read back equal (after normalization)
//! to what the entities declare, the differ finds nothing to do, and the number
//! of queries does not depend on the number of tables.
//!
//! Each test works in a scratch database of its own (see `support/pg.rs`).

#[path = "support/pg.rs"]
mod pg;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pg::PgScratch;
use schema_diff::desired::schema_from_entities;
use schema_diff::dialect::postgres::normalize_schema;
use schema_diff::introspect::{introspect, is_ignored_table};
use schema_diff::{
    Change, ColumnType, DefaultValue, Dialect, DiffOptions, EnumType, FkAction, ForeignKey, Index,
    Schema, diff,
};
use sea_orm::sea_query::PostgresQueryBuilder;
use sea_orm::{ConnectionTrait, DbBackend};

/// Creates the example entities with SeaORM's PostgreSQL statements: enum types
/// first, then the tables (retried until those they reference exist), then the
/// indexes.
async fn create_example_entities(pg: &PgScratch) {
    let builder = sea_orm::Schema::new(DbBackend::Postgres);
    let entities = entity::all_entities(&builder);
    let mut types_done = HashSet::new();
    for (_, _, types) in &entities {
        for ty in types {
            let sql = ty.to_string(PostgresQueryBuilder);
            if types_done.insert(sql.clone()) {
                pg.exec(&sql).await;
            }
        }
    }
    let mut pending: Vec<String> = entities
        .iter()
        .map(|(table, _, _)| table.to_string(PostgresQueryBuilder))
        .collect();
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for sql in pending.iter() {
            if let Err(e) = pg.db.execute_unprepared(sql).await {
                errors.push(format!("{sql}: {e}"));
                failed.push(sql.clone());
            }
        }
        assert!(
            failed.len() < pending.len(),
            "no table could be created:\n{}",
            errors.join("\n")
        );
        pending = failed;
    }
    for (_, indexes, _) in &entities {
        for index in indexes {
            pg.exec(&index.to_string(PostgresQueryBuilder)).await;
        }
    }
}

/// The example entities as the desired side sees them.
fn desired_schema() -> Schema {
    schema_from_entities(entity::all_entities(&sea_orm::Schema::new(
        DbBackend::Sqlite,
    )))
    .expect("the example entities convert")
}

/// Asserts `actual` and `desired` have the same tables, equal one by one, with a
/// readable message naming each table that differs.
fn assert_same_tables(actual: &Schema, desired: &Schema) {
    let names = |s: &Schema| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(actual), names(desired), "table names differ");
    let mut failures = Vec::new();
    for (a, d) in actual.tables.iter().zip(&desired.tables) {
        let mut d = d.clone();
        d.renamed_from = None;
        for column in &mut d.columns {
            column.renamed_from = None;
        }
        if *a != d {
            failures.push(format!(
                "table `{}` differs\n--- introspected (normalized) ---\n{a:#?}\n\
                 --- entities (normalized) ---\n{d:#?}",
                a.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Asserts the differ finds nothing to change, listing what it found if not.
fn assert_no_changes(actual: &Schema, desired: &Schema) {
    let changes = diff(actual, desired, Dialect::Postgres, &DiffOptions::default());
    let described: Vec<String> = changes.iter().map(Change::describe).collect();
    assert!(
        changes.is_empty(),
        "the differ found {} change(s):\n{}",
        changes.len(),
        described.join("\n")
    );
}

#[tokio::test]
async fn example_entities_read_back_equal() {
    let Some(pg) = PgScratch::new("entities").await else {
        return;
    };
    create_example_entities(&pg).await;
    // Noise that introspection must skip.
    pg.exec("CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint)")
        .await;
    pg.exec("CREATE TABLE db_migrate_history (id integer PRIMARY KEY)")
        .await;
    pg.exec("CREATE VIEW active_users AS SELECT id FROM users WHERE is_active")
        .await;

    let actual = introspect(&pg.db).await.expect("introspect");
    let desired = desired_schema();
    assert_eq!(actual.tables.len(), 6);
    assert!(actual.tables.iter().all(|t| !is_ignored_table(&t.name)));
    assert_eq!(
        actual.enums,
        [
            EnumType {
                name: "document_status".into(),
                values: vec!["draft".into(), "published".into(), "archived".into()],
            },
            EnumType {
                name: "user_role".into(),
                values: vec!["admin".into(), "member".into(), "guest".into()],
            },
        ]
    );

    // A few raw facts before normalization.
    let users = actual.table("users").unwrap();
    let id = users.column("id").unwrap();
    assert_eq!(id.ty, ColumnType::Integer);
    assert!(id.auto_increment && !id.nullable && id.default.is_none());
    assert_eq!(
        users.column("role").unwrap().ty,
        ColumnType::Enum {
            name: "user_role".into(),
            variants: vec!["admin".into(), "member".into(), "guest".into()],
        }
    );
    assert_eq!(
        users.column("email").unwrap().ty,
        ColumnType::String(Some(255))
    );
    assert_eq!(
        users.column("is_active").unwrap().default,
        Some(DefaultValue::Bool(true))
    );
    assert_eq!(
        users.column("created_at").unwrap().default,
        Some(DefaultValue::CurrentTimestamp)
    );
    assert_eq!(
        users.column("created_at").unwrap().ty,
        ColumnType::TimestampWithTimeZone
    );
    assert_eq!(
        users.column("last_login_at").unwrap().ty,
        ColumnType::DateTime
    );
    assert_eq!(
        users.indexes,
        [Index {
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            unique: true,
            constraint: true,
        }]
    );
    let prefs = actual.table("user_preferences").unwrap();
    assert_eq!(
        prefs.column("theme").unwrap().default,
        Some(DefaultValue::String("light".into()))
    );
    assert_eq!(
        prefs.column("locale").unwrap().ty,
        ColumnType::Char(Some(5))
    );
    assert_eq!(
        prefs.column("page_size").unwrap().default,
        Some(DefaultValue::Number("20".into()))
    );
    assert_eq!(
        prefs.foreign_keys,
        [ForeignKey {
            name: Some("fk-user_preferences-user_id".into()),
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::Cascade,
        }]
    );
    assert_eq!(
        actual.table("document_tags").unwrap().primary_key,
        ["document_id", "tag_id"]
    );
    let documents = actual.table("documents").unwrap();
    assert_eq!(
        documents.column("price").unwrap().ty,
        ColumnType::Decimal(Some((10, 2)))
    );
    assert_eq!(documents.column("id").unwrap().ty, ColumnType::BigInteger);
    assert_eq!(
        actual.table("api_keys").unwrap().column("salt").unwrap().ty,
        ColumnType::Blob
    );

    // Without normalization they differ (bytea, timestamps, ...).
    assert_ne!(
        actual.table("api_keys").unwrap().columns,
        desired.table("api_keys").unwrap().columns
    );
    let (actual_norm, desired_norm) = (normalize_schema(&actual), normalize_schema(&desired));
    assert_same_tables(&actual_norm, &desired_norm);
    assert_eq!(actual_norm.enums, desired_norm.enums);
    assert_no_changes(&actual, &desired);
}

#[tokio::test]
async fn comparison_notices_a_difference() {
    let Some(pg) = PgScratch::new("difference").await else {
        return;
    };
    create_example_entities(&pg).await;
    pg.exec("DROP INDEX \"idx-documents-owner_id\"").await;
    pg.exec("ALTER TABLE tags ALTER COLUMN color TYPE varchar(7)")
        .await;
    pg.exec("ALTER TABLE user_preferences ALTER COLUMN theme SET DEFAULT 'dark'")
        .await;
    let actual = introspect(&pg.db).await.unwrap();
    let desired = desired_schema();
    let changes = diff(
        &actual,
        &desired,
        Dialect::Postgres,
        &DiffOptions::default(),
    );
    let described: Vec<String> = changes.iter().map(Change::describe).collect();
    // The differ groups column changes as a SQLite rebuild on every backend.
    let flat: Vec<&Change> = changes
        .iter()
        .flat_map(|c| match c {
            Change::RebuildTable { changes, .. } => changes.iter().collect(),
            other => vec![other],
        })
        .collect();
    assert_eq!(flat.len(), 3, "{described:#?}");
    assert!(
        flat.iter().any(|c| matches!(c,
            Change::CreateIndex { table, index } if table == "documents"
                && index.columns == ["owner_id"] && !index.unique)),
        "{described:#?}"
    );
    assert!(
        flat.iter().any(|c| matches!(c,
            Change::AlterColumn { table, from, to } if table == "tags"
                && from.ty == ColumnType::String(Some(7)) && to.ty == ColumnType::Char(Some(7)))),
        "{described:#?}"
    );
    assert!(
        flat.iter().any(|c| matches!(c,
            Change::AlterColumn { table, from, to } if table == "user_preferences"
                && from.default == Some(DefaultValue::String("dark".into()))
                && to.default == Some(DefaultValue::String("light".into())))),
        "{described:#?}"
    );
}

/// Counts the statements sent while introspecting a database of `tables` tables.
async fn queries_for(tables: usize) -> Option<usize> {
    let pg = PgScratch::new(&format!("count{tables}")).await?;
    pg.exec("CREATE TYPE kind AS ENUM ('a', 'b')").await;
    let mut sql = String::new();
    for i in 0..tables {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id serial PRIMARY KEY, name varchar(10) UNIQUE, \
             k kind DEFAULT 'a', parent integer REFERENCES t0 (id), CHECK (id > 0)); \
             CREATE INDEX t{i}_name ON t{i} (name, parent); \
             COMMENT ON TABLE t{i} IS 'table {i}';"
        ));
    }
    pg.exec(&sql).await;
    let mut db = pg.db.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let schema = introspect(&db).await.unwrap();
    assert_eq!(schema.tables.len(), tables);
    for table in &schema.tables {
        assert_eq!(table.indexes.len(), 2, "{table:#?}");
        assert_eq!(table.foreign_keys.len(), 1, "{table:#?}");
        assert_eq!(table.checks.len(), 1, "{table:#?}");
        assert!(table.comment.is_some());
        assert!(table.columns[0].auto_increment);
    }
    Some(count.load(Ordering::SeqCst))
}

#[tokio::test]
async fn query_count_does_not_grow_with_tables() {
    let (Some(few), Some(many)) = (queries_for(5).await, queries_for(50).await) else {
        return;
    };
    assert!(few > 0, "the metric callback saw no query");
    assert_eq!(
        few, many,
        "introspection sent {few} queries for 5 tables, {many} for 50"
    );
    assert!(few <= 5, "{few} queries");
}
