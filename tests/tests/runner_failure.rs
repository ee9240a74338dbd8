//! Migrations that fail halfway, on every backend, through the library's
//! `Runner` with hand-written migrations.
//!
//! - `up` fails in its third statement: PostgreSQL and SQLite leave no trace of
//!   it (and keep the migration before it); MySQL keeps what ran, records the
//!   migration as `failed` with the error, refuses further runs with the
//!   recovery steps, and `resolve --rolled-back` clears it.
//! - `down` fails in its second statement: likewise, with the row still applied.

use schema_diff::runner::companion::{self, MigrationState};
use schema_diff::runner::{DowngradeTarget, Resolution, Resolved, RunError, Runner, UpgradeTarget};
use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use tests::{Backend, Scratch};

const FIRST: &str = "m20990101_000000_first";
const THREE: &str = "m20990101_000001_three_statements";
const BAD_DOWN: &str = "m20990101_000002_bad_down";

/// Creates `fail_first`.
struct First;

/// Creates `fail_a` and `fail_b`, then inserts into a table that does not exist.
struct ThreeStatements;

/// Creates `fail_c`; its `down` drops it, then fails.
struct BadDown;

impl MigrationName for First {
    fn name(&self) -> &str {
        FIRST
    }
}

impl MigrationName for ThreeStatements {
    fn name(&self) -> &str {
        THREE
    }
}

impl MigrationName for BadDown {
    fn name(&self) -> &str {
        BAD_DOWN
    }
}

async fn sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for First {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "CREATE TABLE fail_first (id INTEGER PRIMARY KEY)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "DROP TABLE fail_first").await
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ThreeStatements {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "CREATE TABLE fail_a (id INTEGER PRIMARY KEY)").await?;
        sql(manager, "CREATE TABLE fail_b (id INTEGER PRIMARY KEY)").await?;
        sql(manager, "INSERT INTO fail_missing (id) VALUES (1)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "DROP TABLE fail_b").await?;
        sql(manager, "DROP TABLE fail_a").await
    }
}

#[async_trait::async_trait]
impl MigrationTrait for BadDown {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "CREATE TABLE fail_c (id INTEGER PRIMARY KEY)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql(manager, "DROP TABLE fail_c").await?;
        sql(manager, "DELETE FROM fail_missing").await
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn has_table(scratch: &Scratch, name: &str) -> bool {
    SchemaManager::new(&scratch.db)
        .has_table(name)
        .await
        .expect("has_table")
}

fn applied(status: &schema_diff::runner::Status) -> Vec<&str> {
    status.applied.iter().map(|a| a.version.as_str()).collect()
}

async fn up_fails_in_its_third_statement(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "runner_fail_up").await else {
        return;
    };
    let db = &scratch.db;
    let runner = Runner::new(vec![Box::new(First), Box::new(ThreeStatements)]);
    let mut done = Vec::new();
    let error = runner
        .upgrade(db, &UpgradeTarget::Head, |r| done.push(r.version.clone()))
        .await
        .expect_err("the third statement fails");
    // The migration before it is applied and reported, on every backend.
    assert_eq!(done, vec![FIRST.to_owned()]);
    assert!(has_table(&scratch, "fail_first").await);
    let status = runner.status(db).await.expect("status");
    assert_eq!(applied(&status), vec![FIRST]);
    assert_eq!(status.pending, vec![THREE.to_owned()]);
    let message = error.to_string();
    assert!(message.contains("fail_missing"), "{message}");

