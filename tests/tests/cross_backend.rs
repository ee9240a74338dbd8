//! One migration set for every backend, and no false positives:
//! - the shipped migrations (generated against SQLite) bring PostgreSQL and
//!   MySQL/MariaDB to the entities' schema with no drift;
//! - migrations generated against PostgreSQL bring SQLite and MySQL there too;
//! - a kitchen-sink entity set with every column type re-diffs to nothing on
//!   every backend after its own initial migration.

use schema_diff::runner::{Runner, UpgradeTarget};
use schema_diff::{Dialect, DiffOptions, Schema};
use sea_orm_migration::MigratorTrait;
use tests::converge::changes_to;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

fn entities() -> Schema {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    schema_diff::desired::schema_from_entities(entity::all_entities(&helper)).expect("entities map")
}

async fn assert_no_drift(scratch: &Scratch, desired: &Schema, what: &str) {
    let left = changes_to(&scratch.db, desired).await.expect("introspect");
    assert!(
        left.is_empty(),
        "{what} on {:?}: differs from the entities: {:#?}",
        scratch.backend,
        left.iter().map(|c| c.describe()).collect::<Vec<_>>()
    );
}

/// Runs `check` on every backend, reporting the skipped ones.
macro_rules! on_every_backend {
    ($label:literal, |$scratch:ident| $body:block) => {{
        let mut skipped = Vec::new();
        for backend in Backend::ALL {
            let Some($scratch) = Scratch::new(backend, $label).await else {
                skipped.push(backend);
                continue;
            };
            $body
            $scratch.cleanup().await;
        }
        if !skipped.is_empty() {
            eprintln!("{}: SKIPPED on {skipped:?} (server unreachable)", $label);
        }
    }};
}

#[tokio::test]
async fn shipped_migrations_reach_the_entities_on_every_backend() {
    on_every_backend!("shipped", |scratch| {
        let runner = Runner::new(migration::Migrator::migrations());
        runner
            .upgrade(&scratch.db, &UpgradeTarget::Head, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{:?}: upgrade failed: {e}", scratch.backend));
        assert_no_drift(&scratch, &entities(), "the shipped migrations").await;
    });
}

#[tokio::test]
async fn migrations_generated_against_postgres_reach_the_entities_everywhere() {
    let desired = entities();
    let changes = schema_diff::diff(
        &Schema::default(),
        &desired,
        Dialect::Postgres,
        &DiffOptions::default(),
    );
    on_every_backend!("from_pg", |scratch| {
        let runner = Runner::new(vec![Box::new(Interpreted {
            name: "m00000000_000001_from_postgres".into(),
            changes: changes.clone(),
        })]);
        runner
            .upgrade(&scratch.db, &UpgradeTarget::Head, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{:?}: upgrade failed: {e}", scratch.backend));
        assert_no_drift(&scratch, &desired, "a PostgreSQL-generated migration").await;
    });
}

#[tokio::test]
async fn kitchen_sink_has_no_false_positives_on_every_backend() {
    on_every_backend!("kitchen", |scratch| {
        let arrays = scratch.backend == Backend::Postgres;
        let desired =
            schema_diff::desired::schema_from_entities(tests::kitchen::statements(arrays))
                .expect("kitchen sink maps");
        let dialect = Dialect::of(scratch.db.get_database_backend()).expect("dialect");
        let changes = schema_diff::diff(
            &Schema::default(),
            &desired,
            dialect,
            &DiffOptions::default(),
        );
        let runner = Runner::new(vec![Box::new(Interpreted {
            name: "m00000000_000001_kitchen".into(),
            changes,
        })]);
        runner
            .upgrade(&scratch.db, &UpgradeTarget::Head, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{:?}: upgrade failed: {e}", scratch.backend));
        assert_no_drift(&scratch, &desired, "the kitchen sink").await;
    });
}
