//! Backups: taking one with the database's own tools and writing its manifest,
//! keeping the last N, restoring one, and verifying one on a scratch database.

pub mod dump;
pub mod load;
pub mod manifest;
pub mod pg_load;
pub mod scan;
pub mod sqlite_restore;
pub mod target;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use schema_diff::runner::Runner;
use sea_orm::DatabaseConnection;

use manifest::{
    FORMAT, Manifest, Partial, create_private_dir, make_private, manifest_path, partial_path,
    sha256_file,
};
use target::Target;

/// Where backups go when no `-o FILE` is given.
pub const DEFAULT_DIR: &str = "backups";

/// What to back up, and where.
#[derive(Clone, Debug, Default)]
pub struct BackupRequest {
    /// The file to write, or a folder to write the default name into
    /// (default: `backups/`).
    pub output: Option<PathBuf>,
    /// Only the schema and the migration history's rows.
    pub schema_only: bool,
    /// Keep this many backups of the database in the folder; delete older ones.
    pub keep: Option<u32>,
    /// The folder for the default name when `output` is not given (default
    /// [`DEFAULT_DIR`]; `backup_dir` in db-migrate.toml).
    pub dir: Option<PathBuf>,
}

/// A backup just written.
#[derive(Clone, Debug)]
pub struct Created {
    pub file: PathBuf,
    pub manifest_file: PathBuf,
    pub manifest: Manifest,
    /// Older backups (and their manifests) deleted by `keep`.
    pub removed: Vec<PathBuf>,
}

/// Backs up `db` (connected to the validated `url`) as `request` says: the
/// backup file and its manifest, both mode 0600, written under temporary names
/// and renamed into place once complete.
pub async fn create(
    db: &DatabaseConnection,
    url: &str,
    runner: &Runner,
    request: &BackupRequest,
) -> anyhow::Result<Created> {
    let target = Target::parse(url)?;
    let now = chrono::Utc::now();
    // A PostgreSQL schema's backups carry its name: schema-per-tenant databases
    // back up each tenant to a file of its own.
    let name = match (crate::connect::schema(), &target) {
        (Some(schema), Target::Server(_)) => safe_name(&format!("{}_{schema}", target.name())),
        _ => safe_name(&target.name()),
    };
    let default_name = format!(
        "{name}-{}.{}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        target.kind().extension()
    );
    let file = match &request.output {
        Some(path) if path.is_dir() => path.join(&default_name),
        Some(path) => path.clone(),
        None => request
            .dir
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_DIR))
            .join(&default_name),
    };
    if file.exists() {
        bail!(
            "`{}` already exists: choose another file, or delete it first",
            file.display()
        );
    }
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    create_private_dir(&dir)?;
    let version = runner
        .status(db)
        .await
        .context("cannot read the migration history")?
        .current;
    let partial = Partial::create(absolute(&partial_path(&file))?)?;
    let tables = dump::dump(db, &target, partial.path(), request.schema_only)
        .await
        .and_then(|t| make_private(partial.path()).map(|()| t))
        .with_context(|| format!("cannot back up to `{}`", file.display()))?;
    partial
        .persist(&file)
        .with_context(|| format!("cannot move the backup into `{}`", file.display()))?;
    let manifest = Manifest {
        format: FORMAT,
        created_at: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        backend: target.kind(),
        database: target.name(),
        location: Some(target.location()),
        file: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        schema_only: request.schema_only,
        migration_version: version,
        sha256: sha256_file(&file)?,
        size: std::fs::metadata(&file)?.len(),
        tables,
    };
    let manifest_file = manifest.write_for(&file)?;
    let removed = match request.keep {
        Some(keep) => prune(&dir, &name, &manifest, keep as usize)?,
        None => Vec::new(),
    };
    Ok(Created {
        file,
        manifest_file,
        manifest,
        removed,
    })
}

/// The database name as it appears in file names.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("cannot read the current folder")?
        .join(path))
}

