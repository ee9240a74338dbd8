//! `db-migrate history`.

use std::process::ExitCode;

use serde_json::json;

use super::Context;

pub async fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let db = ctx.connect().await?;
    let runner = ctx.runner();
    let status = runner.status(&db).await?;
    let applied_at = |v: &str| {
        status
            .applied
            .iter()
            .find(|a| a.version == v)
            .map(|a| format_time(a.applied_at))
    };
    let mut rows: Vec<(String, Option<String>, &str)> = runner
        .versions()
        .into_iter()
        .map(|v| {
            let at = applied_at(&v);
            let state = if at.is_some() { "applied" } else { "pending" };
            (v, at, state)
        })
        .collect();
    rows.extend(status.unknown.iter().map(|v| (v.clone(), None, "unknown")));
    if ctx.global.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(v, at, state)| json!({"version": v, "applied_at": at, "state": state}))
            .collect();
        crate::output::json(&json!({ "migrations": items }))?;
    } else if rows.is_empty() {
        crate::output::outln!("no migrations");
    } else {
        for (v, at, state) in &rows {
            crate::output::outln!("{:<8} {:<25} {v}", state, at.as_deref().unwrap_or("-"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn format_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix.to_string())
}
