//! A generated module that covers every kind of change, compiled into this test
//! and run: the rendered code, not an interpretation of it.
//!
//! `tests/fixtures/every_change.rs` is the renderer's output for
//! `tests::every_change::changes()`; regenerate it with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test generated_module`.

#[path = "../fixtures/every_change.rs"]
mod m00000000_000002_every_change;

use schema_diff::render::{RenderOptions, render_migration};
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Dialect, DiffOptions, Schema};
use sea_orm_migration::MigrationTrait;
use tests::every_change::{ALL_OPS, SEED, after, before, changes, ops};
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/every_change.rs");

fn rendered() -> String {
    let options = RenderOptions {
        description: "every kind of change".into(),
        hazards: vec![],
        ..Default::default()
    };
    render_migration(&changes(), &options).expect("render")
}

#[test]
fn the_change_list_covers_every_variant() {
    let found = ops(&changes());
    for op in ALL_OPS {
        assert!(
            found.contains(op),
            "no `{op}` in the every-change list: {found:?}"
        );
    }
}

#[test]
fn the_compiled_fixture_is_the_current_render() {
    let now = rendered();
    tests::fixture::assert_current(FIXTURE, &now, "generated_module");
}

async fn run_compiled(backend: Backend) -> bool {
    let Some(scratch) = Scratch::new(backend, "every_change").await else {
        return false;
    };
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("known backend");
    let opts = DiffOptions::default();
    let migrations = || -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Interpreted {
                name: "m00000000_000001_state_a".into(),
                changes: schema_diff::diff(&Schema::default(), &before(), dialect, &opts),
            }),
            Box::new(m00000000_000002_every_change::Migration),
        ]
    };
    let runner = Runner::new(migrations());
    runner
        .upgrade(db, &UpgradeTarget::Steps(1), |_| {})
        .await
        .expect("state A");
    for sql in SEED {
        sea_orm::ConnectionTrait::execute_unprepared(db, sql)
            .await
            .expect("seed");
    }
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: the compiled module's up failed: {e}"));
    let left = tests::converge::changes_to(db, &after())
        .await
        .expect("introspect");
    assert!(
        left.is_empty(),
        "{backend:?}: after the compiled up, still different from B: {:#?}",
        left.iter().map(|c| c.describe()).collect::<Vec<_>>()
    );
    runner
        .downgrade(db, &DowngradeTarget::Steps(1), |_| {})
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: the compiled module's down failed: {e}"));
    let left = tests::converge::changes_to(db, &before())
        .await
        .expect("introspect");
    assert!(
        left.is_empty(),
        "{backend:?}: after the compiled down, still different from A: {:#?}",
        left.iter().map(|c| c.describe()).collect::<Vec<_>>()
    );
    scratch.cleanup().await;
    true
}

#[tokio::test]
async fn the_compiled_module_converges_on_every_backend() {
    tests::backend::for_each_backend(Backend::ALL, run_compiled).await;
}
