//! MySQL and MariaDB introspection from a fixed number of bulk
//! `information_schema` queries.
//!
//! For the current database (`DATABASE()`), whatever the number of tables:
//! one query for the server (`DATABASE()`, `VERSION()`), then one each on
//! `TABLES`, `COLUMNS`, `STATISTICS` (indexes and the primary key),
//! `TABLE_CONSTRAINTS` (which unique indexes are constraints, which table a
//! CHECK belongs to), `KEY_COLUMN_USAGE` and `REFERENTIAL_CONSTRAINTS` (foreign
//! keys) and `CHECK_CONSTRAINTS` (only when `TABLE_CONSTRAINTS` lists a CHECK
//! constraint): eight queries at most, joined in memory (MariaDB evaluates
//! joins of `information_schema` views poorly). On MariaDB each of these views
//! opens every table of the database; see docs/performance.md for the server
//! settings that keep that fast with thousands of tables. Every string column
//! is read through `CAST(.. AS CHAR)`: MySQL 8 sends some of them as binary
//! strings. Types and defaults are read with [`crate::dialect::mysql`].
//!
//! What is read: base tables (and MariaDB system-versioned tables) with their
//! comments; columns in their order with exact types (`COLUMN_TYPE`),
//! nullability, defaults (MariaDB's quoted SQL and MySQL's bare values both),
//! `auto_increment`, generated columns (stored or virtual) and comments; the
//! primary key in key order; unique indexes (`constraint: true` when a `UNIQUE`
//! constraint of that name exists, which on MySQL is every unique index) and
//! non-unique indexes with their columns in order; foreign keys with names,
//! ordered columns and actions; CHECK constraints with names. MariaDB's JSON
//! columns (`longtext` plus a CHECK named after the column, `json_valid(col)`)
//! are read as [`ColumnType::Json`](crate::ir::ColumnType::Json), without that
//! check.
//!
//! **Indexes MySQL makes for foreign keys.** InnoDB needs an index whose
//! leading columns are a foreign key's columns; when there is none, it creates
//! one, named after the constraint (or after the first column when the
//! constraint has no name of its own, `<table>_ibfk_<n>`), and drops it by
//! itself once another usable index appears. Entities never declare those, so
//! a non-unique index is left out when its columns are exactly a foreign key's
//! columns and its name is the one MySQL gives the automatic index. A
//! hand-made index with that same name and columns is therefore not reported
//! either.
//!
//! Left out of the IR: indexes on expressions (MySQL 8 functional key parts),
//! prefix indexes (`SUB_PART`), `FULLTEXT`, `SPATIAL` and `VECTOR` indexes (all
//! skipped whole, so the differ never drops them by accident); index sort
//! order and visibility; column character sets and collations; `ON UPDATE
//! CURRENT_TIMESTAMP`; invisible columns are read as ordinary ones. Views,
//! sequences and the tables [`super::is_ignored_table`] names are not read.
//! CHECK constraints need MySQL 8.0.16 or MariaDB 10.2.22; on older servers
//! none are read. A TIMESTAMP column given an implicit default by a server
//! running with `explicit_defaults_for_timestamp=OFF` (MySQL 5.7, MariaDB
//! before 10.10) reads with that default.

mod build;
mod catalog;

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use crate::error::Error;
use crate::ir::Schema;

/// Reads the schema of the current database (`DATABASE()`) of a MySQL or
/// MariaDB server. See the module documentation for what is covered.
///
/// Fails when no database is selected, when a catalog query fails, or when
/// the catalog holds something that cannot be read (the error names the
/// table).
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let server = Server::detect(db).await?;
    let catalog = catalog::Catalog::read(db, &server).await?;
    build::build(&server, catalog)
}

/// What the introspection needs to know about the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Server {
    /// The current database.
    database: String,
    /// MariaDB rather than MySQL.
    mariadb: bool,
    /// `(major, minor, patch)`.
    version: (u32, u32, u32),
}

impl Server {
    async fn detect<C: ConnectionTrait>(db: &C) -> Result<Server, Error> {
        let sql = "SELECT CAST(DATABASE() AS CHAR) AS db, CAST(VERSION() AS CHAR) AS version";
        let rows = run(db, Statement::from_string(DbBackend::MySql, sql)).await?;
        let row = rows
            .first()
            .ok_or_else(|| error("*", "SELECT DATABASE() returned no row"))?;
        let database = text(row, "db", "*")?.ok_or_else(|| {
            error(
                "*",
                "no database is selected: put the database name in the connection URL",
            )
        })?;
        let version = text(row, "version", "*")?.unwrap_or_default();
        Ok(Server::from_version(database, &version))
    }

