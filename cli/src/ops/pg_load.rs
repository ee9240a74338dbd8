//! Loading a `pg_dump` plain-format file into PostgreSQL without `psql`: the
//! SQL goes to the server over the driver's connection and `COPY` data through
//! the `COPY` protocol, all in one transaction, so nothing in the file is ever
//! read as a client command and a failed (or interrupted) load changes nothing.
//! Lines are classified by [`PgLines`], the reader the pre-check uses.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context as _, bail};
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{AssertSqlSafe, Connection as _, raw_sql};
use sea_orm::{DatabaseConnection, DbBackend};

use super::scan::{PgLine, PgLines};
use crate::redact::redact as redact_text;

/// How much `COPY` data is sent at a time.
const COPY_CHUNK: usize = 1 << 20;

/// Loads `file` into the database `db` is connected to, in one transaction;
/// with `wipe`, `wipe_sql` runs first in the same transaction.
pub async fn load(db: &DatabaseConnection, file: &Path, wipe: Option<&str>) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        bail!("a PostgreSQL dump can only be loaded into PostgreSQL");
    }
    // A connection of its own: the dump changes session settings (search_path).
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .context("cannot connect to load the dump")?
        .detach();
    let loaded = load_on(&mut conn, file, wipe).await;
    // On an error the connection is dropped unfinished: the server rolls back.
    if loaded.is_ok() {
        conn.close().await.ok();
    }
    loaded
}

async fn exec(conn: &mut PgConnection, sql: String) -> anyhow::Result<()> {
    raw_sql(AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map_err(|e| anyhow::anyhow!("{}", redact_text(&e.to_string())))?;
    Ok(())
}

async fn load_on(conn: &mut PgConnection, file: &Path, wipe: Option<&str>) -> anyhow::Result<()> {
    let f =
        std::fs::File::open(file).with_context(|| format!("cannot open `{}`", file.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, f);
    let mut lines = PgLines::default();
    exec(conn, "BEGIN".into()).await?;
    if let Some(wipe) = wipe {
        exec(conn, wipe.to_owned())
            .await
            .context("cannot empty the database")?;
    }
    let mut sql = String::new();
    let mut sql_from = 1;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        match lines.classify(line)? {
            PgLine::Sql => {
                if sql.is_empty() {
                    sql_from = lines.line();
                }
                sql.push_str(utf8(line, lines.line())?);
                sql.push('\n');
            }
            PgLine::Guard => {}
            PgLine::CopyStart => {
                let at = lines.line();
                if !sql.is_empty() {
                    exec(conn, std::mem::take(&mut sql))
                        .await
                        .with_context(|| format!("the SQL from line {sql_from}"))?;
                }
                let statement = utf8(line, at)?.to_owned();
                copy(conn, &mut reader, &mut lines, &statement)
                    .await
                    .with_context(|| format!("the COPY starting on line {at}"))?;
            }
            PgLine::CopyData | PgLine::CopyEnd => {
                bail!("line {}: COPY data outside a COPY", lines.line())
            }
        }
    }
    if lines.in_copy() {
        bail!("the file ends inside the data of a COPY");
    }
    if !sql.is_empty() {
        exec(conn, sql)
            .await
            .with_context(|| format!("the SQL from line {sql_from}"))?;
    }
    exec(conn, "COMMIT".into()).await
}

/// Streams the data lines after a `COPY ... FROM stdin;` up to `\.`.
async fn copy(
    conn: &mut PgConnection,
    reader: &mut impl BufRead,
    lines: &mut PgLines,
    statement: &str,
) -> anyhow::Result<()> {
    let redacted = |e: sea_orm::sqlx::Error| anyhow::anyhow!("{}", redact_text(&e.to_string()));
    let mut copy = conn.copy_in_raw(statement).await.map_err(redacted)?;
    let mut chunk = Vec::with_capacity(COPY_CHUNK);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            copy.abort("the dump ends inside COPY data").await.ok();
            bail!("the file ends inside the data of a COPY");
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        match lines.classify(line)? {
            PgLine::CopyEnd => break,
            _ => {
                chunk.extend_from_slice(line);
                chunk.push(b'\n');
                if chunk.len() >= COPY_CHUNK {
                    copy.send(std::mem::take(&mut chunk))
                        .await
                        .map_err(redacted)?;
                }
            }
        }
    }
    if !chunk.is_empty() {
        copy.send(chunk).await.map_err(redacted)?;
    }
    copy.finish().await.map_err(redacted)?;
    Ok(())
}

fn utf8(line: &[u8], number: u64) -> anyhow::Result<&str> {
    std::str::from_utf8(line).map_err(|_| {
        anyhow::anyhow!("line {number} is not UTF-8 (db-migrate loads UTF-8 dumps only)")
    })
}
