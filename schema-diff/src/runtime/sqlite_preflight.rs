//! The check a generated module runs before its first statement when it rebuilds
//! SQLite tables: [`check_sqlite_rebuilds`].

use sea_orm::{DbBackend, DbErr};
use sea_orm_migration::SchemaManager;

use super::quoted_list;
use super::sqlite_rebuild::{foreign_keys_enabled, referencing_tables};

/// Fails, before the migration changes anything, when one of its SQLite table
/// rebuilds could not run on this connection. Does nothing on other backends.
///
/// [`rebuild_sqlite_table`](super::rebuild_sqlite_table) refuses to rebuild a table
/// that other tables reference while `PRAGMA foreign_keys` is on: dropping the old
/// table would run their `ON DELETE` actions. sea-orm-migration's own `Migrator::up`
/// runs SQLite migrations with foreign keys on and outside a transaction, so without
/// this check the statements before the rebuild would stay applied (and unrecorded)
/// and every later run, by either runner, would fail on them.
///
/// `tables` are the tables the migration rebuilds; `referenced_by_migration` those of
/// them that the migration itself makes referenced before rebuilding them (a table it
/// creates, or a foreign key it adds, pointing at them), which the catalog cannot show
/// yet. With foreign keys off (as `db-migrate upgrade` and
/// [`crate::runner::upgrade_app`] run every SQLite migration) this returns `Ok`.
pub async fn check_sqlite_rebuilds(
    manager: &SchemaManager<'_>,
    tables: &[&str],
    referenced_by_migration: &[&str],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite || tables.is_empty() {
        return Ok(());
    }
    let conn = manager.get_connection();
    if !foreign_keys_enabled(conn).await? {
        return Ok(());
    }
    let mut blocked = Vec::new();
    for table in tables {
        let referencing: Vec<String> = referencing_tables(conn, table)
            .await?
            .iter()
            .map(|t| crate::display::visible(t).into_owned())
            .collect();
        let mut by = Vec::new();
        if !referencing.is_empty() {
            by.push(quoted_list(&referencing));
        }
        if referenced_by_migration.contains(table) {
            by.push("a table this migration links to it first".to_owned());
        }
        if !by.is_empty() {
            blocked.push(format!(
                "`{}` (referenced by {})",
                crate::display::visible(table),
                by.join(" and ")
            ));
        }
    }
    if blocked.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "this migration rebuilds SQLite table {} while foreign keys are on: dropping the old \
         table would run the ON DELETE actions of the tables that reference it, so the \
         migration stopped before changing anything. Run it with foreign keys off: through \
         `db-migrate upgrade`, or in the application replace `Migrator::up(&db, None)` with \
         `schema_diff::runner::upgrade_app::<Migrator>(&db)` (or run `PRAGMA foreign_keys = \
         OFF` on the connection before migrating).",
        blocked.join(", ")
    )))
}
