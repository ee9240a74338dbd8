//! A child process for the `faults_*` tests: runs the runner on one migration
//! that creates `lost_a`, then (depending on the mode) waits, then creates
//! `lost_b`. The test interferes with the child's migration lock meanwhile.
//!
//! Usage: `faults_child URL MODE`, MODE one of
//! - `block`: print `BLOCKING`, then wait for a lock the test holds
//!   (PostgreSQL advisory lock 424242, MySQL `GET_LOCK('dbm_block:<db>')`);
//! - `sleep`: print `SLEEPING`, then run a 3-second sleep on the server;
//! - `run`: no wait;
//! - `try`: no wait, and do not wait for the migration lock either.
//!
//! Prints `applied VERSION` per migration; on error prints `error: ...` on
//! stderr and exits 1.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use schema_diff::runner::{Runner, UpgradeTarget};
use sea_orm::{ConnectionTrait, DatabaseExecutor, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};

/// The migration's version.
const VERSION: &str = "m20990101_000000_lost";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Block,
    Sleep,
    Run,
    Try,
}

struct Waiting {
    mode: Mode,
}

impl MigrationName for Waiting {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Waiting {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE lost_a (id INTEGER PRIMARY KEY)")
            .await?;
        // Not while the runner captures the SQL for its checksum (a mock connection).
        let captured = matches!(db, DatabaseExecutor::Connection(c) if c.is_mock_connection());
        let backend = db.get_database_backend();
        let wait = match (self.mode, backend) {
            _ if captured => None,
            (Mode::Block, DbBackend::Postgres) => {
                Some(("BLOCKING", "SELECT pg_advisory_lock(424242)"))
            }
            (Mode::Block, _) => Some((
                "BLOCKING",
                "SELECT GET_LOCK(CONCAT('dbm_block:', DATABASE()), 600)",
            )),
            (Mode::Sleep, DbBackend::Postgres) => Some(("SLEEPING", "SELECT pg_sleep(3)")),
            (Mode::Sleep, _) => Some(("SLEEPING", "SELECT SLEEP(3)")),
            _ => None,
        };
        if let Some((line, sql)) = wait {
            println!("{line}");
            std::io::stdout().flush().ok();
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("CREATE TABLE lost_b (id INTEGER PRIMARY KEY)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE lost_b").await?;
        db.execute_unprepared("DROP TABLE lost_a").await?;
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, mode) = match args.as_slice() {
        [url, mode] => {
            let mode = match mode.as_str() {
                "block" => Mode::Block,
                "sleep" => Mode::Sleep,
                "run" => Mode::Run,
                "try" => Mode::Try,
                _ => {
                    eprintln!("usage: faults_child URL block|sleep|run|try");
                    return ExitCode::from(2);
                }
            };
            (url.clone(), mode)
        }
        _ => {
            eprintln!("usage: faults_child URL block|sleep|run|try");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        let db = tests::backend::connect(&url).await?;
        let mut runner = Runner::new(vec![Box::new(Waiting { mode })]);
        if mode == Mode::Try {
            runner = runner.with_lock_timeout(Duration::ZERO);
        }
        runner
            .upgrade(&db, &UpgradeTarget::Head, |r| {
                println!("applied {}", r.version);
            })
            .await?;
        Ok::<_, anyhow::Error>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
