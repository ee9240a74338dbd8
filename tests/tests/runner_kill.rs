//! A process killed (SIGKILL) in the middle of an upgrade, on every backend:
//! the child (`src/bin/runner_child.rs`) creates a table, then blocks on a lock
//! this test holds (an endless query on SQLite), and is killed there.
//!
//! PostgreSQL and SQLite keep no trace and the next upgrade succeeds; MySQL
//! keeps the table and a `started` companion row, and the next upgrade refuses
//! with the recovery steps.

use std::time::Duration;

use schema_diff::runner::companion::{self, MigrationState};
use tests::spawned::{Blocker, Running, history, runtime};
use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_blocking";
const CHILD: &str = env!("CARGO_BIN_EXE_runner_child");

async fn has_table(scratch: &Scratch, name: &str) -> bool {
    tests::spawned::has_table(&scratch.db, name).await
}

/// Starts the child in `block` mode, waits until its migration blocks, and kills it.
fn kill_mid_upgrade(url: &str) {
    let mut child = Running::start(CHILD, &[url, "block"]);
    child.expect_line("BLOCKING");
    // Let the blocking statement reach the server.
    std::thread::sleep(Duration::from_millis(300));
    child.kill();
}

fn killed_mid_upgrade(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "runner_kill")) else {
        return;
    };
    let blocker = rt.block_on(Blocker::hold(&scratch));
    kill_mid_upgrade(&scratch.url);
    rt.block_on(blocker.release());

    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, Vec::<String>::new());
        assert!(!has_table(&scratch, "kill_b").await);
        let rows = companion::read(&scratch.db).await.expect("companion");
        if backend == Backend::MySql {
            // The DDL before the kill committed on its own; the row says so.
            assert!(has_table(&scratch, "kill_a").await);
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].version, VERSION);
            assert_eq!(rows[0].state, MigrationState::Started);
            assert_eq!(rows[0].finished_at, None);
            assert_eq!(rows[0].error, None);
        } else {
            assert!(!has_table(&scratch, "kill_a").await);
            assert_eq!(rows, Vec::new());
        }
    });

    let (code, stdout, stderr) = tests::spawned::run(CHILD, &[&scratch.url, "run"]);
    if backend == Backend::MySql {
        assert_eq!(code, Some(1), "{stdout}{stderr}");
        assert_eq!(stdout, "");
        for needle in [
            "refusing to run while a migration is in an unknown state".to_owned(),
            format!("migration {VERSION} was interrupted at "),
            "on MySQL/MariaDB, whose DDL is not transactional: part of it may have run".into(),
            format!("`db-migrate resolve {VERSION} --applied`"),
            format!("`db-migrate resolve {VERSION} --rolled-back`"),
        ] {
            assert!(stderr.contains(&needle), "`{needle}` not in {stderr}");
        }
    } else {
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert_eq!(stdout, format!("applied {VERSION}\n"));
        rt.block_on(async {
            assert_eq!(history(&scratch.db).await, vec![VERSION.to_owned()]);
            assert!(has_table(&scratch, "kill_a").await);
            assert!(has_table(&scratch, "kill_b").await);
            let rows = companion::read(&scratch.db).await.expect("companion");
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].state, MigrationState::Applied);
        });
    }
    rt.block_on(scratch.cleanup());
}

#[test]
fn killed_mid_upgrade_sqlite() {
    killed_mid_upgrade(Backend::Sqlite);
}

#[test]
fn killed_mid_upgrade_postgres() {
    killed_mid_upgrade(Backend::Postgres);
}

#[test]
fn killed_mid_upgrade_mysql() {
    killed_mid_upgrade(Backend::MySql);
}
