//! `db-migrate status`.

use std::process::ExitCode;

use serde_json::json;

use super::Context;

pub async fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let db = ctx.connect().await?;
    let status = ctx.runner().status(&db).await?;
    if ctx.global.json {
        crate::output::json(&json!({
            "current": status.current,
            "head": status.head,
            "pending": status.pending,
            "unknown": status.unknown,
        }))?;
    } else {
        println!("current: {}", status.current.as_deref().unwrap_or("(none)"));
        println!("head:    {}", status.head.as_deref().unwrap_or("(none)"));
        if status.pending.is_empty() {
            println!("pending: none, the database is up to date");
        } else {
            println!("pending: {}", status.pending.len());
            for v in &status.pending {
                println!("  {v}");
            }
        }
        if !status.unknown.is_empty() {
            println!("applied but not in the code ({}):", status.unknown.len());
            for v in &status.unknown {
                println!("  {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
