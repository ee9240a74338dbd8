//! Opening the database connection.

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
};

use schema_diff::nodelay::{self, NodelayRelay};

use crate::config::validate_url;
use crate::redact::redact_url;

/// How long to wait for a first connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

tokio::task_local! {
    /// The PostgreSQL schema of the current run (`--schema`, `DATABASE_SCHEMA`,
    /// `schema` in db-migrate.toml).
    static SCHEMA: Option<String>;
}

/// Runs `work` with every PostgreSQL connection it opens through [`connect`] set
/// to `schema` (`search_path`), so that introspection, generated SQL, the history
/// tables and the lock all work in that schema.
pub async fn in_schema<F: std::future::Future>(schema: Option<String>, work: F) -> F::Output {
    SCHEMA.scope(schema, work).await
}

/// The PostgreSQL schema of the current run, if one is configured.
pub fn schema() -> Option<String> {
    SCHEMA.try_with(Clone::clone).ok().flatten()
}

/// Creates the configured PostgreSQL schema on `db` when it does not exist yet
/// (`upgrade`, `stamp`, `start`, and `check`'s scratch database): without it
/// PostgreSQL has no schema to create tables in. Nothing to do without a schema
/// or on other backends.
pub async fn create_schema_if_missing(db: &DatabaseConnection) -> anyhow::Result<()> {
    let Some(schema) = schema() else {
        return Ok(());
    };
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        schema_diff::sql_text::quote_ident(schema_diff::Dialect::Postgres, &schema)
    );
    db.execute_unprepared(&sql).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot create the schema `{}` (the URL's user needs CREATE on the database): {}",
            schema_diff::display::visible(&schema),
            crate::redact::redact(&e.to_string())
        )
    })?;
    Ok(())
}

/// Connects to `raw_url`. SQLite gets a single connection, because the runner's
/// `PRAGMA foreign_keys` must apply to the connection that runs the migration.
pub async fn connect(raw_url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with_pool_size(raw_url, 4).await
}

/// [`connect`] with one connection at most, for commands that run their queries
/// one after another and never take the migration lock (`health`, `status`,
/// `diff`'s introspection). sqlx returns a connection to its pool in the
/// background, after a round trip to the server; a larger pool would open a
/// second connection (a server process and, with TLS, a handshake) for the next
/// query rather than wait for that round trip.
pub async fn connect_for_reading(raw_url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with_pool_size(raw_url, 1).await
}

async fn connect_with_pool_size(
    raw_url: &str,
    max_connections: u32,
) -> anyhow::Result<DatabaseConnection> {
    // Also for URLs that did not come through `config::resolve_url` (library callers).
    crate::redact::remember_url(raw_url);
    let url = validate_url(raw_url)?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Debug)
        .connect_timeout(CONNECT_TIMEOUT);
    // The server's host and port when the driver dials it itself (no relay).
    let mut tcp = None;
    let relay = if url.starts_with("sqlite:") {
        // After DDL a cached statement can keep a stale column list, which makes
        // sqlx's SQLite worker panic; migrations run DDL, so no cache.
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| o.statement_cache_capacity(0));
        None
    } else {
        if url.starts_with("postgres")
            && let Some(schema) = schema()
        {
            // Quoted whole (sea-orm would split it at commas); the name holds no `"`.
            options.set_schema_search_path(format!("\"{schema}\""));
        }
        // No connection opened ahead of need: `min_connections(1)` made sqlx open
        // a second one in the background beside the one `connect` checks, a
        // server process and a TLS handshake that most commands never use.
        options.max_connections(max_connections).min_connections(0);
        // Cached plans go stale when a migration changes a table they read.
        // One closure per driver: sea-orm keeps only the last one given.
        // The drivers keep the brackets of `[::1]` and fail to resolve it.
        let host = schema_diff::startup::ipv6_host(&url);
        // The relay's dial (or the check below) fails at once where the pool
        // would retry a refused connection until the timeout.
        let route = match tokio::time::timeout(CONNECT_TIMEOUT, route(&url, host.as_deref())).await
        {
            Ok(Ok(route)) => route,
            Ok(Err(e)) => anyhow::bail!("cannot connect to `{}`: {e}", redact_url(raw_url)),
            Err(_) => return Err(timed_out(&redact_url(raw_url))),
        };
        tcp = route.tcp;
        let relay = route.relay;
        let relay_path = relay.as_ref().map(|(path, _)| path.clone());
        let pg_host = host.clone();
        let pg_relay = relay_path.clone();
        options.map_sqlx_postgres_opts(move |o| {
            let o = o.statement_cache_capacity(0);
            let o = match &pg_host {
                Some(host) => o.host(host),
                None => o,
            };
            match &pg_relay {
                Some(directory) => o.socket(directory),
                None => o,
            }
        });
        options.map_sqlx_mysql_opts(move |o| {
            let o = o.statement_cache_capacity(0);
            let o = match &host {
                Some(host) => o.host(host),
                None => o,
            };
            match &relay_path {
                Some(socket) => o.socket(socket),
                None => o,
            }
        });
        relay.map(|(_, relay)| relay)
    };
    let shown = redact_url(raw_url);
    // Without the relay, the driver dials the server itself.
    let direct = if relay.is_none() { tcp } else { None };
    let connected = match &direct {
        Some((host, port)) => {
            schema_diff::reach::check_while(host, *port, Database::connect(options))
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect to `{shown}`: {e}"))?
        }
        None => Database::connect(options).await,
    };
    if let (Err(DbErr::Conn(RuntimeErr::SqlxError(inner))), Some((host, port))) =
        (&connected, &direct)
        && matches!(**inner, sea_orm::sqlx::Error::Io(_))
        && let Some(cause) = definite_cause(host, *port).await
    {
        // The driver's own words for an unknown host or no route, said as the
        // relay says them (only on this error path: no cost when connected).
        anyhow::bail!("cannot connect to `{shown}`: {cause}");
    }
    if connected.is_ok()
        && let Some(relay) = relay
    {
        // The pool may open connections until the end of the run.
        relay.detach();
    }
    connected.map_err(|e| match e {
        DbErr::Conn(RuntimeErr::SqlxError(ref inner))
            if url.starts_with("postgres")
                && !matches!(**inner, sea_orm::sqlx::Error::PoolTimedOut) =>
        {
            anyhow::anyhow!(
                "cannot connect to `{shown}`: {}",
                schema_diff::startup::explain_connect_error(&url, inner)
            )
        }
        // No answer in time (a refusal was told at once, above).
        DbErr::Conn(RuntimeErr::SqlxError(ref inner))
            if matches!(**inner, sea_orm::sqlx::Error::PoolTimedOut) =>
        {
            timed_out(&shown)
        }
        other => anyhow::Error::new(other).context(format!("cannot connect to `{shown}`")),
    })
}

