//! `db-migrate pull --out DIR`: SeaORM entity modules written from the live
//! database, so that `auto` right after finds no change.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use super::Context;

/// Introspects the database, renders the entities, checks them against the
/// database, and writes them to `out` (refusing to replace files unless `force`).
pub async fn run(ctx: &Context<'_>, out: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let db = ctx.connect().await?;
    let schema = schema_diff::introspect::introspect(&db)
        .await
        .context("reading the database schema")?;
    db.close().await.ok();
    if schema.tables.is_empty() {
        anyhow::bail!("the database has no tables: nothing to pull");
    }
    let pulled = schema_diff::pull::pull_entities(&schema).context("writing entities")?;

    if out.exists() && !out.is_dir() {
        anyhow::bail!("{} exists and is not a directory", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let _lock = crate::dir_lock::DirLock::acquire(out)?;
    let existing: Vec<String> = pulled
        .files
        .iter()
        .filter(|f| out.join(&f.name).exists())
        .map(|f| f.name.clone())
        .collect();
    if !existing.is_empty() && !force {
        anyhow::bail!(
            "{} already holds {}: pass --force to replace them",
            out.display(),
            existing.join(", ")
        );
    }
    for file in &pulled.files {
        crate::dir_lock::write_atomic(&out.join(&file.name), &file.contents)?;
    }

    let notes = schema_diff::pull::note_lines(&pulled.notes);
    if ctx.global.json {
        let files: Vec<&str> = pulled.files.iter().map(|f| f.name.as_str()).collect();
        crate::output::json(&json!({
            "dir": out,
            "files": files,
            "tables": schema.tables.len(),
            "not_expressed": notes,
        }))?;
    } else {
        outln!(
            "wrote {} entities to {} ({} files)",
            schema.tables.len(),
            crate::output::relative(out),
            pulled.files.len()
        );
        if !notes.is_empty() {
            outln!("not expressed by the entities (see the comments in the files):");
            for n in &notes {
                outln!("  - {n}");
            }
        }
        outln!(
            "declare the module (`pub mod {};`) and run `db-migrate auto` to confirm: No changes",
            out.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
