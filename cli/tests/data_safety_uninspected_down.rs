//! Data safety: a `down` whose SQL cannot be read in advance (it asks the database
//! before deciding what to drop) may drop anything, so `downgrade` treats it like
//! one that drops rows: refused off a terminal without `--allow-data-loss`.

mod support;

use std::process::ExitCode;

use sea_orm_migration::prelude::*;
use support::Sandbox;

/// Drops `tags` in its `down`, after asking whether it exists: capturing the SQL on
/// a mock connection fails at the question.
struct Sneaky;

impl MigrationName for Sneaky {
    fn name(&self) -> &str {
        "m99990101_000000_sneaky"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Sneaky {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.has_table("tags").await? {
            manager
                .drop_table(Table::drop().table("tags").to_owned())
                .await?;
        }
        Ok(())
    }
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    let mut all = migration::Migrator::migrations();
    all.push(Box::new(Sneaky));
    all
}

fn project(sandbox: &Sandbox) -> db_migrate::Project {
    db_migrate::Project {
        entities: entity::all_entities,
        migrations,
        migration_dir: sandbox.migration_dir(),
        default_sqlite_path: sandbox.path().join("app.db"),
    }
}

fn run(sandbox: &Sandbox, args: &[&str]) -> ExitCode {
    let url = sandbox.url();
    let mut all = vec!["db-migrate", "-u", url.as_str()];
    all.extend_from_slice(args);
    db_migrate::main_with_args(project(sandbox), all)
}

#[test]
fn a_down_that_cannot_be_read_needs_consent() {
    let sandbox = Sandbox::new();
    assert_eq!(run(&sandbox, &["upgrade"]), ExitCode::SUCCESS);
    sandbox.sql("INSERT INTO tags (name) VALUES ('kept')");

    assert_eq!(run(&sandbox, &["downgrade"]), ExitCode::from(3));
    assert!(
        sandbox.tables().contains(&"tags".to_owned()),
        "tags dropped"
    );

    assert_eq!(
        run(&sandbox, &["downgrade", "--allow-data-loss"]),
        ExitCode::SUCCESS
    );
    assert!(!sandbox.tables().contains(&"tags".to_owned()));
}
