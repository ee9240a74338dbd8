//! Apps that run sea-orm-migration's own `Migrator::up` keep working.
//!
//! The stock runner runs SQLite migrations outside a transaction with foreign keys
//! on, where a table rebuild of a referenced table cannot run. A generated module
//! with such a rebuild fails there before its first statement (no index left
//! behind, the schema and history unchanged), and the one-line replacement
//! `schema_diff::runner::upgrade_app::<Migrator>(&db)` applies it, on every backend.
//!
//! `tests/fixtures/adoption_stock_runner.rs` is the renderer's output for
//! [`changes`]; regenerate it with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test adoption_stock_runner`.

#[path = "../fixtures/adoption_stock_runner.rs"]
mod adoption_stock_runner;

use schema_diff::ir::{ColumnType as T, FkAction, Schema};
use schema_diff::render::{RenderOptions, render_migration};
use schema_diff::{Change, Dialect, DiffOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tests::build::*;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/adoption_stock_runner.rs"
);

/// State A: `comments` references `posts`, whose `body` may be null.
fn before() -> Schema {
    schema(vec![
        table("posts")
            .with(col("title", T::String(Some(100))))
            .with(col("body", T::Text).null()),
        table("comments")
            .with(col("post_id", T::Integer))
            .with(col("note", T::String(Some(100))).null())
            .fk(&["post_id"], "posts", &["id"], FkAction::Cascade),
    ])
}

/// State B: an index on `comments`, and `posts.body` NOT NULL with a default
/// (a rebuild on SQLite).
fn after() -> Schema {
    schema(vec![
        table("posts")
            .with(col("title", T::String(Some(100))))
            .with(col("body", T::Text).default(text_default(""))),
        table("comments")
            .with(col("post_id", T::Integer))
            .with(col("note", T::String(Some(100))).null())
            .fk(&["post_id"], "posts", &["id"], FkAction::Cascade)
            .index("idx-comments-note", &["note"]),
    ])
}

fn changes() -> Vec<Change> {
    schema_diff::diff(
        &before(),
        &after(),
        Dialect::Sqlite,
        &DiffOptions::default(),
    )
}

fn rendered() -> String {
    let options = RenderOptions {
        description: "comment index and required post bodies".into(),
        hazards: vec![],
        ..Default::default()
    };
    render_migration(&changes(), &options).expect("render")
}

const SEED: &[&str] = &[
    "INSERT INTO posts (title, body) VALUES ('first', 'a'), ('second', 'b')",
    "INSERT INTO comments (post_id, note) VALUES (1, 'x'), (1, 'y'), (2, 'z')",
];

/// The application's migrator, as sea-orm-migration has it: state A, then the
/// generated module.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        // The state A migration of the backend it runs on is chosen at run time by
        // `statements::apply`; the change list is the same on every backend here.
        vec![
            Box::new(Interpreted {
                name: "m00000000_000001_state_a".into(),
                changes: schema_diff::diff(
                    &Schema::default(),
                    &before(),
                    Dialect::Sqlite,
                    &DiffOptions::default(),
                ),
            }),
            Box::new(adoption_stock_runner::Migration),
        ]
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

async fn seed(db: &DatabaseConnection) {
    for sql in SEED {
        db.execute_unprepared(sql).await.expect(sql);
    }
}

#[test]
fn the_compiled_fixture_is_the_current_render() {
    let now = rendered();
    tests::fixture::assert_current(FIXTURE, &now, "adoption_stock_runner");
    // What the test below relies on: a statement runs before the rebuild.
    let index = now.find("create_index").expect("an index is created");
    let rebuild = now.find("rebuild_sqlite_table(").expect("posts is rebuilt");
    let check = now
        .find("check_sqlite_rebuilds(")
        .expect("the module checks its rebuilds");
    assert!(
        check < index && index < rebuild,
        "expected check, index, rebuild in that order:\n{now}"
    );
}

