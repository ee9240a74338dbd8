//! A database URL taken apart for the backends' own tools (`pg_dump`, `psql`,
//! `mariadb-dump`, `mariadb`): host, port, user and database go in arguments
//! or `PG*` variables, the password only in the child's environment
//! (`PGPASSWORD`, `MYSQL_PWD`), never on a command line.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use anyhow::{Context, bail};

use crate::redact::{redact, redact_url};

/// The backend a backup file or a database belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Sqlite,
    Postgres,
    Mysql,
}

impl Kind {
    /// The backup file's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres | Kind::Mysql => "sql",
        }
    }

    /// A name for messages.
    pub fn display(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite",
            Kind::Postgres => "PostgreSQL",
            Kind::Mysql => "MySQL/MariaDB",
        }
    }
}

/// The variables the dump tools and clients inherit: locale, home, `PATH`,
/// and where connection files and certificates are.
pub const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "PGPASSFILE",
    "PGSERVICEFILE",
    "PGSYSCONFDIR",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLROOTCERT",
    "PGSSLCRL",
    "PGGSSENCMODE",
    "MYSQL_HOME",
    "MARIADB_HOME",
    "MYSQL_TEST_LOGIN_FILE",
];

/// A database server and one of its databases.
#[derive(Clone, Debug)]
pub struct Server {
    pub kind: Kind,
    pub host: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    password: Option<String>,
    pub database: String,
    sslmode: Option<String>,
    /// The URL as given, to derive the URL of another database on the server.
    url: url::Url,
}

/// Where a database is, for the tools.
#[derive(Clone, Debug)]
pub enum Target {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL or MySQL/MariaDB database.
    Server(Server),
}

impl Target {
    /// Parses a URL already checked by `config::validate_url`.
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        if url.starts_with("sqlite:") {
            // The file the driver opens, percent-escapes decoded the same way.
            let Some(path) = crate::sqlite_file::path_of(url)? else {
                bail!("an in-memory SQLite database cannot be backed up or restored: use a file");
            };
            return Ok(Target::Sqlite(path));
        }
        let parsed = url::Url::parse(url)
            .with_context(|| format!("malformed database URL `{}`", redact_url(url)))?;
        let kind = match parsed.scheme() {
            "postgres" | "postgresql" => Kind::Postgres,
            "mysql" | "mariadb" => Kind::Mysql,
            other => bail!("unsupported database URL scheme `{other}`"),
        };
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("v={}", s.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let database = decode(parsed.path().trim_start_matches('/'));
        if database.is_empty() {
            bail!(
                "the database URL `{}` names no database (…/DBNAME)",
                redact_url(url)
            );
        }
        let host = parsed
            .host_str()
            .unwrap_or("localhost")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let user = Some(decode(parsed.username())).filter(|u| !u.is_empty());
        // The drivers also take the password as a query parameter.
        let password = parsed.password().map(decode).or_else(|| {
            parsed
                .query_pairs()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.into_owned())
        });
        let sslmode = parsed
            .query_pairs()
            .find(|(k, _)| k == "sslmode" || k == "ssl-mode")
            .map(|(_, v)| v.into_owned());
        Ok(Target::Server(Server {
            kind,
            host,
            port: parsed.port(),
            user,
            password,
            database,
            sslmode,
            url: parsed,
        }))
    }

    /// The backend.
    pub fn kind(&self) -> Kind {
        match self {
            Target::Sqlite(_) => Kind::Sqlite,
            Target::Server(s) => s.kind,
        }
    }

    /// Where the database is, for the manifest: `host:port` of its server (the
    /// backend's default port when the URL names none), or the SQLite file's
    /// absolute path (symbolic links resolved when the file exists).
    pub fn location(&self) -> String {
        match self {
            Target::Sqlite(path) => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                std::fs::canonicalize(&absolute)
                    .unwrap_or(absolute)
                    .display()
                    .to_string()
            }
            Target::Server(s) => {
                let default = if s.kind == Kind::Postgres { 5432 } else { 3306 };
                format!("{}:{}", s.host, s.port.unwrap_or(default))
            }
        }
    }

    /// The database's name, for file names: the SQLite file's stem or the database.
    pub fn name(&self) -> String {
        match self {
            Target::Sqlite(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sqlite".into()),
            Target::Server(s) => s.database.clone(),
        }
    }
}

impl Server {
    /// The same server and credentials, database `name`.
    pub fn with_database(&self, name: &str) -> Server {
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        Server {
            database: name.to_owned(),
            url,
            ..self.clone()
        }
    }