/// Why `host:port` cannot be reached, when one dial says so definitely.
async fn definite_cause(host: &str, port: u16) -> Option<schema_diff::reach::DialError> {
    match tokio::time::timeout(Duration::from_secs(2), schema_diff::reach::dial(host, port)).await {
        Ok(Err(e)) if e.is_definite() => Some(e),
        _ => None,
    }
}

/// The error for a server that did not answer within [`CONNECT_TIMEOUT`] (`shown`:
/// the redacted URL).
fn timed_out(shown: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot connect to `{shown}`: no connection within {} s; is the server running, \
         and are the host and port right (a firewall that drops packets looks like this)?",
        CONNECT_TIMEOUT.as_secs()
    )
}

/// How the driver reaches a PostgreSQL or MySQL server.
#[derive(Default)]
struct Route {
    /// A [`NodelayRelay`] already connected to the server, with the path the
    /// driver connects to instead (PostgreSQL: the socket's directory; MySQL:
    /// the socket).
    relay: Option<(PathBuf, NodelayRelay)>,
    /// Without a relay, the host and port the driver dials itself (`None`: a
    /// Unix socket).
    tcp: Option<(String, u16)>,
}

/// The [`Route`] of a PostgreSQL or MySQL URL: a [`NodelayRelay`] when its
/// connections may use TLS (see [`schema_diff::nodelay`] for why), else the
/// server's TCP address. An error when the relay's dial finds that the server
/// cannot be reached at all (refused, unknown host, no route).
async fn route(url: &str, ipv6_host: Option<&str>) -> Result<Route, schema_diff::reach::DialError> {
    use std::str::FromStr;

    use sea_orm::sqlx::mysql::MySqlConnectOptions;
    use sea_orm::sqlx::postgres::PgConnectOptions;
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    let route = match scheme {
        "postgres" | "postgresql" => {
            let Ok(options) = PgConnectOptions::from_str(url) else {
                return Ok(Route::default());
            };
            let options = match ipv6_host {
                Some(host) => options.host(host),
                None => options,
            };
            Route {
                relay: nodelay::for_postgres(&options)
                    .await?
                    .map(|relay| (relay.directory().to_path_buf(), relay)),
                tcp: nodelay::postgres_tcp_target(&options),
            }
        }
        "mysql" | "mariadb" => {
            let mysql_url = format!("mysql{}", &url[scheme.len()..]);
            let Ok(options) = MySqlConnectOptions::from_str(&mysql_url) else {
                return Ok(Route::default());
            };
            let options = match ipv6_host {
                Some(host) => options.host(host),
                None => options,
            };
            Route {
                relay: nodelay::for_mysql(&options)
                    .await?
                    .map(|relay| (relay.socket().to_path_buf(), relay)),
                tcp: nodelay::mysql_tcp_target(&options),
            }
        }
        _ => Route::default(),
    };
    Ok(route)
}
