//! `db-migrate` for this workspace: the library's CLI over the `entity` and
//! `migration` crates.

use std::process::ExitCode;

use sea_orm_migration::MigratorTrait;

fn main() -> ExitCode {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    db_migrate::main(db_migrate::Project {
        entities: entity::all_entities,
        migrations: migration::Migrator::migrations,
        migration_dir: workspace.join("migration").join("src"),
        default_sqlite_path: workspace.join("app.db"),
    })
}
