//! Small helpers that generated migrations call where sea-query has no statement.
//!
//! A generated migration module uses sea-query builders through `SchemaManager` for
//! everything they can express. What is left needs the catalog at run time or a
//! sequence of statements that only makes sense as a whole:
//!
//! - [`rebuild_sqlite_table`]: SQLite's documented 12-step table rebuild, for changes
//!   `ALTER TABLE` cannot make on SQLite (column types, nullability, defaults, foreign
//!   keys, constraints);
//! - [`check_sqlite_rebuilds`]: called first in a module with rebuilds, so that a run
//!   where a rebuild cannot complete (foreign keys on, as under sea-orm-migration's own
//!   `Migrator::up`) fails before the module changes anything;
//! - [`replace_primary_key`]: the primary key's constraint name is read from the catalog;
//! - [`add_unique_constraint`] / [`drop_unique_constraint`]: the per-backend spelling of a
//!   unique constraint on an existing table;
//! - [`recreate_postgres_enum`]: PostgreSQL cannot drop or reorder enum values;
//! - [`drop_foreign_key`]: MySQL leaves the index it made for a foreign key behind;
//! - [`keep_foreign_key_indexes`]: MySQL refuses to drop the last index under a key;
//! - [`alter_mysql_enum_columns`]: MySQL keeps enum values in each column.
//!
//! [`crate::statements::apply`] calls the same helpers, so both paths stay alike.

mod sqlite_attached;
mod sqlite_preflight;
mod sqlite_rebuild;

pub use sqlite_preflight::check_sqlite_rebuilds;
pub use sqlite_rebuild::{SQLITE_REBUILD_PREFIX, rebuild_sqlite_table};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use sea_orm_migration::SchemaManager;
use sea_query::Alias;

use crate::Dialect;
use crate::sql_text::{quote_ident, quote_literal};

/// Fails, changing nothing, when some row of `table` holds a value in `column`
/// that its new, narrower type (`new_type`, for the message) cannot keep as it is:
/// text longer than the new length, numbers outside the new range or with more
/// digits than the new precision or scale, enum values the new type drops.
///
/// Generated migrations call it before every narrowing type change, on every
/// backend: some casts cut or round silently (PostgreSQL rounds a `numeric` to a
/// smaller scale, MySQL rounds with a note, SQLite keeps anything), and a migration
/// must fail instead of changing data.
pub async fn require_values_fit(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    new_type: &str,
    fit: crate::lint::Unfit,
) -> Result<(), DbErr> {
    use sea_query::{Asterisk, Expr, Func, Query};
    let query = Query::select()
        .expr(Func::count(Expr::col(Asterisk)))
        .from(Alias::new(table))
        .cond_where(crate::lint::does_not_fit(column, &fit))
        .to_owned();
    let rows = match manager.get_connection().query_one(&query).await? {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    if rows == 0 {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "{rows} row(s) of `{}` hold a value in `{}` that does not fit {new_type}: the type \
         change would cut, round or reject it, so nothing was changed; fix those rows first \
         (or keep the wider type)",
        crate::display::visible(table),
        crate::display::visible(column),
    )))
}

