//! `db-migrate start [--on-pending apply|fail|warn] -- COMMAND ARGS...`: wait
//! for the database, handle pending migrations, then replace this process with
//! the application (same PID, signals go to it). The application gets exactly
//! the environment `start` was given: the URL from `-u` or `.env` reaches it only
//! with `--export-database-url` (`.env` is never loaded into the environment).

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use schema_diff::startup::{OnPending, StartupOptions, migrate_on_startup};

use super::Context;
use crate::args::StartArgs;
use crate::ops::BackupRequest;
use crate::redact::redact;

/// Runs `db-migrate start`; returns only on error (success replaces the process).
pub async fn run(ctx: &Context<'_>, args: &StartArgs) -> anyhow::Result<ExitCode> {
    let Some((program, program_args)) = args.command.split_first() else {
        bail!("no command to start: `db-migrate start -- COMMAND ARGS...`");
    };
    let target = super::wait::wait_for(ctx, args.timeout).await?;
    tracing::info!(%target, "database ready");
    let db = ctx.connect().await?;
    crate::connect::create_schema_if_missing(&db).await?;
    let prepared = prepare(ctx, &db, args).await;
    db.close().await.ok();
    prepared?;

    use std::io::Write as _;
    std::io::stdout().flush().ok();
    std::io::stderr().flush().ok();
    // Only returns when the program could not be started.
    let mut command = std::process::Command::new(program);
    command.args(program_args);
    if args.export_database_url {
        command.env("DATABASE_URL", &ctx.url);
    }
    // `exec` drops nothing: the TCP_NODELAY relays' socket folders would stay.
    schema_diff::nodelay::remove_socket_directories();
    let error = command.exec();
    Err(error).with_context(|| format!("cannot start `{}`", program.to_string_lossy()))
}

/// The backup (if asked) and the pending-migration policy, reported on stderr
/// so that stdout is the application's.
async fn prepare(
    ctx: &Context<'_>,
    db: &sea_orm::DatabaseConnection,
    args: &StartArgs,
) -> anyhow::Result<()> {
    if args.backup && args.on_pending == OnPending::Apply {
        let pending = ctx.runner().status(db).await?.pending;
        if pending.is_empty() {
            errln!("nothing pending: no backup taken");
        } else {
            let request = BackupRequest {
                dir: Some(ctx.settings.backup_dir.value.clone()),
                ..BackupRequest::default()
            };
            // Under the migration lock, released before the migrations take it.
            let created = super::backup::create(ctx, &request).await?;
            errln!("backup: {}", crate::output::relative(&created.file));
        }
    }
    let options = StartupOptions {
        on_pending: args.on_pending,
        lock_timeout: ctx.lock_timeout(),
    };
    let report = migrate_on_startup(db, (ctx.project.migrations)(), options).await?;
    for r in &report.applied {
        errln!("applied {} ({} ms)", r.version, r.duration.as_millis());
    }
    if !report.pending.is_empty() {
        errln!(
            "warning: {} migration(s) pending, starting anyway: {}",
            report.pending.len(),
            report.pending.join(", ")
        );
    }
    for w in &report.warnings {
        errln!("warning: {}", redact(w));
    }
    Ok(())
}
