//! The read-only calls, open to every role: who am I, status, history, pending
//! migrations, drift (as JSON and as the visual report), health and the audit log.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use schema_diff::health::{HealthErrorKind, HealthReport};
use schema_diff::report::{ReportInput, SchemaReport, render_body};
use schema_diff::runner::{RunError, Status};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AdminState, Caller, audit};
use crate::commands::dry_run::Direction;

/// The answer of a read: JSON, every string redacted.
pub type JsonResult = Result<Json<Value>, ApiError>;

/// JSON with every string redacted.
pub fn answer(value: Value) -> JsonResult {
    Ok(Json(crate::redact::redact_json(&value)))
}

/// `backend` of the API: `postgres`, `mysql` or `sqlite`.
pub fn backend_name(db: &impl ConnectionTrait) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        sea_orm::DbBackend::MySql => "mysql",
        _ => "sqlite",
    }
}

/// `GET /api/me`: `{"role", "actor"}`.
pub async fn me(caller: Caller) -> JsonResult {
    answer(json!({ "role": caller.role, "actor": caller.actor }))
}

/// The status read by the runner (creating nothing).
async fn read_status(state: &AdminState, db: &DatabaseConnection) -> Result<Status, ApiError> {
    state
        .context()
        .runner()
        .status(db)
        .await
        .map_err(|e| ApiError::from_anyhow("read the migration history", &e.into()))
}

/// `ok`, `pending`, `in_progress`, `dirty` or `unknown_versions`.
fn state_word(status: &Status) -> &'static str {
    if !status.unknown.is_empty() {
        "unknown_versions"
    } else if status.needs_repair().next().is_some() {
        "dirty"
    } else if status.in_progress().next().is_some() {
        "in_progress"
    } else if !status.pending.is_empty() {
        "pending"
    } else {
        "ok"
    }
}

/// `GET /api/status`.
pub async fn status(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    state
        .scoped(async {
            let (status, backend) = state
                .on_database(async |db| (read_status(&state, db).await, backend_name(db)))
                .await?;
            let status = status?;
            let operation = state.inner.operations.running().map(|op| op.json());
            answer(json!({
                "backend": backend,
                "database": state.database_shown(),
                "current": status.current,
                "head": status.head,
                "pending": status.pending,
                "applied": status.applied.len(),
                "unknown": status.unknown,
                "dirty": status.dirty.iter().map(|row| row.version.clone()).collect::<Vec<_>>(),
                "state": state_word(&status),
                "data": crate::commands::status::data_steps_json(&status),
                "operation": operation,
            }))
        })
        .await
}

/// `GET /api/history`: every migration of the code (and applied ones it does
/// not have), with what `seaql_migrations`, `db_migrate_history` and the audit
/// log say of it.
pub async fn history(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    state
        .scoped(async {
            let found = state
                .on_database(async |db| read_history(&state, db).await)
                .await?;
            answer(json!({ "migrations": found? }))
        })
        .await
}

async fn read_history(state: &AdminState, db: &DatabaseConnection) -> Result<Vec<Value>, ApiError> {
    let status = read_status(state, db).await?;
    let companion = schema_diff::runner::companion::read(db)
        .await
        .map_err(|e| ApiError::from_anyhow("read the migration history", &e.into()))?;
    let applied_at: HashMap<String, i64> = status
        .applied
        .iter()
        .map(|a| (a.version.clone(), a.applied_at))
        .collect();
    let applied_by = audit::applied_by(db, &applied_at)
        .await
        .map_err(|e| ApiError::from_anyhow("read the audit log", &e.into()))?;
    let mut versions = state.context().runner().versions();
    versions.extend(status.unknown.iter().cloned());
    let rows = versions
        .iter()
        .map(|version| {
            let row = companion.iter().find(|r| &r.version == version);
            let at = applied_at.get(version).copied();
            let state = match (row, at) {
                (Some(row), _) if row.state.is_dirty() => row.state.as_str(),
                _ if status.unknown.contains(version) => "unknown",
                (_, Some(_)) => "applied",
                (_, None) => "pending",
            };
            json!({
                "version": version,
                "applied_at": at.map(schema_diff::runner::format_unix),
                "duration_ms": row.and_then(|r| r.duration_ms),
                "checksum": row.and_then(|r| r.checksum.clone()),
                "state": state,
                "applied_by": applied_by.get(version),
            })
        })
        .collect();
    Ok(rows)
}

/// `GET /api/pending`: each pending migration's SQL on this database's backend,
/// and what it drops, with the rows that would be lost counted.
pub async fn pending(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    state
        .scoped(async {
            let (found, backend) = state
                .on_database(async |db| (read_pending(&state, db).await, backend_name(db)))
                .await?;
            let (migrations, losses) = found?;
            answer(json!({ "backend": backend, "migrations": migrations, "rows_at_risk": losses }))
        })
        .await
}

async fn read_pending(
    state: &AdminState,
    db: &DatabaseConnection,
) -> Result<(Vec<Value>, Value), ApiError> {
    let status = read_status(state, db).await?;
    let ctx = state.context();
    let (scripts, losses) =
        crate::commands::down_hazards::inspect_direction(&ctx, db, &status.pending, Direction::Up)
            .await
            .map_err(|e| ApiError::from_anyhow("read the pending migrations", &e))?;
    Ok((scripts.iter().map(script_json).collect(), json!(losses)))
}

