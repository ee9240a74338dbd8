//! `db-migrate generate`: an empty, registered migration module to write by hand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use super::Context;

const TEMPLATE: &str = r#"//! DESCRIPTION
//!
//! Written by hand: fill in `up` and `down`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
"#;

pub async fn run(ctx: &Context<'_>, description: &str) -> anyhow::Result<ExitCode> {
    let text = TEMPLATE.replace(
        "DESCRIPTION",
        description.lines().next().unwrap_or_default(),
    );
    let path = write_module(ctx, description, &text)?;
    if ctx.global.json {
        crate::output::json(&json!({ "file": path }))?;
    } else {
        outln!("wrote {}", crate::output::relative(&path));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` as a new module named after `description` and registers it in
/// `lib.rs`. Nothing is written when either step would fail.
///
/// The whole step holds the migration folder's lock ([`crate::dir_lock`]), so
/// concurrent runs each see the modules written before them (and so pick a
/// later name) and each register theirs; both files are written atomically.
pub fn write_module(ctx: &Context<'_>, description: &str, text: &str) -> anyhow::Result<PathBuf> {
    let dir = ctx.migration_dir();
    let lib_path = dir.join("lib.rs");
    if !lib_path.is_file() {
        anyhow::bail!(
            "cannot read {}: no such file (is --migration-dir the migration crate's src folder?)",
            lib_path.display()
        );
    }
    let _lock = crate::dir_lock::DirLock::acquire(&dir)?;
    let lib = std::fs::read_to_string(&lib_path)
        .with_context(|| format!("cannot read {}", lib_path.display()))?;
    // The compiled migrations, and the modules already in the folder: an `auto` or
    // `generate` run a moment ago is not compiled into this binary yet.
    let mut existing = ctx.runner().versions();
    existing.extend(modules_in(&dir));
    let name = crate::naming::module_name(description, &existing, chrono::Utc::now().naive_utc())?;
    let new_lib = crate::register::register(&lib_path, &lib, &name)?;
    let path = dir.join(format!("{name}.rs"));
    if path.exists() {
        anyhow::bail!("{} already exists", path.display());
    }
    crate::dir_lock::write_atomic(&path, text)?;
    if let Err(e) = crate::dir_lock::write_atomic(&lib_path, &new_lib) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Names of the modules in `dir` (`name.rs` files and `name/` folders), best effort.
fn modules_in(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                path.file_name()?.to_str().map(str::to_owned)
            } else if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem()?.to_str().map(str::to_owned)
            } else {
                None
            }
        })
        .collect()
}