    if backend == Backend::MySql {
        let RunError::PartlyApplied {
            version, advice, ..
        } = &error
        else {
            panic!("expected PartlyApplied, got {error:?}");
        };
        assert_eq!(version, THREE);
        assert!(
            advice.starts_with(
                "it ran on MySQL/MariaDB, whose DDL is not transactional: part of it may have run."
            ),
            "{advice}"
        );
        assert!(has_table(&scratch, "fail_a").await);
        assert!(has_table(&scratch, "fail_b").await);
        assert_eq!(status.dirty.len(), 1, "{:?}", status.dirty);
        let row = &status.dirty[0];
        assert_eq!(row.version, THREE);
        assert_eq!(row.state, MigrationState::Failed);
        assert!(
            row.error
                .as_deref()
                .is_some_and(|e| e.contains("fail_missing")),
            "{row:?}"
        );
        assert!(row.finished_at.is_some());

        // Every run refuses, naming the exact way out.
        let again = runner
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect_err("refused");
        let back = runner
            .downgrade(db, &DowngradeTarget::Base, |_| {})
            .await
            .expect_err("refused");
        for refused in [again, back] {
            let RunError::Dirty(messages) = &refused else {
                panic!("expected Dirty, got {refused:?}");
            };
            assert_eq!(messages.len(), 1);
            let m = &messages[0];
            assert!(
                m.starts_with(&format!("migration {THREE} failed at ")),
                "{m}"
            );
            assert!(m.contains("on MySQL/MariaDB, whose DDL is not transactional"));
            assert!(m.contains(&format!(
                "run `db-migrate resolve {THREE} --applied` (if it is now fully applied) or \
                 `db-migrate resolve {THREE} --rolled-back`"
            )));
        }
        // Nothing ran: FIRST is still applied.
        assert!(has_table(&scratch, "fail_first").await);

        // Undo its statements by hand, then say so.
        db.execute_unprepared("DROP TABLE fail_b")
            .await
            .expect("drop");
        db.execute_unprepared("DROP TABLE fail_a")
            .await
            .expect("drop");
        let resolved = runner
            .resolve(db, "m20990101_000001", Resolution::RolledBack)
            .await
            .expect("resolve");
        assert_eq!(
            resolved,
            Resolved {
                version: THREE.into(),
                before: "failed".into(),
                after: Resolution::RolledBack,
            }
        );
        let status = runner.status(db).await.expect("status");
        assert_eq!(status.dirty, Vec::new());
        assert_eq!(status.pending, vec![THREE.to_owned()]);
        let rows = companion::read(db).await.expect("companion");
        let versions: Vec<&str> = rows.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions, vec![FIRST]);
    } else {
        assert!(
            matches!(&error, RunError::Migration { version, .. } if version == THREE),
            "{error:?}"
        );
        assert!(!has_table(&scratch, "fail_a").await);
        assert!(!has_table(&scratch, "fail_b").await);
        assert_eq!(status.dirty, Vec::new());
        let rows = companion::read(db).await.expect("companion");
        let states: Vec<(&str, MigrationState)> =
            rows.iter().map(|r| (r.version.as_str(), r.state)).collect();
        assert_eq!(states, vec![(FIRST, MigrationState::Applied)]);
        // No trace means it can simply run again, and fail the same way.
        let again = runner
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect_err("fails again");
        assert!(matches!(again, RunError::Migration { .. }), "{again:?}");
    }
    scratch.cleanup().await;
}

async fn down_fails_in_its_second_statement(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "runner_fail_down").await else {
        return;
    };
    let db = &scratch.db;
    let runner = Runner::new(vec![Box::new(First), Box::new(BadDown)]);
    runner
        .upgrade(db, &UpgradeTarget::Head, |_| {})
        .await
        .expect("upgrade");
    let error = runner
        .downgrade(db, &DowngradeTarget::Base, |_| {})
        .await
        .expect_err("down fails");
    let status = runner.status(db).await.expect("status");
    // Still recorded as applied, and the migration before it was not touched.
    assert_eq!(applied(&status), vec![FIRST, BAD_DOWN]);
    assert!(has_table(&scratch, "fail_first").await);
    if backend == Backend::MySql {
        assert!(
            matches!(&error, RunError::PartlyApplied { advice, .. }
                if advice.starts_with("its rollback ran on MySQL/MariaDB")),
            "{error:?}"
        );
        assert!(!has_table(&scratch, "fail_c").await, "the DROP ran");
        assert_eq!(status.dirty.len(), 1);
        let row = &status.dirty[0];
        assert_eq!(
            (row.version.as_str(), row.state),
            (BAD_DOWN, MigrationState::Failed)
        );
        assert!(
            row.error
                .as_deref()
                .is_some_and(|e| e.starts_with("while rolling back: ")),
            "{row:?}"
        );
        // The rollback is complete in fact: record it.
        let resolved = runner
            .resolve(db, BAD_DOWN, Resolution::RolledBack)
            .await
            .expect("resolve");
        assert_eq!(resolved.before, "failed");
        let status = runner.status(db).await.expect("status");
        assert_eq!(applied(&status), vec![FIRST]);
        assert_eq!(status.dirty, Vec::new());
    } else {
        assert!(
            matches!(&error, RunError::Migration { version, .. } if version == BAD_DOWN),
            "{error:?}"
        );
        assert!(
            has_table(&scratch, "fail_c").await,
            "the DROP was rolled back"
        );
        assert_eq!(status.dirty, Vec::new());
    }
    scratch.cleanup().await;
}

#[test]
fn up_fails_in_its_third_statement_sqlite() {
    runtime().block_on(up_fails_in_its_third_statement(Backend::Sqlite));
}

#[test]
fn up_fails_in_its_third_statement_postgres() {
    runtime().block_on(up_fails_in_its_third_statement(Backend::Postgres));
}

#[test]
fn up_fails_in_its_third_statement_mysql() {
    runtime().block_on(up_fails_in_its_third_statement(Backend::MySql));
}

#[test]
fn down_fails_in_its_second_statement_sqlite() {
    runtime().block_on(down_fails_in_its_second_statement(Backend::Sqlite));
}

#[test]
fn down_fails_in_its_second_statement_postgres() {
    runtime().block_on(down_fails_in_its_second_statement(Backend::Postgres));
}

#[test]
fn down_fails_in_its_second_statement_mysql() {
    runtime().block_on(down_fails_in_its_second_statement(Backend::MySql));
}
