//! The command line.

use clap::{Args, Parser, Subcommand};

/// The longest wait any option accepts, in seconds: one week. Longer ones are
/// refused at parsing rather than overflowing a deadline (or PostgreSQL's
/// `lock_timeout`, whose limit is about 24 days).
pub const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// A number of seconds, 0 to [`MAX_SECONDS`].
fn seconds() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=MAX_SECONDS)
}

/// A migration target: not empty (an unset shell variable must not match every
/// version as a prefix).
fn target(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(
            "a target cannot be empty: give a version (its full name or a unique \
                    prefix), `head`, `base` or a step count"
                .into(),
        );
    }
    Ok(value.to_owned())
}

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
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Database URL (sqlite://FILE, postgres://..., mysql://...). Default: DATABASE_URL
    /// from the environment or .env, then POSTGRES_SERVER/USER/PASSWORD/DB/PORT, then
    /// the workspace's embedded SQLite file.
    /// Repeat it to run `upgrade`, `status`, `check`, `verify`, `health` or `backup` on
    /// several databases (docs/fleet.md).
    #[arg(short = 'u', long, global = true, value_name = "URL", action = clap::ArgAction::Append)]
    pub database_url: Vec<String>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More logs on stderr (-v: info, -vv: debug with SQL). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Where migration modules are written (default: DB_MIGRATE_MIGRATION_DIR, then
    /// `migration_dir` in db-migrate.toml, then the workspace's migration/src).
    #[arg(long, global = true, value_name = "DIR")]
    pub migration_dir: Option<std::path::PathBuf>,
    /// The configuration file (default: db-migrate.toml in the current directory or
    /// the nearest parent that has one).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// PostgreSQL: the schema to work in instead of `public` (default:
    /// DATABASE_SCHEMA, then `schema` in db-migrate.toml). An error on other backends.
    #[arg(long, global = true, value_name = "NAME")]
    pub schema: Option<String>,
    #[command(flatten)]
    pub fleet: FleetFlags,
}

impl Global {
    /// The one `-u` URL of a single-database run (`None`: not given).
    pub fn single_url(&self) -> Option<&str> {
        self.database_url.first().map(String::as_str)
    }
}

/// Several databases in one run (docs/fleet.md).
#[derive(Debug, Args, Clone, Default)]
pub struct FleetFlags {
    /// Run on every database listed in FILE: one URL a line; blank lines and lines
    /// starting with `#` are skipped; `?schema=NAME` on a PostgreSQL URL names a schema.
    #[arg(long, global = true, value_name = "FILE")]
    pub targets: Option<std::path::PathBuf>,
    /// Run on the databases (or, with `--targets-query-kind schema`, PostgreSQL
    /// schemas) whose names this query returns in its first column, on the one
    /// configured database.
    #[arg(long, global = true, value_name = "SQL")]
    pub targets_query: Option<String>,
    /// What `--targets-query` returns: `database` names or PostgreSQL `schema` names.
    #[arg(long, global = true, value_name = "KIND", default_value = "database")]
    pub targets_query_kind: TargetsKind,
    /// Several databases: how many to work on at once.
    #[arg(short = 'j', long, global = true, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Several databases: start no new one after the first failure (those running finish).
    #[arg(long, global = true)]
    pub fail_fast: bool,
    /// Several databases: run the first N alone first; when one of them fails, stop
    /// there and skip the rest.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub canary: Option<u32>,
}

impl FleetFlags {
    /// Whether the run names several databases: `--targets` or `--targets-query`
    /// (several `-u` are counted by the caller).
    pub fn lists_targets(&self) -> bool {
        self.targets.is_some() || self.targets_query.is_some()
    }
}

/// What the names `--targets-query` returns are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetsKind {
    /// Databases on the same server (PostgreSQL, MySQL/MariaDB).
    #[default]
    Database,
    /// Schemas of the PostgreSQL database.
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the current version, the head and the pending migrations.
    Status,
    /// List every migration with the time it was applied.
    History,
    /// Apply pending migrations: up to `head` (default), a VERSION, or `+N` steps.
    #[command(after_help = crate::examples::UPGRADE)]
    Upgrade {
        /// `head`, `+N` (the next N), or a version: its full name or a unique prefix.
        #[arg(default_value = "head", allow_hyphen_values = true, value_parser = target)]
        target: String,
        /// Print the SQL each migration would send on this database; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Back up the database first (`db-migrate backup` with its defaults).
        #[arg(long, conflicts_with = "dry_run")]
        backup: bool,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Roll back migrations: `-N` steps (default -1), back to a VERSION (kept), or `base`.
    #[command(after_help = crate::examples::DOWNGRADE)]
    Downgrade {
        /// `-N` (the last N), `base` (everything), or a version that stays applied.
        #[arg(default_value = "-1", allow_hyphen_values = true, value_parser = target)]
        target: String,
        /// Print the SQL each migration would send on this database, with the
        /// hazards of its steps; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Roll back even when a step drops tables or columns holding rows
        /// (without it: asked on a terminal, refused with exit 3 otherwise).
        #[arg(long)]
        allow_data_loss: bool,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Record one migration as fully applied or fully rolled back, without running
    /// it (after a failure outside a transaction, e.g. on MySQL).
    #[command(group(
        clap::ArgGroup::new("resolution")
            .required(true)
            .args(["applied", "rolled_back"])
    ))]
    Resolve {
        /// The version: its full name or a unique prefix.
        #[arg(value_name = "VERSION", value_parser = target)]
        migration: String,
        /// It is fully applied now: record it as applied.
        #[arg(long)]
        applied: bool,
        /// It is fully undone now: remove it from the history.
        #[arg(long)]
        rolled_back: bool,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Mark the database as being at a version without running anything: every
    /// migration up to it recorded as applied, every later one removed.
    Stamp {
        /// A version (full name or unique prefix), `head`, or `base` (nothing applied).
        #[arg(value_parser = target)]
        target: String,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Write an empty migration module and register it.
    Generate {
        /// What the migration does; becomes part of the module name.
        description: String,
        /// Write a data migration (a batched, resumable backfill) from a worked
        /// example instead of an empty module; see docs/data-migrations.md.
        #[arg(long)]
        data: bool,
    },
    /// Compare the entities with the database and write a migration for the difference.
    #[command(after_help = crate::examples::AUTO)]
    Auto {
        /// What the migration does; becomes part of the module name.
        description: String,
        #[command(flatten)]
        compare: CompareFlags,
        #[command(flatten)]
        exclude: ExcludeFlags,
        /// Render the migration for this backend only: sqlite, postgres or mysql.
        /// Repeatable; replaces `backends` in db-migrate.toml (default: all three).
        #[arg(long = "backend", value_name = "BACKEND")]
        backends: Vec<String>,
        /// A rename, answered in advance: `TABLE.OLD=NEW` (a column) or `OLD=NEW` (a table).
        #[arg(long = "rename", value_name = "OLD=NEW")]
        renames: Vec<String>,
        /// Write the migration even when it drops tables or columns holding rows
        /// (without it: asked on a terminal, refused with exit 3 otherwise).
        #[arg(long)]
        allow_data_loss: bool,
    },
    /// Print the SQL of a range of migrations for a backend, without any database.
    Sql {
        /// `FROM:TO` (versions, unique prefixes, `base`, `head`; default `base:head`),
        /// or one VERSION. FROM after TO prints the down SQL, newest first.
        #[arg(default_value = "base:head", value_parser = target)]
        range: String,
        /// `postgres`, `mysql` or `sqlite` (default: the configured URL's scheme).
        #[arg(long, value_name = "BACKEND")]
        backend: Option<String>,
    },
    /// Write SeaORM entity modules from the database (string lengths, defaults,
    /// indexes, enums, keys, relations), so that `auto` right after reports `No changes`.
    Pull {
        /// The folder to write `mod.rs`, `prelude.rs` and one module per table to.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Replace files that already exist in DIR.
        #[arg(long)]
        force: bool,
    },
    /// Show how the database differs from the entities (or another database).
    #[command(after_help = crate::examples::DIFF)]
    Diff {
        /// The current side: this database URL instead of the configured one.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The wanted side: this database URL instead of the entities.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// Also write the visual schema diff to FILE: one self-contained HTML page
        /// (tables and columns side by side, coloured), e.g. for a CI artifact.
        #[arg(long, value_name = "FILE")]
        html: Option<std::path::PathBuf>,
        #[command(flatten)]
        compare: CompareFlags,
        #[command(flatten)]
        exclude: ExcludeFlags,
    },
    /// CI gate: migrations vs entities (replayed on a scratch database), pending,
    /// edited or unknown history, lint hazards. Exit 2 when a problem is found.
    #[command(after_help = crate::examples::CHECK)]
    Check {
        /// Pending migrations on the database are a problem too.
        #[arg(long)]
        fail_on_pending: bool,
        /// Lint hazards at or above this severity (info, warning, danger) are problems.
        #[arg(long, value_name = "SEVERITY")]
        deny: Option<schema_diff::lint::Severity>,
        #[command(flatten)]
        exclude: ExcludeFlags,
    },
    /// Check the database against the code: checksums, history, schema vs entities.
    /// Exit 2 when a problem is found.
    Verify {
        #[command(flatten)]
        exclude: ExcludeFlags,
    },
    /// Print the effective configuration and where each value comes from (flag,
    /// env, .env, file, default); passwords redacted.
    Config,
    /// Back up the database with its own tools (pg_dump, mariadb-dump, VACUUM INTO),
    /// with a manifest FILE.json; or verify a backup (exit 2 when it does not match).
    #[command(after_help = crate::examples::BACKUP)]
    Backup(BackupArgs),
    /// Restore a backup into the database, which must be empty (or --force).
    #[command(after_help = crate::examples::RESTORE)]
    Restore {
        /// The backup file (`.sql` from pg_dump or mariadb-dump, `.sqlite`).
        file: std::path::PathBuf,
        /// Replace the contents of a database that is not empty.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockFlags,
    },
    /// Wait until the database accepts connections (exit 1 on timeout).
    Wait {
        /// How long to keep trying, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = seconds())]
        timeout: u64,
    },
    /// Wait for the database, handle pending migrations, then replace this process
    /// with COMMAND: `db-migrate start -- my-app --port 8080`.
    #[command(after_help = crate::examples::START)]
    Start(StartArgs),
    /// Migration health: ok (exit 0), degraded: migrations pending (2), error (1).
    Health {
        /// How long to wait for the database, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = seconds())]
        timeout: u64,
    },
    /// Set a SeaORM workspace up for db-migrate: find the entity and migration crates
    /// (create a migration crate if there is none), write a binary crate embedding
    /// this CLI, add it to the workspace, write db-migrate.toml. Never replaces a file
    /// it did not write.
    #[command(after_help = crate::examples::INIT)]
    Init {
        /// The workspace root (the folder of the `Cargo.toml` with `[workspace]`).
        #[arg(long, value_name = "WORKSPACE", default_value = ".")]
        dir: std::path::PathBuf,
        /// Name of the binary crate: its folder, package and binary.
        #[arg(long, value_name = "NAME", default_value = "db-migrate")]
        name: String,
        /// The db-migrate source checkout the new crate depends on (holding `cli/`
        /// and `schema-diff/`); default: the one this binary was built from.
        #[arg(long, value_name = "DIR")]
        source: Option<std::path::PathBuf>,
        /// Replace the files an earlier `init` wrote (never any other file).
        #[arg(long)]
        force: bool,
    },
    /// List the project's entities: each one's table, with its column, index and
    /// foreign-key counts (what `auto`, `diff` and `check` compare with).
    Entities,
    /// Print a shell completion script: `db-migrate completions bash > /etc/bash_completion.d/db-migrate`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `db-migrate man > db-migrate.1 && man ./db-migrate.1`.
    #[command(alias = "man-page")]
    Man,
    /// Serve the admin dashboard (at /) and API (JSON under /api), on
    /// 127.0.0.1:8790 by default; bearer tokens from DB_MIGRATE_OPERATOR_TOKEN and
    /// DB_MIGRATE_VIEWER_TOKEN (comma-separated). See docs/admin.md.
    #[command(after_help = crate::examples::SERVE)]
    Serve(ServeArgs),
}

/// `db-migrate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on. Anything but a loopback address needs
    /// --allow-remote.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8790")]
    pub bind: std::net::SocketAddr,
    /// Allow a --bind address other than loopback (127.0.0.1, ::1): put TLS in
    /// front of it (a reverse proxy), since tokens travel in every request.
    #[arg(long)]
    pub allow_remote: bool,
    /// Failed token attempts per client address and minute before it gets 429.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_failed_auth: u32,
    #[command(flatten)]
    pub lock: LockFlags,
}

