//! A module rendered for PostgreSQL only (`backends = ["postgres"]`), compiled into
//! this test: it holds no SQLite or MySQL code, converges on PostgreSQL, and on
//! SQLite and MariaDB stops before any statement with an error naming the backends
//! it was rendered for.
//!
//! `tests/fixtures/adoption_backends_postgres.rs` is the renderer's output for
//! `tests::every_change::changes()` with `backends = [postgres]`; regenerate it with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test adoption_backends_module`.

#[path = "../fixtures/adoption_backends_postgres.rs"]
mod m00000000_000002_postgres_only;

use schema_diff::render::{RenderOptions, render_migration};
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Backends, Dialect, DiffOptions, Schema};
use sea_orm_migration::MigrationTrait;
use tests::every_change::{SEED, after, before, changes};
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/adoption_backends_postgres.rs"
);

fn rendered() -> String {
    let options = RenderOptions {
        description: "every kind of change, for PostgreSQL".into(),
        backends: Backends::of(&[Dialect::Postgres]).expect("non-empty"),
        ..Default::default()
    };
    render_migration(&changes(), &options).expect("render")
}

#[test]
fn the_compiled_fixture_is_the_current_render() {
    let now = rendered();
    tests::fixture::assert_current(FIXTURE, &now, "adoption_backends_module");
}

#[test]
fn the_module_holds_postgres_code_only() {
    let code = rendered();
    for absent in [
        "DbBackend::Sqlite",
        "DbBackend::MySql",
        "== DbBackend",
        "rebuild_sqlite_table",
        "check_sqlite_rebuilds",
        "alter_mysql_enum_columns",
    ] {
        assert!(!code.contains(absent), "`{absent}` in:\n{code}");
    }
    // One guard in `up`, one in `down`, and no other condition.
    assert_eq!(code.matches("get_database_backend()").count(), 2, "{code}");
    let full = render_migration(&changes(), &RenderOptions::default()).expect("render");
    assert!(code.lines().count() < full.lines().count());
}

/// A scratch database in state A with rows, and the runner of A and the module.
async fn state_a(backend: Backend) -> Option<(Scratch, Runner)> {
    let scratch = Scratch::new(backend, "backends_module").await?;
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("known backend");
    let opts = DiffOptions::default();
    let migrations: Vec<Box<dyn MigrationTrait>> = vec![
        Box::new(Interpreted {
            name: "m00000000_000001_state_a".into(),
            changes: schema_diff::diff(&Schema::default(), &before(), dialect, &opts),
        }),
        Box::new(m00000000_000002_postgres_only::Migration),
    ];
    let runner = Runner::new(migrations);
    runner
        .upgrade(db, &UpgradeTarget::Steps(1), |_| {})
        .await
        .expect("state A");
    for sql in SEED {
        sea_orm::ConnectionTrait::execute_unprepared(db, sql)
            .await
            .expect("seed");
    }
    Some((scratch, runner))
}

#[tokio::test]
async fn converges_on_postgres() {
    let Some((scratch, runner)) = state_a(Backend::Postgres).await else {
        return;
    };
    let db = &scratch.db;
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .unwrap_or_else(|e| panic!("the compiled module's up failed: {e}"));
    let left = tests::converge::changes_to(db, &after())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "after up: {left:#?}");
    runner
        .downgrade(db, &DowngradeTarget::Steps(1), |_| {})
        .await
        .unwrap_or_else(|e| panic!("the compiled module's down failed: {e}"));
    let left = tests::converge::changes_to(db, &before())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "after down: {left:#?}");
    scratch.cleanup().await;
}

async fn refuses_on(backend: Backend) {
    let Some((scratch, runner)) = state_a(backend).await else {
        return;
    };
    let db = &scratch.db;
    let error = runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .expect_err("a PostgreSQL-only module must not run here");
    let message = format!("{error:#}");
    assert!(
        message.contains("rendered for PostgreSQL only")
            && message.contains("backends = [\"postgres\"]"),
        "{backend:?}: {message}"
    );
    // Nothing changed: still state A, and the module is still pending.
    let left = tests::converge::changes_to(db, &before())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "{backend:?} changed: {left:#?}");
    let status = runner.status(db).await.expect("status");
    // The migration's name is its file's (`DeriveMigrationName`).
    assert_eq!(
        status.pending,
        vec!["adoption_backends_postgres".to_owned()],
        "{backend:?}"
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn refuses_on_sqlite() {
    refuses_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn refuses_on_mariadb() {
    refuses_on(Backend::MySql).await;
}
