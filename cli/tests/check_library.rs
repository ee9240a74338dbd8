//! `db_migrate::check_report` and `verify_report` called as a library, with
//! entities or migrations the compiled binary cannot have: a column added to the
//! entities without `auto`, and a migration that fails. On every backend.
//!
//! The scratch databases of these calls are named after this process, so the
//! tests here take turns and assert that none is left behind.

mod check_support;
mod support;

use std::sync::Mutex;

use check_support::{Backend, Db};
use db_migrate::{CheckOptions, HazardSource, SCRATCH_PREFIX, check_report, verify_report};
use schema_diff::Change;
use schema_diff::ir::{Column, ColumnType, Schema};
use schema_diff::lint::Severity;
use sea_orm_migration::prelude::*;
use sea_orm_migration::{MigrationName, MigratorTrait};

/// One library check at a time: they share this process id in scratch names.
static TURN: Mutex<()> = Mutex::new(());

on_every_backend!(
    an_entity_change_without_auto_is_drift,
    a_failing_migration_is_a_problem_and_the_scratch_is_dropped,
    a_pending_migration_before_an_applied_one_is_out_of_order,
);

/// The entities' schema, plus `users.nickname` when `extra` is set.
fn desired(extra: Option<Column>) -> Schema {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let mut schema = schema_diff::desired::schema_from_entities(entity::all_entities(&helper))
        .expect("entities");
    if let Some(column) = extra {
        schema
            .tables
            .iter_mut()
            .find(|t| t.name == "users")
            .expect("users")
            .columns
            .push(column);
    }
    schema
}

/// The scratch databases this process left on the server.
#[track_caller]
fn assert_no_scratch_left(db: &Db) {
    let prefix = format!("{SCRATCH_PREFIX}_{}_", std::process::id());
    assert_eq!(db.databases_starting_with(&prefix), Vec::<String>::new());
}

fn an_entity_change_without_auto_is_drift(backend: Backend) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let Some(db) = Db::new(backend, "gatelib_drift") else {
        return;
    };
    db.upgrade();
    let url = db.url();
    let migrations = migration::Migrator::migrations;

    let clean = db
        .block_on(check_report(
            &url,
            migrations,
            desired(None),
            &CheckOptions::default(),
        ))
        .expect("check");
    assert!(clean.ok, "{clean:#?}");
    assert_eq!(clean.drift, Vec::<Change>::new());

    // NOT NULL without a default on a table with rows: DF001, a warning.
    let nickname = Column::new("nickname", ColumnType::String(Some(40)));
    let options = CheckOptions {
        fail_on_pending: true,
        deny: Some(Severity::Danger),
    };
    let report = db
        .block_on(check_report(
            &url,
            migrations,
            desired(Some(nickname.clone())),
            &options,
        ))
        .expect("check");
    assert!(!report.ok);
    assert_eq!(report.drift.len(), 1, "{report:#?}");
    // A NOT NULL column without a default is added by a table rebuild (a copy on
    // SQLite, the plain ADD COLUMN elsewhere).
    let added = match &report.drift[0] {
        Change::RebuildTable { changes, .. } => changes.as_slice(),
        other => std::slice::from_ref(other),
    };
    match added {
        [Change::AddColumn { table, column }] => {
            assert_eq!(table, "users");
            assert_eq!(column, &nickname);
        }
        other => panic!("expected add_column users.nickname, got {other:?}"),
    }
    assert_eq!(report.problems.len(), 1, "{report:#?}");
    assert!(
        report.problems[0].starts_with(
            "the migrations do not produce the entities' schema: replayed on a scratch \
             database, 1 change(s) remain (+ column users.nickname"
        ),
        "{:?}",
        report.problems
    );
    let df001: Vec<HazardSource> = report
        .hazards
        .iter()
        .filter(|h| h.hazard.code == "DF001")
        .map(|h| h.source)
        .collect();
    assert_eq!(df001, [HazardSource::Target, HazardSource::Drift]);

    // The same warnings are problems once denied.
    let options = CheckOptions {
        fail_on_pending: false,
        deny: Some(Severity::Warning),
    };
    let denied = db
        .block_on(check_report(
            &url,
            migrations,
            desired(Some(nickname.clone())),
            &options,
        ))
        .expect("check");
    let hazard_problems: Vec<&String> = denied
        .problems
        .iter()
        .filter(|p| p.starts_with("hazard denied (--deny warning): DF001 warning"))
        .collect();
    // Target and drift give the same sentence; it is reported once.
    assert_eq!(hazard_problems.len(), 1, "{:?}", denied.problems);

    // `verify` compares the database itself with the entities.
    let verified = db
        .block_on(verify_report(&url, migrations, desired(Some(nickname))))
        .expect("verify");
    assert!(!verified.ok);
    assert_eq!(verified.drift, report.drift);
    assert_no_scratch_left(&db);
}