/// Whether `file_name` is a default-named backup of database `name`:
/// `NAME-YYYYMMDDTHHMMSS.mmmZ.EXT`.
fn is_backup_of(file_name: &str, name: &str, extension: &str) -> bool {
    let Some(stamp) = file_name
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(extension))
        .and_then(|r| r.strip_suffix('.'))
    else {
        return false;
    };
    let b = stamp.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            8 => *c == b'T',
            15 => *c == b'.',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Whether `other` is a backup of the same database as `ours`: same backend,
/// server (or SQLite file) and database. A manifest without a location (older
/// versions) matches nothing.
fn same_database(ours: &Manifest, other: &Manifest) -> bool {
    ours.backend == other.backend
        && ours.database == other.database
        && ours.location.is_some()
        && ours.location == other.location
}

/// Deletes the default-named backups in `dir` of the database `ours` describes
/// (`name` is its name in file names) beyond the newest `keep`, with their
/// manifests; returns what was deleted. A backup counts only when its manifest
/// names the same backend, location and database: files of another database
/// whose name maps to the same file name, and files without a readable
/// manifest, are left alone.
pub fn prune(dir: &Path, name: &str, ours: &Manifest, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let extension = ours.backend.extension();
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_backup_of(n, name, extension))
        .filter(|n| {
            Manifest::read_for(&dir.join(n)).is_ok_and(|theirs| same_database(ours, &theirs))
        })
        .collect();
    // The time stamp sorts as text: newest first.
    found.sort_by(|a, b| b.cmp(a));
    let mut removed = Vec::new();
    for old in found.iter().skip(keep) {
        let path = dir.join(old);
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot delete the old backup `{}`", path.display()))?;
        match std::fs::remove_file(manifest_path(&path)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot delete `{}`", manifest_path(&path).display())
                });
            }
        }
        removed.push(path);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::target::Kind;
    use super::*;

    fn manifest_of(database: &str, location: Option<&str>, kind: Kind) -> Manifest {
        Manifest {
            format: FORMAT,
            created_at: "2026-01-01T00:00:00Z".into(),
            backend: kind,
            database: database.into(),
            location: location.map(str::to_owned),
            file: String::new(),
            schema_only: false,
            migration_version: None,
            sha256: String::new(),
            size: 0,
            tables: Vec::new(),
        }
    }

    #[test]
    fn only_backups_whose_manifest_names_the_database_are_pruned() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ours = manifest_of("app", Some("db1:5432"), Kind::Postgres);
        let files: [(&str, Option<Manifest>); 9] = [
            ("app-20260101T000000.000Z.sql", Some(ours.clone())),
            ("app-20260102T000000.000Z.sql", Some(ours.clone())),
            ("app-20260103T000000.000Z.sql", Some(ours.clone())),
            ("app-extra-20260101T000000.000Z.sql", Some(ours.clone())),
            ("app-manual.sql", Some(ours.clone())),
            // Same file-name prefix, another server, backend or database.
            (
                "app-20250101T000000.000Z.sql",
                Some(manifest_of("app", Some("db2:5432"), Kind::Postgres)),
            ),
            (
                "app-20250102T000000.000Z.sql",
                Some(manifest_of("app", Some("db1:5432"), Kind::Mysql)),
            ),
            (
                "app-20250103T000000.000Z.sql",
                Some(manifest_of("app", None, Kind::Postgres)),
            ),
            ("app-20250104T000000.000Z.sql", None),
        ];
        for (n, m) in &files {
            let path = dir.path().join(n);
            std::fs::write(&path, b"x").expect("write");
            if let Some(m) = m {
                m.write_for(&path).expect("manifest");
            }
        }
        let removed = prune(dir.path(), "app", &ours, 2).expect("prune");
        assert_eq!(removed, [dir.path().join("app-20260101T000000.000Z.sql")]);
        assert!(
            !dir.path()
                .join("app-20260101T000000.000Z.sql.json")
                .exists()
        );
        for (n, _) in &files[3..] {
            assert!(dir.path().join(n).exists(), "{n}");
        }
        assert_eq!(safe_name("my db/x"), "my_db_x");
    }
}
