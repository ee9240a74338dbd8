//! The migration lock through the library: a pool too small for the lock's own
//! connection is refused up front (PostgreSQL, MariaDB), and `holder` names the
//! session that holds the lock (SQLite cannot say).

use std::time::Duration;

use schema_diff::runner::{Runner, UpgradeTarget, lock};
use sea_orm::{ConnectOptions, Database, TransactionTrait};
use tests::{Backend, Scratch};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn a_one_connection_pool_is_refused(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "runner_lock_pool").await else {
        return;
    };
    let mut options = ConnectOptions::new(scratch.url.clone());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.expect("connect");
    let error = Runner::new(Vec::new())
        .with_lock_timeout(Duration::from_secs(1))
        .upgrade(&db, &UpgradeTarget::Head, |_| {})
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("give the connection pool at least 2 connections"),
        "{error}"
    );
    db.close().await.ok();
    scratch.cleanup().await;
}

#[test]
fn a_one_connection_pool_is_refused_postgres() {
    runtime().block_on(a_one_connection_pool_is_refused(Backend::Postgres));
}

#[test]
fn a_one_connection_pool_is_refused_mysql() {
    runtime().block_on(a_one_connection_pool_is_refused(Backend::MySql));
}

async fn nobody_holds_the_lock_between_runs(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "runner_lock_free").await else {
        return;
    };
    let runner = Runner::new(migration_free());
    assert_eq!(lock::holder(&scratch.db).await.expect("holder"), None);
    runner
        .upgrade(&scratch.db, &UpgradeTarget::Head, |_| {})
        .await
        .expect("upgrade");
    // Released at the end of the run: a zero timeout gets it at once.
    runner
        .with_lock_timeout(Duration::ZERO)
        .upgrade(&scratch.db, &UpgradeTarget::Head, |_| {})
        .await
        .expect("the lock is free again");
    assert_eq!(lock::holder(&scratch.db).await.expect("holder"), None);
    if backend == Backend::Sqlite {
        // And the connection is out of the run's transaction.
        let txn = scratch.db.begin().await.expect("begin");
        txn.commit().await.expect("commit");
    }
    scratch.cleanup().await;
}

fn migration_free() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    Vec::new()
}

#[test]
fn nobody_holds_the_lock_between_runs_sqlite() {
    runtime().block_on(nobody_holds_the_lock_between_runs(Backend::Sqlite));
}

#[test]
fn nobody_holds_the_lock_between_runs_postgres() {
    runtime().block_on(nobody_holds_the_lock_between_runs(Backend::Postgres));
}

#[test]
fn nobody_holds_the_lock_between_runs_mysql() {
    runtime().block_on(nobody_holds_the_lock_between_runs(Backend::MySql));
}
