//! The effective configuration of a run: each value from a flag, the
//! environment (or `.env`), `db-migrate.toml`, or the default, in that order,
//! with where it came from (for `db-migrate config`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::args::Global;
use crate::config::Variables;
use crate::config_file::{Loaded, check_backends, check_pattern, check_schema};

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line option (its spelling).
    Flag(&'static str),
    /// A variable of the process environment.
    Env(String),
    /// A variable of the `.env` file.
    DotEnv(String),
    /// The configuration file.
    File(PathBuf),
    /// Built in.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => write!(f, "flag {name}"),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::DotEnv(name) => write!(f, ".env {name}"),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Origin,
}

fn sourced<T>(value: T, source: Origin) -> Sourced<T> {
    Sourced { value, source }
}

/// The default migration lock wait, in seconds.
pub const DEFAULT_LOCK_TIMEOUT: u64 = 60;

/// The configuration of this run, minus the database URL (see `config::resolve_url`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file read, if any.
    pub file: Option<Loaded>,
    /// The `.env` file and the environment.
    pub vars: Variables,
    /// The PostgreSQL schema (`None`: the server's `search_path`, normally `public`).
    pub schema: Option<Sourced<String>>,
    /// Table patterns excluded from every comparison (flags add to the file's).
    pub exclude_tables: Vec<Sourced<String>>,
    pub compare_type: Sourced<bool>,
    pub compare_server_default: Sourced<bool>,
    /// The backends migrations are rendered for (`--backend` replaces the file's).
    pub backends: Sourced<schema_diff::Backends>,
    pub migration_dir: Sourced<PathBuf>,
    pub lock_timeout: Sourced<u64>,
    pub backup_dir: Sourced<PathBuf>,
}

/// What a command's own flags say about the shared settings.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommandFlags<'a> {
    pub exclude_tables: &'a [String],
    /// `--backend` values (`auto`); when given, they replace the file's `backends`.
    pub backends: &'a [String],
    pub no_compare_type: bool,
    pub no_compare_server_default: bool,
    pub lock_timeout: Option<u64>,
}

impl Settings {
    /// Reads the configuration file and `.env`, and settles every value.
    pub fn resolve(
        global: &Global,
        flags: CommandFlags<'_>,
        default_migration_dir: &Path,
    ) -> anyhow::Result<Settings> {
        let file = crate::config_file::load(global.config.as_deref())?;
        // With `-u` (or `--targets`), `.env` is not read at all (docs/security.md): a broken or
        // secret-laden file there does not concern this run.
        let vars = if !global.database_url.is_empty() || global.fleet.targets.is_some() {
            Variables::default()
        } else {
            Variables::find()?
        };
        let from_file = |f: &Loaded| Origin::File(f.path.clone());

        let schema = if let Some(s) = &global.schema {
            Some(sourced(s.clone(), Origin::Flag("--schema")))
        } else if let Some((s, origin)) = vars.get_sourced("DATABASE_SCHEMA") {
            Some(sourced(s, origin))
        } else {
            file.as_ref()
                .and_then(|f| f.file.schema.clone().map(|s| sourced(s, from_file(f))))
        };
        if let Some(schema) = &schema {
            check_schema(&schema.value)
                .map_err(|e| anyhow::anyhow!("{e} (from {})", schema.source))?;
        }

        let mut exclude_tables: Vec<Sourced<String>> = file
            .as_ref()
            .map(|f| {
                let patterns = f.file.exclude_tables.clone().unwrap_or_default();
                patterns
                    .into_iter()
                    .map(|p| sourced(p, from_file(f)))
                    .collect()
            })
            .unwrap_or_default();
        for pattern in flags.exclude_tables {
            check_pattern(pattern).map_err(|e| anyhow::anyhow!("--exclude-table: {e}"))?;
            exclude_tables.push(sourced(pattern.clone(), Origin::Flag("--exclude-table")));
        }

        let switch = |off: bool, flag: &'static str, key: Option<bool>| {
            if off {
                sourced(false, Origin::Flag(flag))
            } else if let (Some(value), Some(f)) = (key, file.as_ref()) {
                sourced(value, from_file(f))
            } else {
                sourced(true, Origin::Default)
            }
        };
        let compare_type = switch(
            flags.no_compare_type,
            "--no-compare-type",
            file.as_ref().and_then(|f| f.file.compare_type),
        );
        let compare_server_default = switch(
            flags.no_compare_server_default,
            "--no-compare-server-default",
            file.as_ref().and_then(|f| f.file.compare_server_default),
        );