/// `{"version", "statements", "hazards", "error"}` of a captured script.
pub fn script_json(script: &crate::commands::dry_run::Script) -> Value {
    json!({
        "version": script.version,
        "direction": script.direction,
        "statements": script.sql,
        "hazards": script.hazards,
        "error": script.error,
    })
}

/// What the database and the entities this binary was built with look like, and
/// their comparison, as `db-migrate diff` reads them.
struct DriftFound {
    actual: schema_diff::Schema,
    desired: schema_diff::Schema,
    dialect: schema_diff::Dialect,
    found: crate::commands::diff::Comparison,
}

async fn read_drift(state: &AdminState) -> Result<DriftFound, ApiError> {
    let ctx = state.context();
    let (actual, dialect) = crate::commands::diff::read_database(&ctx.url)
        .await
        .map_err(|e| ApiError::from_anyhow("read the database schema", &e))?;
    let actual = ctx.settings.exclusions().apply(actual);
    let desired = crate::commands::auto::desired_schema(&ctx)
        .map_err(|e| ApiError::from_anyhow("read the entities", &e))?;
    let found = crate::commands::diff::compare(&ctx, &actual, &desired, dialect);
    Ok(DriftFound {
        actual,
        desired,
        dialect,
        found,
    })
}

/// `GET /api/drift`: the database against the entities this binary was built
/// with, as `db-migrate diff --json` reports it.
pub async fn drift(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    state
        .scoped(async {
            let DriftFound { found, .. } = read_drift(&state).await?;
            answer(json!({
                "equal": found.changes.is_empty(),
                "changes": found.changes,
                "summary": found.summary,
                "hazards": found.hazards,
            }))
        })
        .await
}

/// `GET /api/drift/report`: the same comparison as the visual schema diff of
/// `db-migrate diff --html` (docs/diff-report.md), as one HTML fragment
/// (`<div class="schema-report">`) for the dashboard, styled by
/// `/assets/report.css`. Every name in it is escaped and redacted here, on the
/// server; the page inserts it as it comes.
pub async fn drift_report(
    State(state): State<AdminState>,
    _caller: Caller,
) -> Result<Response, ApiError> {
    state
        .scoped(async {
            let DriftFound {
                actual,
                desired,
                dialect,
                found,
            } = read_drift(&state).await?;
            let desired = dialect.normalize_schema(&desired);
            let actual =
                crate::commands::diff::align_names(dialect.normalize_schema(&actual), &desired);
            let from = state.database_shown();
            let report = SchemaReport::build(&ReportInput {
                from_label: &from,
                to_label: "entities",
                dialect,
                actual: &actual,
                desired: &desired,
                changes: &found.changes,
                hazards: &found.hazards,
            });
            let report = crate::commands::diff_html::redacted(&report)
                .map_err(|e| ApiError::from_anyhow("render the drift report", &e))?;
            let equal = if report.is_equal() { "true" } else { "false" };
            let mut response = Html(render_body(&report)).into_response();
            response.headers_mut().insert(
                HeaderName::from_static("x-schema-equal"),
                HeaderValue::from_static(equal),
            );
            Ok(response)
        })
        .await
}

/// `GET /api/health`: the health report without its free-text problems (which
/// can quote the database): status, versions and a stable error code.
pub async fn health(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    const TIMEOUT: Duration = Duration::from_secs(5);
    state
        .scoped(async {
            let runner = state.context().runner();
            let head = runner.versions().last().cloned();
            let report = match tokio::time::timeout(TIMEOUT, state.connect()).await {
                Ok(Ok(db)) => {
                    let report = schema_diff::health::check_with(&db, &runner, TIMEOUT).await;
                    db.close().await.ok();
                    report
                }
                Ok(Err(_)) => HealthReport::unreachable(head, HealthErrorKind::Unreachable, ""),
                Err(_) => HealthReport::unreachable(head, HealthErrorKind::Timeout, ""),
            };
            answer(serde_json::to_value(report.public()).unwrap_or(Value::Null))
        })
        .await
}

/// The entries `GET /api/audit` shows by default, and at most.
const AUDIT_DEFAULT: u64 = 50;
const AUDIT_MAX: u64 = 1000;

/// `GET /api/audit?limit=N`: the newest entries first.
pub async fn audit(
    State(state): State<AdminState>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> JsonResult {
    let mut limit = AUDIT_DEFAULT;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "limit" {
            limit = value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=AUDIT_MAX).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!("limit must be a number from 1 to {AUDIT_MAX}"))
                })?;
        }
    }
    state
        .scoped(async {
            let entries = state
                .on_database(async |db| audit::recent(db, limit).await)
                .await?;
            let entries =
                entries.map_err(|e| ApiError::from_anyhow("read the audit log", &e.into()))?;
            answer(json!({ "entries": entries }))
        })
        .await
}

/// A runner error as an API error (for `?` on `Result<_, RunError>`).
pub fn run_error(error: RunError) -> ApiError {
    ApiError::from_anyhow("run", &error.into())
}
