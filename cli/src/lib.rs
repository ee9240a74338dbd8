//! `db-migrate`: the migration command line, as a library any SeaORM workspace
//! can build its own binary from.
//!
//! ```no_run
//! use sea_orm_migration::MigratorTrait;
//! # mod entity { pub fn all_entities(_: &sea_orm::Schema) -> Vec<schema_diff::desired::EntityStatements> { vec![] } }
//! # mod migration { pub struct Migrator; #[sea_orm_migration::async_trait::async_trait] impl sea_orm_migration::MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] } } }
//! fn main() -> std::process::ExitCode {
//!     db_migrate::main(db_migrate::Project {
//!         entities: entity::all_entities,
//!         migrations: migration::Migrator::migrations,
//!         migration_dir: "migration/src".into(),
//!         default_sqlite_path: "app.db".into(),
//!     })
//! }
//! ```

// The admin API's handlers nest async closures in futures deeper than the
// default limit lets rustc compute their layout.
#![recursion_limit = "256"]

#[macro_use]
mod output;
pub mod admin;
mod args;
mod commands;
mod config;
mod config_file;
mod connect;
mod dir_lock;
mod examples;
mod fleet;
mod interrupt;
mod naming;
mod ops;
mod progress;
mod redact;
mod register;
mod settings;
mod sqlite_file;
mod terminal;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sea_orm_migration::MigrationTrait;

pub use commands::check::{
    CheckOptions, EditedMigration, FoundHazard, HazardSource, Report, SCRATCH_PREFIX, Scope,
    UnfinishedMigration, check_report, check_report_with,
};
pub use commands::data_template::data_migration_module;
pub use commands::verify::{verify_report, verify_report_with};
pub use redact::{redact, redact_url};
pub use schema_diff::desired::EntityStatements;
pub use settings::Exclusions;

/// What the CLI needs to know about a workspace.
pub struct Project {
    /// The entity crate's statements, e.g. `entity::all_entities`.
    pub entities: fn(&sea_orm::Schema) -> Vec<EntityStatements>,
    /// The migration crate's list, e.g. `migration::Migrator::migrations`.
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    /// The migration crate's `src` folder: new modules go here and into its `lib.rs`.
    pub migration_dir: PathBuf,
    /// The embedded SQLite database used when no URL is configured.
    pub default_sqlite_path: PathBuf,
}

/// Parses the command line, runs the command and returns the exit code:
/// 0 on success, 1 on error (after printing `error: ...`), 3 when a command that
/// would lose data was not confirmed. A command line clap cannot parse exits with
/// clap's usage error code, 2.
pub fn main(project: Project) -> ExitCode {
    let args = match args::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return output::usage_error(&e),
    };
    run_parsed(project, args)
}

/// [`main`] with the command line given (`args[0]` is the program name), e.g. to
/// drive the CLI of a project from its tests. A command line that does not parse
/// prints the usage and returns 2 (`--help` and `--version` print and return 0).
pub fn main_with_args<I, T>(project: Project, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match args::Cli::try_parse_from(args) {
        Ok(args) => run_parsed(project, args),
        Err(e) => output::usage_error(&e),
    }
}

fn run_parsed(project: Project, args: args::Cli) -> ExitCode {
    output::init_logging(args.global.verbose);
    progress::install(args.global.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return output::fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(interrupt::run_until_signal(commands::run(&project, args))) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}
