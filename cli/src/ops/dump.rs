//! Writing a backup file with the database's own tools: `pg_dump` (plain SQL),
//! `mariadb-dump`/`mysqldump`, or SQLite's online `VACUUM INTO`.
//!
//! The row counts recorded in the manifest are those of the backup itself:
//! PostgreSQL counts in a transaction whose snapshot `pg_dump --snapshot`
//! shares, SQLite counts in the finished copy. MySQL/MariaDB counts just before
//! its `--single-transaction` dump, so rows written in between can make them
//! differ on a busy database.

use std::path::Path;
use std::process::Stdio;

use anyhow::Context as _;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};

use super::manifest::{TableName, TableRows, count_rows, is_history_table, list_tables};
use super::target::{Kind, Server, Target, run_tool};

/// The MySQL/MariaDB dump tools, in the order they are tried.
pub const MYSQL_DUMP: &[&str] = &["mariadb-dump", "mysqldump"];

/// Writes the backup of `db` (connected to `target`) into `out`, an empty file
/// that already exists with its final permissions; returns the tables and the
/// rows the backup holds. `schema_only` keeps only the schema and the rows of
/// the migration history tables.
pub async fn dump(
    db: &DatabaseConnection,
    target: &Target,
    out: &Path,
    schema_only: bool,
) -> anyhow::Result<Vec<TableRows>> {
    match target {
        Target::Sqlite(_) => dump_sqlite(db, out, schema_only).await,
        Target::Server(server) if server.kind == Kind::Postgres => {
            dump_postgres(db, server, out, schema_only).await
        }
        Target::Server(server) => dump_mysql(db, server, out, schema_only).await,
    }
}

async fn dump_sqlite(
    db: &DatabaseConnection,
    out: &Path,
    schema_only: bool,
) -> anyhow::Result<Vec<TableRows>> {
    let quoted = out.to_string_lossy().replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
        .await
        .context("SQLite's VACUUM INTO failed")?;
    let copy = crate::connect::connect(&crate::sqlite_file::url_of(out, "rw")?)
        .await
        .context("cannot open the new backup")?;
    let result = async {
        if schema_only {
            copy.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
            for table in list_tables(&copy).await? {
                if !is_history_table(&table.name) {
                    let sql = format!("DELETE FROM {}", table.quoted(DbBackend::Sqlite));
                    copy.execute_unprepared(&sql).await?;
                }
            }
            copy.execute_unprepared("VACUUM").await?;
        }
        count_rows(&copy).await
    }
    .await;
    copy.close().await.ok();
    result
}

async fn dump_postgres(
    db: &DatabaseConnection,
    server: &Server,
    out: &Path,
    schema_only: bool,
) -> anyhow::Result<Vec<TableRows>> {
    // One snapshot for the counts and for pg_dump, held until pg_dump is done.
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
        .context("cannot start the backup's transaction")?;
    let snapshot: String = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_export_snapshot()",
        ))
        .await?
        .context("no snapshot exported")?
        .try_get_by_index(0)?;
    let tables = list_tables(&txn).await?;
    let mut counts = count_rows(&txn).await?;
    let mut args = vec![
        "--format=plain".to_owned(),
        "--no-owner".to_owned(),
        "--no-privileges".to_owned(),
        format!("--snapshot={snapshot}"),
    ];
    if let Some(schema) = crate::connect::schema() {
        // Only the configured schema (quoted: a pattern matching exactly that name).
        args.push(format!("--schema=\"{schema}\""));
    }
    if schema_only {
        for table in data_tables(&tables) {
            args.push(format!("--exclude-table-data={}", pg_pattern(table)));
        }
        zero_data_tables(&mut counts);
    }
    let written = write_tool_output(&["pg_dump"], server, &args, out).await;
    txn.commit().await.ok();
    written?;
    Ok(counts)
}

async fn dump_mysql(
    db: &DatabaseConnection,
    server: &Server,
    out: &Path,
    schema_only: bool,
) -> anyhow::Result<Vec<TableRows>> {
    let tables = list_tables(db).await?;
    let mut counts = {
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
            .context("cannot start the row counts' transaction")?;
        let counts = count_rows(&txn).await;
        txn.commit().await.ok();
        counts?
    };
    let mut args = vec![
        "--single-transaction".to_owned(),
        "--routines".to_owned(),
        "--triggers".to_owned(),
        "--default-character-set=utf8mb4".to_owned(),
    ];
    if schema_only {
        for table in data_tables(&tables) {
            args.push(format!(
                "--ignore-table-data={}.{}",
                server.database, table.name
            ));
        }
        zero_data_tables(&mut counts);
    }
    args.push(server.database.clone());
    write_tool_output(MYSQL_DUMP, server, &args, out).await?;
    Ok(counts)
}

/// The tables whose rows a schema-only backup leaves out.
fn data_tables(tables: &[TableName]) -> impl Iterator<Item = &TableName> {
    tables.iter().filter(|t| !is_history_table(&t.name))
}

fn zero_data_tables(counts: &mut [TableRows]) {
    for t in counts.iter_mut().filter(|t| !is_history_table(&t.name)) {
        t.rows = 0;
    }
}

/// A `pg_dump` pattern matching exactly this table.
fn pg_pattern(table: &TableName) -> String {
    let q = |s: &str| schema_diff::sql_text::quote_ident(schema_diff::Dialect::Postgres, s);
    match &table.schema {
        Some(schema) => format!("{}.{}", q(schema), q(&table.name)),
        None => q(&table.name),
    }
}

/// Runs a dump tool against `server` with `args`, its stdout into `out`.
async fn write_tool_output(
    programs: &[&str],
    server: &Server,
    args: &[String],
    out: &Path,
) -> anyhow::Result<()> {
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(out)
            .map(Stdio::from)
    };
    run_tool(
        programs,
        |cmd| {
            server.configure(cmd);
            cmd.args(args);
        },
        || Ok(Stdio::null()),
        open,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_table() {
        let t = TableName {
            schema: None,
            name: "Users".into(),
        };
        assert_eq!(pg_pattern(&t), "\"Users\"");
    }
}