/// Replaces the primary key of `table` with `columns` (none: drops it).
///
/// PostgreSQL: the current key's constraint name is read from `pg_constraint`, the
/// constraint dropped and `PRIMARY KEY (columns)` added. MySQL: `DROP PRIMARY KEY, ADD
/// PRIMARY KEY (...)` in one statement. SQLite cannot change a primary key in place
/// (that is a table rebuild) and gets an error.
pub async fn replace_primary_key(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            let sql = "SELECT conname::text FROM pg_constraint \
                       WHERE conrelid = to_regclass($1) AND contype = 'p'";
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [Value::from(quote(table))],
            );
            if let Some(row) = conn.query_one_raw(stmt).await? {
                let name: String = row.try_get_by_index(0)?;
                let sql = format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    quote(table),
                    quote(&name)
                );
                exec(conn, &sql).await?;
            }
            if !columns.is_empty() {
                let cols = join_quoted(columns, quote);
                let sql = format!("ALTER TABLE {} ADD PRIMARY KEY ({cols})", quote(table));
                exec(conn, &sql).await?;
            }
            Ok(())
        }
        DbBackend::MySql => {
            let sql = "SELECT COUNT(*) FROM information_schema.table_constraints \
                       WHERE table_schema = DATABASE() AND table_name = ? \
                       AND constraint_type = 'PRIMARY KEY'";
            let stmt = Statement::from_sql_and_values(DbBackend::MySql, sql, [Value::from(table)]);
            let has_key = match conn.query_one_raw(stmt).await? {
                Some(row) => row.try_get_by_index::<i64>(0)? > 0,
                None => false,
            };
            let mut clauses = Vec::new();
            if has_key {
                clauses.push("DROP PRIMARY KEY".to_owned());
            }
            if !columns.is_empty() {
                clauses.push(format!(
                    "ADD PRIMARY KEY ({})",
                    join_quoted(columns, quote_mysql)
                ));
            }
            if clauses.is_empty() {
                return Ok(());
            }
            let sql = format!("ALTER TABLE {} {}", quote_mysql(table), clauses.join(", "));
            exec(conn, &sql).await
        }
        backend => Err(DbErr::Migration(format!(
            "{backend:?} cannot change the primary key of `{table}` in place; on SQLite that \
             takes a table rebuild (generate the migration against SQLite)"
        ))),
    }
}

/// Adds the unique constraint `name` on `columns` to an existing table.
///
/// PostgreSQL and MySQL: `ALTER TABLE t ADD CONSTRAINT name UNIQUE (...)`. SQLite can
/// only declare constraints in `CREATE TABLE`, so it gets the equivalent unique index
/// (`CREATE UNIQUE INDEX name ON t (...)`), which enforces the same rule.
pub async fn add_unique_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let sql = match backend {
        DbBackend::MySql => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            quote_mysql(table),
            quote_mysql(name),
            join_quoted(columns, quote_mysql)
        ),
        DbBackend::Postgres => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            quote(table),
            quote(name),
            join_quoted(columns, quote)
        ),
        _ => format!(
            "CREATE UNIQUE INDEX {} ON {} ({})",
            quote(name),
            quote(table),
            join_quoted(columns, quote)
        ),
    };
    exec(manager.get_connection(), &sql).await
}

