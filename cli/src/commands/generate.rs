//! `db-migrate generate`: an empty, registered migration module to write by hand,
//! or with `--data` a data migration from a worked example ([`super::data_template`]).

use std::path::{Path, PathBuf};
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

pub async fn run(ctx: &Context<'_>, description: &str, data: bool) -> anyhow::Result<ExitCode> {
    let text = if data {
        super::data_template::data_migration_module(description)
    } else {
        TEMPLATE.replace(
            "DESCRIPTION",
            description.lines().next().unwrap_or_default(),
        )
    };
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
    require_migration_crate(&dir, ctx.global.migration_dir.is_some())?;
    let lib_path = dir.join("lib.rs");
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

/// Refuses a migration folder without a `lib.rs`, saying which path was looked
/// for and how to name the right one. `given` tells whether `dir` came from
/// `--migration-dir` (or `DB_MIGRATE_MIGRATION_DIR`) rather than the folder the
/// binary was built from, which a release binary run elsewhere does not have.
pub fn require_migration_crate(dir: &Path, given: bool) -> anyhow::Result<()> {
    let lib_path = dir.join("lib.rs");
    if lib_path.is_file() {
        return Ok(());
    }
    let what = if dir.is_dir() {
        format!("{} has no lib.rs", dir.display())
    } else {
        format!("{} does not exist", dir.display())
    };
    let source = if given {
        "the folder given by --migration-dir, DB_MIGRATE_MIGRATION_DIR or migration_dir in \
         db-migrate.toml"
    } else {
        "the migration folder this binary was built with; run it inside its source workspace"
    };
    anyhow::bail!(
        "cannot read {}: no such file ({what}; {source}). Migration modules are written into \
         the migration crate's src folder, the one holding its lib.rs: pass --migration-dir \
         DIR or set DB_MIGRATE_MIGRATION_DIR=DIR; nothing was written",
        lib_path.display()
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_built_in_migration_dir_says_where_it_was_looked_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let built = dir.path().join("build").join("migration").join("src");
        let text = require_migration_crate(&built, false)
            .expect_err("missing")
            .to_string();
        assert!(
            text.contains(&built.join("lib.rs").display().to_string()),
            "{text}"
        );
        assert!(text.contains("built with"), "{text}");
        assert!(text.contains("source workspace"), "{text}");
        assert!(text.contains("--migration-dir DIR"), "{text}");
        assert!(text.contains("DB_MIGRATE_MIGRATION_DIR=DIR"), "{text}");

        std::fs::create_dir_all(&built).expect("mkdir");
        let text = require_migration_crate(&built, true)
            .expect_err("no lib.rs")
            .to_string();
        assert!(text.contains("has no lib.rs"), "{text}");
        std::fs::write(built.join("lib.rs"), "").expect("write");
        assert!(require_migration_crate(&built, true).is_ok());
    }
}
