//! `db-migrate health`: ok (exit 0), degraded (2: migrations pending), error
//! (1: unreachable, a dirty migration, or versions the code does not have).

use std::process::ExitCode;
use std::time::Duration;

use schema_diff::health::{HealthErrorKind, HealthReport, HealthStatus, check_with};

use super::Context;
use crate::config::validate_url;
use crate::redact::{redact, redact_url};

/// Runs `db-migrate health`.
pub async fn run(ctx: &Context<'_>, timeout: u64) -> anyhow::Result<ExitCode> {
    // A malformed URL is bad input (`error: ...`); an unreachable database is a report.
    validate_url(&ctx.url)?;
    let timeout = Duration::from_secs(timeout);
    let runner = ctx.runner();
    let head = runner.versions().last().cloned();
    let mut report = match tokio::time::timeout(timeout, ctx.connect_for_reading()).await {
        Ok(Ok(db)) => {
            let report = check_with(&db, &runner, timeout).await;
            db.close().await.ok();
            report
        }
        Ok(Err(e)) => {
            let kind = e
                .chain()
                .find_map(|c| c.downcast_ref::<sea_orm::DbErr>())
                .map_or(HealthErrorKind::Unreachable, HealthErrorKind::of_db_err);
            // Once: `{e:#}` would repeat a driver's message that quotes its source.
            HealthReport::unreachable(head, kind, crate::output::error_line(&e))
        }
        Err(_) => HealthReport::unreachable(
            head,
            HealthErrorKind::Timeout,
            format!(
                "cannot connect to `{}` within {} s",
                redact_url(&ctx.url),
                timeout.as_secs()
            ),
        ),
    };
    for problem in &mut report.problems {
        *problem = redact(&schema_diff::error::without_server_source_line(&one_line(
            problem,
        )));
    }
    if ctx.global.json {
        crate::output::json(&serde_json::to_value(&report)?)?;
    } else {
        print(&report);
    }
    Ok(ExitCode::from(report.status.exit_code()))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print(report: &HealthReport) {
    outln!("status:  {}", report.status);
    if report.status != HealthStatus::Error || report.current.is_some() {
        outln!("current: {}", report.current.as_deref().unwrap_or("(none)"));
    }
    outln!("head:    {}", report.head.as_deref().unwrap_or("(none)"));
    if let Some(at) = &report.last_applied_at {
        outln!("last applied at: {at}");
    }
    for problem in &report.problems {
        outln!("problem: {problem}");
    }
}
