//! `db-migrate status`.

use std::process::ExitCode;

use serde_json::json;

use super::Context;

pub async fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let db = ctx.connect_for_reading().await?;
    let status = ctx.runner().status(&db).await?;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&db);
    if ctx.global.json {
        let dirty: Vec<_> = status
            .dirty
            .iter()
            .map(|row| {
                json!({
                    "version": row.version,
                    "state": row.state.as_str(),
                    "started_at": schema_diff::runner::format_unix(row.started_at),
                    "error": row.error.as_deref().map(crate::redact::redact),
                    "in_progress": schema_diff::runner::is_in_progress(
                        row,
                        status.lock_holder.as_deref()
                    ),
                })
            })
            .collect();
        let data = data_steps_json(&status);
        crate::output::json(&json!({
            "current": status.current,
            "head": status.head,
            "pending": status.pending,
            "unknown": status.unknown,
            "dirty": dirty,
            "data": data,
        }))?;
    } else {
        outln!("current: {}", status.current.as_deref().unwrap_or("(none)"));
        outln!("head:    {}", status.head.as_deref().unwrap_or("(none)"));
        if status.pending.is_empty() {
            outln!("pending: none, the database is up to date");
        } else {
            outln!("pending: {}", status.pending.len());
            for v in &status.pending {
                outln!("  {v}");
            }
        }
        if !status.unknown.is_empty() {
            outln!("applied but not in the code ({}):", status.unknown.len());
            for v in &status.unknown {
                outln!("  {v}");
            }
        }
        let in_progress: Vec<_> = status.in_progress().collect();
        if let Some(holder) = &status.lock_holder {
            for row in &in_progress {
                let message = schema_diff::runner::in_progress_message(row, holder);
                outln!("in progress: {}", crate::redact::redact(&message));
            }
        }
        for line in schema_diff::health::data_progress(&status) {
            outln!("{}", crate::redact::redact(&line));
        }
        let broken: Vec<_> = status.needs_repair().collect();
        if !broken.is_empty() {
            outln!(
                "dirty ({}): upgrade and downgrade refuse until each is resolved:",
                broken.len()
            );
            for row in broken {
                let message = schema_diff::runner::dirty_message(row, backend);
                outln!("  {}", crate::redact::redact(&message));
            }
            // A `failed` row next to a live run: that run may be resolving it.
            if let Some(who) = &status.lock_holder {
                outln!(
                    "note: the migration lock is held now, by {who}: a run is in progress; \
                     check again when it has finished"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The unfinished data-migration steps of `status`, as `status --json` and the
/// admin API's `/api/status` show them.
pub(crate) fn data_steps_json(status: &schema_diff::runner::Status) -> Vec<serde_json::Value> {
    status
        .data
        .iter()
        .map(|step| {
            json!({
                "version": step.version,
                "step": step.step,
                "percent": step.percent(),
                "rows_done": step.rows_done,
                "rows_total": step.rows_total,
                "batches": step.batches,
                "last_key": step.last_key,
                "updated_at": schema_diff::runner::format_unix(step.updated_at),
            })
        })
        .collect()
}
