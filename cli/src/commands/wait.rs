//! `db-migrate wait`: retry connecting, with backoff, until the database
//! accepts connections; on timeout an error naming host and port.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::Context;
use crate::config::validate_url;
use crate::redact::redact;

/// Runs `db-migrate wait`.
pub async fn run(ctx: &Context<'_>, timeout: u64) -> anyhow::Result<ExitCode> {
    let target = wait_for(ctx, timeout).await?;
    if ctx.global.json {
        crate::output::json(&json!({ "ready": true, "database": target }))?;
    } else {
        outln!("database at {target} accepts connections");
    }
    Ok(ExitCode::SUCCESS)
}

/// Waits up to `timeout` seconds for the configured database; returns its
/// `host:port` (or SQLite file). Says once on stderr that it is waiting, when
/// the first attempt fails.
pub async fn wait_for(ctx: &Context<'_>, timeout: u64) -> anyhow::Result<String> {
    let url = validate_url(&ctx.url)?;
    let target = schema_diff::startup::describe_target(&url);
    let on_retry = |attempt: u32, error: &str| {
        if attempt == 1 {
            errln!(
                "waiting for the database at {target} (up to {timeout} s): {}",
                redact(error)
            );
        }
    };
    schema_diff::startup::wait_for_database_with(&url, Duration::from_secs(timeout), on_retry)
        .await?;
    Ok(target)
}
