//! A migration a backend cannot run fails before it starts, with a clear error and
//! exit 1, never a panic: `sql --backend`, `upgrade` and `check` of a migration with a
//! PostgreSQL array column, on SQLite and MySQL/MariaDB.
//!
//! The binary (`src/bin/faults_cli.rs`) holds one migration. Hand-written, it calls
//! sea-query directly and sea-query panics (`Array is not available in ...`): the
//! runner and the SQL capture catch it. With `FAULTS_PLANNED=1` it goes through the
//! plan a generated module prints, which fails on the backend before building anything.

use std::process::Command;

use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_tags_array";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str], planned: bool) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_faults_cli"))
        .args(args)
        .current_dir(dir.path())
        .env("RUST_BACKTRACE", "1")
        .env("FAULTS_PLANNED", if planned { "1" } else { "0" })
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("run faults_cli");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit 1, `error: ...` naming the migration and `needles`, and no panic output.
#[track_caller]
fn assert_clear_failure(run: &Run, code: i32, needles: &[&str]) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, Some(code), "{all}");
    for banned in [
        "panicked at",
        "stack backtrace",
        "RUST_BACKTRACE",
        "thread '",
    ] {
        assert!(!all.contains(banned), "`{banned}` in:\n{all}");
    }
    assert!(all.contains(VERSION), "the migration is not named:\n{all}");
    for needle in needles {
        assert!(all.contains(needle), "`{needle}` missing in:\n{all}");
    }
}

#[test]
fn faults_sql_for_a_backend_without_arrays_is_an_error_not_a_panic() {
    for planned in [false, true] {
        let lite = cli(&["sql", "--backend", "sqlite"], planned);
        let my = cli(&["sql", "--backend", "mysql"], planned);
        if planned {
            let column = "column `faults_docs`.`tags`";
            assert_clear_failure(&lite, 1, &["error: ", "not portable to SQLite", column]);
            assert_clear_failure(&my, 1, &["error: ", "not portable to MySQL", column]);
        } else {
            assert_clear_failure(&lite, 1, &["error: ", "Array is not available in Sqlite"]);
            assert_clear_failure(&my, 1, &["error: ", "Array is not available in MySQL"]);
        }
        let pg = cli(&["sql", "--backend", "postgres"], planned);
        assert_eq!(pg.code, Some(0), "{}{}", pg.stdout, pg.stderr);
        assert!(pg.stdout.contains("\"tags\" text[] NULL"), "{}", pg.stdout);
    }
}

/// `upgrade` and `check` against a scratch database of `backend`.
async fn upgrade_and_check(backend: Backend) {
    for planned in [false, true] {
        let Some(scratch) = Scratch::new(backend, "faults_pt_cli").await else {
            return;
        };
        let url = scratch.url.clone();
        let reason = match (planned, backend) {
            (true, Backend::Sqlite) => "not portable to SQLite",
            (true, _) => "not portable to MySQL",
            (false, Backend::Sqlite) => "Array is not available in Sqlite",
            (false, _) => "Array is not available in MySQL",
        };
        // Refused before it starts: nothing runs, nothing is recorded (on MySQL, where
        // DDL is not transactional, no dirty row to `resolve`), so the same error again.
        for _ in 0..2 {
            let up = cli(&["-u", &url, "upgrade"], planned);
            assert_clear_failure(&up, 1, &["error: ", reason, "nothing was changed"]);
        }
        let status = cli(&["-u", &url, "status"], planned);
        let all = format!("{}{}", status.stdout, status.stderr);
        assert!(
            all.contains("pending: 1") && !all.contains("dirty"),
            "{all}"
        );
        // `check` replays the migrations on a scratch database: a problem (exit 2).
        let check = cli(&["-u", &url, "check"], planned);
        assert_clear_failure(&check, 2, &[reason]);
        scratch.cleanup().await;
    }
}

#[tokio::test]
async fn faults_upgrade_and_check_on_sqlite_fail_cleanly() {
    upgrade_and_check(Backend::Sqlite).await;
}

#[tokio::test]
async fn faults_upgrade_and_check_on_mysql_fail_cleanly() {
    upgrade_and_check(Backend::MySql).await;
}
