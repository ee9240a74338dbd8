//! Where the database is: the URL from the flag, the environment, `.env`, the
//! `POSTGRES_*` variables, or the embedded SQLite default; and how to print it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};

use crate::redact::{redact_url, remember, remember_url};
use crate::settings::{Origin, Settings};

/// Variables whose values are credentials wherever they are set: remembered so
/// that no output shows them (sqlx reads `PGPASSWORD` itself).
const PASSWORD_VARIABLES: &[&str] = &[
    "POSTGRES_PASSWORD",
    "PGPASSWORD",
    "PGSSLPASSWORD",
    "MYSQL_PWD",
];

/// The database URL to use, and where it came from: the flag; else
/// `DATABASE_URL` (the process environment, then `.env`, which is read without
/// being loaded into the environment, so that `start` hands the application
/// exactly the environment it was given); else the variable the configuration
/// file names in `database_url_env` (an error when it is unset); else the
/// `POSTGRES_*` variables; else the file's `database_url`; else the embedded
/// SQLite default. A `.env` that cannot be read is an error.
pub fn resolve_url(
    flag: Option<&str>,
    settings: &Settings,
    default_sqlite: &Path,
) -> anyhow::Result<(String, Origin)> {
    remember_password_variables();
    if let Some(url) = flag {
        remember_url(url);
        return Ok((url.to_owned(), Origin::Flag("--database-url")));
    }
    let vars = &settings.vars;
    let file = settings.file.as_ref();
    let named = file.and_then(|f| f.file.database_url_env.as_deref().map(|n| (f, n)));
    let (url, source) = if let Some(found) = vars.get_sourced("DATABASE_URL") {
        found
    } else if let Some((f, name)) = named {
        match vars.get_sourced(name) {
            Some(found) => found,
            None => bail!(
                "no database URL: `{}` names the variable `{name}` (database_url_env), which \
                 is not set in the environment or .env; set it, or pass -u URL",
                f.path.display()
            ),
        }
    } else if let Some(server) = vars.get("POSTGRES_SERVER") {
        (
            postgres_url(&server, vars),
            Origin::Env("POSTGRES_SERVER".into()),
        )
    } else if let Some((f, url)) = file.and_then(|f| f.file.database_url.as_deref().map(|u| (f, u)))
    {
        (url.to_owned(), Origin::File(f.path.clone()))
    } else {
        (
            crate::workspace::embedded_default_url(default_sqlite)?,
            Origin::Default,
        )
    };
    remember_url(&url);
    Ok((url, source))
}

/// A URL given on the command line (`diff --from/--to`), remembered so that its
/// password is redacted everywhere.
pub fn flag_url(url: &str) -> String {
    remember_password_variables();
    remember_url(url);
    url.to_owned()
}

fn remember_password_variables() {
    for name in PASSWORD_VARIABLES {
        if let Ok(value) = std::env::var(name) {
            remember(&value);
        }
    }
}

/// The variables of a `.env` file, parsed without touching the process environment.
#[derive(Debug, Default, Clone)]
pub struct DotEnv {
    vars: HashMap<String, String>,
}

impl DotEnv {
    /// The `.env` of the current directory or its nearest parent that has one
    /// (as `dotenvy` looks for it); empty when there is none.
    pub fn find() -> anyhow::Result<DotEnv> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        match cwd
            .ancestors()
            .map(|d| d.join(".env"))
            .find(|p| p.is_file())
        {
            Some(path) => DotEnv::read(&path),
            None => Ok(DotEnv::default()),
        }
    }

    /// The variables of the file at `path`. A line that is not `KEY=VALUE` is an
    /// error naming the file and line, never its content (it may hold a secret).
    pub fn read(path: &Path) -> anyhow::Result<DotEnv> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let mut vars = HashMap::new();
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            match item {
                Ok((key, value)) => {
                    if PASSWORD_VARIABLES.contains(&key.as_str()) {
                        remember(&value);
                    }
                    vars.insert(key, value);
                }
                Err(dotenvy::Error::LineParse(line, index)) => {
                    bail!(
                        "cannot parse `{}`: line {} is not KEY=VALUE (at character {}); \
                         fix or remove it, or pass the URL with -u",
                        path.display(),
                        line_number(&text, &line),
                        index + 1
                    )
                }
                Err(e) => bail!("cannot read `{}`: {}", path.display(), error_kind(&e)),
            }
        }
        Ok(DotEnv { vars })
    }

    /// The value of `name` in the file.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// The 1-based number of the first line of `text` where `line` (one parsed
