//! A `db-migrate` binary for `tests/tests/data_migrations_progress.rs`: the
//! workspace's entities and one data migration, [`tests::data::VERSION`], that
//! backfills the table `items` (made by [`tests::data::create_items`]) 50 rows
//! at a time.
//!
//! With `DATA_CLI_GATE=<path>` set, the backfill stops after its fifth
//! committed batch until the file `<path>` exists (at most 120 s), so that a
//! test can read `status` and `health` while the run is between batches.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use schema_diff::data::{Progress, ProgressSink};
use sea_orm_migration::prelude::*;
use tests::data::{VERSION, counting_update, items_backfill};

/// Holds the run after batch 5 until the gate file exists.
struct Gate(Option<PathBuf>);

impl ProgressSink for Gate {
    fn start(&self, _: &Progress) {}
    fn batch(&self, p: &Progress) {
        let Some(gate) = &self.0 else {
            return;
        };
        if p.batches != 5 {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while !gate.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    fn finish(&self, _: &Progress) {}
}

struct FillItems;

impl MigrationName for FillItems {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FillItems {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let gate = std::env::var_os("DATA_CLI_GATE").map(PathBuf::from);
        items_backfill(VERSION, 50)
            .progress(Arc::new(Gate(gate)))
            .run(manager.get_connection(), counting_update(None))
            .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(FillItems)]
}

fn main() -> ExitCode {
    db_migrate::main(db_migrate::Project {
        entities: entity::all_entities,
        migrations,
        migration_dir: std::env::temp_dir().join("data_cli_migrations"),
        default_sqlite_path: std::env::temp_dir().join("data_cli.db"),
    })
}
