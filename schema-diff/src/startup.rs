//! Application start-up: wait for the database, then apply, refuse or warn
//! about pending migrations, for applications that embed their migrations.
//!
//! ```no_run
//! # async fn demo(url: &str) -> Result<(), Box<dyn std::error::Error>> {
//! # fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] }
//! use schema_diff::startup::{OnPending, StartupOptions, migrate_on_startup, wait_for_database};
//! use std::time::Duration;
//!
//! wait_for_database(url, Duration::from_secs(60)).await?;
//! let db = sea_orm::Database::connect(url).await?;
//! let report = migrate_on_startup(&db, migrations(), StartupOptions::default()).await?;
//! println!("{} migration(s) applied", report.applied.len());
//! # Ok(()) }
//! ```

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use crate::runner::{
    DEFAULT_LOCK_TIMEOUT, RunError, RunReport, Runner, UpgradeTarget, unfinished_message,
};

/// What to do at start-up when migrations are pending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnPending {
    /// Apply them, under the migration lock (many replicas may start at once).
    #[default]
    Apply,
    /// Refuse to start: an error naming them.
    Fail,
    /// Log a warning and start anyway.
    Warn,
}

impl std::str::FromStr for OnPending {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "apply" => Ok(OnPending::Apply),
            "fail" => Ok(OnPending::Fail),
            "warn" => Ok(OnPending::Warn),
            other => Err(format!("unknown policy `{other}`: use apply, fail or warn")),
        }
    }
}

/// How [`migrate_on_startup`] behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartupOptions {
    /// What to do with pending migrations.
    pub on_pending: OnPending,
    /// How long to wait for another replica's migration lock (policy `apply`).
    pub lock_timeout: Duration,
}

impl Default for StartupOptions {
    fn default() -> Self {
        StartupOptions {
            on_pending: OnPending::Apply,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// What [`migrate_on_startup`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StartupReport {
    /// The migrations this call applied (policy `apply`).
    pub applied: Vec<RunReport>,
    /// The migrations still pending (policy `warn`).
    pub pending: Vec<String>,
    /// Problems tolerated under policy `warn` (dirty or unknown migrations).
    pub warnings: Vec<String>,
}

/// Errors of start-up.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Migrations are pending and the policy is `fail`.
    #[error(
        "{} migration(s) pending and the policy is `fail`: {}; apply them first \
         (`db-migrate upgrade`) or start with `--on-pending apply`",
        .0.len(), .0.join(", ")
    )]
    Pending(Vec<String>),
    /// The runner refused or a migration failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The database did not accept connections in time.
    #[error(
        "the database at {target} did not accept connections within {waited_s} s \
         ({attempts} attempt(s)); last error: {last_error}"
    )]
    Unreachable {
        /// `host:port`, or the SQLite file; never the password.
        target: String,
        waited_s: u64,
        attempts: u32,
        last_error: String,
    },
}

/// Applies, refuses or reports pending migrations according to `options`.
///
/// `apply` runs [`Runner::upgrade`] to head under the migration lock, so that
/// replicas starting together apply each migration once; it fails as the
/// runner does (dirty or unknown migrations, a failed migration, a lock
/// timeout). `fail` returns [`StartupError::Pending`] when anything is pending,
/// and fails on dirty or unknown migrations too. `warn` logs and returns what
/// is pending and any problem, without failing.
pub async fn migrate_on_startup(
    db: &DatabaseConnection,
    migrations: Vec<Box<dyn MigrationTrait>>,
    options: StartupOptions,
) -> Result<StartupReport, StartupError> {
    let runner = Runner::new(migrations).with_lock_timeout(options.lock_timeout);
    match options.on_pending {
        OnPending::Apply => {
            let applied = runner
                .upgrade(db, &UpgradeTarget::Head, |r| {
                    tracing::info!(version = %r.version, ms = r.duration.as_millis() as u64, "applied");
                })
                .await?;
            Ok(StartupReport {
                applied,
                ..StartupReport::default()
            })
        }
        OnPending::Fail => {
            let status = runner.status(db).await?;
            if !status.unknown.is_empty() {
                return Err(RunError::UnknownApplied(status.unknown).into());
            }
            if !status.dirty.is_empty() {
                let backend = db.get_database_backend();
                let messages = status
                    .dirty
                    .iter()
                    .map(|row| unfinished_message(row, status.lock_holder.as_deref(), backend))
                    .collect();
                return Err(RunError::Dirty(messages).into());
            }
            if !status.pending.is_empty() {
                return Err(StartupError::Pending(status.pending));
            }
            Ok(StartupReport::default())
        }
        OnPending::Warn => {
            let status = runner.status(db).await?;
            let mut warnings = crate::health::blocking_problems(&status, db.get_database_backend());
            warnings.extend(crate::health::in_progress_problems(&status));
            if !status.pending.is_empty() {
                tracing::warn!(pending = %status.pending.join(", "), "migrations pending; starting anyway");
            }
            for warning in &warnings {
                tracing::warn!("{warning}");
            }
            Ok(StartupReport {
                applied: Vec::new(),
                pending: status.pending,
                warnings,
            })
        }
    }
}

