//! `db-migrate restore FILE [--force]`: a backup into the configured database,
//! which must be empty unless `--force`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::Context;
use crate::config::validate_url;
use crate::ops::load::{detect, existing_tables, load_sql, replace_sqlite};
use crate::ops::manifest::{Manifest, count_rows, manifest_path, sha256_file};
use crate::ops::target::Target;
use crate::output::relative;
use crate::redact::redact_url;

/// Runs `db-migrate restore`.
pub async fn run(ctx: &Context<'_>, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        bail!("no backup file `{}`", file.display());
    }
    let kind = detect(file)?;
    if manifest_path(file).exists() {
        let manifest = Manifest::read_for(file)?;
        let sha = sha256_file(file)?;
        if sha != manifest.sha256 {
            bail!(
                "`{}` does not match its manifest (SHA-256 {sha}, the manifest says {}): the \
                 file changed or is damaged; not restoring it",
                file.display(),
                manifest.sha256
            );
        }
    } else {
        tracing::warn!(file = %file.display(), "no manifest: the checksum is not checked");
    }
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
    let db = ctx.connect().await?;
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
    let loaded = match &target {
        Target::Sqlite(path) => {
            db.close().await.ok();
            replace_sqlite(file, path)
        }
        Target::Server(server) => {
            let loaded = load_sql(&db, server, file, !tables.is_empty()).await;
            db.close().await.ok();
            loaded
        }
    };
    loaded.with_context(|| format!("cannot restore `{}`", file.display()))?;

    let db = ctx.connect().await?;
    let counts = count_rows(&db).await?;
    let version = ctx.runner().status(&db).await?.current;
    db.close().await.ok();
    let rows: i64 = counts.iter().map(|t| t.rows).sum();
    if ctx.global.json {
        crate::output::json(&json!({
            "file": relative(file),
            "database": redact_url(&ctx.url),
            "replaced": !tables.is_empty(),
            "migration_version": version,
            "tables": counts,
        }))?;
    } else {
        crate::output::outln!(
            "restored {} into `{}`: {} table(s), {rows} row(s), at {}",
            relative(file),
            redact_url(&ctx.url),
            counts.len(),
            version.as_deref().unwrap_or("no migration")
        );
    }
    Ok(ExitCode::SUCCESS)
}
