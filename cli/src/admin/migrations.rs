//! Upgrades and downgrades through the API, and their previews.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use schema_diff::lint::Hazard;
use schema_diff::runner::{DowngradeTarget, RunError, UpgradeTarget};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::error::ApiError;
use super::operations::{OperationBody, parse_body, require_operator, run_operation};
use super::reads::{JsonResult, answer, backend_name, run_error, script_json};
use super::{AdminState, Caller, Role};
use crate::commands::dry_run::{Direction, Script};

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
            let done = state
                .on_database(async |db| {
                    crate::connect::create_schema_if_missing(db)
                        .await
                        .map_err(|e| ApiError::from_anyhow("create the schema", &e))?;
                    let runner = ctx.runner().with_lock_timeout(ctx.lock_timeout());
                    if let Ok(status) = runner.status(db).await
                        && let Ok(plan) = target.plan(&runner.versions(), &status.pending)
                    {
                        op.set_total(plan.len());
                    }
                    runner
                        .upgrade(db, &target, |r| op.step_done(&r.version))
                        .await
                        .map_err(run_error)
                })
                .await?;
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
            let done = state
                .on_database(async |db| {
                    let (scripts, losses, lost) = inspect_downgrade(&state, db, &target).await?;
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
                        .downgrade(db, &target, |r| op.step_done(&r.version))
                        .await
                        .map_err(run_error)
                })
                .await?;
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
            let (found, backend) = state
                .on_database(async |db| (upgrade_plan(&ctx, &target, db).await, backend_name(db)))
                .await?;
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

/// The SQL of each pending migration up to `target` on `db`'s backend, and the
/// rows of `db` they cannot keep.
async fn upgrade_plan(
    ctx: &crate::commands::Context<'_>,
    target: &UpgradeTarget,
    db: &DatabaseConnection,
) -> Result<(Vec<Script>, Vec<Hazard>), ApiError> {
    let runner = ctx.runner();
    let status = runner.status(db).await.map_err(run_error)?;
    if !status.unknown.is_empty() {
        return Err(ApiError::from_run(&RunError::UnknownApplied(
            status.unknown,
        )));
    }
    let plan = target
        .plan(&runner.versions(), &status.pending)
        .map_err(|e| ApiError::from_run(&e))?;
    let at_risk = match plan.last() {
        Some(last) => crate::commands::dry_run::preflight(ctx, db, last)
            .await
            .map_err(|e| ApiError::from_anyhow("count the rows at risk", &e))?,
        None => Vec::new(),
    };
    let scripts =
        crate::commands::dry_run::capture(ctx, &plan, Direction::Up, db.get_database_backend())
            .await;
    Ok((scripts, at_risk))
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
            let (found, backend) = state
                .on_database(async |db| {
                    (
                        inspect_downgrade(&state, db, &target).await,
                        backend_name(db),
                    )
                })
                .await?;
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
