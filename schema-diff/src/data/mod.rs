//! Data migrations: moving the data of tables too big for one statement
//! (backfills, splits, copies) from inside any migration module.
//!
//! [`Backfill`] applies one typed sea-query `UPDATE` to a table in key order,
//! batch by batch, each batch in its own transaction together with its
//! checkpoint (table [`CHECKPOINT_TABLE`]): a run that is killed or fails
//! resumes after its last committed batch, and no batch is applied twice.
//! Progress goes to a [`ProgressSink`] (by default `tracing` events on target
//! `db_migrate::data`) and is stored with the checkpoint, where `status` and
//! `health` read it while the migration runs.
//!
//! Inside a migration, run it on the manager's connection, in a migration
//! whose `use_transaction()` is `Some(false)` so that each batch commits on
//! its own, on every backend (on SQLite the runner then runs the migration
//! outside its write transaction; see `docs/data-migrations.md`):
//!
//! ```no_run
//! use schema_diff::data::Backfill;
//! use sea_orm_migration::prelude::*;
//!
//! # struct Migration;
//! # impl MigrationName for Migration { fn name(&self) -> &str { "m1" } }
//! #[async_trait::async_trait]
//! impl MigrationTrait for Migration {
//!     fn use_transaction(&self) -> Option<bool> {
//!         Some(false)
//!     }
//!
//!     async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
//!         Backfill::new(self.name(), "slug from title")
//!             .table(Alias::new("post"))
//!             .key(Alias::new("id"))
//!             .run(manager.get_connection(), |update| {
//!                 update.value(Alias::new("slug"), Expr::col(Alias::new("title")));
//!             })
//!             .await?;
//!         Ok(())
//!     }
//! }
//! ```

mod batch;
pub mod checkpoint;
mod key;
mod progress;

pub use batch::{Backfill, BackfillReport, DEFAULT_BATCH_SIZE, DryRun};
pub use checkpoint::{CHECKPOINT_TABLE, Checkpoint, StepState};
pub use key::BatchKey;
pub use progress::{Progress, ProgressSink, TracingProgress, set_progress_sink};
