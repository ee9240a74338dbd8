//! The manifest written beside every backup (`FILE.json`), the tables and row
//! counts it records, checksums, and files only their owner can read.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::{Digest, Sha256};

use super::target::Kind;

/// The manifest format's version.
pub const FORMAT: u32 = 1;

/// One table of a backup and the rows the backup holds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableRows {
    pub name: String,
    pub rows: i64,
}

/// What `FILE.json` says about `FILE`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the backup was taken (RFC 3339, UTC).
    pub created_at: String,
    pub backend: Kind,
    /// The database's name (the SQLite file's stem).
    pub database: String,
    /// Where the database is: `host:port` of its server, or the SQLite file's
    /// absolute path. With `backend` and `database` it says whose backup this
    /// is; `backup --keep` prunes only backups whose three match (manifests
    /// written before this field existed are never pruned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The backup file's name, in the manifest's folder.
    pub file: String,
    /// Only the schema (and the migration history's rows).
    pub schema_only: bool,
    /// The last applied migration when the backup was taken.
    pub migration_version: Option<String>,
    /// SHA-256 of the backup file, lowercase hex.
    pub sha256: String,
    /// The backup file's size in bytes.
    pub size: u64,
    /// Every table in the backup with its row count, sorted by name.
    pub tables: Vec<TableRows>,
}

/// `FILE.json` for `FILE`.
pub fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

impl Manifest {
    /// Reads the manifest of `file`; an error when it is missing or unreadable.
    pub fn read_for(file: &Path) -> anyhow::Result<Manifest> {
        let path = manifest_path(file);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the manifest `{}` (written by `db-migrate backup` beside the file)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("the manifest `{}` is not valid", path.display()))
    }

    /// Writes the manifest beside `file`, readable by its owner only.
    pub fn write_for(&self, file: &Path) -> anyhow::Result<PathBuf> {
        let path = manifest_path(file);
        let text = serde_json::to_string_pretty(self)?;
        write_private(&path, format!("{text}\n").as_bytes())?;
        Ok(path)
    }

    /// The number of rows over every table.
    pub fn total_rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// SHA-256 of the file, lowercase hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Creates `path` (which must not exist) readable and writable by its owner only.
pub fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))
}

/// A file being written under a temporary name: removed when dropped (an
/// error, or the command interrupted) unless [`Partial::keep`] was called.
#[derive(Debug)]
pub struct Partial {
    path: Option<PathBuf>,
}

impl Partial {
    /// Creates `path` empty, mode 0600 (an old leftover is replaced).
    pub fn create(path: PathBuf) -> anyhow::Result<Partial> {
        let _ = std::fs::remove_file(&path);
        drop(create_private(&path)?);
        Ok(Partial { path: Some(path) })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Renames the file to `to` and stops watching it.
    pub fn persist(mut self, to: &Path) -> anyhow::Result<()> {
        let from = self.path.take().unwrap_or_default();
        if let Err(e) = std::fs::rename(&from, to) {
            let _ = std::fs::remove_file(&from);
            return Err(e).with_context(|| format!("cannot move the file into `{}`", to.display()));
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place, mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = partial_path(path);
    let _ = std::fs::remove_file(&partial);
    let mut file = create_private(&partial)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}

/// `DIR/.NAME.partial`: where a file is written before it is renamed into place.
pub fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// Makes `dir` (and its parents), mode 0700 for what it creates.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the folder `{}`", dir.display()))
}

/// Sets `path` to mode 0600.
pub fn make_private(path: &Path) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot set the permissions of `{}`", path.display()))
}

/// A table of the database: its schema (PostgreSQL, when not the current one)
/// and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl TableName {
    /// `name`, or `schema.name` outside the current schema.
    pub fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The table quoted for `backend`.
    pub fn quoted(&self, backend: DbBackend) -> String {
        let q = |s: &str| schema_diff::sql_text::quote_ident_for(backend, s);
        match &self.schema {
            Some(s) => format!("{}.{}", q(s), q(&self.name)),
            None => q(&self.name),
        }
    }
}

/// The user tables of the connection's database, sorted (SQLite's internal
/// tables and views left out; PostgreSQL: every non-system schema, or only the
/// configured schema when there is one).
pub async fn list_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<TableName>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres if crate::connect::schema().is_some() => {
            "SELECT NULL::text, tablename::text FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() ORDER BY 2"
        }
        DbBackend::Sqlite => {
            "SELECT NULL, name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        DbBackend::Postgres => {
            "SELECT CASE WHEN schemaname = current_schema() THEN NULL ELSE schemaname::text END, \
             tablename::text FROM pg_catalog.pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
             AND schemaname NOT LIKE 'pg\\_%' ORDER BY 1 NULLS FIRST, 2"
        }
        _ => {
            "SELECT CAST(NULL AS CHAR), CAST(table_name AS CHAR) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 2"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .context("cannot list the tables")?;
    rows.iter()
        .map(|row| {
            Ok(TableName {
                schema: row.try_get_by_index::<Option<String>>(0)?,
                name: row.try_get_by_index::<String>(1)?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .context("cannot read the table list")
}

/// Every table with its row count, sorted by name.
pub async fn count_rows(db: &impl ConnectionTrait) -> anyhow::Result<Vec<TableRows>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for table in list_tables(db).await? {
        let sql = format!("SELECT COUNT(*) FROM {}", table.quoted(backend));
        let row = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .with_context(|| format!("cannot count the rows of `{}`", table.display()))?
            .with_context(|| format!("no row count for `{}`", table.display()))?;
        out.push(TableRows {
            name: table.display(),
            rows: row.try_get_by_index::<i64>(0)?,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The migration history tables (and data-migration checkpoints), whose rows a
/// `--schema-only` backup keeps.
pub fn is_history_table(name: &str) -> bool {
    name == schema_diff::runner::HISTORY_TABLE
        || name == schema_diff::runner::companion::COMPANION_TABLE
        || name == schema_diff::data::CHECKPOINT_TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_and_checksummed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("x.sql");
        create_private_dir(path.parent().expect("parent")).expect("mkdir");
        write_private(&path, b"abc").expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            sha256_file(&path).expect("sha"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            manifest_path(&path),
            dir.path().join("sub").join("x.sql.json")
        );
        assert!(!partial_path(&path).exists());
    }

    #[test]
    fn table_names_are_quoted() {
        let t = TableName {
            schema: Some("a".into()),
            name: "b\"c".into(),
        };
        assert_eq!(t.quoted(DbBackend::Postgres), "\"a\".\"b\"\"c\"");
        assert_eq!(t.display(), "a.b\"c");
    }
}
