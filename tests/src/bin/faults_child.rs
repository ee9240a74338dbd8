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

use std::process::ExitCode;
use std::time::Duration;

use schema_diff::runner::Runner;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use tests::child;

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
        let backend = db.get_database_backend();
        let wait = match (self.mode, backend) {
            // Not while the runner captures the SQL for its checksum.
            _ if child::capturing(db) => None,
            (Mode::Block, _) => Some(("BLOCKING", child::block_sql(backend))),
            (Mode::Sleep, DbBackend::Postgres) => Some(("SLEEPING", "SELECT pg_sleep(3)")),
            (Mode::Sleep, _) => Some(("SLEEPING", "SELECT SLEEP(3)")),
            _ => None,
        };
        if let Some((line, sql)) = wait {
            child::say(line);
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

/// How to call this binary.
const USAGE: &str = "faults_child URL block|sleep|run|try";

fn main() -> ExitCode {
    let (url, mode) = match child::args().as_slice() {
        [url, mode] => {
            let mode = match mode.as_str() {
                "block" => Mode::Block,
                "sleep" => Mode::Sleep,
                "run" => Mode::Run,
                "try" => Mode::Try,
                _ => return child::usage(USAGE),
            };
            (url.clone(), mode)
        }
        _ => return child::usage(USAGE),
    };
    child::run(async {
        let db = tests::backend::connect(&url).await?;
        let mut runner = Runner::new(vec![Box::new(Waiting { mode })]);
        if mode == Mode::Try {
            runner = runner.with_lock_timeout(Duration::ZERO);
        }
        child::upgrade_printing(&runner, &db).await
    })
}
