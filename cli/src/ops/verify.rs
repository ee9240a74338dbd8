//! Checking that a backup restores: its checksum, then a restore into a scratch
//! database (a temp file for SQLite; `dbm_verify_<unique>` created on the
//! configured server and dropped afterwards), whose tables, row counts and
//! migration version must be those of the manifest.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use schema_diff::runner::Runner;
use sea_orm::DatabaseConnection;

use super::load::load_sql;
use super::manifest::{Manifest, TableRows, count_rows, sha256_file};
use super::sqlite_restore::restore_sqlite;
use super::target::{Kind, Target};
use crate::commands::scratch::with_named_database;

/// The prefix of the scratch databases `verify` creates.
pub const VERIFY_PREFIX: &str = "dbm_verify";

/// The outcome of a verification.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verification {
    /// The manifest's facts.
    pub manifest: Manifest,
    /// What differs; empty when the backup is good.
    pub problems: Vec<String>,
}

impl Verification {
    /// Whether the backup restored as its manifest says.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies `file` against its manifest. `configured` is the configured URL
/// (validated), whose server hosts the scratch database of a PostgreSQL or
/// MySQL backup; `runner` reads the restored migration version.
pub async fn verify(
    file: &Path,
    configured: &str,
    runner: &Runner,
) -> anyhow::Result<Verification> {
    let manifest = Manifest::read_for(file)?;
    let sha = sha256_file(file)?;
    if sha != manifest.sha256 {
        let problems = vec![format!(
            "checksum mismatch: the file's SHA-256 is {sha}, the manifest says {}; the file \
             changed or is damaged",
            manifest.sha256
        )];
        return Ok(Verification { manifest, problems });
    }
    super::scan::check_dump(file, manifest.backend)?;
    let (tables, version) = match manifest.backend {
        Kind::Sqlite => restore_sqlite_scratch(file, runner).await?,
        kind => restore_server_scratch(file, kind, configured, runner).await?,
    };
    let problems = compare(&manifest, &tables, version.as_deref());
    Ok(Verification { manifest, problems })
}

async fn restore_sqlite_scratch(
    file: &Path,
    runner: &Runner,
) -> anyhow::Result<(Vec<TableRows>, Option<String>)> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let path = dir.path().join("verify.db");
    // An empty file is an empty database; nobody else knows the private folder.
    std::os::unix::fs::OpenOptionsExt::mode(
        std::fs::OpenOptions::new().write(true).create_new(true),
        0o600,
    )
    .open(&path)
    .with_context(|| format!("cannot create `{}`", path.display()))?;
    restore_sqlite(file, &path, std::time::Duration::ZERO, |_| Ok(())).await?;
    let db = crate::connect::connect(&crate::sqlite_file::url_of(&path, "rw")?).await?;
    let result = read_back(&db, runner).await;
    db.close().await.ok();
    result
}

async fn restore_server_scratch(
    file: &Path,
    kind: Kind,
    configured: &str,
    runner: &Runner,
) -> anyhow::Result<(Vec<TableRows>, Option<String>)> {
    let Target::Server(server) = Target::parse(configured)? else {
        bail!(
            "verifying a {} backup needs a {} server to restore it on: pass its URL with -u",
            kind.display(),
            kind.display()
        );
    };
    if server.kind != kind {
        bail!(
            "this is a {} backup but the configured database is {}: pass a {} URL with -u",
            kind.display(),
            server.kind.display(),
            kind.display()
        );
    }
    let admin = crate::connect::connect(configured).await?;
    let result = with_named_database(&admin, VERIFY_PREFIX, async |name: &str| {
        let scratch = server.with_database(name);
        let db = crate::connect::connect(&scratch.url()).await?;
        let result = async {
            load_sql(&db, &scratch, file, false).await?;
            read_back(&db, runner).await
        }
        .await;
        db.close().await.ok();
        result
    })
    .await;
    admin.close().await.ok();
    result
}

async fn read_back(
    db: &DatabaseConnection,
    runner: &Runner,
) -> anyhow::Result<(Vec<TableRows>, Option<String>)> {
    let tables = count_rows(db).await?;
    let status = runner
        .status(db)
        .await
        .context("cannot read the restored migration history")?;
    Ok((tables, status.current))
}

/// What differs between the manifest and the restored database.
pub fn compare(manifest: &Manifest, restored: &[TableRows], version: Option<&str>) -> Vec<String> {
    let want: BTreeMap<&str, i64> = manifest
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.rows))
        .collect();
    let got: BTreeMap<&str, i64> = restored.iter().map(|t| (t.name.as_str(), t.rows)).collect();
    let mut problems = Vec::new();
    for (name, rows) in &want {
        match got.get(name) {
            None => problems.push(format!("table `{name}` is missing after the restore")),
            Some(n) if n != rows => problems.push(format!(
                "table `{name}` has {n} row(s) after the restore, the manifest says {rows}"
            )),
            Some(_) => {}
        }
    }
    for name in got.keys().filter(|n| !want.contains_key(*n)) {
        problems.push(format!(
            "table `{name}` appears after the restore but is not in the manifest"
        ));
    }
    if manifest.migration_version.as_deref() != version {
        problems.push(format!(
            "migration version after the restore is {}, the manifest says {}",
            version.unwrap_or("(none)"),
            manifest.migration_version.as_deref().unwrap_or("(none)")
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(tables: &[(&str, i64)]) -> Manifest {
        Manifest {
            format: 1,
            created_at: "2026-01-01T00:00:00Z".into(),
            backend: Kind::Sqlite,
            database: "app".into(),
            location: None,
            file: "app.sqlite".into(),
            schema_only: false,
            migration_version: Some("m1".into()),
            sha256: String::new(),
            size: 0,
            tables: tables
                .iter()
                .map(|(n, r)| TableRows {
                    name: n.to_string(),
                    rows: *r,
                })
                .collect(),
        }
    }

    #[test]
    fn differences_are_named() {
        let m = manifest(&[("users", 3), ("tags", 1)]);
        let restored = [
            TableRows {
                name: "users".into(),
                rows: 2,
            },
            TableRows {
                name: "extra".into(),
                rows: 0,
            },
        ];
        let problems = compare(&m, &restored, None);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("`tags` is missing"));
        assert!(problems[1].contains("`users` has 2 row(s)"));
        assert!(compare(&m, &m.tables, Some("m1")).is_empty());
    }
}
