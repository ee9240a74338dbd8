//! Loading a backup into a database: `psql` (one transaction) or the `mariadb`
//! client for SQL dumps, a file copy renamed into place for SQLite; what kind
//! of backup a file is; and emptying a database that `restore --force` replaces.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context as _, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

use super::manifest::{TableName, list_tables};
use super::target::{Kind, Server, run_tool};

/// The MySQL/MariaDB clients, in the order they are tried.
pub const MYSQL_CLIENT: &[&str] = &["mariadb", "mysql"];

/// What a backup file holds, from its first bytes.
pub fn detect(file: &Path) -> anyhow::Result<Kind> {
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read `{}`", file.display()))?;
    let head = &head[..n];
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(Kind::Sqlite);
    }
    let text = String::from_utf8_lossy(head);
    if text.contains("PostgreSQL database dump") {
        Ok(Kind::Postgres)
    } else if text.contains("MariaDB dump") || text.contains("MySQL dump") {
        Ok(Kind::Mysql)
    } else {
        bail!(
            "`{}` is not a backup db-migrate can restore (a pg_dump plain SQL file, a \
             mariadb-dump/mysqldump file, or a SQLite database)",
            file.display()
        )
    }
}

/// Loads the SQL dump `file` (checked by [`super::scan::check_dump`]) into
/// `server`'s database; `db` is a connection to it. With `replace`, the
/// database is emptied first: on PostgreSQL in the same transaction as the
/// load, so a failed load changes nothing; on MySQL/MariaDB (no transactional
/// DDL) before the load, so take a safety backup first.
///
/// PostgreSQL dumps are loaded through the driver ([`super::pg_load`]), never
/// by `psql`; MySQL/MariaDB dumps go to the `mariadb` client in `--sandbox`
/// mode (no shell, no files), with a cleaned environment.
pub async fn load_sql(
    db: &DatabaseConnection,
    server: &Server,
    file: &Path,
    replace: bool,
) -> anyhow::Result<()> {
    match server.kind {
        Kind::Postgres => {
            let wipe = match crate::connect::schema() {
                // A backup of one schema (`pg_dump --schema`) creates that schema:
                // only it is replaced; an empty one left by `upgrade` makes way.
                Some(schema) => {
                    let quoted =
                        schema_diff::sql_text::quote_ident(schema_diff::Dialect::Postgres, &schema);
                    let cascade = if replace { " CASCADE" } else { "" };
                    Some(format!("DROP SCHEMA IF EXISTS {quoted}{cascade}"))
                }
                None => replace.then(|| POSTGRES_WIPE.to_owned()),
            };
            super::pg_load::load(db, file, wipe.as_deref()).await?;
        }
        _ => {
            if replace {
                wipe_mysql(db).await?;
            }
            let open = || std::fs::File::open(file).map(Stdio::from);
            run_tool(
                MYSQL_CLIENT,
                |cmd| {
                    server.configure(cmd);
                    // No shell (`\!`, `system`), no files (`source`, `tee`), no pager.
                    cmd.arg("--sandbox")
                        .arg("--batch")
                        .arg("--default-character-set=utf8mb4")
                        .arg(&server.database);
                },
                open,
                || Ok(Stdio::null()),
            )
            .await?;
        }
    }
    Ok(())
}

/// Drops every non-system schema and makes an empty `public` again.
const POSTGRES_WIPE: &str = "DO $$ DECLARE s text; BEGIN \
    FOR s IN SELECT nspname FROM pg_catalog.pg_namespace \
      WHERE nspname NOT IN ('information_schema') AND nspname NOT LIKE 'pg\\_%' LOOP \
      EXECUTE format('DROP SCHEMA %I CASCADE', s); \
    END LOOP; \
    CREATE SCHEMA public; \
  END $$;";

