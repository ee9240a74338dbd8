//! A migration whose own connection is terminated while it runs (PostgreSQL:
//! `pg_terminate_backend` on the session running its statement) fails with an
//! error that names the migration and says it was rolled back, not only the
//! driver's "expected to read 5 bytes". Nothing of it is left.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_lost";
const CHILD: &str = env!("CARGO_BIN_EXE_faults_child");

#[test]
fn a_terminated_migration_connection_names_the_migration_postgres() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "msg_term")) else {
        return;
    };
    let mut child = Command::new(CHILD)
        .args([scratch.url.as_str(), "sleep"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read");
    assert_eq!(line.trim(), "SLEEPING");
    // The session running the migration's `pg_sleep`, in this scratch database only.
    let terminated = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows = scratch
                .db
                .query_all_raw(Statement::from_string(
                    scratch.db.get_database_backend(),
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid() \
                     AND query LIKE 'SELECT pg_sleep%'",
                ))
                .await
                .expect("terminate");
            if !rows.is_empty() || Instant::now() > deadline {
                break rows.len();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(terminated, 1, "the migration's session was not found");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for needle in [
        format!("migration `{VERSION}` failed and was rolled back"),
        "nothing of it is applied or recorded".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "`{needle}` not in: {stderr}");
    }
    rt.block_on(async {
        let tables = scratch
            .db
            .query_all_raw(Statement::from_string(
                scratch.db.get_database_backend(),
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'lost_%'",
            ))
            .await
            .expect("tables");
        assert!(tables.is_empty(), "the migration left tables behind");
    });
    rt.block_on(scratch.cleanup());
}
