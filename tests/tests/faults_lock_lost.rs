//! A run whose migration lock is taken away mid-run (its session terminated,
//! killed, or timed out while idle) notices, stops with a clear error, and no
//! migration ever runs twice or at the same time as itself.
//!
//! The runner runs in a child process (`src/bin/faults_child.rs`) whose
//! migration waits on a lock this test holds, or sleeps, while the test
//! interferes. Only connections of the test's own scratch database are touched.

use std::time::{Duration, Instant};

use schema_diff::runner::companion::{self, MigrationState};
use schema_diff::runner::lock::{POSTGRES_LOCK_KEY, POSTGRES_RUN_KEY, mysql_lock_name};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, Statement};
use tests::spawned::{Blocker, Running, history, runtime};
use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_lost";
const CHILD: &str = env!("CARGO_BIN_EXE_faults_child");

/// Starts the child on `url` in `mode`.
fn start(url: &str, mode: &str) -> Running {
    Running::start(CHILD, &[url, mode])
}

/// The advisory locks on `key` in this scratch database: (pid, granted).
async fn pg_advisory(scratch: &Scratch, key: i64) -> Vec<(i32, bool)> {
    let high = (key as u64 >> 32) as i64;
    let low = (key as u64 & 0xffff_ffff) as i64;
    let rows = scratch
        .db
        .query_all_raw(Statement::from_sql_and_values(
            scratch.db.get_database_backend(),
            "SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid::bigint = $1 AND objid::bigint = $2",
            [high.into(), low.into()],
        ))
        .await
        .expect("pg_locks");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<i32>("", "pid").expect("pid"),
                r.try_get::<bool>("", "granted").expect("granted"),
            )
        })
        .collect()
}

#[track_caller]
fn contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` not in: {text}");
    }
}

/// PostgreSQL: the lock's session is terminated while the migration runs. A
/// second run takes the lock, but its migration waits for the first one's
/// transaction; the first notices before recording and rolls back; the
/// second applies the migration, once.
#[test]
fn a_terminated_lock_session_stops_the_run_postgres() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "faults_pg_term")) else {
        return;
    };
    let blocker = rt.block_on(Blocker::hold(&scratch));
    let mut first = start(&scratch.url, "block");
    first.expect_line("BLOCKING");
    rt.block_on(async {
        let holders = pg_advisory(&scratch, POSTGRES_LOCK_KEY).await;
        assert_eq!(holders.len(), 1, "{holders:?}");
        scratch
            .db
            .execute_raw(Statement::from_sql_and_values(
                scratch.db.get_database_backend(),
                "SELECT pg_terminate_backend($1)",
                [holders[0].0.into()],
            ))
            .await
            .expect("terminate");
    });
    let second = start(&scratch.url, "run");
    // The second run got the lock and its migration waits for the first's.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = rt.block_on(pg_advisory(&scratch, POSTGRES_RUN_KEY));
        if waiting.iter().any(|(_, granted)| !granted) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second run's migration never waited for the first: {waiting:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    rt.block_on(blocker.release());

    let (code, stdout, stderr) = first.finish();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stdout, "");
    contains_all(
        &stderr,
        &[
            &format!("error: the migration lock was lost while migration {VERSION} ran"),
            "the lock's connection failed",
            &format!("{VERSION} was rolled back and is not recorded"),
        ],
    );
    let (code, stdout, stderr) = second.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, format!("applied {VERSION}\n"));
    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, vec![VERSION.to_owned()]);
        let rows = companion::read(&scratch.db).await.expect("companion");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, MigrationState::Applied);
    });
    rt.block_on(scratch.cleanup());
}

/// PostgreSQL with `idle_session_timeout=1500` for every session: the lock's
/// session is exempt, so a run whose migration takes 3 s keeps its lock and a
/// second run cannot take it meanwhile.
#[test]
fn an_idle_timeout_does_not_end_the_lock_postgres() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "faults_pg_idle")) else {
        return;
    };
    let url = format!("{}?options=-c%20idle_session_timeout%3D1500", scratch.url);
    let mut first = start(&url, "sleep");
    first.expect_line("SLEEPING");
    // Longer than the idle timeout: the old lock session would be gone now.
    std::thread::sleep(Duration::from_millis(2200));
    let (code, stdout, stderr) = start(&scratch.url, "try").finish();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    contains_all(&stderr, &["the migration lock is taken"]);
    let (code, stdout, stderr) = first.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, format!("applied {VERSION}\n"));
    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, vec![VERSION.to_owned()]);
    });
    rt.block_on(scratch.cleanup());
}

/// MariaDB: the lock's connection is killed while the migration runs. A
/// second run refuses (the migration is `started`), and the first notices
/// before recording: it records nothing and says how to settle it.
#[test]
fn a_killed_lock_connection_stops_the_run_mysql() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::MySql, "faults_my_kill")) else {
        return;
    };
    let blocker = rt.block_on(Blocker::hold(&scratch));
    let mut first = start(&scratch.url, "block");
    first.expect_line("BLOCKING");
    rt.block_on(async {
        let pool = scratch.db.get_mysql_connection_pool();
        let database: String = sqlx::query_scalar("SELECT DATABASE()")
            .fetch_one(pool)
            .await
            .expect("database");
        let id: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
            .bind(mysql_lock_name(&database))
            .fetch_one(pool)
            .await
            .expect("IS_USED_LOCK");
        let id = id.expect("the first run holds the lock");
        scratch
            .db
            .execute_unprepared(&format!("KILL {id}"))
            .await
            .expect("KILL");
    });
    let (code, stdout, stderr) = start(&scratch.url, "run").finish();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    contains_all(
        &stderr,
        &["refusing to run while a migration is in an unknown state"],
    );
    rt.block_on(blocker.release());

    let (code, stdout, stderr) = first.finish();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stdout, "");
    contains_all(
        &stderr,
        &[
            &format!("error: the migration lock was lost while migration {VERSION} ran"),
            &format!("{VERSION} ran to the end outside a transaction but is not recorded"),
            &format!("`db-migrate resolve {VERSION} --applied`"),
        ],
    );
    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, Vec::<String>::new());
        let rows = companion::read(&scratch.db).await.expect("companion");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].state, MigrationState::Started);
    });
    rt.block_on(scratch.cleanup());
}