/// Drops every view, table and routine of the connection's MySQL database.
async fn wipe_mysql(db: &DatabaseConnection) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let names = |sql: &'static str| {
        let txn = &txn;
        async move {
            let rows = txn
                .query_all_raw(Statement::from_string(DbBackend::MySql, sql))
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get_by_index::<String>(0)?,
                        r.try_get_by_index::<String>(1)?,
                    ))
                })
                .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        }
    };
    let objects = names(
        "SELECT CAST(table_name AS CHAR), CAST(table_type AS CHAR) FROM information_schema.tables \
         WHERE table_schema = DATABASE()",
    )
    .await?;
    let routines = names(
        "SELECT CAST(routine_name AS CHAR), CAST(routine_type AS CHAR) \
         FROM information_schema.routines WHERE routine_schema = DATABASE()",
    )
    .await?;
    txn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 0").await?;
    for (name, kind) in objects.iter().chain(&routines) {
        let what = match kind.as_str() {
            "VIEW" => "VIEW",
            "PROCEDURE" => "PROCEDURE",
            "FUNCTION" => "FUNCTION",
            _ => "TABLE",
        };
        let table = TableName {
            schema: None,
            name: name.clone(),
        };
        let sql = format!("DROP {what} IF EXISTS {}", table.quoted(DbBackend::MySql));
        txn.execute_unprepared(&sql)
            .await
            .with_context(|| format!("cannot drop {} `{name}`", what.to_lowercase()))?;
    }
    txn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 1").await?;
    txn.commit().await?;
    Ok(())
}

/// Puts a copy of the SQLite backup `file` in place of `target`: written to a
/// temporary file (0600) in the same folder, checked there (it opens as SQLite
/// and passes `PRAGMA integrity_check`), then renamed over the target, so the
/// target is never half-written and a damaged backup never replaces it. The
/// target keeps its permissions (a new one is 0600); its stale `-wal`, `-shm`
/// and `-journal` files are removed. Close every connection to `target` first.
pub async fn replace_sqlite(file: &Path, target: &Path) -> anyhow::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".dbm-restore-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    let mut source =
        std::fs::File::open(file).with_context(|| format!("cannot open `{}`", file.display()))?;
    std::io::copy(&mut source, tmp.as_file_mut())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot copy `{}`", file.display()))?;
    check_sqlite(tmp.path())
        .await
        .with_context(|| format!("`{}` is not a sound SQLite database", file.display()))?;
    let mode = std::fs::metadata(target)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o600);
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot remove `{}`", Path::new(&side).display()));
            }
        }
    }
    tmp.persist(target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace `{}`", target.display()))?;
    Ok(())
}

/// Opens the SQLite file `path` and runs `PRAGMA integrity_check` on it.
async fn check_sqlite(path: &Path) -> anyhow::Result<()> {
    let url = crate::sqlite_file::url_of(path, "rw")?;
    let db = crate::connect::connect(&url).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await;
    db.close().await.ok();
    let problems: Vec<String> = rows
        .context("integrity_check failed")?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .filter(|m| m != "ok")
        .collect();
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        bail!("integrity_check: {}", shown.join("; "));
    }
    Ok(())
}

/// The tables of the database, for the "is it empty" check.
pub async fn existing_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    Ok(list_tables(db)
        .await?
        .iter()
        .map(TableName::display)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_are_recognized_by_their_first_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cases: [(&str, &[u8], Option<Kind>); 4] = [
            (
                "a.sql",
                b"--\n-- PostgreSQL database dump\n--\n",
                Some(Kind::Postgres),
            ),
            (
                "b.sql",
                b"/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump 10.19\n",
                Some(Kind::Mysql),
            ),
            ("c.sqlite", b"SQLite format 3\0rest", Some(Kind::Sqlite)),
            ("d.txt", b"hello", None),
        ];
        for (name, bytes, kind) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            assert_eq!(detect(&path).ok(), kind, "{name}");
        }
    }

    #[tokio::test]
    async fn sqlite_replacement_checks_the_copy_and_keeps_the_target_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (src, dst) = (dir.path().join("b.sqlite"), dir.path().join("app.db"));
        std::fs::write(&dst, b"old").expect("write");
        // Not a database: refused, and the target is untouched.
        std::fs::write(&src, b"SQLite format 3\0 but cut off").expect("write");
        let err = replace_sqlite(&src, &dst).await.expect_err("not sound");
        assert!(
            format!("{err:#}").contains("not a sound SQLite database"),
            "{err:#}"
        );
        assert_eq!(std::fs::read(&dst).expect("read"), b"old");

        let url = crate::sqlite_file::url_of(&src, "rwc").expect("url");
        std::fs::remove_file(&src).expect("rm");
        let db = crate::connect::connect(&url).await.expect("create");
        db.execute_unprepared("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
            .await
            .expect("sql");
        db.close().await.ok();
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        std::fs::write(dir.path().join("app.db-wal"), b"stale").expect("write");
        replace_sqlite(&src, &dst).await.expect("replace");
        assert_eq!(
            std::fs::read(&dst).expect("read"),
            std::fs::read(&src).expect("read")
        );
        let mode = std::fs::metadata(&dst).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert!(!dir.path().join("app.db-wal").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }
}
