//! A `db-migrate` binary for `tests/tests/faults_portable_cli.rs`: the workspace's
//! entities, and one migration that creates a table with a PostgreSQL array column.
//!
//! By default the migration is hand-written with sea-query builders, as a module
//! generated before the portability check wrote it (sea-query panics building it for
//! SQLite or MySQL). With `FAULTS_PLANNED=1` it runs the same change through
//! `schema_diff::statements::apply`, the plan a generated module prints.

use std::process::ExitCode;

use schema_diff::Change;
use schema_diff::ir;
use sea_orm_migration::prelude::*;

/// The migration's version.
const VERSION: &str = "m20990101_000000_tags_array";

struct TagsArray {
    planned: bool,
}

impl MigrationName for TagsArray {
    fn name(&self) -> &str {
        VERSION
    }
}

fn change() -> Change {
    let mut id = ir::Column::new("id", ir::ColumnType::Integer);
    id.auto_increment = true;
    let text = Box::new(ir::ColumnType::Text);
    let mut tags = ir::Column::new("tags", ir::ColumnType::Array(text));
    tags.nullable = true;
    Change::CreateTable {
        table: ir::Table {
            name: "faults_docs".into(),
            columns: vec![id, tags],
            primary_key: vec!["id".into()],
            ..ir::Table::default()
        },
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TagsArray {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if self.planned {
            return schema_diff::statements::apply(manager, &[change()]).await;
        }
        manager
            .create_table(
                Table::create()
                    .table("faults_docs")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("tags").array(ColumnType::Text).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("faults_docs").to_owned())
            .await
    }
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    let planned = std::env::var("FAULTS_PLANNED").is_ok_and(|v| v == "1");
    vec![Box::new(TagsArray { planned })]
}

fn main() -> ExitCode {
    db_migrate::main(db_migrate::Project {
        entities: entity::all_entities,
        migrations,
        migration_dir: std::env::temp_dir().join("faults_cli_migrations"),
        default_sqlite_path: std::env::temp_dir().join("faults_cli.db"),
    })
}
