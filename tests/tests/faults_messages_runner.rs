//! A migration whose own connection is terminated while it runs (PostgreSQL:
//! `pg_terminate_backend` on the session running its statement) fails with an
//! error that names the migration and says it was rolled back, not only the
//! driver's "expected to read 5 bytes". Nothing of it is left.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tests::spawned::{Running, runtime};
use tests::{Backend, Scratch};

const VERSION: &str = "m20990101_000000_lost";
const CHILD: &str = env!("CARGO_BIN_EXE_faults_child");

#[test]
fn a_terminated_migration_connection_names_the_migration_postgres() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "msg_term")) else {
        return;
    };
    let mut child = Running::start(CHILD, &[scratch.url.as_str(), "sleep"]);
    child.expect_line("SLEEPING");
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
    let (code, stdout, stderr) = child.finish();
    assert_eq!(code, Some(1), "{stdout}{stderr}");
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