/// `db-migrate backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Only the schema (and the migration history's rows).
    #[arg(long)]
    pub schema_only: bool,
    /// The backup file, or a folder for the default name
    /// (default: backups/<db>-<UTC time>.sql or .sqlite).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Keep the newest N default-named backups of this database in the folder;
    /// delete older ones with their manifests.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// Restore the backup just made (or FILE) into a scratch database and compare
    /// it with the manifest: exit 2 when they differ.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub verify: Option<Option<std::path::PathBuf>>,
    // The backup is taken under the migration lock: how long to wait for it.
    #[command(flatten)]
    pub lock: LockFlags,
}

/// `db-migrate start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Pending migrations: `apply` them (under the lock), `fail` (exit 1), or `warn`.
    #[arg(long, value_name = "POLICY", default_value = "apply")]
    pub on_pending: schema_diff::startup::OnPending,
    #[command(flatten)]
    pub lock: LockFlags,
    /// How long to wait for the database, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = seconds())]
    pub timeout: u64,
    /// Back up the database before applying pending migrations (policy apply).
    #[arg(long)]
    pub backup: bool,
    /// Set DATABASE_URL in the application's environment to the URL this run
    /// used (from -u, .env or POSTGRES_*). Without it the application gets
    /// exactly the environment `start` was given: nothing from .env, no -u.
    #[arg(long)]
    pub export_database_url: bool,
    /// The application and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// The migration lock's wait.
#[derive(Debug, Args, Clone, Copy)]
pub struct LockFlags {
    /// How long to wait for another run's migration lock, in seconds (0: do not
    /// wait; default: `lock_timeout` in db-migrate.toml, else 60).
    #[arg(long, value_name = "SECONDS", value_parser = seconds())]
    pub lock_timeout: Option<u64>,
}

/// Tables the entities do not own.
#[derive(Debug, Args, Clone, Default)]
pub struct ExcludeFlags {
    /// Leave tables matching this glob (`legacy_*`) out of the comparison: never
    /// reported, created or dropped. Repeatable; adds to `exclude_tables` in
    /// db-migrate.toml.
    #[arg(long = "exclude-table", value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
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
