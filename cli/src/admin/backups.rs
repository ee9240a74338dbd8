//! Backups through the API: the manifests in the backup folder, what a backup
//! would write, and taking one (`db-migrate backup` with the defaults).

use std::path::Path;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::error::ApiError;
use super::operations::{OperationBody, parse_body, require_operator, run_operation};
use super::reads::{JsonResult, answer};
use super::{AdminState, Caller, Role};
use crate::ops::manifest::{Manifest, count_rows};
use crate::ops::target::Target;
use crate::ops::{BackupRequest, safe_name};

/// The most manifests listed.
const MAX_LISTED: usize = 500;

fn backup_dir(state: &AdminState) -> &Path {
    &state.inner.settings.backup_dir.value
}

/// The target database of the configured URL.
fn target(state: &AdminState) -> Result<Target, ApiError> {
    Target::parse(&state.inner.url).map_err(|e| ApiError::from_anyhow("read the database URL", &e))
}

/// `GET /api/backups`: the manifests in the backup folder, newest first; each
/// says whether its backup file is there and whether it is of this database.
pub async fn list(State(state): State<AdminState>, _caller: Caller) -> JsonResult {
    let dir = backup_dir(&state).to_path_buf();
    let this = target(&state)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return answer(json!({ "dir": dir.display().to_string(), "backups": [] }));
        }
        Err(e) => {
            return Err(ApiError::from_anyhow("read the backup folder", &e.into()));
        }
    };
    let mut found: Vec<(Manifest, bool)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            tracing::warn!(file = %path.display(), "admin API: cannot read a backup manifest");
            continue;
        };
        let Ok(manifest) = serde_json::from_str::<Manifest>(&text) else {
            continue;
        };
        let present = dir.join(&manifest.file).is_file();
        found.push((manifest, present));
    }
    found.sort_by(|a, b| b.0.created_at.cmp(&a.0.created_at));
    found.truncate(MAX_LISTED);
    let location = this.location();
    let backups: Vec<Value> = found
        .iter()
        .map(|(m, present)| {
            let mut value = json!(m);
            value["file_present"] = json!(present);
            value["this_database"] = json!(
                m.backend == this.kind()
                    && m.database == this.name()
                    && m.location.as_deref() == Some(location.as_str())
            );
            value
        })
        .collect();
    answer(json!({ "dir": dir.display().to_string(), "backups": backups }))
}

/// `POST /api/backup/preview`: where a backup would go, its format, the current
/// migration and the tables with their rows.
pub async fn preview(State(state): State<AdminState>, caller: Caller) -> JsonResult {
    caller.require(Role::Operator)?;
    let this = target(&state)?;
    state
        .scoped(async {
            let found = state
                .on_database(async |db| {
                    let status = state.context().runner().status(db).await?;
                    let tables = count_rows(db).await?;
                    anyhow::Ok((status.current, tables))
                })
                .await?;
            let (current, tables) =
                found.map_err(|e| ApiError::from_anyhow("read the database", &e))?;
            let rows: i64 = tables.iter().map(|t| t.rows).sum();
            let name = format!(
                "{}-<UTC time>.{}",
                safe_name(&this.name()),
                this.kind().extension()
            );
            answer(json!({
                "dir": backup_dir(&state).display().to_string(),
                "file": name,
                "backend": this.kind(),
                "database": this.name(),
                "migration_version": current,
                "tables": tables,
                "rows": rows,
            }))
        })
        .await
}

/// `POST /api/backup`: takes a backup into the backup folder and answers with its
/// manifest. Optional body: `{"wait": false}`.
pub async fn create(
    State(state): State<AdminState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: OperationBody = parse_body(&body)?;
    if body.target.is_some() || body.allow_data_loss {
        return Err(ApiError::bad_request("a backup takes no target"));
    }
    require_operator(&state, &caller, "backup", None).await?;
    let wait = body.wait.unwrap_or(true);
    run_operation(
        state,
        caller,
        "backup",
        None,
        wait,
        |state, _op| async move {
            let ctx = state.context();
            let request = BackupRequest {
                dir: Some(backup_dir(&state).to_path_buf()),
                ..BackupRequest::default()
            };
            let created = crate::commands::backup::create(&ctx, &request)
                .await
                .map_err(|e| ApiError::from_anyhow("take the backup", &e))?;
            Ok(json!({
                "file": created.file.display().to_string(),
                "manifest_file": created.manifest_file.display().to_string(),
                "manifest": created.manifest,
            }))
        },
    )
    .await
}
