//! The operator's calls: previews of upgrade and downgrade, the operations
//! themselves, and `GET /api/operations/{id}`.
//!
//! An operation holds this server's only operation slot (a second one gets 409
//! `operation_in_progress`) and runs in a task of its own, so that a client that
//! goes away does not stop it halfway; the runner takes the database's migration
//! lock, as the CLI does. Every attempt, allowed or not, is written to the audit
//! log.

use std::future::Future;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schema_diff::runner::{DowngradeTarget, RunError, UpgradeTarget};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::ApiError;
use super::reads::{JsonResult, answer, backend_name, run_error, script_json};
use super::registry::{Operation, Slot, now_ms};
use super::{AdminState, Caller, Role, audit};
use crate::commands::dry_run::Direction;

/// The body of the operation and preview calls.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationBody {
    /// `head`, `+N`, `-N`, `base` or a version (a unique prefix).
    pub target: Option<String>,
    /// A downgrade that loses rows runs only with this.
    #[serde(default)]
    pub allow_data_loss: bool,
    /// `false`: answer 202 with the operation id at once (default: answer when done).
    pub wait: Option<bool>,
}

/// The body as `T`: an empty body is `T::default()`.
pub fn parse_body<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the body is not the JSON this call takes: {e}"))
    })
}

/// Writes one audit entry on a connection of its own; a failure is logged.
pub async fn record(
    state: &AdminState,
    caller: &Caller,
    action: &str,
    target: Option<&str>,
    result: &str,
    detail: Value,
) {
    let entry = audit::Entry {
        at: now_ms(),
        actor: caller.actor.clone(),
        role: caller.role.as_str().to_owned(),
        action: action.to_owned(),
        target: target.map(str::to_owned),
        result: result.to_owned(),
        detail,
    };
    let written = async {
        let db = state.connect().await?;
        let written = audit::write(&db, &entry).await;
        db.close().await.ok();
        written.map_err(|e| ApiError::from_anyhow("write the audit log", &e.into()))
    };
    if let Err(e) = state.scoped(written).await {
        tracing::error!(action, result, error = %e, "admin API: the audit entry was not written");
    }
}

/// The caller's right to `action`, denied attempts written to the audit log.
pub async fn require_operator(
    state: &AdminState,
    caller: &Caller,
    action: &str,
    target: Option<&str>,
) -> Result<(), ApiError> {
    if let Err(e) = caller.require(Role::Operator) {
        tracing::warn!(actor = %caller.actor, action, "admin API: denied, not an operator");
        record(
            state,
            caller,
            action,
            target,
            "denied",
            json!({ "error": e.code() }),
        )
        .await;
        return Err(e);
    }
    Ok(())
}

/// The audit `result` of an outcome.
fn result_word(outcome: &Result<Value, ApiError>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(e) if e.code() == "data_loss" => "refused",
        Err(e) if matches!(e.code(), "migration_locked" | "operation_in_progress") => "conflict",
        Err(_) => "failed",
    }
}

/// Takes the operation slot and runs `work` in a task of its own: its answer
/// (with `operation_id`) once done, or 202 at once when `wait` is false.
pub async fn run_operation<F, Fut>(
    state: AdminState,
    caller: Caller,
    kind: &'static str,
    target: Option<String>,
    wait: bool,
    work: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(AdminState, Arc<Operation>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
{
    let slot: Slot = match state
        .inner
        .operations
        .begin(kind, target.clone(), &caller.actor)
    {
        Ok(slot) => slot,
        Err(e) => {
            record(
                &state,
                &caller,
                kind,
                target.as_deref(),
                "conflict",
                json!({ "error": e.code() }),
            )
            .await;
            return Err(e);
        }
    };
    let operation = slot.operation().clone();
    let id = operation.id.clone();
    tracing::info!(id = %id, kind, actor = %caller.actor, "admin API: operation started");
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let op = slot.operation().clone();
        let outcome = task_state
            .scoped(work(task_state.clone(), op.clone()))
            .await;
        let mut detail = match &outcome {
            Ok(value) => value.clone(),
            Err(e) => json!({ "error": e.code(), "message": e.message() }),
        };
        detail["started_at_ms"] = json!(op.started_at);
        detail["operation_id"] = json!(op.id);
        let word = result_word(&outcome);
        record(&task_state, &caller, kind, target.as_deref(), word, detail).await;
        op.finish(&outcome);
        tracing::info!(id = %op.id, kind, result = word, "admin API: operation finished");
        drop(slot);
        outcome
    });
    if !wait {
        let body = json!({ "operation_id": id, "state": "running" });
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    match task.await {
        Ok(Ok(mut value)) => {
            value["operation_id"] = json!(id);
            value["result"] = json!("ok");
            Ok(Json(crate::redact::redact_json(&value)).into_response())
        }
        Ok(Err(e)) => Err(e.with_details(json!({ "operation_id": id }))),
        Err(e) => {
            tracing::error!(id = %id, error = %e, "admin API: the operation's task failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the operation stopped unexpectedly (see the server log)",
            ))
        }
    }
}