#[tokio::test]
async fn stock_migrator_up_fails_before_changing_anything_then_upgrade_app_applies_it() {
    let scratch = Scratch::new(Backend::Sqlite, "stock_runner")
        .await
        .expect("SQLite is always there");
    let db = &scratch.db;
    assert_eq!(
        count(db, "PRAGMA foreign_keys").await,
        1,
        "sqlx turns them on"
    );
    Migrator::up(db, Some(1)).await.expect("state A");
    seed(db).await;

    let err = Migrator::up(db, None)
        .await
        .expect_err("the rebuild of a referenced table cannot run with foreign keys on");
    let message = err.to_string();
    for needle in [
        "`posts`",
        "`comments`",
        "foreign keys are on",
        "before changing anything",
        "db-migrate upgrade",
        "schema_diff::runner::upgrade_app::<Migrator>(&db)",
    ] {
        assert!(message.contains(needle), "`{needle}` not in: {message}");
    }
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM pragma_index_list('comments') WHERE name = 'idx-comments-note'"
        )
        .await,
        0,
        "the index before the rebuild was created anyway"
    );
    let left = tests::converge::changes_to(db, &before())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "the schema changed: {left:#?}");
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM seaql_migrations").await,
        1,
        "only state A is recorded"
    );
    // The stock runner still works on it, and fails the same way again.
    let again = Migrator::up(db, None).await.expect_err("still refused");
    assert_eq!(again.to_string(), message);

    let applied = schema_diff::runner::upgrade_app::<Migrator>(db)
        .await
        .unwrap_or_else(|e| panic!("the one-line call: {e}"));
    let versions: Vec<&str> = applied.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["adoption_stock_runner"]);
    let left = tests::converge::changes_to(db, &after())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "not at state B: {left:#?}");
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM comments").await,
        3,
        "child rows kept"
    );
    assert_eq!(count(db, "PRAGMA foreign_keys").await, 1, "on again after");
    // The stock runner sees the history as its own.
    let pending = Migrator::get_pending_migrations(db).await.expect("pending");
    assert!(pending.is_empty(), "{} pending", pending.len());
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM db_migrate_history WHERE version = 'adoption_stock_runner'"
        )
        .await,
        1,
        "the companion table records it"
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn stock_migrator_up_still_runs_a_rebuild_of_an_unreferenced_table() {
    let scratch = Scratch::new(Backend::Sqlite, "stock_unreferenced")
        .await
        .expect("SQLite is always there");
    let db = &scratch.db;
    Migrator::up(db, Some(1)).await.expect("state A");
    seed(db).await;
    // Without the foreign key, `posts` is referenced by nothing: nothing to refuse.
    db.execute_unprepared("DROP TABLE comments")
        .await
        .expect("drop");
    db.execute_unprepared(
        "CREATE TABLE comments (id integer PRIMARY KEY AUTOINCREMENT, \
         post_id integer NOT NULL, note text)",
    )
    .await
    .expect("unreferenced comments");
    Migrator::up(db, None)
        .await
        .unwrap_or_else(|e| panic!("an unreferenced rebuild runs under the stock runner: {e}"));
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM posts WHERE body <> ''").await,
        2
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn upgrade_app_applies_the_module_on_every_backend() {
    let mut skipped = Vec::new();
    for backend in Backend::ALL {
        let Some(scratch) = Scratch::new(backend, "upgrade_app").await else {
            skipped.push(backend);
            continue;
        };
        let db = &scratch.db;
        let applied = schema_diff::runner::upgrade_app::<Migrator>(db)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(applied.len(), 2, "{backend:?}");
        let left = tests::converge::changes_to(db, &after())
            .await
            .expect("introspect");
        assert!(left.is_empty(), "{backend:?}: not at state B: {left:#?}");
        let again = schema_diff::runner::upgrade_app::<Migrator>(db)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: second run: {e}"));
        assert!(again.is_empty(), "{backend:?}: applied twice");
        let pending = Migrator::get_pending_migrations(db).await.expect("pending");
        assert!(
            pending.is_empty(),
            "{backend:?}: the stock runner sees it pending"
        );
        if backend == Backend::Sqlite {
            assert_eq!(db.get_database_backend(), DbBackend::Sqlite);
        }
        scratch.cleanup().await;
    }
    if !skipped.is_empty() {
        eprintln!("SKIPPED on {skipped:?}: server unreachable");
    }
}

/// An error of the runner converts into a `DbErr`, so `?` works where
/// `Migrator::up(&db, None).await?` did.
#[tokio::test]
async fn upgrade_app_errors_convert_into_db_err() {
    let scratch = Scratch::new(Backend::Sqlite, "upgrade_app_err")
        .await
        .expect("SQLite is always there");
    let db = &scratch.db;
    db.execute_unprepared("CREATE TABLE posts (id integer PRIMARY KEY)")
        .await
        .expect("a conflicting table");
    async fn start(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        schema_diff::runner::upgrade_app::<Migrator>(db).await?;
        Ok(())
    }
    let err = start(db).await.expect_err("posts exists already");
    assert!(
        err.to_string().contains("m00000000_000001_state_a"),
        "{err}"
    );
    scratch.cleanup().await;
}