#[derive(Clone, Copy)]
struct Broken;

impl MigrationName for Broken {
    fn name(&self) -> &str {
        "m29991231_000000_broken"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Broken {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("CREATE TABLE broken (")
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

fn with_broken() -> Vec<Box<dyn MigrationTrait>> {
    let mut all = migration::Migrator::migrations();
    all.push(Box::new(Broken));
    all
}

fn a_failing_migration_is_a_problem_and_the_scratch_is_dropped(backend: Backend) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let Some(db) = Db::new(backend, "gatelib_broken") else {
        return;
    };
    db.upgrade();
    let report = db
        .block_on(check_report(
            &db.url(),
            with_broken,
            desired(None),
            &CheckOptions::default(),
        ))
        .expect("check");
    assert!(!report.ok);
    assert_eq!(report.pending, ["m29991231_000000_broken"]);
    assert_eq!(report.drift, Vec::<Change>::new());
    assert_eq!(report.problems.len(), 1, "{report:#?}");
    assert!(
        report.problems[0].starts_with(
            "the migrations fail on an empty database, so drift cannot be checked: \
             migration `m29991231_000000_broken` failed on the scratch database"
        ),
        "{:?}",
        report.problems
    );
    // The replay's failure is the code's: the target needs no `resolve`.
    let problem = &report.problems[0];
    for needle in [
        "the target database is untouched",
        "fix the migration",
        "run `db-migrate check` again",
    ] {
        assert!(problem.contains(needle), "`{needle}` not in: {problem}");
    }
    assert!(!problem.contains("resolve"), "{problem}");
    assert_no_scratch_left(&db);
}

/// A migration that does nothing, listed before the shipped ones.
struct Early;

impl MigrationName for Early {
    fn name(&self) -> &str {
        "m20000101_000000_early"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Early {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

fn with_early() -> Vec<Box<dyn MigrationTrait>> {
    let mut all: Vec<Box<dyn MigrationTrait>> = vec![Box::new(Early)];
    all.extend(migration::Migrator::migrations());
    all
}

fn a_pending_migration_before_an_applied_one_is_out_of_order(backend: Backend) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let Some(db) = Db::new(backend, "gatelib_order") else {
        return;
    };
    db.upgrade();
    let expected = "migration m20000101_000000_early is pending, but a migration after it \
                    in the code is applied: it would run out of order";

    let report = db
        .block_on(check_report(
            &db.url(),
            with_early,
            desired(None),
            &CheckOptions::default(),
        ))
        .expect("check");
    assert_eq!(report.pending, ["m20000101_000000_early"]);
    assert_eq!(report.out_of_order, ["m20000101_000000_early"]);
    assert_eq!(report.drift, Vec::<Change>::new());
    assert_eq!(report.problems, [expected]);

    let verified = db
        .block_on(verify_report(&db.url(), with_early, desired(None)))
        .expect("verify");
    assert_eq!(verified.out_of_order, ["m20000101_000000_early"]);
    assert_eq!(verified.problems[0], expected);
    assert_no_scratch_left(&db);
}