/// `POST /api/upgrade`: applies pending migrations up to `target` (default `head`).
pub async fn upgrade(
    State(state): State<AdminState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: OperationBody = parse_body(&body)?;
    let given = body.target.clone().unwrap_or_else(|| "head".to_owned());
    require_operator(&state, &caller, "upgrade", Some(&given)).await?;
    let target: UpgradeTarget = given
        .parse()
        .map_err(|e: RunError| ApiError::from_run(&e))?;
    // A target the code does not have is refused before the slot is taken.
    target
        .plan(&state.context().runner().versions(), &[])
        .map_err(|e| ApiError::from_run(&e))?;
    let wait = body.wait.unwrap_or(true);
    run_operation(
        state,
        caller,
        "upgrade",
        Some(given),
        wait,
        move |state, op| async move {
            let ctx = state.context();
            let db = state.connect().await?;
            let done = async {
                crate::connect::create_schema_if_missing(&db)
                    .await
                    .map_err(|e| ApiError::from_anyhow("create the schema", &e))?;
                let runner = ctx.runner().with_lock_timeout(ctx.lock_timeout());
                if let Ok(status) = runner.status(&db).await
                    && let Ok(plan) = target.plan(&runner.versions(), &status.pending)
                {
                    op.set_total(plan.len());
                }
                runner
                    .upgrade(&db, &target, |r| op.step_done(&r.version))
                    .await
                    .map_err(run_error)
            }
            .await;
            db.close().await.ok();
            let reports = done?;
            let applied: Vec<&str> = reports.iter().map(|r| r.version.as_str()).collect();
            Ok(json!({ "applied": applied, "migrations": reports }))
        },
    )
    .await
}

/// The target of a downgrade call: required.
fn downgrade_target(
    state: &AdminState,
    body: &OperationBody,
) -> Result<(String, DowngradeTarget), ApiError> {
    let given = body.target.clone().ok_or_else(|| {
        ApiError::bad_request("a downgrade needs a target: `-N`, `base` or a version")
    })?;
    let target: DowngradeTarget = given
        .parse()
        .map_err(|e: RunError| ApiError::from_run(&e))?;
    target
        .plan(&state.context().runner().versions(), &[])
        .map_err(|e| ApiError::from_run(&e))?;
    Ok((given, target))
}

/// What rolling back to `target` runs and loses: `(scripts JSON, losses JSON,
/// the losses and unreadable steps as sentences)`.
async fn inspect_downgrade(
    state: &AdminState,
    db: &sea_orm::DatabaseConnection,
    target: &DowngradeTarget,
) -> Result<(Vec<Value>, Value, Vec<String>), ApiError> {
    let ctx = state.context();
    let inspected = async {
        let plan = crate::commands::down_hazards::plan(&ctx, db, target).await?;
        crate::commands::down_hazards::inspect(&ctx, db, &plan).await
    };
    let (scripts, losses) = inspected
        .await
        .map_err(|e| ApiError::from_anyhow("inspect the rollback", &e))?;
    let mut lost: Vec<String> = losses.iter().map(ToString::to_string).collect();
    lost.extend(crate::commands::down_hazards::uninspected(&scripts));
    Ok((
        scripts.iter().map(script_json).collect(),
        json!(losses),
        lost,
    ))
}

