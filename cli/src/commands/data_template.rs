//! The module `db-migrate generate --data` writes: a data migration with a
//! worked example (backfill a new column from existing ones), compiled and run
//! by `tests/tests/data_migration_module.rs` through `tests/fixtures/data_migration.rs`.

/// The module's text; `DESCRIPTION` is replaced by the first line of the description.
const DATA_TEMPLATE: &str = r#"//! DESCRIPTION
//!
//! A data migration, written from a worked example: it fills `post.slug` from
//! `post.title`, in batches. Adapt the table, the key, the filter and the update.
//!
//! Expand / backfill / contract (docs/data-migrations.md#expand-backfill-contract):
//!
//! 1. expand: an earlier migration adds the new column, nullable (or with a
//!    default), so the application keeps running while this one fills it;
//! 2. backfill: this migration. Each batch commits with its checkpoint; killed
//!    or failed, the next `db-migrate upgrade` resumes after the last committed
//!    batch, and no batch is applied twice. `db-migrate status` shows the progress;
//! 3. contract: a later migration makes the column NOT NULL (and drops what it
//!    replaces), once every row is filled and the application writes it.

use schema_diff::data::Backfill;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Each batch commits on its own, not in one transaction around the migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The step's name keys its checkpoint: keep it once the migration has run.
        Backfill::new(self.name(), "slug from title")
            .table(Post::Table)
            .key(Post::Id)
            .batch_size(5_000)
            // Only the rows not filled yet (the application may fill new ones meanwhile).
            .filter(Expr::col(Post::Slug).is_null())
            .run(manager.get_connection(), |update| {
                update.value(Post::Slug, Func::lower(Expr::col(Post::Title)));
            })
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Nothing to undo here: the expand migration's `down` drops the column.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    Title,
    Slug,
}
"#;

/// The data-migration module for `description` (its first line).
pub fn data_migration_module(description: &str) -> String {
    DATA_TEMPLATE.replace(
        "DESCRIPTION",
        description.lines().next().unwrap_or_default(),
    )
}
