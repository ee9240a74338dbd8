//! Security: a module generated from hostile database names and a hostile
//! description is compiled into this test and run on every backend. Nothing the
//! names or the description hold escapes their strings and comments into code,
//! and the SQL they reach creates exactly the names given.
//!
//! `tests/fixtures/hostile_names.rs` is the renderer's output for
//! `tests::hostile::changes()`; regenerate it with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test security_generated`.

#[path = "../fixtures/hostile_names.rs"]
mod m00000000_000003_hostile_names;

use schema_diff::render::{RenderOptions, render_migration};
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use sea_orm_migration::MigrationTrait;
use tests::hostile::{DESCRIPTION, TABLES, changes, schema};
use tests::{Backend, Scratch};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/hostile_names.rs");

fn rendered() -> String {
    let options = RenderOptions {
        description: DESCRIPTION.into(),
        hazards: vec![format!("hazard about `{}`\u{1b}[0m\r", TABLES[1])],
        ..Default::default()
    };
    render_migration(&changes(), &options).expect("render")
}

#[test]
fn the_compiled_fixture_is_the_current_render() {
    let now = rendered();
    tests::fixture::assert_current(FIXTURE, &now, "security_generated");
}

#[test]
fn no_text_escapes_into_code() {
    let text = rendered();
    for c in text.chars() {
        assert!(
            c == '\n' || !schema_diff::display::needs_escape(c),
            "a raw {c:?} in the module"
        );
    }
    let file = syn::parse_file(&text).expect("the module parses");
    let functions: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    assert!(functions.is_empty(), "free functions: {functions:?}");
    for line in text.lines() {
        let code = line.trim_start();
        assert!(
            !code.starts_with("pub fn injected"),
            "a name became code: {line}"
        );
    }
}

async fn run_on(backend: Backend) -> bool {
    let Some(scratch) = Scratch::new(backend, "hostile_names").await else {
        return false;
    };
    let db = &scratch.db;
    let migrations = || -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m00000000_000003_hostile_names::Migration)]
    };
    let runner = Runner::new(migrations());
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: up failed: {e}"));
    let left = tests::converge::changes_to(db, &schema())
        .await
        .expect("introspect");
    assert!(
        left.is_empty(),
        "{backend:?}: the names in the database are not the names given: {:#?}",
        left.iter().map(|c| c.describe()).collect::<Vec<_>>()
    );
    runner
        .downgrade(db, &DowngradeTarget::Base, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: down failed: {e}"));
    let left = tests::converge::changes_to(db, &schema_diff::Schema::default())
        .await
        .expect("introspect");
    assert!(left.is_empty(), "{backend:?}: down left {left:#?}");
    scratch.cleanup().await;
    true
}

#[tokio::test]
async fn the_hostile_module_creates_exactly_its_names_on_every_backend() {
    tests::backend::for_each_backend(Backend::ALL, run_on).await;
}
