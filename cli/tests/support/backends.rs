//! Running a CLI test on every backend, each run on its own scratch database
//! ([`tests::backend::Scratch`]: a temp SQLite file, or a fresh PostgreSQL or
//! MariaDB database dropped at the end). Include with
//! `#[path = "support/backends.rs"] mod backends;`.
//!
//! Outside CI an unreachable server skips that backend with a message; with
//! `CI=true` it fails the test.

#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use sea_orm::{ConnectionTrait, Statement};
use tokio::runtime::Runtime;

pub use tests::backend::{Backend, Scratch};

/// The three backends.
pub const EVERY: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

/// A runtime for the test's own database work (the binary runs as a child process).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `body` once per backend on a fresh scratch database, and drops the database
/// afterwards even when `body` panics.
pub fn on_every_backend(label: &str, body: impl Fn(&Runtime, &Scratch)) {
    let rt = runtime();
    for backend in EVERY {
        let Some(scratch) = rt.block_on(Scratch::new(backend, label)) else {
            continue;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&rt, &scratch)));
        rt.block_on(scratch.cleanup());
        if let Err(panic) = outcome {
            eprintln!("failed on {backend:?}");
            resume_unwind(panic);
        }
    }
}

/// The quote character of identifiers on `backend`.
pub fn quote(backend: Backend) -> char {
    match backend {
        Backend::MySql => '`',
        Backend::Sqlite | Backend::Postgres => '"',
    }
}

/// `name` quoted for `backend`.
pub fn quoted(backend: Backend, name: &str) -> String {
    let q = quote(backend);
    format!("{q}{name}{q}")
}

/// Every table of the scratch database (nothing left out), sorted by name.
pub fn tables(rt: &Runtime, scratch: &Scratch) -> Vec<String> {
    let sql = match scratch.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        Backend::MySql => {
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
             WHERE table_schema = DATABASE() ORDER BY 1"
        }
    };
    strings(rt, scratch, sql)
}

/// The first column of every row of `sql`, as strings.
pub fn strings(rt: &Runtime, scratch: &Scratch, sql: &str) -> Vec<String> {
    rt.block_on(async {
        let backend = scratch.db.get_database_backend();
        let rows = scratch
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("a text column"))
            .collect()
    })
}

/// Runs `sql` on the scratch database.
pub fn exec(rt: &Runtime, scratch: &Scratch, sql: &str) {
    rt.block_on(async {
        scratch
            .db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}
