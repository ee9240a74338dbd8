//! A child process for `tests/tests/data_migrations.rs`: backfills the table
//! `items` (made by [`tests::data::create_items`]) so that the test can kill it
//! in the middle and run it again.
//!
//! Usage: `data_child URL runner|direct slow|fast|crawl|idle`. `runner` runs
//! the backfill inside a migration (`use_transaction() == Some(false)`)
//! through the runner; `direct` runs it on the connection. `slow` pauses 20 ms
//! after each batch, `crawl` 200 ms. `idle` (with `runner` only) runs a data
//! migration that prints `IDLE` and sleeps 4 s without writing anything
//! before the backfill (twice: the runner also runs `up` to capture its SQL),
//! so that only the runner's background heartbeat refreshes its owner row.
//! Prints `START <rows done before>` when the step starts, `BATCH <n>` after
//! each committed batch and `DONE <rows in this run>` at the end; on error
//! prints `error: ...` on stderr and exits 1.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use schema_diff::data::{Backfill, Progress, ProgressSink};
use schema_diff::runner::{Runner, UpgradeTarget};
use sea_orm::DbErr;
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use tests::child::{self, say};
use tests::data::{VERSION, counting_update};

/// Prints each event on stdout, flushed at once.
struct Printer;

impl ProgressSink for Printer {
    fn start(&self, p: &Progress) {
        say(&format!("START {}", p.rows_done));
    }
    fn batch(&self, p: &Progress) {
        say(&format!("BATCH {}", p.batches));
    }
    fn finish(&self, _: &Progress) {}
}

fn backfill(pause: Duration) -> Backfill {
    tests::data::items_backfill(VERSION, 50)
        .throttle(pause)
        .progress(Arc::new(Printer))
}

struct DataMigration {
    pause: Duration,
    idle: bool,
}

impl MigrationName for DataMigration {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DataMigration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Twice in all: the runner also calls `up` on a recorder, to capture
        // its SQL (after it stepped out of its transaction).
        if self.idle {
            say("IDLE");
            tokio::time::sleep(Duration::from_secs(4)).await;
        }
        let report = backfill(self.pause)
            .run(manager.get_connection(), counting_update(None))
            .await?;
        if report.batches > 0 {
            say(&format!("DONE {}", report.rows));
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// How to call this binary.
const USAGE: &str = "data_child URL runner|direct slow|fast|crawl|idle";

fn main() -> ExitCode {
    let pause = |speed: &str| match speed {
        "fast" => Some(Duration::ZERO),
        "slow" => Some(Duration::from_millis(20)),
        "crawl" | "idle" => Some(Duration::from_millis(200)),
        _ => None,
    };
    let (url, runner, pause, idle) = match child::args().as_slice() {
        [url, mode, speed] if matches!(mode.as_str(), "runner" | "direct") => match pause(speed) {
            Some(pause) => (url.clone(), mode == "runner", pause, speed == "idle"),
            None => return child::usage(USAGE),
        },
        _ => return child::usage(USAGE),
    };
    child::run(async {
        let db = tests::backend::connect(&url).await?;
        if runner {
            Runner::new(vec![Box::new(DataMigration { pause, idle })])
                .upgrade(&db, &UpgradeTarget::Head, |_| {})
                .await?;
        } else {
            let report = backfill(pause).run(&db, counting_update(None)).await?;
            say(&format!("DONE {}", report.rows));
        }
        Ok(())
    })
}
