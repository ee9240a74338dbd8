//! Opening the database connection.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
};

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
        if url.starts_with("postgres")
            && let Some(schema) = schema()
        {
            // Quoted whole (sea-orm would split it at commas); the name holds no `"`.
            options.set_schema_search_path(format!("\"{schema}\""));
        }
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
