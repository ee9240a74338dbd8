//! The command line.

use clap::{Args, Parser, Subcommand};

/// Schema migrations for SeaORM: autogenerate from entities, apply, roll back.
#[derive(Debug, Parser)]
#[command(name = "db-migrate", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Database URL (sqlite://FILE, postgres://..., mysql://...). Default: DATABASE_URL
    /// from the environment or .env, then POSTGRES_SERVER/USER/PASSWORD/DB/PORT, then
    /// the workspace's embedded SQLite file.
    #[arg(short = 'u', long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More logs on stderr (-v: info, -vv: debug with SQL). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Where migration modules are written (default: the workspace's migration/src).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "DB_MIGRATE_MIGRATION_DIR"
    )]
    pub migration_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the current version, the head and the pending migrations.
    Status,
    /// List every migration with the time it was applied.
    History,
    /// Apply pending migrations: up to `head` (default), a VERSION, or `+N` steps.
    Upgrade {
        /// `head`, `+N` (the next N), or a version: its full name or a unique prefix.
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
    },
    /// Roll back migrations: `-N` steps (default -1), back to a VERSION (kept), or `base`.
    Downgrade {
        /// `-N` (the last N), `base` (everything), or a version that stays applied.
        #[arg(default_value = "-1", allow_hyphen_values = true)]
        target: String,
    },
    /// Write an empty migration module and register it.
    Generate {
        /// What the migration does; becomes part of the module name.
        description: String,
    },
    /// Compare the entities with the database and write a migration for the difference.
    Auto {
        /// What the migration does; becomes part of the module name.
        description: String,
        #[command(flatten)]
        compare: CompareFlags,
    },
}

/// Alembic's `compare_type` and `compare_server_default`, both on by default.
#[derive(Debug, Args, Clone, Copy)]
pub struct CompareFlags {
    /// Do not report column type changes.
    #[arg(long)]
    pub no_compare_type: bool,
    /// Do not report column default changes.
    #[arg(long)]
    pub no_compare_server_default: bool,
}

impl CompareFlags {
    /// The differ's options.
    pub fn options(self) -> schema_diff::DiffOptions {
        schema_diff::DiffOptions {
            compare_type: !self.no_compare_type,
            compare_server_default: !self.no_compare_server_default,
        }
    }
}
