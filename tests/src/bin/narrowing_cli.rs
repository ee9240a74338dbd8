//! A `db-migrate` binary for `tests/tests/data_safety_preflight_cli.rs`: the
//! workspace's entities and two migrations, one creating `narrow_t (name
//! varchar(50))` and one narrowing `name` to `varchar(3)`.

use std::process::ExitCode;

use sea_orm_migration::prelude::*;

/// Creates the table.
struct Create;

impl MigrationName for Create {
    fn name(&self) -> &str {
        "m20990101_000001_narrow_t"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Create {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("narrow_t")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("name").string_len(50).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("narrow_t").to_owned())
            .await
    }
}

/// Narrows `name` to three characters.
struct Narrow;

impl MigrationName for Narrow {
    fn name(&self) -> &str {
        "m20990101_000002_narrow_name"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Narrow {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = |len| ColumnDef::new("name").string_len(len).not_null().to_owned();
        manager
            .alter_table(
                Table::alter()
                    .table("narrow_t")
                    .modify_column(column(3))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("narrow_t")
                    .modify_column(ColumnDef::new("name").string_len(50).not_null())
                    .to_owned(),
            )
            .await
    }
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Create), Box::new(Narrow)]
}

fn main() -> ExitCode {
    db_migrate::main(db_migrate::Project {
        entities: entity::all_entities,
        migrations,
        migration_dir: std::env::temp_dir().join("narrowing_cli_migrations"),
        default_sqlite_path: std::env::temp_dir().join("narrowing_cli.db"),
    })
}
