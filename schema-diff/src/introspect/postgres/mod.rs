//! PostgreSQL introspection from five bulk catalog queries.
//!
//! Everything is read from `pg_catalog` for the tables of `current_schema()`:
//! one query for the tables (`pg_class` + `pg_description`), one for all
//! columns (`pg_attribute`, `pg_type`, `pg_attrdef`, `pg_description`, with
//! `format_type` and `pg_get_expr`), one for all enum types (`pg_enum`), one for
//! all primary keys, foreign keys and CHECK constraints (`pg_constraint`) and
//! one for all indexes (`pg_index`), whatever the number of tables. Neither
//! `information_schema` (slow) nor sea-schema's discovery (a round trip per
//! table, no non-unique indexes) is used. Type names and defaults are read with
//! [`crate::dialect::postgres::parse_type`] and
//! [`crate::dialect::postgres::parse_default`].
//!
//! What is read: columns in their order (type, NOT NULL, default, comment);
//! enum columns as [`ColumnType::Enum`](crate::ir::ColumnType::Enum) with their
//! values, arrays as `Array` (of enums too); serial (`nextval(...)` default) and
//! identity columns as auto-increment without a default; stored generated
//! columns; the primary key in key order; unique constraints (`constraint:
//! true`) and `CREATE INDEX` indexes, unique or not, with their key columns in
//! order; foreign keys with names, columns in order and actions; CHECK
//! constraints with names; table comments; the schema's enum types.
//!
//! Not in the IR, so left out: **partial indexes** and **indexes on
//! expressions** (skipped whole: the differ never sees them, so it never drops
//! them by accident), exclusion constraints, the indexes backing primary keys
//! (the key itself is read), PostgreSQL 18's NOT NULL constraints (`contype
//! 'n'`, read as the columns' nullability instead). Kept but simplified: an
//! index's method (gin, gist, ...), sort order, operator classes and `INCLUDE`
//! columns are dropped (only the key columns are kept), column collations and
//! type precisions the IR has no room for (`timestamp(3)` is a `Custom` type).
//! Partitions (`relispartition`), views, foreign tables and the tables
//! [`super::is_ignored_table`] names are not read; neither are sequences,
//! triggers, functions or privileges.

mod columns;
mod keys;

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, TryGetable};

use crate::error::Error;
use crate::ir::{Schema, Table};

/// The ordinary and partitioned tables of the current schema (partitions are
/// read through their parent), with their comments.
const TABLES: &str = "SELECT c.relname::text AS tbl, d.description AS comment \
    FROM pg_catalog.pg_class AS c \
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
    LEFT JOIN pg_catalog.pg_description AS d ON d.classoid = 'pg_catalog.pg_class'::regclass \
      AND d.objoid = c.oid AND d.objsubid = 0 \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    ORDER BY c.relname";

/// Reads the current schema (`current_schema()`) of a PostgreSQL database.
/// See the module documentation for what is covered.
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in query(db, TABLES).await? {
        let name: String = get(&row, "tbl", "*")?;
        if super::is_ignored_table(&name) {
            continue;
        }
        let comment: Option<String> = get(&row, "comment", &name)?;
        let table = Table {
            name: name.clone(),
            comment,
            ..Table::default()
        };
        tables.insert(name, table);
    }

    let enums = columns::read_enums(query(db, columns::ENUMS).await?)?;
    columns::read_columns(&mut tables, &enums, query(db, columns::COLUMNS).await?)?;
    keys::read_constraints(&mut tables, query(db, keys::CONSTRAINTS).await?)?;
    keys::read_indexes(&mut tables, query(db, keys::INDEXES).await?)?;

    let mut schema = Schema {
        tables: tables.into_values().collect(),
        enums: enums.into_local(),
    };
    schema.sort();
    Ok(schema)
}

/// Runs one catalog query.
async fn query<C: ConnectionTrait>(db: &C, sql: &'static str) -> Result<Vec<QueryResult>, Error> {
    db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map_err(|e| Error::Introspection {
            table: "*".into(),
            reason: format!("the PostgreSQL catalog query failed: {e}; query: {sql}"),
        })
}

/// Reads column `col` of a catalog row, naming `table` in the error.
fn get<T: TryGetable>(row: &QueryResult, col: &str, table: &str) -> Result<T, Error> {
    row.try_get("", col).map_err(|e| Error::Introspection {
        table: table.to_owned(),
        reason: format!("reading `{col}` from the PostgreSQL catalog: {e}"),
    })
}

/// Reads a JSON array of names (`json_agg(attname ...)::text`) from a row.
fn get_names(row: &QueryResult, col: &str, table: &str) -> Result<Vec<String>, Error> {
    let text: Option<String> = get(row, col, table)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Introspection {
            table: table.to_owned(),
            reason: format!("reading `{col}` from the PostgreSQL catalog: {e} in `{text}`"),
        }),
    }
}