/// `POST /api/downgrade`: rolls back to `target`; one that loses rows needs
/// `"allow_data_loss": true` (else 409 `data_loss` with the preview).
pub async fn downgrade(
    State(state): State<AdminState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: OperationBody = parse_body(&body)?;
    require_operator(&state, &caller, "downgrade", body.target.as_deref()).await?;
    let (given, target) = downgrade_target(&state, &body)?;
    let allow = body.allow_data_loss;
    let wait = body.wait.unwrap_or(true);
    run_operation(
        state,
        caller,
        "downgrade",
        Some(given),
        wait,
        move |state, op| async move {
            let ctx = state.context();
            let db = state.connect().await?;
            let done = async {
                let (scripts, losses, lost) = inspect_downgrade(&state, &db, &target).await?;
                if !lost.is_empty() && !allow {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "data_loss",
                        format!(
                            "the rollback loses data: {}; back the data up, then send \
                         \"allow_data_loss\": true",
                            lost.join("; ")
                        ),
                    )
                    .with_details(json!({ "migrations": scripts, "rows_at_risk": losses })));
                }
                op.set_total(scripts.len());
                ctx.runner()
                    .with_lock_timeout(ctx.lock_timeout())
                    .downgrade(&db, &target, |r| op.step_done(&r.version))
                    .await
                    .map_err(run_error)
            }
            .await;
            db.close().await.ok();
            let reports = done?;
            let rolled_back: Vec<&str> = reports.iter().map(|r| r.version.as_str()).collect();
            Ok(json!({ "applied": [], "rolled_back": rolled_back, "migrations": reports }))
        },
    )
    .await
}

/// `POST /api/upgrade/preview`: the SQL of each migration up to `target` on this
/// database, and the rows of this database the migrations cannot keep (found by
/// replaying them on a scratch database, as `upgrade --dry-run` does).
pub async fn upgrade_preview(
    State(state): State<AdminState>,
    caller: Caller,
    body: Bytes,
) -> JsonResult {
    let body: OperationBody = parse_body(&body)?;
    caller.require(Role::Operator)?;
    let given = body.target.unwrap_or_else(|| "head".to_owned());
    let target: UpgradeTarget = given
        .parse()
        .map_err(|e: RunError| ApiError::from_run(&e))?;
    state
        .scoped(async {
            let ctx = state.context();
            let db = state.connect().await?;
            let backend = backend_name(&db);
            let found = async {
                let runner = ctx.runner();
                let status = runner.status(&db).await.map_err(run_error)?;
                if !status.unknown.is_empty() {
                    return Err(ApiError::from_run(&RunError::UnknownApplied(
                        status.unknown,
                    )));
                }
                let plan = target
                    .plan(&runner.versions(), &status.pending)
                    .map_err(|e| ApiError::from_run(&e))?;
                let at_risk = match plan.last() {
                    Some(last) => crate::commands::dry_run::preflight(&ctx, &db, last)
                        .await
                        .map_err(|e| ApiError::from_anyhow("count the rows at risk", &e))?,
                    None => Vec::new(),
                };
                let scripts = crate::commands::dry_run::capture(
                    &ctx,
                    &plan,
                    Direction::Up,
                    db.get_database_backend(),
                )
                .await;
                Ok((scripts, at_risk))
            }
            .await;
            db.close().await.ok();
            let (scripts, at_risk) = found?;
            let migrations: Vec<Value> = scripts.iter().map(script_json).collect();
            answer(json!({
                "backend": backend,
                "target": given,
                "migrations": migrations,
                "rows_at_risk": at_risk,
            }))
        })
        .await
}

/// `POST /api/downgrade/preview`: the `down` SQL of each migration a rollback to
/// `target` runs, what it drops and the rows that would be lost.
pub async fn downgrade_preview(
    State(state): State<AdminState>,
    caller: Caller,
    body: Bytes,
) -> JsonResult {
    let body: OperationBody = parse_body(&body)?;
    caller.require(Role::Operator)?;
    let (given, target) = downgrade_target(&state, &body)?;
    state
        .scoped(async {
            let db = state.connect().await?;
            let backend = backend_name(&db);
            let found = inspect_downgrade(&state, &db, &target).await;
            db.close().await.ok();
            let (migrations, losses, lost) = found?;
            answer(json!({
                "backend": backend,
                "target": given,
                "migrations": migrations,
                "rows_at_risk": losses,
                "loses_data": !lost.is_empty(),
                "data_loss": lost,
            }))
        })
        .await
}

/// `GET /api/operations/{id}`: a running or recent operation of this server.
pub async fn operation(
    State(state): State<AdminState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> JsonResult {
    match state.inner.operations.find(&id) {
        Some(op) => answer(op.json()),
        None => Err(ApiError::not_found(
            "no such operation (ids of this server run only)",
        )),
    }
}
