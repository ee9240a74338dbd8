//! Shared by the `check_*` and `verify_*` tests: a scratch database per test on
//! each backend (the suite's own `tests/src/backend.rs`), the real binary run
//! against it, and reports with exit code 2 parsed.

#![allow(dead_code)]

#[path = "../../../tests/src/backend.rs"]
mod backend;

pub use backend::Backend;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;

use crate::support::{Run, Sandbox};

/// Runs `$name(Backend)` as three tests, `$name::sqlite`, `$name::postgres` and
/// `$name::mysql`, so that every backend fails on its own.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::check_support::Backend;

                #[test]
                fn sqlite() {
                    super::$name(Backend::Sqlite)
                }

                #[test]
                fn postgres() {
                    super::$name(Backend::Postgres)
                }

                #[test]
                fn mysql() {
                    super::$name(Backend::MySql)
                }
            }
        )*
    };
}

/// One test's database on one backend, dropped when this goes out of scope (also
/// when an assertion failed).
pub struct Db {
    rt: tokio::runtime::Runtime,
    scratch: Option<backend::Scratch>,
    sandbox: Sandbox,
}

impl Db {
    /// A new empty database, or `None` when the server is unreachable outside CI
    /// (the scratch helper says it skipped; in CI it panics).
    pub fn new(backend: Backend, label: &str) -> Option<Db> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let scratch = rt.block_on(backend::Scratch::new(backend, label))?;
        Some(Db {
            rt,
            scratch: Some(scratch),
            sandbox: Sandbox::new(),
        })
    }

    fn scratch(&self) -> &backend::Scratch {
        self.scratch.as_ref().expect("scratch database")
    }

    /// The database's URL, as passed with `-u`.
    pub fn url(&self) -> String {
        self.scratch().url.clone()
    }

    pub fn backend(&self) -> Backend {
        self.scratch().backend
    }

    /// Runs `db-migrate -u <url> ARGS` in a sandbox folder with a clean environment.
    pub fn run(&self, args: &[&str]) -> Run {
        let url = self.url();
        let mut all = vec!["-u", url.as_str()];
        all.extend_from_slice(args);
        self.sandbox.run_raw(&all, &[])
    }

    /// Runs `db-migrate upgrade` and asserts it worked.
    pub fn upgrade(&self) {
        self.run(&["upgrade"]).ok();
    }

    /// Runs SQL on the database directly, as someone editing it by hand.
    pub fn sql(&self, sql: &str) {
        let scratch = self.scratch();
        self.rt
            .block_on(scratch.db.execute_unprepared(sql))
            .unwrap_or_else(|e| panic!("`{sql}` failed: {e}"));
    }

    /// Runs a future on this test's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.rt.block_on(future)
    }

    /// The databases on this test's server whose name starts with `prefix`.
    pub fn databases_starting_with(&self, prefix: &str) -> Vec<String> {
        let scratch = self.scratch();
        let (backend, sql) = match scratch.backend {
            Backend::Postgres => (
                DbBackend::Postgres,
                "SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1",
            ),
            Backend::MySql => (
                DbBackend::MySql,
                "SELECT schema_name FROM information_schema.schemata \
                 WHERE left(schema_name, char_length(?)) = ?",
            ),
            Backend::Sqlite => return Vec::new(),
        };
        let values: Vec<sea_orm::Value> = match scratch.backend {
            Backend::MySql => vec![prefix.into(), prefix.into()],
            _ => vec![prefix.into()],
        };
        let rows = self
            .rt
            .block_on(
                scratch
                    .db
                    .query_all_raw(Statement::from_sql_and_values(backend, sql, values)),
            )
            .expect("query");
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("name"))
            .collect()
    }

    /// Whether a database called `name` exists on this test's server.
    pub fn database_exists(&self, name: &str) -> bool {
        let scratch = self.scratch();
        let (backend, sql) = match scratch.backend {
            Backend::Postgres => (
                DbBackend::Postgres,
                "SELECT COUNT(*) FROM pg_database WHERE datname = $1",
            ),
            Backend::MySql => (
                DbBackend::MySql,
                "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
            ),
            Backend::Sqlite => return false,
        };
        let row = self
            .rt
            .block_on(scratch.db.query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [name.into()],
            )))
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("count") > 0
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(scratch) = self.scratch.take() {
            self.rt.block_on(scratch.cleanup());
        }
    }
}

/// Asserts the exit code, no panic and a single JSON document on stdout; returns it.
#[track_caller]
pub fn report(run: &Run, code: i32) -> Value {
    assert_eq!(run.code, Some(code), "expected exit {code}: {run:#?}");
    assert!(!run.stderr.contains("panicked"), "panic: {run:#?}");
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:#?}"))
}

/// The sorted keys of a JSON object.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The `problems` of a report, as strings.
pub fn problems(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .expect("problems is an array")
        .iter()
        .map(|p| p.as_str().expect("a problem is a string").to_owned())
        .collect()
}

/// The scratch database names `db-migrate -v` logged as created and as dropped.
pub fn logged_scratch_databases(stderr: &str) -> (Vec<String>, Vec<String>) {
    let mut created = Vec::new();
    let mut dropped = Vec::new();
    for line in stderr.lines() {
        let Some(name) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("database="))
        else {
            continue;
        };
        if line.contains("scratch database created") {
            created.push(name.to_owned());
        } else if line.contains("scratch database dropped") {
            dropped.push(name.to_owned());
        }
    }
    (created, dropped)
}

/// The head of the compiled migrations.
pub fn head() -> String {
    crate::support::versions()
        .last()
        .cloned()
        .expect("the code has migrations")
}