/// Retries connecting to `url` (with backoff: 0.1 s doubling up to 2 s) until
/// the database answers a ping or `timeout` has passed; returns the number of
/// attempts. The probe connection is closed afterwards: connect as usual then.
pub async fn wait_for_database(url: &str, timeout: Duration) -> Result<u32, StartupError> {
    wait_for_database_with(url, timeout, |_, _| {}).await
}

/// [`wait_for_database`], calling `on_retry(attempt, error)` after each failed
/// attempt (the error without the URL's password).
pub async fn wait_for_database_with(
    url: &str,
    timeout: Duration,
    mut on_retry: impl FnMut(u32, &str),
) -> Result<u32, StartupError> {
    let start = Instant::now();
    // A timeout too large to add is as good as forever (about a century).
    let deadline = start
        .checked_add(timeout)
        .unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 86_400));
    let mut backoff = Duration::from_millis(100);
    let mut attempts = 0u32;
    let target = describe_target(url);
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let per_try = remaining.clamp(Duration::from_millis(200), Duration::from_secs(5));
        let outcome = tokio::time::timeout(per_try, probe(url)).await;
        let error = match outcome {
            Ok(Ok(())) => return Ok(attempts),
            Ok(Err(e)) => hide_password(url, &e),
            Err(_) => format!("no answer within {} ms", per_try.as_millis()),
        };
        tracing::info!(target = %target, attempt = attempts, error = %error, "database not ready");
        let now = Instant::now();
        if now >= deadline {
            return Err(StartupError::Unreachable {
                target,
                waited_s: start.elapsed().as_secs_f64().round() as u64,
                attempts,
                last_error: error,
            });
        }
        on_retry(attempts, &error);
        tokio::time::sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// One connection attempt, without a pool (whose retries would hide the error).
