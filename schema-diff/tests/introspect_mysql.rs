//! MySQL/MariaDB introspection against a real server: the example entities
//! read back equal (after normalization) to what the entities declare and diff
//! to nothing; a kitchen-sink table reads back value by value; the number of
//! catalog queries does not depend on the number of tables.
//!
//! Each test works in its own scratch database (see `support/mysql.rs`).

mod support {
    pub mod mysql;
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use schema_diff::desired::schema_from_entities;
use schema_diff::dialect::mysql::normalize_schema;
use schema_diff::introspect::{introspect, is_ignored_table};
use schema_diff::{
    Change, ColumnType, DefaultValue, Dialect, DiffOptions, FkAction, Index, Schema, Table, diff,
    statements,
};
use sea_orm::{ConnectionTrait, DbBackend};
use support::mysql::{ScratchDb, scratch};

/// Creates every example entity as SeaORM builds it for MySQL: tables in
/// dependency order (retrying until the referenced tables exist), then indexes.
async fn create_entities(db: &ScratchDb) {
    let builder = sea_orm::Schema::new(DbBackend::MySql);
    let mut pending = entity::all_entities(&builder);
    while !pending.is_empty() {
        let before = pending.len();
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for (table, indexes, types) in pending {
            assert!(types.is_empty(), "MySQL has no enum types to create");
            match db.db.execute(&table).await {
                Ok(_) => {
                    for index in &indexes {
                        db.db.execute(index).await.expect("create index");
                    }
                }
                Err(e) => {
                    errors.push(e.to_string());
                    failed.push((table, indexes, types));
                }
            }
        }
        assert!(
            failed.len() < before,
            "no table could be created: {errors:#?}"
        );
        pending = failed;
    }
}

/// The desired schema, from the entities as the desired side reads them.
fn desired() -> Schema {
    schema_from_entities(entity::all_entities(&sea_orm::Schema::new(
        DbBackend::Sqlite,
    )))
    .expect("entities")
}

/// The parts of a table that the differ compares, independent of
/// database-assigned names: unique constraints are matched by their columns.
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
                "table `{}` differs\n--- introspected (normalized) ---\n{a:#?}\n\
                 --- entities (normalized) ---\n{d:#?}",
                a.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("  {}", c.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn example_entities_read_back_equal_and_diff_to_nothing() {
    let Some(db) = scratch("entities").await else {
        return;
    };
    create_entities(&db).await;
    // Noise that introspection must skip.
    db.exec(
        "CREATE TABLE seaql_migrations (version varchar(100) PRIMARY KEY, applied_at bigint); \
         CREATE TABLE db_migrate_history (id int PRIMARY KEY); \
         CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active",
    )
    .await;

    let actual = introspect(&db.db).await.expect("introspect");
    let desired = desired();
    let names: Vec<&str> = actual.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "api_keys",
            "document_tags",
            "documents",
            "tags",
            "user_preferences",
            "users"
        ]
    );
    assert!(actual.enums.is_empty());
    assert!(actual.tables.iter().all(|t| !is_ignored_table(&t.name)));

    // Raw facts before normalization.
    let users = actual.table("users").unwrap();
    let col = |t: &Table, n: &str| t.column(n).unwrap().clone();
    assert_eq!(col(users, "id").ty, ColumnType::Integer);
    assert!(col(users, "id").auto_increment);
    assert_eq!(
        col(users, "role").ty,
        ColumnType::Enum {
            name: String::new(),
            variants: vec!["admin".into(), "member".into(), "guest".into()],
        }
    );
    assert_eq!(col(users, "is_active").ty, ColumnType::Boolean);
    assert_eq!(
        col(users, "is_active").default,
        Some(DefaultValue::Number("1".into()))
    );
    assert_eq!(
        col(users, "created_at").default,
        Some(DefaultValue::CurrentTimestamp)
    );
    assert_eq!(col(users, "created_at").ty, ColumnType::Timestamp);
    assert_eq!(
        col(users, "bio").default,
        None,
        "MariaDB's 'NULL' is no default"
    );
    assert_eq!(
        users.indexes,
        [Index {
            name: "email".into(),
            columns: vec!["email".into()],
            unique: true,
            constraint: true,
        }]
    );
    let prefs = actual.table("user_preferences").unwrap();
    assert_eq!(col(prefs, "settings").ty, ColumnType::Json);
    assert!(prefs.checks.is_empty(), "the JSON check is not reported");
    assert_eq!(
        col(prefs, "theme").default,
        Some(DefaultValue::String("light".into()))
    );
    assert_eq!(prefs.foreign_keys[0].on_delete, FkAction::Cascade);
    assert_eq!(
        prefs.foreign_keys[0].name.as_deref(),
        Some("fk-user_preferences-user_id")
    );
    let documents = actual.table("documents").unwrap();
    assert_eq!(col(documents, "public_id").ty, ColumnType::Binary(16));
    assert_eq!(col(documents, "title").ty, ColumnType::String(Some(255)));
    assert_eq!(
        col(documents, "price").ty,
        ColumnType::Decimal(Some((10, 2)))
    );
    assert_eq!(documents.foreign_keys[0].on_delete, FkAction::Restrict);
    // The automatic FK indexes InnoDB made are not reported.
    let tags = actual.table("document_tags").unwrap();
    assert_eq!(tags.primary_key, ["document_id", "tag_id"]);
    let index_names = |t: &Table| t.indexes.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(index_names(tags), ["idx-document_tags-tagged_at"]);
    assert_eq!(index_names(actual.table("api_keys").unwrap()), ["key_hash"]);

