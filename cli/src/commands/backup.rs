//! `db-migrate backup`: a backup with the database's own tools and its
//! manifest, `--keep N`, and `--verify` (of the new backup or of a FILE).

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use schema_diff::runner::hold_lock;
use sea_orm::DbBackend;
use serde_json::json;

use super::Context;
use crate::args::BackupArgs;
use crate::config::validate_url;
use crate::ops::verify::Verification;
use crate::ops::{self, BackupRequest, Created};
use crate::output::relative;

/// Runs `db-migrate backup`.
pub async fn run(ctx: &Context<'_>, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if let Some(Some(file)) = &args.verify {
        if args.schema_only || args.output.is_some() || args.keep.is_some() {
            bail!(
                "`--verify FILE` checks an existing backup: it takes no --schema-only, -o or \
                 --keep (to make a backup and verify it, put --verify last, without FILE)"
            );
        }
        let verification = verify(ctx, file).await?;
        return print_verification(ctx, file, &verification);
    }
    let request = BackupRequest {
        output: args.output.clone(),
        schema_only: args.schema_only,
        keep: args.keep,
        dir: Some(ctx.settings.backup_dir.value.clone()),
    };
    let created = create(ctx, &request).await?;
    let verification = match args.verify {
        Some(None) => Some(verify(ctx, &created.file).await?),
        _ => None,
    };
    if ctx.global.json {
        let mut doc = created_json(&created);
        doc["verify"] = match &verification {
            Some(v) => json!({ "ok": v.ok(), "problems": v.problems }),
            None => serde_json::Value::Null,
        };
        crate::output::json(&doc)?;
    } else {
        print_created(&created, false);
        if let Some(v) = &verification {
            print_verification_text(&created.file, v);
        }
    }
    Ok(match verification {
        Some(v) if !v.ok() => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}

/// `upgrade --backup`: a backup with the defaults, reported before the upgrade's
/// own output (on stderr with `--json`, whose stdout is the upgrade's document).
pub async fn before_upgrade(ctx: &Context<'_>) -> anyhow::Result<()> {
    let request = BackupRequest {
        dir: Some(ctx.settings.backup_dir.value.clone()),
        ..BackupRequest::default()
    };
    let created = create(ctx, &request).await?;
    print_created(&created, ctx.global.json);
    Ok(())
}

/// Takes a backup of the configured database under its migration lock (waiting
/// up to the lock timeout), so that it never holds half of a migration and no
/// migration starts during it.
pub async fn create(ctx: &Context<'_>, request: &BackupRequest) -> anyhow::Result<Created> {
    let url = validate_url(&ctx.url)?;
    let lock_db = ctx.connect().await?;
    let created = async {
        let guard = hold_lock(&lock_db, ctx.lock_timeout()).await?;
        // SQLite's lock is a write transaction on the lock's only connection:
        // the backup reads through a connection of its own, which the write
        // lock lets read. PostgreSQL and MySQL lock on a connection of their own.
        let sqlite = lock_db.get_database_backend() == DbBackend::Sqlite;
        let created = if sqlite {
            match ctx.connect().await {
                Ok(db) => {
                    let created = ops::create(&db, &url, &ctx.runner(), request).await;
                    db.close().await.ok();
                    created
                }
                Err(e) => Err(e),
            }
        } else {
            ops::create(&lock_db, &url, &ctx.runner(), request).await
        };
        if let Err(e) = guard.release().await {
            // The lock ends with its connection, closed below, all the same.
            tracing::warn!(error = %e, "releasing the migration lock after the backup");
        }
        created
    }
    .await;
    lock_db.close().await.ok();
    created
}

async fn verify(ctx: &Context<'_>, file: &Path) -> anyhow::Result<Verification> {
    if !file.is_file() {
        bail!("no backup file `{}`", file.display());
    }
    let url = validate_url(&ctx.url)?;
    ops::verify::verify(file, &url, &ctx.runner()).await
}

fn created_json(created: &Created) -> serde_json::Value {
    let m = &created.manifest;
    json!({
        "file": relative(&created.file),
        "manifest": relative(&created.manifest_file),
        "backend": m.backend,
        "schema_only": m.schema_only,
        "migration_version": m.migration_version,
        "sha256": m.sha256,
        "size": m.size,
        "tables": m.tables,
        "removed": created.removed.iter().map(|p| relative(p)).collect::<Vec<_>>(),
    })
}

/// `backup: FILE (...)` and the manifest and removed files, on stdout (stderr
/// when `to_stderr`).
fn print_created(created: &Created, to_stderr: bool) {
    let m = &created.manifest;
    let mut lines = vec![
        format!(
            "backup: {} ({} table(s), {} row(s){}, at {})",
            relative(&created.file),
            m.tables.len(),
            m.total_rows(),
            if m.schema_only { ", schema only" } else { "" },
            m.migration_version.as_deref().unwrap_or("no migration")
        ),
        format!("manifest: {}", relative(&created.manifest_file)),
    ];
    for path in &created.removed {
        lines.push(format!("removed: {}", relative(path)));
    }
    for line in lines {
        if to_stderr {
            errln!("{line}");
        } else {
            outln!("{line}");
        }
    }
}

fn print_verification_text(file: &Path, v: &Verification) {
    let m = &v.manifest;
    if v.ok() {
        outln!(
            "verified: {} restores with the manifest's {} table(s) and {} row(s), at {}",
            relative(file),
            m.tables.len(),
            m.total_rows(),
            m.migration_version.as_deref().unwrap_or("no migration")
        );
    } else {
        outln!(
            "verify failed: {} does not restore as its manifest says:",
            relative(file)
        );
        for p in &v.problems {
            outln!("  {p}");
        }
    }
}

fn print_verification(
    ctx: &Context<'_>,
    file: &Path,
    v: &Verification,
) -> anyhow::Result<ExitCode> {
    if ctx.global.json {
        crate::output::json(&json!({
            "file": relative(file),
            "ok": v.ok(),
            "problems": v.problems,
            "backend": v.manifest.backend,
            "migration_version": v.manifest.migration_version,
            "tables": v.manifest.tables,
        }))?;
    } else {
        print_verification_text(file, v);
    }
    Ok(if v.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
