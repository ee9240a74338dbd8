//! `db-migrate restore FILE [--force]`: a backup into the configured database,
//! which must be empty unless `--force`. The file is checked whole before the
//! database is touched (manifest checksum, the dump tool's completion line, no
//! client commands; SQLite: `integrity_check` on the copy), and the load is
//! atomic where the backend allows it (one transaction on PostgreSQL, a rename
//! on SQLite); MySQL/MariaDB `--force` takes a safety backup first.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use schema_diff::runner::hold_lock;
use serde_json::json;

use super::Context;
use crate::config::validate_url;
use crate::ops::load::{detect, existing_tables, load_sql, replace_sqlite};
use crate::ops::manifest::{Manifest, count_rows, make_private, manifest_path, sha256_file};
use crate::ops::scan::check_dump;
use crate::ops::target::{Kind, Target};
use crate::ops::{BackupRequest, safe_name};
use crate::output::relative;
use crate::redact::redact_url;

/// Runs `db-migrate restore`.
pub async fn run(ctx: &Context<'_>, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        bail!("no backup file `{}`", file.display());
    }
    let kind = detect(file)?;
    check_manifest(file, kind)?;
    check_dump(file, kind)?;
    let url = validate_url(&ctx.url)?;
    let target = Target::parse(&url)?;
    if target.kind() != kind {
        bail!(
            "`{}` is a {} backup but the database `{}` is {}",
            file.display(),
            kind.display(),
            redact_url(&ctx.url),
            target.kind().display()
        );
    }
    // Connecting creates a missing SQLite file with the default mode; the
    // restored copy takes the target's mode, so make a new one private first.
    let new_sqlite_file = matches!(&target, Target::Sqlite(path) if !path.exists());
    let db = ctx.connect().await?;
    if let (true, Target::Sqlite(path)) = (new_sqlite_file, &target) {
        make_private(path)?;
    }
    let tables = existing_tables(&db).await?;
    if !tables.is_empty() && !force {
        db.close().await.ok();
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        let more = if tables.len() > 5 { ", ..." } else { "" };
        bail!(
            "the database `{}` is not empty ({} table(s): {}{more}); restore fills an empty \
             database: pass --force to replace its contents",
            redact_url(&ctx.url),
            tables.len(),
            shown.join(", ")
        );
    }
    let replace = !tables.is_empty();
    let mut safety: Option<PathBuf> = None;
    let loaded = match &target {
        Target::Sqlite(path) => {
            // Waits for a run in progress (its write transaction, or the owner
            // row of a data migration it runs), so that the file is not replaced
            // under a migration. The file is replaced, not written through this
            // connection, so the lock is released first.
            let free = async { hold_lock(&db, ctx.lock_timeout()).await?.release().await }.await;
            db.close().await.ok();
            match free {
                Ok(()) => replace_sqlite(file, path).await,
                Err(e) => Err(e.into()),
            }
        }
        Target::Server(server) => {
            let loaded = async {
                // No migration runs while the database is replaced, and none is
                // running when the load starts (the lock is on a connection of its own).
                let guard = hold_lock(&db, ctx.lock_timeout()).await?;
                let loaded = async {
                    if replace && server.kind == Kind::Mysql {
                        safety = Some(safety_backup(ctx, &db, &url, &target).await?);
                    }
                    let _note = safety.as_ref().map(|p| {
                        crate::interrupt::note(format!(
                            "the database may be partly restored; its previous contents are \
                             in `{}`",
                            relative(p)
                        ))
                    });
                    load_sql(&db, server, file, replace).await
                }
                .await;
                if let Err(e) = guard.release().await {
                    tracing::warn!(error = %e, "cannot release the migration lock after the restore");
                }
                loaded
            }
            .await;
            db.close().await.ok();
            loaded
        }
    };
    if let Err(e) = loaded {
        let e = e.context(format!("cannot restore `{}`", file.display()));
        return Err(match &safety {
            Some(p) => e.context(format!(
                "the database was emptied before the load failed; its previous contents are in \
                 `{}` (put them back with `db-migrate restore {} --force`)",
                relative(p),
                relative(p)
            )),
            None => e,
        });
    }

    let db = ctx.connect().await?;
    let counts = count_rows(&db).await?;
    let version = ctx.runner().status(&db).await?.current;
    db.close().await.ok();
    let rows: i64 = counts.iter().map(|t| t.rows).sum();
    if ctx.global.json {
        crate::output::json(&json!({
            "file": relative(file),
            "database": redact_url(&ctx.url),
            "replaced": replace,
            "safety_backup": safety.as_deref().map(relative),
            "migration_version": version,
            "tables": counts,
        }))?;
    } else {
        if let Some(p) = &safety {
            outln!("safety backup: {}", relative(p));
        }
        outln!(
            "restored {} into `{}`: {} table(s), {rows} row(s), at {}",
            relative(file),
            redact_url(&ctx.url),
            counts.len(),
            version.as_deref().unwrap_or("no migration")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// When `FILE.json` exists: it must be a manifest of a `kind` backup whose
/// checksum and size are the file's. A manifest is not a signature (anyone can
/// write one), so the file is checked on its own as well.
fn check_manifest(file: &Path, kind: Kind) -> anyhow::Result<()> {
    if !manifest_path(file).exists() {
        tracing::warn!(file = %file.display(), "no manifest: the checksum is not checked");
        return Ok(());
    }
    let manifest = Manifest::read_for(file)?;
    if manifest.backend != kind {
        bail!(
            "`{}` is a {} file but its manifest says {}; not restoring it",
            file.display(),
            kind.display(),
            manifest.backend.display()
        );
    }
    let sha = sha256_file(file)?;
    if sha != manifest.sha256 {
        bail!(
            "`{}` does not match its manifest (SHA-256 {sha}, the manifest says {}): the \
             file changed or is damaged; not restoring it",
            file.display(),
            manifest.sha256
        );
    }
    Ok(())
}

/// A backup of the target before MySQL/MariaDB `--force` empties it (its DDL is
/// not transactional): `backups/NAME-pre-restore-TIME.sql`, never pruned by
/// `--keep`.
async fn safety_backup(
    ctx: &Context<'_>,
    db: &sea_orm::DatabaseConnection,
    url: &str,
    target: &Target,
) -> anyhow::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let path = ctx.settings.backup_dir.value.join(format!(
        "{}-pre-restore-{stamp}.{}",
        safe_name(&target.name()),
        target.kind().extension()
    ));
    let request = BackupRequest {
        output: Some(path),
        schema_only: false,
        keep: None,
        dir: None,
    };
    let created = crate::ops::create(db, url, &ctx.runner(), &request)
        .await
        .context("cannot take the safety backup of the database before replacing it")?;
    Ok(created.file)
}
