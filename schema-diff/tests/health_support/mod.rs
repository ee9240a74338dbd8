//! Shared by the `health_*` tests: two small migrations, and running a test on
//! a scratch database of every backend (`tests/src/backend.rs`: a temp SQLite
//! file, a fresh PostgreSQL or MariaDB database; unreachable servers fail with
//! `CI=true` and are skipped with a message otherwise).

#![allow(dead_code)]

#[path = "../../../tests/src/backend.rs"]
pub mod backend;

use std::future::Future;
use std::panic::AssertUnwindSafe;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::prelude::*;

pub use backend::{Backend, Scratch};

/// The first test migration: a `widgets` table.
pub struct Widgets;

impl MigrationName for Widgets {
    fn name(&self) -> &str {
        "m20260101_000001_widgets"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Widgets {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("widgets"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Alias::new("name")).string_len(50).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("widgets")).to_owned())
            .await
    }
}

/// The second test migration: a `gadgets` table.
pub struct Gadgets;

impl MigrationName for Gadgets {
    fn name(&self) -> &str {
        "m20260101_000002_gadgets"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Gadgets {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("gadgets"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("gadgets")).to_owned())
            .await
    }
}

/// Both migrations, as a `MigratorTrait::migrations()` would list them.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Widgets), Box::new(Gadgets)]
}

/// Only the first one: a database at the second has a version this code lacks.
pub fn older_code() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Widgets)]
}

/// The versions of [`migrations`].
pub fn versions() -> Vec<String> {
    migrations().iter().map(|m| m.name().to_owned()).collect()
}

/// A connection that was never opened, to a port nothing listens on: every
/// query fails, as on a database that went away.
pub async fn unreachable() -> DatabaseConnection {
    let mut options = ConnectOptions::new("postgres://app:NeverShown@127.0.0.1:1/app");
    options
        .connect_lazy(true)
        .connect_timeout(std::time::Duration::from_millis(500))
        .sqlx_logging(false);
    Database::connect(options).await.expect("a lazy pool")
}

/// Runs `sql` on the scratch database.
pub async fn exec(scratch: &Scratch, sql: &str) {
    use sea_orm::ConnectionTrait;
    scratch
        .db
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs `body` on a fresh scratch database of every backend, dropping the
/// database afterwards even when `body` panics.
pub fn on_every_backend<F>(label: &str, body: F)
where
    F: for<'a> Fn(&'a Scratch) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for backend in Backend::ALL {
        let Some(scratch) = rt.block_on(Scratch::new(backend, label)) else {
            continue;
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(body(&scratch))));
        rt.block_on(scratch.cleanup());
        if let Err(panic) = outcome {
            eprintln!("failed on {backend:?}");
            std::panic::resume_unwind(panic);
        }
    }
}
