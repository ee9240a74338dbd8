//! The application's migrations, applied in the order listed in [`Migrator`].
//!
//! `db-migrate auto` and `db-migrate generate` add modules here; hand-written
//! migrations and other items in this file are kept as they are.

pub use sea_orm_migration::prelude::*;

mod m20261121_223635_initial_schema;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261121_223635_initial_schema::Migration)]
    }
}
