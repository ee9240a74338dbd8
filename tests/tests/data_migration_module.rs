//! The module `db-migrate generate --data` writes, compiled into this test
//! (`tests/fixtures/data_migration.rs`, checked to be the current template) and
//! run by the runner on every backend: it fills `post.slug` from `post.title`,
//! only where it is NULL, and its `down` leaves the data alone.
//!
//! Regenerate the fixture with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test data_migration_module`.

#[path = "../fixtures/data_migration.rs"]
mod m20990101_000000_backfill_post_slugs;

use schema_diff::data::{StepState, checkpoint};
use schema_diff::runner::{Runner, UpgradeTarget};
use sea_orm::{ConnectionTrait, Statement};
use tests::{Backend, Scratch};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/data_migration.rs");
const DESCRIPTION: &str = "backfill post slugs";

#[test]
fn the_compiled_fixture_is_the_current_template() {
    let now = db_migrate::data_migration_module(DESCRIPTION);
    tests::fixture::assert_current(FIXTURE, &now, "data_migration_module");
    for needle in [
        "docs/data-migrations.md#expand-backfill-contract",
        "1. expand:",
        "2. backfill:",
        "3. contract:",
    ] {
        assert!(now.contains(needle), "`{needle}` not in the template");
    }
}

async fn slugs(scratch: &Scratch) -> Vec<(i64, Option<String>)> {
    let db = &scratch.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, slug FROM post ORDER BY id",
        ))
        .await
        .expect("post");
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<i32>(0).map(i64::from).expect("id"),
                r.try_get_by_index(1).expect("slug"),
            )
        })
        .collect()
}

fn runs(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let Some(scratch) = Scratch::new(backend, "data_module").await else {
            return;
        };
        let db = &scratch.db;
        db.execute_unprepared(
            "CREATE TABLE post (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(100) NOT NULL, \
             slug VARCHAR(100) NULL)",
        )
        .await
        .expect("post");
        db.execute_unprepared(
            "INSERT INTO post (id, title, slug) VALUES (1, 'Hello', NULL), (2, 'Kept', 'kept-by-hand'), \
             (3, 'World', NULL)",
        )
        .await
        .expect("rows");
        let migration = m20990101_000000_backfill_post_slugs::Migration;
        let version = sea_orm_migration::MigrationName::name(&migration).to_owned();
        let runner = Runner::new(vec![Box::new(migration)]);
        runner
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect("upgrade");
        assert_eq!(
            slugs(&scratch).await,
            vec![
                (1, Some("hello".to_owned())),
                (2, Some("kept-by-hand".to_owned())),
                (3, Some("world".to_owned())),
            ]
        );
        let steps = checkpoint::read_all(db).await.expect("checkpoints");
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(steps[0].version, version);
        assert_eq!(steps[0].step, "slug from title");
        assert_eq!((steps[0].state, steps[0].rows_done), (StepState::Done, 2));
        scratch.cleanup().await;
    });
}

#[test]
fn runs_sqlite() {
    runs(Backend::Sqlite);
}

#[test]
fn runs_postgres() {
    runs(Backend::Postgres);
}

#[test]
fn runs_mysql() {
    runs(Backend::MySql);
}