    // Without normalization they differ (enum names, Uuid as binary(16), ...).
    assert_ne!(
        comparable(documents),
        comparable(desired.table("documents").unwrap())
    );
    assert_same_tables(&normalize_schema(&actual), &normalize_schema(&desired));

    let changes = diff(&actual, &desired, Dialect::MySql, &DiffOptions::default());
    assert!(
        changes.is_empty(),
        "the differ found changes between the database and the entities it was built from:\n{}",
        describe(&changes)
    );
}

#[tokio::test]
async fn differences_are_noticed() {
    let Some(db) = scratch("differences").await else {
        return;
    };
    create_entities(&db).await;
    db.exec(
        "DROP INDEX `idx-document_tags-tagged_at` ON document_tags; \
         ALTER TABLE user_preferences ALTER COLUMN page_size SET DEFAULT 25; \
         ALTER TABLE tags MODIFY color char(8) NULL",
    )
    .await;
    let actual = introspect(&db.db).await.expect("introspect");
    // Column changes come grouped as SQLite table rebuilds; look inside.
    let changes: Vec<Change> = diff(&actual, &desired(), Dialect::MySql, &DiffOptions::default())
        .into_iter()
        .flat_map(|c| match c {
            Change::RebuildTable { changes, .. } => changes,
            other => vec![other],
        })
        .collect();
    assert_eq!(changes.len(), 3, "{}", describe(&changes));
    assert!(
        changes.iter().any(|c| matches!(c,
            Change::CreateIndex { table, index } if table == "document_tags"
                && index.name == "idx-document_tags-tagged_at")),
        "{}",
        describe(&changes)
    );
    assert!(
        changes.iter().any(|c| matches!(c,
            Change::AlterColumn { table, from, to } if table == "user_preferences"
                && from.default == Some(DefaultValue::Number("25".into()))
                && to.default == Some(DefaultValue::Number("20".into())))),
        "{}",
        describe(&changes)
    );
    assert!(
        changes.iter().any(|c| matches!(c,
            Change::AlterColumn { table, from, to } if table == "tags"
                && from.ty == ColumnType::Char(Some(8)) && to.ty == ColumnType::Char(Some(7)))),
        "{}",
        describe(&changes)
    );
}

/// Counts the statements sent while introspecting a database of `tables` tables.
async fn queries_for(tables: usize) -> Option<usize> {
    let db = scratch(&format!("count{tables}")).await?;
    let mut sql = String::from(
        "CREATE TABLE t0 (id int PRIMARY KEY, name varchar(10) UNIQUE, parent int, \
         CONSTRAINT t0_parent FOREIGN KEY (parent) REFERENCES t0 (id), CHECK (id > 0));",
    );
    for i in 1..tables {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id int PRIMARY KEY, name varchar(10) UNIQUE, parent int, \
             CONSTRAINT t{i}_parent FOREIGN KEY (parent) REFERENCES t0 (id), CHECK (id > 0));\
             CREATE INDEX t{i}_name_parent ON t{i} (name, parent);"
        ));
    }
    db.exec(&sql).await;
    let mut conn = db.db.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    conn.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let schema = introspect(&conn).await.expect("introspect");
    assert_eq!(schema.tables.len(), tables);
    assert!(
        schema
            .tables
            .iter()
            .all(|t| t.foreign_keys.len() == 1 && t.checks.len() == 1 && !t.indexes.is_empty())
    );
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
    assert!(few <= 8, "{few} queries");
}

/// Creates `schema`'s tables with this crate's own statements (what generated
/// migrations run), referenced tables first.
async fn create_from_ir(db: &ScratchDb, schema: &Schema) {
    let mut pending: Vec<&Table> = schema.tables.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for table in pending {
            match db.db.execute(&statements::create_table(table)).await {
                Ok(_) => {
                    for index in statements::create_indexes(table) {
                        db.db.execute(&index).await.expect("create index");
                    }
                }
                Err(e) => {
                    errors.push(format!("{}: {e}", table.name));
                    failed.push(table);
                }
            }
        }
        assert!(
            failed.len() < before,
            "no table could be created: {errors:#?}"
        );
        pending = failed;
    }
}

#[tokio::test]
async fn tables_created_from_the_ir_diff_to_nothing() {
    let Some(db) = scratch("from_ir").await else {
        return;
    };
    let desired = desired();
    create_from_ir(&db, &desired).await;
    let actual = introspect(&db.db).await.expect("introspect");
    let changes = diff(&actual, &desired, Dialect::MySql, &DiffOptions::default());
    assert!(
        changes.is_empty(),
        "tables created from the IR by `statements` read back different:\n{}",
        describe(&changes)
    );
}
