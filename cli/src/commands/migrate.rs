//! `db-migrate upgrade` and `db-migrate downgrade`, under the migration lock.

use std::process::ExitCode;

use schema_diff::runner::{DowngradeTarget, RunReport, UpgradeTarget};
use serde_json::json;

use super::Context;

/// Applies pending migrations up to `target`.
pub async fn upgrade(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let given = target;
    let target: UpgradeTarget = target.parse()?;
    let db = ctx.connect().await?;
    crate::connect::create_schema_if_missing(&db).await?;
    let quiet = ctx.global.json;
    let runner = ctx.runner().with_lock_timeout(ctx.lock_timeout());
    let reports = runner
        .upgrade(&db, &target, |r| progress(quiet, "applied", r))
        .await?;
    // "Up to date" only when it is: `upgrade OLD_VERSION` can leave later ones pending.
    let pending = if reports.is_empty() && target != UpgradeTarget::Head {
        runner.status(&db).await?.pending.len()
    } else {
        0
    };
    let nothing = if pending == 0 {
        "nothing to apply: the database is up to date".to_owned()
    } else {
        format!("nothing to apply up to `{given}`; {pending} later migration(s) still pending")
    };
    finish(ctx, "applied", &reports, &nothing)
}

/// Rolls back applied migrations down to `target`; steps that drop tables or
/// columns holding rows need a confirmation or `allow_data_loss`.
pub async fn downgrade(
    ctx: &Context<'_>,
    target: &str,
    allow_data_loss: bool,
) -> anyhow::Result<ExitCode> {
    let target: DowngradeTarget = target.parse()?;
    let db = ctx.connect().await?;
    let plan = super::down_hazards::plan(ctx, &db, &target).await?;
    let (scripts, losses) = super::down_hazards::inspect(ctx, &db, &plan).await?;
    // A `down` that could not be read may drop anything: it needs the same consent.
    let mut losses: Vec<String> = losses.iter().map(ToString::to_string).collect();
    losses.extend(super::down_hazards::uninspected(&scripts));
    let gate = super::data_loss::Gate {
        action: "roll back",
        flag_hint: "`db-migrate downgrade ... --allow-data-loss` (`--dry-run` shows the SQL)",
    };
    super::data_loss::confirm(ctx, &losses, allow_data_loss, &gate)?;
    let quiet = ctx.global.json;
    let reports = ctx
        .runner()
        .with_lock_timeout(ctx.lock_timeout())
        .downgrade(&db, &target, |r| progress(quiet, "rolled back", r))
        .await?;
    finish(ctx, "rolled_back", &reports, "nothing to roll back")
}

fn progress(quiet: bool, verb: &str, report: &RunReport) {
    if !quiet {
        outln!(
            "{verb} {} ({} ms)",
            report.version,
            report.duration.as_millis()
        );
    }
}

fn finish(
    ctx: &Context<'_>,
    key: &str,
    reports: &[RunReport],
    nothing: &str,
) -> anyhow::Result<ExitCode> {
    if ctx.global.json {
        crate::output::json(&json!({ key: reports }))?;
    } else if reports.is_empty() {
        outln!("{nothing}");
    }
    Ok(ExitCode::SUCCESS)
}
