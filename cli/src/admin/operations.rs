//! How operations run: the request body, the operator check, the audit entry of
//! every attempt, the operation slot and task, and `GET /api/operations/{id}`.
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
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::ApiError;
use super::reads::{JsonResult, answer};
use super::registry::{Operation, Slot, now_ms};
use super::{AdminState, Caller, Role, audit};

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
        let written = state
            .on_database(async |db| audit::write(db, &entry).await)
            .await?;
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