/// statement, possibly spanning lines) starts.
fn line_number(text: &str, line: &str) -> usize {
    let first = line.lines().next().unwrap_or("").trim();
    text.lines()
        .position(|l| !first.is_empty() && l.trim() == first)
        .or_else(|| text.lines().position(|l| l.contains(first)))
        .map_or(1, |i| i + 1)
}

/// A dotenvy error without the text it quotes.
fn error_kind(error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::Io(e) => e.to_string(),
        dotenvy::Error::EnvVar(e) => e.to_string(),
        _ => "not a valid .env file".into(),
    }
}

/// The process environment first, then `.env`; blank values count as unset.
#[derive(Debug, Default, Clone)]
pub struct Variables {
    dotenv: DotEnv,
}

impl Variables {
    fn new(dotenv: DotEnv) -> Self {
        Variables { dotenv }
    }

    /// The environment and the nearest `.env` (see [`DotEnv::find`]).
    pub fn find() -> anyhow::Result<Variables> {
        Ok(Variables::new(DotEnv::find()?))
    }

    /// The value of `name`, not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_sourced(name).map(|(value, _)| value)
    }

    /// The value of `name`, not blank, and whether the environment or `.env` had it.
    pub fn get_sourced(&self, name: &str) -> Option<(String, Origin)> {
        let blank = |v: &String| !v.trim().is_empty();
        if let Ok(value) = std::env::var(name) {
            return Some((value, Origin::Env(name.to_owned()))).filter(|(v, _)| blank(v));
        }
        self.dotenv
            .get(name)
            .map(str::to_owned)
            .filter(blank)
            .map(|value| (value, Origin::DotEnv(name.to_owned())))
    }
}

fn postgres_url(server: &str, vars: &Variables) -> String {
    let user = vars
        .get("POSTGRES_USER")
        .unwrap_or_else(|| "postgres".into());
    let password = vars.get("POSTGRES_PASSWORD");
    let db = vars.get("POSTGRES_DB").unwrap_or_else(|| user.clone());
    let port = vars.get("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let auth = match password {
        Some(p) => format!("{}:{}", enc(&user), enc(&p)),
        None => enc(&user),
    };
    format!("postgres://{auth}@{server}:{port}/{}", enc(&db))
}

/// Checks the URL's shape and normalizes it for SeaORM (`mariadb://` → `mysql://`,
/// SQLite files created when missing). Errors name the problem, never the password.
pub fn validate_url(raw: &str) -> anyhow::Result<String> {
    let scheme = raw.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => validate_sqlite(raw),
        "postgres" | "postgresql" | "mysql" | "mariadb" => {
            let parsed = url::Url::parse(raw)
                .with_context(|| format!("malformed database URL `{}`", redact_url(raw)))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                bail!("malformed database URL `{}`: no host", redact_url(raw));
            }
            // MySQL has no default database: every query would fail with
            // "No database selected", and the history would read as empty.
            if matches!(scheme, "mysql" | "mariadb") && parsed.path().trim_matches('/').is_empty() {
                bail!(
                    "the MySQL/MariaDB URL `{}` names no database: add it as the URL's path, \
                     e.g. {scheme}://USER@HOST:3306/DATABASE",
                    redact_url(raw)
                );
            }
            if scheme == "mariadb" {
                return Ok(format!("mysql{}", &raw["mariadb".len()..]));
            }
            Ok(raw.to_owned())
        }
        "" => bail!(
            "malformed database URL `{}`: expected sqlite://FILE, postgres://... or mysql://...",
            redact_url(raw)
        ),
        other => bail!(
            "unsupported database URL scheme `{other}` in `{}`: use sqlite, postgres or mysql",
            redact_url(raw)
        ),
    }
}