    /// The URL of this database (with its password: for connecting, not printing).
    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// Points a `pg_dump`/`psql` command, or a MySQL tool (`mariadb-dump`,
    /// `mariadb`), at this database through its environment and flags.
    ///
    /// The child gets a cleaned environment: only [`KEPT_ENV`] from ours, so
    /// variables such as `PSQLRC`, `PAGER`, `PGOPTIONS` or `MYSQL_PS1` cannot
    /// change what a tool does with a backup file.
    pub fn configure(&self, cmd: &mut Command) {
        cmd.env_clear();
        for (name, value) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| KEPT_ENV.contains(&n)) {
                cmd.env(name, value);
            }
        }
        match self.kind {
            Kind::Postgres => {
                cmd.env("PGHOST", &self.host)
                    .env("PGDATABASE", &self.database)
                    .env("PGCONNECT_TIMEOUT", "10");
                if let Some(port) = self.port {
                    cmd.env("PGPORT", port.to_string());
                }
                if let Some(user) = &self.user {
                    cmd.env("PGUSER", user);
                }
                if let Some(password) = &self.password {
                    cmd.env("PGPASSWORD", password);
                }
                if let Some(mode) = &self.sslmode {
                    cmd.env("PGSSLMODE", mode);
                }
            }
            Kind::Mysql | Kind::Sqlite => {
                cmd.arg("--protocol=TCP")
                    .arg(format!("--host={}", self.host));
                if let Some(port) = self.port {
                    cmd.arg(format!("--port={port}"));
                }
                if let Some(user) = &self.user {
                    cmd.arg(format!("--user={user}"));
                }
                match &self.password {
                    Some(password) => cmd.env("MYSQL_PWD", password),
                    None => cmd.env_remove("MYSQL_PWD"),
                };
            }
        }
    }
}

/// Runs the first of `programs` found on `PATH`, with `configure` applied and
/// stdin and stdout as given; fails with the tool's last stderr lines
/// (passwords redacted) when it exits non-zero.
pub async fn run_tool(
    programs: &[&str],
    configure: impl Fn(&mut Command),
    stdin: impl Fn() -> std::io::Result<Stdio>,
    stdout: impl Fn() -> std::io::Result<Stdio>,
) -> anyhow::Result<Output> {
    let mut last_missing = None;
    for program in programs {
        let mut cmd = tokio::process::Command::new(program);
        configure(cmd.as_std_mut());
        // Its own process group: a terminal's Ctrl-C reaches us, not the tool, and
        // the whole group is killed if we stop waiting (error or interruption).
        cmd.stdin(stdin()?)
            .stdout(stdout()?)
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        tracing::info!(program, "running");
        // Not `output()`: tokio's pipes stdout, and ours may be a file.
        let finished = match cmd.spawn() {
            Ok(child) => {
                let group = crate::interrupt::ChildGroup::new(child.id());
                let out = child.wait_with_output().await;
                group.finished();
                out
            }
            Err(e) => Err(e),
        };
        match finished {
            Ok(out) if out.status.success() => return Ok(out),
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let lines: Vec<&str> = stderr
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
                let tail = if tail.is_empty() { "no message" } else { &tail };
                bail!("{program} failed ({}): {}", out.status, redact(tail));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                last_missing = Some(*program);
            }
            Err(e) => bail!("cannot run {program}: {e}"),
        }
    }
    bail!(
        "{} not found on PATH: install the database's client tools ({})",
        last_missing.unwrap_or("the tool"),
        install_hint(programs)
    )
}

fn install_hint(programs: &[&str]) -> &'static str {
    if programs
        .iter()
        .any(|p| p.starts_with("pg_") || *p == "psql")
    {
        "Debian/Ubuntu: postgresql-client, matching the server's major version"
    } else {
        "Debian/Ubuntu: mariadb-client"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_come_apart_and_the_password_stays_in_the_environment() {
        let Ok(Target::Server(s)) =
            Target::parse("postgres://app:p%40ss@db:5433/shop?sslmode=require")
        else {
            panic!("a server URL");
        };
        assert_eq!(
            (s.host.as_str(), s.port, s.database.as_str()),
            ("db", Some(5433), "shop")
        );
        let mut cmd = Command::new("pg_dump");
        s.configure(&mut cmd);
        assert_eq!(cmd.get_args().count(), 0);
        let envs: Vec<_> = cmd.get_envs().collect();
        assert!(envs.contains(&(
            std::ffi::OsStr::new("PGPASSWORD"),
            Some(std::ffi::OsStr::new("p@ss"))
        )));
        assert!(envs.contains(&(
            std::ffi::OsStr::new("PGSSLMODE"),
            Some(std::ffi::OsStr::new("require"))
        )));
        assert_eq!(
            s.with_database("x").url(),
            "postgres://app:p%40ss@db:5433/x?sslmode=require"
        );

        let Ok(Target::Server(m)) = Target::parse("mysql://root:pw@127.0.0.1/test") else {
            panic!("a server URL");
        };
        let mut cmd = Command::new("mariadb");
        m.configure(&mut cmd);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.iter().all(|a| !a.contains("pw")), "{args:?}");
        assert_eq!(m.port, None);
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let Ok(t) = Target::parse("sqlite:///tmp/x/app.db?mode=rwc") else {
            panic!("a SQLite URL");
        };
        assert_eq!(t.name(), "app");
        assert!(Target::parse("sqlite::memory:?mode=rwc").is_err());
        assert!(Target::parse("postgres://h/").is_err());
        let Ok(Target::Sqlite(p)) = Target::parse("sqlite://pctdb%41.db?mode=rwc") else {
            panic!("a SQLite URL");
        };
        assert_eq!(p, PathBuf::from("pctdbA.db"));
    }
}
