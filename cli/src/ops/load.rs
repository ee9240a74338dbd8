//! Loading a backup into a database: through the driver (PostgreSQL, one
//! transaction) or the `mariadb` client for SQL dumps (SQLite backups go in
//! through [`super::sqlite_restore`]); what kind of backup a file is; and
//! emptying a database that `restore --force` replaces.

use std::io::Read;
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
}
