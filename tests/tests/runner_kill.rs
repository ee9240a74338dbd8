//! A process killed (SIGKILL) in the middle of an upgrade, on every backend:
//! the child (`src/bin/runner_child.rs`) creates a table, then blocks on a lock
//! this test holds (an endless query on SQLite), and is killed there.
//!
//! PostgreSQL and SQLite keep no trace and the next upgrade succeeds; MySQL
//! keeps the table and a `started` companion row, and the next upgrade refuses
//! with the recovery steps.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use schema_diff::runner::companion::{self, MigrationState};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::SchemaManager;
use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_blocking";
const CHILD: &str = env!("CARGO_BIN_EXE_runner_child");

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The lock the child's migration waits for.
enum Blocker {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    None,
}

async fn block(scratch: &Scratch) -> Blocker {
    match scratch.backend {
        Backend::Postgres => {
            let pool = scratch.db.get_postgres_connection_pool();
            let mut conn = pool.acquire().await.expect("connection");
            sqlx::query("SELECT pg_advisory_lock(424242)")
                .execute(&mut *conn)
                .await
                .expect("lock");
            Blocker::Postgres(conn)
        }
        Backend::MySql => {
            let pool = scratch.db.get_mysql_connection_pool();
            let mut conn = pool.acquire().await.expect("connection");
            let got: i64 = sqlx::query_scalar(
                "SELECT CAST(GET_LOCK(CONCAT('dbm_block:', DATABASE()), 0) AS SIGNED)",
            )
            .fetch_one(&mut *conn)
            .await
            .expect("lock");
            assert_eq!(got, 1);
            Blocker::MySql(conn)
        }
        Backend::Sqlite => Blocker::None,
    }
}

async fn unblock(blocker: Blocker) {
    match blocker {
        Blocker::Postgres(conn) => conn.close().await.expect("close"),
        Blocker::MySql(conn) => conn.close().await.expect("close"),
        Blocker::None => {}
    }
}

async fn has_table(scratch: &Scratch, name: &str) -> bool {
    SchemaManager::new(&scratch.db)
        .has_table(name)
        .await
        .expect("has_table")
}

/// The versions in `seaql_migrations`; none when the table does not exist
/// (on SQLite the killed run's tables vanish with its transaction).
async fn history(scratch: &Scratch) -> Vec<String> {
    if !has_table(scratch, "seaql_migrations").await {
        return Vec::new();
    }
    let db = &scratch.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .expect("seaql_migrations");
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("version"))
        .collect()
}

/// Starts the child in `block` mode, waits until its migration blocks, and kills it.
fn kill_mid_upgrade(url: &str) {
    let mut child = Command::new(CHILD)
        .args([url, "block"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(60));
    if line.as_deref() != Ok("BLOCKING") {
        child.kill().ok();
        let out = child.wait_with_output().expect("output");
        panic!(
            "the child did not block: {line:?}, stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Let the blocking statement reach the server.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), None, "killed by a signal");
}

fn run_child(url: &str) -> (Option<i32>, String, String) {
    let out = Command::new(CHILD)
        .args([url, "run"])
        .output()
        .expect("run the child");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn killed_mid_upgrade(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "runner_kill")) else {
        return;
    };
    let blocker = rt.block_on(block(&scratch));
    kill_mid_upgrade(&scratch.url);
    rt.block_on(unblock(blocker));

    rt.block_on(async {
        assert_eq!(history(&scratch).await, Vec::<String>::new());
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

    let (code, stdout, stderr) = run_child(&scratch.url);
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
            assert_eq!(history(&scratch).await, vec![VERSION.to_owned()]);
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
