//! SQLite's table rebuild: [`rebuild_sqlite_table`].

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait, Value,
};
use sea_orm_migration::SchemaManager;
use sea_query::{
    Alias, ColumnType as SeaType, Expr, IndexCreateStatement, StringLen, TableCreateStatement,
    TableName, TableRef,
};

use super::sqlite_attached::Attached;
use super::{exec, join_quoted, quote, quoted_list};

/// The prefix of the temporary table a SQLite rebuild creates: `__db_migrate_new_<table>`.
pub const SQLITE_REBUILD_PREFIX: &str = "__db_migrate_new_";

/// Rebuilds a SQLite table into the shape of `table`, keeping its rows.
///
/// SQLite's `ALTER TABLE` can only rename a table and add, drop or rename a column;
/// any other change (a column's type, nullability or default, a foreign key, a unique
/// or check constraint, the primary key) takes the procedure documented in
/// <https://www.sqlite.org/lang_altertable.html#otheralter>:
///
/// 1. create the new table under a temporary name, `__db_migrate_new_<table>`;
/// 2. `INSERT INTO new (copy_columns) SELECT copy_columns FROM old`;
/// 3. `DROP TABLE old`;
/// 4. `ALTER TABLE new RENAME TO old`;
/// 5. recreate `indexes` (dropping the old table dropped its indexes);
/// 6. `PRAGMA foreign_key_check` on the table and on the tables referencing it.
///
/// `copy_columns` are the columns present in both the old and the new table, by name;
/// columns only in the new table take their default.
///
/// All of it runs in one transaction (a savepoint when the caller is already in
/// one), so a failure leaves the table as it was.
///
/// **Foreign keys must be off.** With `PRAGMA foreign_keys = ON`, step 3 would run the
/// `ON DELETE` actions of every table referencing this one (deleting or nulling their
/// rows), and the pragma cannot be changed inside a transaction. `db-migrate upgrade`
/// turns foreign keys off before it opens a migration's transaction; when they are on
/// and some table references this one (itself included), this returns an error instead
/// of touching anything.
///
/// What the IR does not model is kept: the CHECK constraints of the old `CREATE TABLE`
/// are added to the new one, triggers and partial or expression indexes are recreated
/// from their SQL, and views that read the table must still work afterwards (the
/// rename runs with `PRAGMA legacy_alter_table = ON` so that SQLite does not reject
/// them while the table is gone). When one of those uses a column the rebuild drops,
/// or a view breaks, nothing is changed and the error names it.
pub async fn rebuild_sqlite_table(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
    copy_columns: &[&str],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::Sqlite {
        return Err(DbErr::Migration(format!(
            "rebuild_sqlite_table runs on SQLite only, not on {backend:?}"
        )));
    }
    let name = table_name(&table).ok_or_else(|| {
        DbErr::Migration(
            "rebuild_sqlite_table: the CREATE TABLE statement has no table name".into(),
        )
    })?;
    let txn = manager.get_connection().begin().await?;
    match rebuild_in(&txn, &name, table, &indexes, copy_columns).await {
        Ok(()) => txn.commit().await,
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}

async fn rebuild_in(
    txn: &DatabaseTransaction,
    name: &str,
    mut table: TableCreateStatement,
    indexes: &[IndexCreateStatement],
    copy_columns: &[&str],
) -> Result<(), DbErr> {
    let referencing = referencing_tables(txn, name).await?;
    if foreign_keys_enabled(txn).await? && !referencing.is_empty() {
        return Err(DbErr::Migration(format!(
            "cannot rebuild SQLite table `{name}` while foreign keys are on: it is referenced by \
             {}, and dropping the old table would run their ON DELETE actions. Run the migration \
             through `db-migrate upgrade`, which turns foreign keys off around it (or run \
             `PRAGMA foreign_keys = OFF` on the connection before the migration's transaction); \
             a migration whose use_transaction() is Some(false) (a data migration) runs with \
             foreign keys on, so move the rebuild to a migration of its own.",
            quoted_list(&referencing)
        )));
    }

    let old_columns = declared_columns(txn, name).await?;
    refuse_values_that_do_not_fit(txn, name, &old_columns, &table, copy_columns).await?;
    let attached = Attached::read(txn, name).await?;
    let new_columns: Vec<String> = table
        .get_columns()
        .iter()
        .map(|c| c.get_column_name())
        .collect();
    let dropped: Vec<String> = old_columns
        .iter()
        .map(|(column, _)| column.clone())
        .filter(|column| !new_columns.contains(column))
        .collect();
    attached.refuse_what_cannot_be_kept(name, &dropped)?;
    for check in &attached.checks {
        table.check(Expr::cust(check.clone()));
    }
    let temp = format!("{SQLITE_REBUILD_PREFIX}{name}");
    exec(txn, &format!("DROP TABLE IF EXISTS {}", quote(&temp))).await?;
    table.table(Alias::new(&temp));
    txn.execute(&table).await?;
    if !copy_columns.is_empty() {
        let columns = join_quoted(copy_columns, quote);
        let sql = format!(
            "INSERT INTO {} ({columns}) SELECT {columns} FROM {}",
            quote(&temp),
            quote(name)
        );
        exec(txn, &sql).await?;
    }
    exec(txn, &format!("DROP TABLE {}", quote(name))).await?;
    let legacy = pragma_int(txn, "PRAGMA legacy_alter_table").await?;
    exec(txn, "PRAGMA legacy_alter_table = ON").await?;
    let rename = format!("ALTER TABLE {} RENAME TO {}", quote(&temp), quote(name));
    let renamed = exec(txn, &rename).await;
    exec(txn, &format!("PRAGMA legacy_alter_table = {legacy}")).await?;
    renamed?;
    for index in indexes {
        txn.execute(index).await?;
    }
    attached.restore(txn, name).await?;

    let mut checked = vec![name.to_owned()];
    checked.extend(referencing.into_iter().filter(|t| t != name));
    for checked_table in &checked {
        let sql = format!("PRAGMA foreign_key_check({})", quote(checked_table));
        let violations = txn
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await?;
        if let Some(first) = violations.first() {
            let parent: String = first.try_get_by_index(2).unwrap_or_default();
            return Err(DbErr::Migration(format!(
                "rebuilding SQLite table `{name}` left {} row(s) of `{checked_table}` violating \
                 a foreign key (the first references `{parent}`); the rebuild was rolled back",
                violations.len()
            )));
        }
    }
    Ok(())
}

/// SQLite stores text of any length whatever the declared type, so a rebuild that
/// narrows `varchar(50)` to `varchar(20)` would keep values PostgreSQL and MySQL
/// reject. To give a narrowing the same meaning on every backend, the rebuild fails
/// (changing nothing) when a copied column's new length is shorter than its old one
/// and some value is longer than the new length.
async fn refuse_values_that_do_not_fit(
    txn: &DatabaseTransaction,
    name: &str,
    old_columns: &[(String, String)],
    table: &TableCreateStatement,
    copy_columns: &[&str],
) -> Result<(), DbErr> {
    let old_lengths: std::collections::HashMap<&str, Option<u32>> = old_columns
        .iter()
        .map(|(column, declared)| (column.as_str(), declared_length(declared)))
        .collect();
    for def in table.get_columns() {
        let column = def.get_column_name();
        let new_length = match def.get_column_type() {
            Some(SeaType::String(StringLen::N(n))) | Some(SeaType::Char(Some(n))) => *n,
            _ => continue,
        };
        let Some(old_length) = old_lengths.get(column.as_str()) else {
            continue;
        };
        let narrowed = old_length.is_none_or(|old| old > new_length);
        if !narrowed || !copy_columns.contains(&column.as_str()) {
            continue;
        }
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE length({}) > {new_length}",
            quote(name),
            quote(&column)
        );
        let too_long = pragma_int(txn, &sql).await?;
        if too_long > 0 {
            return Err(DbErr::Migration(format!(
                "{too_long} row(s) of `{name}` hold a `{column}` longer than {new_length} \
                 characters, the column's new length; nothing was changed (shorten or \
                 remove those values first, or keep the longer type)",
                name = crate::display::visible(name),
                column = crate::display::visible(&column),
            )));
        }
    }
    Ok(())
}

