//! `db-migrate resolve` and `db-migrate stamp`: repairing the history without
//! running migrations.

use std::process::ExitCode;

use schema_diff::runner::{Resolution, StampTarget};
use serde_json::json;

use super::Context;

/// Records `version` as fully applied (`applied`) or fully rolled back.
pub async fn resolve(ctx: &Context<'_>, version: &str, applied: bool) -> anyhow::Result<ExitCode> {
    let resolution = if applied {
        Resolution::Applied
    } else {
        Resolution::RolledBack
    };
    let db = ctx.connect().await?;
    let resolved = ctx
        .runner()
        .with_lock_timeout(ctx.lock_timeout())
        .resolve(&db, version, resolution)
        .await?;
    if ctx.global.json {
        crate::output::json(&json!({
            "version": resolved.version,
            "before": resolved.before,
            "after": resolved.after,
        }))?;
    } else {
        let after = match resolved.after {
            Resolution::Applied => "applied",
            Resolution::RolledBack => "rolled back",
        };
        outln!(
            "marked {} as {after} (before: {}); nothing was run",
            resolved.version,
            resolved.before.replace('_', " ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Declares the database to be at `target`.
pub async fn stamp(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let target: StampTarget = target.parse()?;
    let db = ctx.connect().await?;
    crate::connect::create_schema_if_missing(&db).await?;
    let stamped = ctx
        .runner()
        .with_lock_timeout(ctx.lock_timeout())
        .stamp(&db, &target)
        .await?;
    if ctx.global.json {
        crate::output::json(&json!({
            "applied": stamped.applied,
            "removed": stamped.removed,
        }))?;
    } else if stamped.applied.is_empty() && stamped.removed.is_empty() {
        outln!("nothing to change: the history already says so");
    } else {
        for v in &stamped.applied {
            outln!("recorded {v} as applied");
        }
        for v in &stamped.removed {
            outln!("removed {v}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