    /// Reads `VERSION()` (`8.0.36`, `10.11.6-MariaDB-0+deb12u1`, or
    /// `5.5.5-10.11.6-MariaDB` through some proxies).
    fn from_version(database: String, version: &str) -> Server {
        let mariadb = version.to_ascii_lowercase().contains("mariadb");
        let version = match version.strip_prefix("5.5.5-") {
            Some(rest) if mariadb => rest,
            _ => version,
        };
        let mut parts = version
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let mut next = || parts.next().unwrap_or(0);
        let version = (next(), next(), next());
        Server {
            database,
            mariadb,
            version,
        }
    }

    /// Whether `COLUMN_DEFAULT` holds SQL (MariaDB 10.2.7 and later: quoted
    /// strings, `NULL`, `current_timestamp()`) rather than bare values.
    fn quotes_defaults(&self) -> bool {
        self.mariadb && self.version >= (10, 2, 7)
    }

    /// Whether `information_schema.CHECK_CONSTRAINTS` exists.
    fn has_check_constraints(&self) -> bool {
        match (self.mariadb, self.version) {
            (true, (10, 2, patch)) => patch >= 22,
            (true, v) => v >= (10, 3, 10),
            (false, v) => v >= (8, 0, 16),
        }
    }

    /// Whether `CHECK_CONSTRAINTS` has a `TABLE_NAME` column (MariaDB: check
    /// names are unique per table there, per database on MySQL).
    fn checks_have_table(&self) -> bool {
        self.mariadb
    }
}

/// Runs one catalog query with the current database as its only parameter.
async fn query<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    server: &Server,
) -> Result<Vec<QueryResult>, Error> {
    let values = [Value::from(server.database.clone())];
    run(
        db,
        Statement::from_sql_and_values(DbBackend::MySql, sql, values),
    )
    .await
}

async fn run<C: ConnectionTrait>(db: &C, stmt: Statement) -> Result<Vec<QueryResult>, Error> {
    let sql = stmt.sql.clone();
    db.query_all_raw(stmt).await.map_err(|e| {
        error(
            "*",
            format!("the MySQL catalog query failed: {e}; query: {sql}"),
        )
    })
}

fn error(table: &str, reason: impl Into<String>) -> Error {
    Error::Introspection {
        table: table.to_owned(),
        reason: reason.into(),
    }
}

/// Reads text column `col` of a catalog row, naming `table` in the error. A
/// binary string (some MySQL 8 catalog columns) is accepted when it is UTF-8.
fn text(row: &QueryResult, col: &str, table: &str) -> Result<Option<String>, Error> {
    match row.try_get::<Option<String>>("", col) {
        Ok(value) => Ok(value),
        Err(text_err) => match row.try_get::<Option<Vec<u8>>>("", col) {
            Ok(bytes) => bytes
                .map(|b| {
                    String::from_utf8(b).map_err(|e| {
                        error(table, format!("`{col}` from the catalog is not UTF-8: {e}"))
                    })
                })
                .transpose(),
            Err(_) => Err(error(
                table,
                format!("reading `{col}` from the MySQL catalog: {text_err}"),
            )),
        },
    }
}

/// Reads text column `col`, which must not be NULL.
fn required_text(row: &QueryResult, col: &str, table: &str) -> Result<String, Error> {
    text(row, col, table)?
        .ok_or_else(|| error(table, format!("`{col}` is NULL in the MySQL catalog")))
}

/// Reads integer column `col` (selected as `CAST(.. AS SIGNED)`).
fn int(row: &QueryResult, col: &str, table: &str) -> Result<Option<i64>, Error> {
    row.try_get::<Option<i64>>("", col).map_err(|e| {
        error(
            table,
            format!("reading `{col}` from the MySQL catalog: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::Server;

    #[test]
    fn versions_are_read() {
        let s = |v: &str| Server::from_version("d".into(), v);
        assert_eq!(s("8.0.36").version, (8, 0, 36));
        assert!(!s("8.0.36").mariadb && s("8.0.36").has_check_constraints());
        assert!(!s("8.0.15-log").has_check_constraints());
        let maria = s("10.11.19-MariaDB-0+deb12u1");
        assert!(maria.mariadb && maria.quotes_defaults() && maria.has_check_constraints());
        assert_eq!(maria.version, (10, 11, 19));
        assert_eq!(s("5.5.5-10.6.2-MariaDB").version, (10, 6, 2));
        assert!(!s("10.2.6-MariaDB").quotes_defaults());
        assert!(!s("10.3.9-MariaDB").has_check_constraints());
        assert!(s("10.2.22-MariaDB").has_check_constraints());
    }
}