/// The columns of `table` with their declared types, in order.
async fn declared_columns(
    txn: &DatabaseTransaction,
    table: &str,
) -> Result<Vec<(String, String)>, DbErr> {
    let sql = "SELECT name, type FROM pragma_table_info(?)";
    let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, sql, [Value::from(table)]);
    txn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// The length in a declared type such as `varchar(50)` or `character(3)`; `None`
/// when it declares none (`text`).
fn declared_length(declared: &str) -> Option<u32> {
    let inside = declared.split_once('(')?.1.split_once(')')?.0;
    inside.split(',').next()?.trim().parse().ok()
}

fn table_name(table: &TableCreateStatement) -> Option<String> {
    match table.get_table_name()? {
        TableRef::Table(TableName(_, name), _) => Some(name.to_string()),
        _ => None,
    }
}

pub(super) async fn pragma_int<C: ConnectionTrait>(txn: &C, sql: &str) -> Result<i64, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await?;
    match row {
        Some(row) => row.try_get_by_index::<i64>(0),
        None => Ok(0),
    }
}

pub(super) async fn foreign_keys_enabled<C: ConnectionTrait>(txn: &C) -> Result<bool, DbErr> {
    Ok(pragma_int(txn, "PRAGMA foreign_keys").await? != 0)
}

/// The tables (this one included, when it references itself) with a foreign key to
/// `table`.
pub(super) async fn referencing_tables<C: ConnectionTrait>(
    txn: &C,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let sql = "SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f \
               WHERE m.type = 'table' AND f.\"table\" = ? COLLATE NOCASE ORDER BY m.name";
    let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, sql, [Value::from(table)]);
    txn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect()
}