fn validate_sqlite(raw: &str) -> anyhow::Result<String> {
    let query = raw.split_once('?').map(|(_, q)| q);
    // The file the driver will open (percent-escapes decoded as sqlx does).
    let path = crate::sqlite_file::path_of(raw)
        .with_context(|| format!("malformed database URL `{}`", redact_url(raw)))?;
    if let Some(path) = path {
        if path.is_dir() {
            bail!(
                "the SQLite database `{}` is a directory, not a file: name a file, \
                 e.g. sqlite://{}/app.db",
                path.display(),
                path.display().to_string().trim_end_matches('/')
            );
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent
            && !dir.is_dir()
        {
            bail!(
                "the SQLite database `{}` cannot be created: directory `{}` does not exist",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(match query {
        Some(q) if q.split('&').any(|kv| kv.starts_with("mode=")) => raw.to_owned(),
        Some(_) => format!("{raw}&mode=rwc"),
        None => format!("{raw}?mode=rwc"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_missing_dirs_are_errors() {
        assert_eq!(
            validate_url("sqlite://app.db").ok().as_deref(),
            Some("sqlite://app.db?mode=rwc")
        );
        assert_eq!(
            validate_url("sqlite::memory:").ok().as_deref(),
            Some("sqlite::memory:?mode=rwc")
        );
        let err = validate_url("sqlite:///no/such/dir/app.db")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("directory `/no/such/dir` does not exist")));
    }

    #[test]
    fn malformed_urls_are_errors() {
        assert!(validate_url("not a url").is_err());
        assert!(validate_url("ftp://x/y").is_err());
        assert!(validate_url("postgres://").is_err());
        assert_eq!(
            validate_url("mariadb://root@localhost/test")
                .ok()
                .as_deref(),
            Some("mysql://root@localhost/test")
        );
    }

    #[test]
    fn mysql_urls_must_name_a_database() {
        for url in [
            "mysql://root@127.0.0.1:3306",
            "mysql://root@127.0.0.1:3306/",
            "mariadb://root@[::1]:3306/",
        ] {
            let err = validate_url(url).err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains("names no database")),
                "{url}: {err:?}"
            );
        }
        assert!(validate_url("mysql://root@[::1]:3306/app").is_ok());
        // PostgreSQL defaults to the user's database.
        assert!(validate_url("postgres://postgres@127.0.0.1:5432").is_ok());
    }

    #[test]
    fn a_directory_is_not_a_sqlite_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().display());
        let err = validate_url(&url).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("is a directory, not a file")),
            "{err:?}"
        );
    }

    #[test]
    fn postgres_variables_build_a_url() {
        let vars = Variables::new(DotEnv::default());
        assert!(postgres_url("db.example", &vars).starts_with("postgres://"));
    }

    #[test]
    fn dotenv_files_are_parsed_without_touching_the_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(".env");
        std::fs::write(&path, "# comment\nDB_MIGRATE_TEST_ONLY=x\n").expect("write");
        let env = DotEnv::read(&path).expect("parses");
        assert_eq!(env.get("DB_MIGRATE_TEST_ONLY"), Some("x"));
        assert!(std::env::var("DB_MIGRATE_TEST_ONLY").is_err());
        std::fs::write(&path, "A=1\nnot a pair SECRETVALUE\n").expect("write");
        let err = DotEnv::read(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 2 is not KEY=VALUE"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
    }
}