        let backends = if !flags.backends.is_empty() {
            let set =
                check_backends(flags.backends).map_err(|e| anyhow::anyhow!("--backend: {e}"))?;
            sourced(set, Origin::Flag("--backend"))
        } else if let Some(f) = file.as_ref().filter(|f| f.file.backends.is_some()) {
            let names = f.file.backends.as_deref().unwrap_or_default();
            let set = check_backends(names)
                .map_err(|e| anyhow::anyhow!("{e} (from {})", from_file(f)))?;
            sourced(set, from_file(f))
        } else {
            sourced(schema_diff::Backends::ALL, Origin::Default)
        };

        let migration_dir = if let Some(dir) = &global.migration_dir {
            sourced(dir.clone(), Origin::Flag("--migration-dir"))
        } else if let Some((dir, origin)) = vars.get_sourced("DB_MIGRATE_MIGRATION_DIR") {
            sourced(PathBuf::from(dir), origin)
        } else if let Some(f) = file.as_ref().filter(|f| f.file.migration_dir.is_some()) {
            let dir = f.file.migration_dir.as_deref().unwrap_or(Path::new(""));
            sourced(f.resolve(dir), from_file(f))
        } else {
            sourced(default_migration_dir.to_path_buf(), Origin::Default)
        };

        let lock_timeout = if let Some(seconds) = flags.lock_timeout {
            sourced(seconds, Origin::Flag("--lock-timeout"))
        } else if let Some(f) = file.as_ref().filter(|f| f.file.lock_timeout.is_some()) {
            sourced(
                f.file.lock_timeout.unwrap_or(DEFAULT_LOCK_TIMEOUT),
                from_file(f),
            )
        } else {
            sourced(DEFAULT_LOCK_TIMEOUT, Origin::Default)
        };

        let backup_dir = if let Some(f) = file.as_ref().filter(|f| f.file.backup_dir.is_some()) {
            let dir = f.file.backup_dir.as_deref().unwrap_or(Path::new(""));
            sourced(f.resolve(dir), from_file(f))
        } else {
            sourced(PathBuf::from(crate::ops::DEFAULT_DIR), Origin::Default)
        };

        Ok(Settings {
            file,
            vars,
            schema,
            exclude_tables,
            compare_type,
            compare_server_default,
            backends,
            migration_dir,
            lock_timeout,
            backup_dir,
        })
    }

    /// The differ's options.
    pub fn diff_options(&self) -> schema_diff::DiffOptions {
        schema_diff::DiffOptions {
            compare_type: self.compare_type.value,
            compare_server_default: self.compare_server_default.value,
        }
    }

    /// The table filter of this run.
    pub fn exclusions(&self) -> Exclusions {
        Exclusions {
            patterns: self
                .exclude_tables
                .iter()
                .filter_map(|p| glob::Pattern::new(&p.value).ok())
                .collect(),
        }
    }
}

/// Tables the entities do not own: left out of both sides of every comparison,
/// so they are never reported, created or dropped.
#[derive(Debug, Default, Clone)]
pub struct Exclusions {
    patterns: Vec<glob::Pattern>,
}

impl Exclusions {
    /// Whether `table` matches a pattern.
    pub fn excludes(&self, table: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(table))
    }

    /// `schema` without the excluded tables.
    pub fn apply(&self, mut schema: schema_diff::Schema) -> schema_diff::Schema {
        if self.patterns.is_empty() {
            return schema;
        }
        schema.tables.retain(|t| !self.excludes(&t.name));
        schema
    }
}
