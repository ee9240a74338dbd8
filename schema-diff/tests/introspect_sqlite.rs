//! SQLite introspection against real databases: the example entities read back
//! equal (after normalization) to what the entities declare, with a number of
//! queries that does not depend on the number of tables.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use schema_diff::desired::schema_from_entities;
use schema_diff::dialect::sqlite::normalize_schema;
use schema_diff::introspect::{introspect, is_ignored_table};
use schema_diff::{Column, ColumnType, DefaultValue, FkAction, Generated, Index, Schema, Table};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// A fresh database file; the directory lives as long as the returned guard.
async fn fresh_db() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = Database::connect(&url).await.expect("open sqlite");
    (dir, db)
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The parts of a table that the differ compares, in an order independent of
/// database-assigned names: constraint indexes are matched by their columns.
fn comparable(table: &Table) -> Table {
    let mut t = table.clone();
    t.renamed_from = None;
    for column in &mut t.columns {
        column.renamed_from = None;
    }
    for index in &mut t.indexes {
        if index.constraint {
            index.name = "<unique constraint>".into();
        }
    }
    t.indexes.sort_by(|a, b| {
        (a.constraint, &a.columns, &a.name).cmp(&(b.constraint, &b.columns, &b.name))
    });
    t
}

fn assert_same_tables(actual: &Schema, desired: &Schema) {
    let names = |s: &Schema| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(actual), names(desired), "table names differ");
    let mut failures = Vec::new();
    for (a, d) in actual.tables.iter().zip(&desired.tables) {
        let (a, d) = (comparable(a), comparable(d));
        if a != d {
            failures.push(format!(
                "table `{}` differs\n--- introspected (normalized) ---\n{a:#?}\n--- entities (normalized) ---\n{d:#?}",
                a.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn example_entities_read_back_equal() {
    let (_dir, db) = fresh_db().await;
    let builder = sea_orm::Schema::new(DbBackend::Sqlite);
    for (table, indexes, _) in entity::all_entities(&builder) {
        db.execute(&table).await.expect("create table");
        for index in &indexes {
            db.execute(index).await.expect("create index");
        }
    }
    // Noise that introspection must skip.
    exec(
        &db,
        "CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint)",
    )
    .await;
    exec(
        &db,
        "CREATE TABLE db_migrate_history (id integer PRIMARY KEY)",
    )
    .await;

    let actual = introspect(&db).await.expect("introspect");
    let desired = schema_from_entities(entity::all_entities(&builder)).expect("entities");
    assert_eq!(actual.tables.len(), 6);
    assert!(actual.enums.is_empty());
    assert!(actual.tables.iter().all(|t| !is_ignored_table(&t.name)));

    // A few raw facts before normalization.
    let users = actual.table("users").unwrap();
    assert_eq!(users.column("id").unwrap().ty, ColumnType::Integer);
    assert!(users.column("id").unwrap().auto_increment);
    assert_eq!(
        users.column("role").unwrap().ty,
        ColumnType::Custom("enum_text".into())
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
        users.indexes,
        [Index {
            name: "sqlite_autoindex_users_1".into(),
            columns: vec!["email".into()],
            unique: true,
            constraint: true,
        }]
    );
    let tags = actual.table("document_tags").unwrap();
    assert_eq!(tags.primary_key, ["document_id", "tag_id"]);
    let prefs = actual.table("user_preferences").unwrap();
    assert_eq!(prefs.foreign_keys[0].on_delete, FkAction::Cascade);
    assert_eq!(prefs.foreign_keys[0].on_update, FkAction::Cascade);
    assert_eq!(prefs.foreign_keys[0].name, None);
    let documents = actual.table("documents").unwrap();
    assert_eq!(
        documents.column("price").unwrap().ty,
        ColumnType::Decimal(Some((10, 2)))
    );

    // Without normalization they differ (enum_text, BigInteger written as integer, ...).
    assert_ne!(
        comparable(actual.table("users").unwrap()),
        comparable(desired.table("users").unwrap())
    );
    assert_same_tables(&normalize_schema(&actual), &normalize_schema(&desired));
}

#[tokio::test]
async fn comparison_notices_a_difference() {
    let (_dir, db) = fresh_db().await;
    let builder = sea_orm::Schema::new(DbBackend::Sqlite);
    for (table, indexes, _) in entity::all_entities(&builder) {
        db.execute(&table).await.expect("create table");
        for index in &indexes {
            db.execute(index).await.expect("create index");
        }
    }
    exec(&db, "DROP INDEX \"idx-documents-owner_id\"").await;
    let actual = normalize_schema(&introspect(&db).await.unwrap());
    let desired = normalize_schema(&schema_from_entities(entity::all_entities(&builder)).unwrap());
    let documents = |s: &Schema| comparable(s.table("documents").unwrap());
    assert_ne!(documents(&actual), documents(&desired));
    assert_eq!(
        comparable(actual.table("users").unwrap()),
        comparable(desired.table("users").unwrap())
    );
}

#[tokio::test]
async fn hand_written_sql_is_read() {
    let (_dir, db) = fresh_db().await;
    exec(
        &db,
        "CREATE TABLE parent (code TEXT NOT NULL, region INT NOT NULL, PRIMARY KEY (code, region))",
    )
    .await;
    exec(
        &db,
        "CREATE TABLE \"Child\" (\n\
           id INTEGER PRIMARY KEY,\n\
           name VARCHAR(40) NOT NULL DEFAULT 'it''s' UNIQUE,\n\
           amount NUMERIC(12, 3) DEFAULT (-1.50),\n\
           flag BOOLEAN DEFAULT FALSE,\n\
           seen DATETIME DEFAULT (CURRENT_TIMESTAMP),\n\
           doubled INTEGER GENERATED ALWAYS AS (id * 2) STORED,\n\
           p_code TEXT, p_region INT,\n\
           weird My_Type(7),\n\
           FOREIGN KEY (p_code, p_region) REFERENCES parent ON DELETE SET NULL ON UPDATE RESTRICT,\n\
           UNIQUE (p_code, p_region)\n\
         )",
    )
    .await;
    exec(&db, "CREATE INDEX child_lower ON \"Child\" (lower(name))").await;
    exec(
        &db,
        "CREATE INDEX child_partial ON \"Child\" (amount) WHERE amount > 0",
    )
    .await;
    exec(
        &db,
        "CREATE UNIQUE INDEX child_flag_seen ON \"Child\" (flag, seen DESC)",
    )
    .await;
    exec(
        &db,
        "CREATE TABLE counter (n integer PRIMARY KEY AUTOINCREMENT)",
    )
    .await;
    exec(
        &db,
        "CREATE TABLE kv (k BIGINT PRIMARY KEY, v) WITHOUT ROWID",
    )
    .await;

    let schema = introspect(&db).await.unwrap();
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Child", "counter", "kv", "parent"]);

    let child = schema.table("Child").unwrap();
    let col = |n: &str| child.column(n).unwrap().clone();
    assert_eq!(child.primary_key, ["id"]);
    assert!(col("id").auto_increment && !col("id").nullable);
    let mut name = Column::new("name", ColumnType::String(Some(40)));
    name.default = Some(DefaultValue::String("it's".into()));
    assert_eq!(col("name"), name);
    assert_eq!(col("amount").ty, ColumnType::Decimal(Some((12, 3))));
    assert_eq!(
        col("amount").default,
        Some(DefaultValue::Number("-1.5".into()))
    );
    assert_eq!(col("flag").default, Some(DefaultValue::Bool(false)));
    assert_eq!(col("seen").ty, ColumnType::DateTime);
    assert_eq!(col("seen").default, Some(DefaultValue::CurrentTimestamp));
    assert_eq!(
        col("doubled").generated,
        Some(Generated {
            expr: "id * 2".into(),
            stored: true
        })
    );
    assert_eq!(col("weird").ty, ColumnType::Custom("My_Type(7)".into()));
    assert_eq!(
        child
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "id", "name", "amount", "flag", "seen", "doubled", "p_code", "p_region", "weird"
        ]
    );

    // Expression and partial indexes are skipped; the rest is there.
    let indexes: Vec<(&str, Vec<String>, bool, bool)> = child
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.columns.clone(), i.unique, i.constraint))
        .collect();
    assert_eq!(
        indexes,
        [
            (
                "child_flag_seen",
                vec!["flag".into(), "seen".into()],
                true,
                false
            ),
            ("sqlite_autoindex_Child_1", vec!["name".into()], true, true),
            (
                "sqlite_autoindex_Child_2",
                vec!["p_code".into(), "p_region".into()],
                true,
                true
            ),
        ]
    );

    let fk = &child.foreign_keys[0];
    assert_eq!(fk.ref_table, "parent");
    assert_eq!(fk.columns, ["p_code", "p_region"]);
    assert_eq!(
        fk.ref_columns,
        ["code", "region"],
        "implicit columns are the parent's key"
    );
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::SetNull, FkAction::Restrict)
    );

    assert!(schema.table("counter").unwrap().columns[0].auto_increment);
    let kv = schema.table("kv").unwrap();
    assert!(
        !kv.columns[0].auto_increment,
        "WITHOUT ROWID has no rowid alias"
    );
    assert_eq!(kv.columns[0].ty, ColumnType::BigInteger);
    assert_eq!(kv.columns[1].ty, ColumnType::Custom(String::new()));
    assert!(kv.columns[1].nullable);
    assert_eq!(
        schema.table("parent").unwrap().primary_key,
        ["code", "region"]
    );
}

/// Counts the statements sent while introspecting a database of `tables` tables.
async fn queries_for(tables: usize) -> usize {
    let (_dir, mut db) = fresh_db().await;
    for i in 0..tables {
        exec(
            &db,
            &format!(
                "CREATE TABLE t{i} (id integer PRIMARY KEY, name varchar(10) UNIQUE, \
                 parent integer REFERENCES t0 (id)); CREATE INDEX t{i}_name ON t{i} (name)"
            ),
        )
        .await;
    }
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let schema = introspect(&db).await.unwrap();
    assert_eq!(schema.tables.len(), tables);
    assert!(
        schema
            .tables
            .iter()
            .all(|t| t.indexes.len() == 2 && t.foreign_keys.len() == 1)
    );
    count.load(Ordering::SeqCst)
}

#[tokio::test]
async fn query_count_does_not_grow_with_tables() {
    let few = queries_for(5).await;
    let many = queries_for(50).await;
    assert!(few > 0, "the metric callback saw no query");
    assert_eq!(
        few, many,
        "introspection sent {few} queries for 5 tables, {many} for 50"
    );
    assert!(few <= 5, "{few} queries");
}
