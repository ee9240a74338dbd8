//! `db-migrate.toml`: the project's configuration file, found at the current
//! directory or its nearest parent that has one (as `.env` is), or named with
//! `--config FILE`. Unknown keys are errors naming the file and line.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The file name looked for.
pub const FILE_NAME: &str = "db-migrate.toml";

/// The keys of `db-migrate.toml`; every one is optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The database URL, written in the file (prefer `database_url_env` for
    /// URLs that carry a password).
    pub database_url: Option<String>,
    /// The environment variable (or `.env` entry) that holds the database URL.
    pub database_url_env: Option<String>,
    /// The PostgreSQL schema to work in instead of `public`.
    pub schema: Option<String>,
    /// Glob patterns of tables the entities do not own: never compared, created or dropped.
    pub exclude_tables: Option<Vec<String>>,
    /// The backends migrations are rendered for: `sqlite`, `postgres`, `mysql`
    /// (default all three).
    pub backends: Option<Vec<String>>,
    /// Report column type changes (default true).
    pub compare_type: Option<bool>,
    /// Report column default changes (default true).
    pub compare_server_default: Option<bool>,
    /// Where `generate` and `auto` write modules, relative to the file's folder.
    pub migration_dir: Option<PathBuf>,
    /// How long to wait for the migration lock, in seconds.
    pub lock_timeout: Option<u64>,
    /// Where backups go when no `-o` is given, relative to the file's folder.
    pub backup_dir: Option<PathBuf>,
}

/// A configuration file that was read, and where it is.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub file: ConfigFile,
}

impl Loaded {
    /// `path` (as written in the file) relative to the file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// The configuration file: `explicit` (which must exist), else the nearest
/// `db-migrate.toml` from the current directory up; `None` when there is none.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Option<Loaded>> {
    let path = match explicit {
        Some(path) => {
            if !path.is_file() {
                bail!("the configuration file `{}` does not exist", path.display());
            }
            path.to_path_buf()
        }
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            match cwd
                .ancestors()
                .map(|d| d.join(FILE_NAME))
                .find(|p| p.is_file())
            {
                Some(path) => path,
                None => return Ok(None),
            }
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let file = parse(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
    Ok(Some(Loaded { path, file }))
}

/// Parses and validates the text of a configuration file. The error starts with
/// `LINE: ` (1-based) when the parser can say where.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| {
            text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        });
        let message = e.message().to_owned();
        match line {
            Some(line) => format!("{line}: {message}"),
            None => format!(" {message}"),
        }
    })?;
    if file.database_url.is_some() && file.database_url_env.is_some() {
        return Err(" `database_url` and `database_url_env` are exclusive: keep one".into());
    }
    if let Some(name) = &file.database_url_env
        && (name.is_empty() || name.contains('='))
    {
        return Err(" `database_url_env` must name an environment variable".into());
    }
    if let Some(schema) = &file.schema {
        check_schema(schema).map_err(|e| format!(" {e}"))?;
    }
    for pattern in file.exclude_tables.iter().flatten() {
        check_pattern(pattern).map_err(|e| format!(" {e}"))?;
    }
    if let Some(names) = &file.backends {
        check_backends(names).map_err(|e| format!(" `backends`: {e}"))?;
    }
    if let Some(seconds) = file.lock_timeout
        && seconds > crate::args::MAX_SECONDS
    {
        return Err(format!(
            " `lock_timeout` must be 0 to {} seconds",
            crate::args::MAX_SECONDS
        ));
    }
    Ok(file)
}

/// A PostgreSQL schema name: not empty, at most 63 bytes, no quote or NUL.
pub fn check_schema(schema: &str) -> Result<(), String> {
    if schema.trim().is_empty() {
        return Err("the schema name cannot be empty".into());
    }
    if schema.len() > 63 || schema.contains(['"', '\0']) {
        return Err(format!(
            "`{}` is not a usable PostgreSQL schema name (at most 63 bytes, no double quote)",
            schema_diff::display::visible(schema)
        ));
    }
    Ok(())
}

/// A list of backend names (`sqlite`, `postgres`, `mysql`) as a set; an empty
/// list or an unknown name is an error.
pub fn check_backends(names: &[String]) -> Result<schema_diff::Backends, String> {
    let dialects = names
        .iter()
        .map(|name| {
            schema_diff::Backends::parse_name(name).map_err(|_| {
                format!(
                    "unknown backend `{}`: expected sqlite, postgres or mysql",
                    schema_diff::display::visible(name)
                )
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    schema_diff::Backends::of(&dialects)
        .ok_or_else(|| "name at least one backend: sqlite, postgres or mysql".to_owned())
}

/// A table pattern: a glob (`*`, `?`, `[abc]`) matched against whole table names.
pub fn check_pattern(pattern: &str) -> Result<glob::Pattern, String> {
    if pattern.is_empty() {
        return Err("an exclude_tables pattern cannot be empty".into());
    }
    glob::Pattern::new(pattern).map_err(|e| format!("bad table pattern `{pattern}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err = parse("schema = \"app\"\n\ndatabase_ulr = \"x\"\n")
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("3: "), "{err}");
        assert!(err.contains("database_ulr"), "{err}");
    }

    #[test]
    fn every_key_parses() {
        let file = parse(
            "database_url_env = \"APP_DB\"\nschema = \"app\"\nexclude_tables = [\"legacy_*\"]\n\
             compare_type = false\ncompare_server_default = false\nmigration_dir = \"m/src\"\n\
             lock_timeout = 5\nbackup_dir = \"bk\"\n",
        )
        .expect("parses");
        assert_eq!(file.schema.as_deref(), Some("app"));
        assert_eq!(file.lock_timeout, Some(5));
        assert!(parse("database_url = \"a\"\ndatabase_url_env = \"B\"\n").is_err());
        assert!(parse("exclude_tables = [\"[\"]\n").is_err());
        assert!(parse("lock_timeout = 99999999\n").is_err());
        assert!(parse("schema = \"\"\n").is_err());
    }
}
