//! `GET /health` for an axum application (cargo feature `http`).
//!
//! ```no_run
//! # async fn demo(db: sea_orm::DatabaseConnection) -> std::io::Result<()> {
//! # fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] }
//! let app = schema_diff::health::http::router(db, migrations);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The endpoint is meant for probes and load balancers, so it answers anyone and
//! tells them nothing about the database: the body is a [`PublicHealthReport`](super::PublicHealthReport)
//! (status, versions, and a stable [`HealthErrorKind`] code such as
//! `unreachable` or `migration_failed`), never the database's own messages,
//! which can quote stored values (`Duplicate entry 'ceo@corp.example'`) or
//! host names. Those details go to the application's log (`tracing`, target
//! `schema_diff::health`) at `warn` for `error` and `info` for `degraded`.
//!
//! Status codes: `ok` → 200, `error`
//! → 503, `degraded` (migrations pending) → 200 by default, so that a pod whose
//! database is behind (a migration job still running, or a rolling deploy) is
//! not killed or taken out of service by its probe; the body says `degraded`.
//! [`router_with`] and [`HttpOptions::degraded_unavailable`] answer 503 instead,
//! for a readiness probe that must hold traffic until the database is at head.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use super::{DEFAULT_TIMEOUT, HealthErrorKind, HealthReport, HealthStatus, check_with};
use crate::runner::Runner;

/// How the endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Answer 503 (not 200) when migrations are pending.
    pub degraded_unavailable: bool,
    /// How long to wait for the database before answering `error`.
    pub timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            degraded_unavailable: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl HttpOptions {
    /// The HTTP status for a verdict.
    pub fn status_code(&self, status: HealthStatus) -> StatusCode {
        match status {
            HealthStatus::Ok => StatusCode::OK,
            HealthStatus::Degraded if !self.degraded_unavailable => StatusCode::OK,
            HealthStatus::Degraded | HealthStatus::Error => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A router with `GET /health`, checking `db` against the migrations `migrations`
/// returns (e.g. `migration::Migrator::migrations`), with the default options.
pub fn router<F>(db: DatabaseConnection, migrations: F) -> Router
where
    F: Fn() -> Vec<Box<dyn MigrationTrait>> + Send + Sync + 'static,
{
    router_with(db, migrations, HttpOptions::default())
}

/// [`router`] with options.
pub fn router_with<F>(db: DatabaseConnection, migrations: F, options: HttpOptions) -> Router
where
    F: Fn() -> Vec<Box<dyn MigrationTrait>> + Send + Sync + 'static,
{
    let state = Arc::new((db, migrations, options));
    Router::new().route(
        "/health",
        get(move || {
            let state = Arc::clone(&state);
            async move {
                let (db, migrations, options) = &*state;
                let runner = Runner::new(migrations());
                let report: HealthReport = check_with(db, &runner, options.timeout).await;
                log(&report);
                (options.status_code(report.status), Json(report.public()))
            }
        }),
    )
}

/// The details the body leaves out, for the operator's log.
fn log(report: &HealthReport) {
    let kind = report.error.map(HealthErrorKind::as_str).unwrap_or("none");
    match report.status {
        HealthStatus::Ok => {}
        HealthStatus::Degraded => tracing::info!(
            target: "schema_diff::health",
            status = %report.status,
            error = kind,
            problems = ?report.problems,
            "health check degraded"
        ),
        HealthStatus::Error => tracing::warn!(
            target: "schema_diff::health",
            status = %report.status,
            error = kind,
            problems = ?report.problems,
            "health check failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degraded_is_200_unless_asked() {
        let default = HttpOptions::default();
        assert_eq!(default.status_code(HealthStatus::Ok), StatusCode::OK);
        assert_eq!(default.status_code(HealthStatus::Degraded), StatusCode::OK);
        assert_eq!(
            default.status_code(HealthStatus::Error),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let strict = HttpOptions {
            degraded_unavailable: true,
            ..default
        };
        assert_eq!(
            strict.status_code(HealthStatus::Degraded),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
