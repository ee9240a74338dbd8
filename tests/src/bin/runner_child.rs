//! A child process for `tests/tests/runner_kill.rs`: runs the runner on one
//! migration that creates a table and then, with `block`, blocks (on a lock the
//! test holds, or in an endless query on SQLite) after printing `BLOCKING`, so
//! that the test can kill it in the middle of an upgrade.
//!
//! Usage: `runner_child URL block|run`. Prints `applied VERSION` per migration;
//! on error prints `error: ...` on stderr and exits 1.

use std::io::Write;
use std::process::ExitCode;

use schema_diff::runner::{Runner, UpgradeTarget};
use sea_orm::{ConnectionTrait, DatabaseExecutor, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};

/// The migration's version.
const VERSION: &str = "m20990101_000000_blocking";

struct Blocking {
    block: bool,
}

impl MigrationName for Blocking {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Blocking {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE kill_a (id INTEGER PRIMARY KEY)")
            .await?;
        // Not while the runner captures the SQL for its checksum (a mock connection).
        let captured = matches!(db, DatabaseExecutor::Connection(c) if c.is_mock_connection());
        if self.block && !captured {
            println!("BLOCKING");
            std::io::stdout().flush().ok();
            let sql = match db.get_database_backend() {
                DbBackend::Postgres => "SELECT pg_advisory_lock(424242)",
                DbBackend::MySql => "SELECT GET_LOCK(CONCAT('dbm_block:', DATABASE()), 600)",
                _ => {
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                     SELECT max(x) FROM c"
                }
            };
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("CREATE TABLE kill_b (id INTEGER PRIMARY KEY)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE kill_b").await?;
        db.execute_unprepared("DROP TABLE kill_a").await?;
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, block) = match args.as_slice() {
        [url, mode] if mode == "block" || mode == "run" => (url.clone(), mode == "block"),
        _ => {
            eprintln!("usage: runner_child URL block|run");
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
        let runner = Runner::new(vec![Box::new(Blocking { block })]);
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