/// MySQL/MariaDB refuse to drop the last index a foreign key can use (error 1553),
/// and drop on their own the index they made for a key once another one can serve
/// it. Before `index` of `table` is dropped, every foreign key of `table` whose
/// columns lead `index` and that no other index serves gets an index of its own,
/// named after the key as MySQL names the one it makes. Does nothing on other
/// backends.
pub async fn keep_foreign_key_indexes(
    manager: &SchemaManager<'_>,
    table: &str,
    index: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let conn = manager.get_connection();
    let named_columns = |sql: &'static str| async move {
        let stmt = Statement::from_sql_and_values(DbBackend::MySql, sql, [Value::from(table)]);
        let mut by_name: Vec<(String, Vec<String>)> = Vec::new();
        for row in conn.query_all_raw(stmt).await? {
            let name: String = row.try_get_by_index(0)?;
            let column: String = row.try_get_by_index(1)?;
            match by_name.iter_mut().find(|(n, _)| *n == name) {
                Some((_, columns)) => columns.push(column),
                None => by_name.push((name, vec![column])),
            }
        }
        Ok::<_, DbErr>(by_name)
    };
    let indexes = named_columns(
        "SELECT CAST(INDEX_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    )
    .await?;
    let foreign_keys = named_columns(
        "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
         AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .await?;
    let Some((_, dropped)) = indexes.iter().find(|(name, _)| name == index) else {
        return Ok(());
    };
    let serves = |columns: &[String], key: &[String]| columns.starts_with(key);
    for (key_name, key_columns) in &foreign_keys {
        let needs_one = serves(dropped, key_columns)
            && !indexes
                .iter()
                .any(|(name, columns)| name != index && serves(columns, key_columns));
        if needs_one && key_name != index {
            let sql = format!(
                "CREATE INDEX {} ON {} ({})",
                quote_mysql(key_name),
                quote_mysql(table),
                key_columns
                    .iter()
                    .map(|c| quote_mysql(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            exec(conn, &sql).await?;
        }
    }
    Ok(())
}

/// Drops the unique constraint `name` from `table`: `DROP CONSTRAINT` on PostgreSQL,
/// `DROP INDEX` on MySQL (a unique constraint is an index there) and on SQLite (which
/// refuses when the index belongs to a constraint declared in `CREATE TABLE`; that
/// takes a rebuild).
pub async fn drop_unique_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    keep_foreign_key_indexes(manager, table, name).await?;
    let sql = match manager.get_database_backend() {
        DbBackend::MySql => format!(
            "ALTER TABLE {} DROP INDEX {}",
            quote_mysql(table),
            quote_mysql(name)
        ),
        DbBackend::Postgres => format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote(table),
            quote(name)
        ),
        _ => format!("DROP INDEX {}", quote(name)),
    };
    exec(manager.get_connection(), &sql).await
}

/// Gives every MySQL/MariaDB column declared `ENUM(from...)` (exactly those values,
/// in that order) the values `to`, keeping its nullability and default. MySQL enums
/// have no type name, so a migration that changes a named enum finds its columns
/// by their values. Does nothing on other backends.
pub async fn alter_mysql_enum_columns(
    manager: &SchemaManager<'_>,
    from: &[&str],
    to: &[&str],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let enum_type = |values: &[&str]| {
        let quoted: Vec<String> = values.iter().map(|v| mysql_string(v)).collect();
        format!("enum({})", quoted.join(","))
    };
    let conn = manager.get_connection();
    let sql = "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(IS_NULLABLE AS CHAR), \
               CAST(COLUMN_DEFAULT AS CHAR) FROM information_schema.COLUMNS \
               WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'enum' AND COLUMN_TYPE = ?";
    let stmt = Statement::from_sql_and_values(DbBackend::MySql, sql, [enum_type(from).into()]);
    let rows = conn.query_all_raw(stmt).await?;
    for row in rows {
        let table: String = row.try_get_by_index(0)?;
        let column: String = row.try_get_by_index(1)?;
        let nullable: String = row.try_get_by_index(2)?;
        let default: Option<String> = row.try_get_by_index(3)?;
        let mut sql = format!(
            "ALTER TABLE {} MODIFY COLUMN {} {} {}",
            quote_mysql(&table),
            quote_mysql(&column),
            enum_type(to),
            if nullable == "YES" {
                "NULL"
            } else {
                "NOT NULL"
            }
        );
        match default.as_deref() {
            // MariaDB reports NULL and quoted literals; MySQL reports bare values.
            None | Some("NULL") => {}
            Some(quoted) if quoted.starts_with('\'') => sql.push_str(&format!(" DEFAULT {quoted}")),
            Some(bare) => sql.push_str(&format!(" DEFAULT {}", mysql_string(bare))),
        }
        exec(conn, &sql).await?;
    }
    Ok(())
}

fn mysql_string(value: &str) -> String {
    quote_literal(Dialect::MySql, value)
}

/// Drops the foreign key `name` of `table`. On MySQL/MariaDB it also drops the index
/// InnoDB created for the key on its own (non-unique, with the key's name), which would
/// otherwise stay behind as an index nobody declared; re-adding the key recreates it.
pub async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    let stmt = sea_query::ForeignKey::drop()
        .name(name)
        .table(Alias::new(table))
        .to_owned();
    manager.drop_foreign_key(stmt).await?;
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let conn = manager.get_connection();
    let sql = "SELECT COUNT(*) FROM information_schema.STATISTICS \
               WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? AND NON_UNIQUE = 1";
    let stmt = Statement::from_sql_and_values(DbBackend::MySql, sql, [table.into(), name.into()]);
    let left_behind = match conn.query_one_raw(stmt).await? {
        Some(row) => row.try_get_by_index::<i64>(0)? > 0,
        None => false,
    };
    if left_behind {
        let sql = format!(
            "ALTER TABLE {} DROP INDEX {}",
            quote_mysql(table),
            quote_mysql(name)
        );
        exec(conn, &sql).await?;
    }
    Ok(())
}

/// Gives the PostgreSQL enum type `name` exactly `values`, in order, when values are
/// removed or reordered (PostgreSQL can only add values in place).
///
/// The old type is renamed away, the new one created, every column of the old type
/// (or an array of it) converted through `text` with its default dropped and put back,
/// and the old type dropped. Converting a row that holds a removed value fails, and
/// the migration with it. Does nothing on other backends, where enum values live in
/// the column type.
pub async fn recreate_postgres_enum(
    manager: &SchemaManager<'_>,
    name: &str,
    values: &[&str],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let conn = manager.get_connection();
    let sql = "SELECT format('%I.%I', n.nspname, c.relname) AS tbl, a.attname::text AS col, \
               (a.atttypid <> t.oid) AS is_array, pg_get_expr(d.adbin, d.adrelid) AS dflt \
               FROM pg_type t \
               JOIN pg_attribute a ON a.atttypid IN (t.oid, t.typarray) \
               JOIN pg_class c ON c.oid = a.attrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
               WHERE t.oid = to_regtype($1) AND a.attnum > 0 AND NOT a.attisdropped \
               AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1, 2";
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [Value::from(quote(name))]);
    let mut columns = Vec::new();
    for row in conn.query_all_raw(stmt).await? {
        let table: String = row.try_get("", "tbl")?;
        let column: String = row.try_get("", "col")?;
        let is_array: bool = row.try_get("", "is_array")?;
        let default: Option<String> = row.try_get("", "dflt")?;
        columns.push((table, column, is_array, default));
    }
    // Shortened like generated names: PostgreSQL would cut a long one to `name`.
    let old = crate::names::fit_name(&format!("{name}__db_migrate_old"));
    exec(
        conn,
        &format!("ALTER TYPE {} RENAME TO {}", quote(name), quote(&old)),
    )
    .await?;
    let list = values
        .iter()
        .map(|v| literal(v))
        .collect::<Vec<_>>()
        .join(", ");
    exec(
        conn,
        &format!("CREATE TYPE {} AS ENUM ({list})", quote(name)),
    )
    .await?;
    for (table, column, is_array, default) in &columns {
        let alter = format!("ALTER TABLE {table} ALTER COLUMN {}", quote(column));
        if default.is_some() {
            exec(conn, &format!("{alter} DROP DEFAULT")).await?;
        }
        let (via, to) = if *is_array {
            ("text[]", format!("{}[]", quote(name)))
        } else {
            ("text", quote(name))
        };
        let using = format!("{}::{via}::{to}", quote(column));
        exec(conn, &format!("{alter} TYPE {to} USING {using}")).await?;
        if let Some(default) = default {
            // Read before the rename, so it names the type by its (now new) name.
            exec(conn, &format!("{alter} SET DEFAULT {default}")).await?;
        }
    }
    exec(conn, &format!("DROP TYPE {}", quote(&old))).await
}

/// `"name"` (PostgreSQL and SQLite).
pub(super) fn quote(name: &str) -> String {
    quote_ident(Dialect::Postgres, name)
}

/// `` `name` `` (MySQL).
fn quote_mysql(name: &str) -> String {
    quote_ident(Dialect::MySql, name)
}

/// `'text'` (PostgreSQL).
fn literal(text: &str) -> String {
    quote_literal(Dialect::Postgres, text)
}

pub(super) fn join_quoted(names: &[&str], quote: fn(&str) -> String) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn exec<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<(), DbErr> {
    conn.execute_unprepared(sql).await.map(|_| ())
}
