//! Opening the database connection.

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::{redact_url, validate_url};

/// Connects to `raw_url`. SQLite gets a single connection, because the runner's
/// `PRAGMA foreign_keys` must apply to the connection that runs the migration.
pub async fn connect(raw_url: &str) -> anyhow::Result<DatabaseConnection> {
    let url = validate_url(raw_url)?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Debug)
        .connect_timeout(std::time::Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // After DDL a cached statement can keep a stale column list, which makes
        // sqlx's SQLite worker panic; migrations run DDL, so no cache.
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| o.statement_cache_capacity(0));
    } else {
        options.max_connections(4).min_connections(1);
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to `{}`", redact_url(raw_url)))
}
