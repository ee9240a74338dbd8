//! Opening the database connection.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr};

use crate::config::validate_url;
use crate::redact::redact_url;

/// How long to wait for a first connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `raw_url`. SQLite gets a single connection, because the runner's
/// `PRAGMA foreign_keys` must apply to the connection that runs the migration.
pub async fn connect(raw_url: &str) -> anyhow::Result<DatabaseConnection> {
    // Also for URLs that did not come through `config::resolve_url` (library callers).
    crate::redact::remember_url(raw_url);
    let url = validate_url(raw_url)?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Debug)
        .connect_timeout(CONNECT_TIMEOUT);
    if url.starts_with("sqlite:") {
        // After DDL a cached statement can keep a stale column list, which makes
        // sqlx's SQLite worker panic; migrations run DDL, so no cache.
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| o.statement_cache_capacity(0));
    } else {
        // Cached plans go stale when a migration changes a table they read.
        options
            .max_connections(4)
            .min_connections(1)
            .map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0))
            .map_sqlx_mysql_opts(|o| o.statement_cache_capacity(0));
        // The drivers keep the brackets of `[::1]` and fail to resolve it.
        if let Some(host) = schema_diff::startup::ipv6_host(&url) {
            let pg_host = host.clone();
            options
                .map_sqlx_postgres_opts(move |o| o.host(&pg_host))
                .map_sqlx_mysql_opts(move |o| o.host(&host));
        }
    }
    let shown = redact_url(raw_url);
    Database::connect(options).await.map_err(|e| match e {
        DbErr::Conn(RuntimeErr::SqlxError(ref inner))
            if url.starts_with("postgres")
                && !matches!(**inner, sea_orm::sqlx::Error::PoolTimedOut) =>
        {
            anyhow::anyhow!(
                "cannot connect to `{shown}`: {}",
                schema_diff::startup::explain_connect_error(&url, inner)
            )
        }
        // sqlx retries a refused connection until the timeout, then reports only that.
        DbErr::Conn(RuntimeErr::SqlxError(ref inner))
            if matches!(**inner, sea_orm::sqlx::Error::PoolTimedOut) =>
        {
            anyhow::anyhow!(
                "cannot connect to `{shown}`: no connection within {} s; is the server running, \
                 and are the host and port right?",
                CONNECT_TIMEOUT.as_secs()
            )
        }
        other => anyhow::Error::new(other).context(format!("cannot connect to `{shown}`")),
    })
}
