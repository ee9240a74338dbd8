//! A child process for `tests/tests/runner_kill.rs`: runs the runner on one
//! migration that creates a table and then, with `block`, blocks (on a lock the
//! test holds, or in an endless query on SQLite) after printing `BLOCKING`, so
//! that the test can kill it in the middle of an upgrade.
//!
//! Usage: `runner_child URL block|run`. Prints `applied VERSION` per migration;
//! on error prints `error: ...` on stderr and exits 1.

use std::process::ExitCode;

use schema_diff::runner::Runner;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use tests::child;

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
        // Not while the runner captures the SQL for its checksum.
        if self.block && !child::capturing(db) {
            child::say("BLOCKING");
            let sql = match db.get_database_backend() {
                DbBackend::Sqlite => {
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                     SELECT max(x) FROM c"
                }
                backend => child::block_sql(backend),
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
    let (url, block) = match child::args().as_slice() {
        [url, mode] if mode == "block" || mode == "run" => (url.clone(), mode == "block"),
        _ => return child::usage("runner_child URL block|run"),
    };
    child::run(async {
        let db = tests::backend::connect(&url).await?;
        let runner = Runner::new(vec![Box::new(Blocking { block })]);
        child::upgrade_printing(&runner, &db).await
    })
}