async fn probe(url: &str) -> Result<(), String> {
    use std::str::FromStr;

    use sea_orm::sqlx::mysql::MySqlConnectOptions;
    use sea_orm::sqlx::postgres::PgConnectOptions;
    use sea_orm::sqlx::{ConnectOptions, Connection};
    async fn ping<O: ConnectOptions>(options: O) -> Result<(), sea_orm::sqlx::Error>
    where
        O::Connection: Sized,
    {
        let mut conn = options.connect().await?;
        conn.ping().await?;
        conn.close().await
    }
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    let host = ipv6_host(url);
    match scheme {
        "postgres" | "postgresql" => match PgConnectOptions::from_str(url) {
            Ok(o) => {
                let o = match &host {
                    Some(h) => o.host(h),
                    None => o,
                };
                // TCP_NODELAY for TLS connections (see `crate::nodelay`); its
                // dial tells a server that cannot be reached.
                let relay = crate::nodelay::for_postgres(&o)
                    .await
                    .map_err(|e| e.to_string())?;
                let o = match &relay {
                    Some(relay) => o.socket(relay.directory()),
                    None => o,
                };
                ping(o).await.map_err(|e| explain_connect_error(url, &e))
            }
            Err(e) => Err(e.to_string()),
        },
        "mysql" | "mariadb" => {
            let url = format!("mysql{}", &url[scheme.len()..]);
            match MySqlConnectOptions::from_str(&url) {
                Ok(o) => {
                    let o = match &host {
                        Some(h) => o.host(h),
                        None => o,
                    };
                    let relay = crate::nodelay::for_mysql(&o)
                        .await
                        .map_err(|e| e.to_string())?;
                    let o = match &relay {
                        Some(relay) => o.socket(relay.socket()),
                        None => o,
                    };
                    ping(o).await.map_err(|e| explain_connect_error(&url, &e))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        "sqlite" => ping(
            sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(|e| e.to_string())?,
        )
        .await
        .map_err(|e| e.to_string()),
        other => Err(format!("unsupported database URL scheme `{other}`")),
    }
}

/// The IPv6 address of a URL whose host is a bracketed literal (`[::1]`), without
/// its brackets: the drivers take the URL's host with the brackets and then fail
/// to resolve it, so connections set this host instead. `None` for other hosts.
pub fn ipv6_host(url: &str) -> Option<String> {
    match url::Url::parse(url).ok()?.host()? {
        url::Host::Ipv6(address) => Some(address.to_string()),
        _ => None,
    }
}

/// A driver's connection error, said plainly where the driver's words hide the
/// cause: a PostgreSQL URL whose server answered in another protocol (a MySQL
/// server, an HTTP server, ... on that port) gets "the server at HOST:PORT did
/// not answer as PostgreSQL"; a refused connection or one with no route is said
/// as [`crate::reach`] says it ("connection refused: is the server running on
/// HOST:PORT ..."); every other error is the driver's own text.
pub fn explain_connect_error(url: &str, error: &sea_orm::sqlx::Error) -> String {
    use sea_orm::sqlx::Error;
    if let Error::Io(e) = error
        && let Some(text) = crate::reach::explain_io(e, &describe_target(url))
    {
        return text;
    }
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    let postgres = matches!(scheme, "postgres" | "postgresql");
    let foreign = match error {
        Error::Protocol(_) | Error::Tls(_) => true,
        Error::Io(e) => e.kind() == std::io::ErrorKind::UnexpectedEof,
        _ => false,
    };
    if postgres && foreign {
        format!(
            "the server at {} did not answer as PostgreSQL (is the port that of another \
             server? PostgreSQL listens on 5432 by default): {error}",
            describe_target(url)
        )
    } else {
        error.to_string()
    }
}

/// `host:port` of a server URL (default port by scheme), or `SQLite file PATH`;
/// never the user or password.
pub fn describe_target(url: &str) -> String {
    let (scheme, rest) = url.split_once(':').unwrap_or(("", url));
    if scheme == "sqlite" {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        return format!("SQLite file `{path}`");
    }
    let rest = rest.trim_start_matches("//");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !host_port.ends_with(']');
    let default_port = match scheme {
        "postgres" | "postgresql" => Some(5432),
        "mysql" | "mariadb" => Some(3306),
        _ => None,
    };
    match (has_port, default_port) {
        (false, Some(port)) => format!("{host_port}:{port}"),
        _ => host_port.to_owned(),
    }
}

/// `text` without the password of `url` (as written, and percent-decoded).
fn hide_password(url: &str, text: &str) -> String {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return text.to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return text.to_owned();
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return text.to_owned();
    };
    if password.is_empty() {
        return text.to_owned();
    }
    let decoded = percent_decode(password);
    text.replace(password, "***").replace(&decoded, "***")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_host_and_port_only() {
        assert_eq!(
            describe_target("postgres://app:s3cret@db.internal/app"),
            "db.internal:5432"
        );
        assert_eq!(
            describe_target("mysql://root@127.0.0.1:3307/x"),
            "127.0.0.1:3307"
        );
        assert_eq!(describe_target("postgres://u:p@[::1]:1/x"), "[::1]:1");
        assert_eq!(
            describe_target("sqlite://data/app.db?mode=rwc"),
            "SQLite file `data/app.db`"
        );
    }

    #[test]
    fn passwords_are_hidden_in_errors() {
        let url = "postgres://app:p%40ss@h:1/db";
        assert_eq!(hide_password(url, "bad p@ss and p%40ss"), "bad *** and ***");
        assert_eq!(hide_password("postgres://app@h/db", "x"), "x");
    }

    #[test]
    fn policies_parse() {
        assert_eq!("warn".parse(), Ok(OnPending::Warn));
        assert!("sometimes".parse::<OnPending>().is_err());
    }
}
