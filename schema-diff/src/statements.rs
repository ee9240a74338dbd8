//! IR → sea-query statements: the executable twin of [`crate::render`].
//!
//! [`apply`] runs a list of [`Change`]s against a live connection and does exactly what
//! the rendered migration module does for the same changes on the same backend: both
//! read the same plan (`statements/plan.rs`: what runs, in which order, on which
//! backend) and the same builder vocabulary (`statements/vocab.rs`: which `ColumnDef`
//! method a type becomes, which `.default(...)` a default becomes).
//!
//! Where sea-query has no statement for a change (primary key changes, unique
//! constraints on an existing table, PostgreSQL enum recreation, the SQLite table
//! rebuild) both paths call the same helper in [`crate::runtime`].

mod plan;
pub(crate) mod vocab;

pub(crate) use plan::{
    ModifyParts, Node, Op, Placement, flatten, is_unique_constraint, plan, plan_for,
};

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::SchemaManager;
use sea_query::extension::postgres::{Type, TypeAlterStatement, TypeCreateStatement};
use sea_query::{
    Alias, ColumnDef, Expr, ForeignKey as SeaForeignKey, ForeignKeyAction,
    ForeignKeyCreateStatement, Index as SeaIndex, IndexCreateStatement, IndexDropStatement,
    MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder, Table as SeaTable,
    TableAlterStatement, TableCreateStatement,
};

use crate::dialect::Dialect;
use crate::ir::{Column, EnumType, FkAction, ForeignKey, Index, Table};
use crate::{Change, runtime};

/// The `ColumnDef` of `column`: type, `NOT NULL`/`NULL`, auto-increment, default,
/// generation and comment. The primary key is left to [`create_table`]. `_table` names
/// the owning table and is not needed by any backend.
pub fn column_def(_table: &str, column: &Column) -> ColumnDef {
    let mut def = vocab::typed_column_def(&column.name, &column.ty);
    // A generated column's nullability follows its expression (MariaDB rejects both).
    if column.generated.is_none() {
        if column.nullable {
            def.null();
        } else {
            def.not_null();
        }
    }
    if column.auto_increment {
        def.auto_increment();
    }
    if let Some(default) = &column.default {
        def.default(vocab::default_arg(default).to_expr());
    }
    if let Some(generated) = &column.generated {
        def.generated(Expr::cust(generated.expr.clone()), generated.stored);
    }
    if let Some(comment) = &column.comment {
        def.comment(comment);
    }
    def
}

/// The `ColumnDef` an `ALTER COLUMN` of `column` carries: the whole definition, or only
/// the parts PostgreSQL sets in one clause (see [`ModifyParts`]).
pub(crate) fn modify_column_def(table: &str, column: &Column, parts: &ModifyParts) -> ColumnDef {
    match parts {
        ModifyParts::Full => column_def(table, column),
        ModifyParts::TypeUsing(using) => {
            let mut def = vocab::typed_column_def(&column.name, &column.ty);
            def.using(Expr::cust(using.clone()));
            def
        }
        ModifyParts::NullDefault => {
            let mut def = ColumnDef::new(Alias::new(&column.name));
            if column.nullable {
                def.null();
            } else {
                def.not_null();
            }
            if let Some(default) = &column.default {
                def.default(vocab::default_arg(default).to_expr());
            }
            def
        }
    }
}

/// `CREATE TABLE` for `table`: columns, the primary key (inline `PRIMARY KEY` on the
/// column when it has one column, which SQLite needs for `INTEGER PRIMARY KEY
/// AUTOINCREMENT`), unique constraints, foreign keys, checks and the table comment.
/// Plain indexes are separate statements: see [`create_indexes`].
pub fn create_table(table: &Table) -> TableCreateStatement {
    let mut stmt = SeaTable::create();
    stmt.table(Alias::new(&table.name));
    let inline_pk = match table.primary_key.as_slice() {
        [single] => Some(single.as_str()),
        _ => None,
    };
    for column in &table.columns {
        let mut def = column_def(&table.name, column);
        if inline_pk == Some(column.name.as_str()) {
            def.primary_key();
        }
        stmt.col(def);
    }
    if table.primary_key.len() > 1 {
        let mut pk = SeaIndex::create();
        for column in &table.primary_key {
            pk.col(Alias::new(column));
        }
        stmt.primary_key(&mut pk);
    }
    for index in table.indexes.iter().filter(|i| is_unique_constraint(i)) {
        let mut unique = SeaIndex::create();
        unique.name(&index.name).unique();
        for column in &index.columns {
            unique.col(Alias::new(column));
        }
        stmt.index(&mut unique);
    }
    for foreign_key in &table.foreign_keys {
        stmt.foreign_key(&mut create_foreign_key(&table.name, foreign_key));
    }
    for check in &table.checks {
        let expr = Expr::cust(check.expr.clone());
        match &check.name {
            Some(name) => stmt.check((Alias::new(name), expr)),
            None => stmt.check(expr),
        };
    }
    if let Some(comment) = &table.comment {
        stmt.comment(comment);
    }
    stmt.to_owned()
}

/// `CREATE INDEX` statements for the table's indexes that are not unique constraints
/// (those are part of [`create_table`]).
pub fn create_indexes(table: &Table) -> Vec<IndexCreateStatement> {
    table
        .indexes
        .iter()
        .filter(|i| !is_unique_constraint(i))
        .map(|index| create_index(&table.name, index))
        .collect()
}

/// `CREATE [UNIQUE] INDEX name ON table (columns)`.
pub fn create_index(table: &str, index: &Index) -> IndexCreateStatement {
    let mut stmt = SeaIndex::create();
    stmt.name(&index.name).table(Alias::new(table));
    for column in &index.columns {
        stmt.col(Alias::new(column));
    }
    if index.unique {
        stmt.unique();
    }
    stmt.to_owned()
}

/// `DROP INDEX name` (MySQL needs the table, the others ignore it).
pub fn drop_index(table: &str, name: &str) -> IndexDropStatement {
    SeaIndex::drop()
        .name(name)
        .table(Alias::new(table))
        .to_owned()
}

/// A foreign key of `table`, with its name and `ON DELETE`/`ON UPDATE` actions
/// (`NO ACTION`, the default, is left unsaid).
pub fn create_foreign_key(table: &str, foreign_key: &ForeignKey) -> ForeignKeyCreateStatement {
    let mut stmt = SeaForeignKey::create();
    if let Some(name) = &foreign_key.name {
        stmt.name(name);
    }
    stmt.from_tbl(Alias::new(table))
        .to_tbl(Alias::new(&foreign_key.ref_table));
    for column in &foreign_key.columns {
        stmt.from_col(Alias::new(column));
    }
    for column in &foreign_key.ref_columns {
        stmt.to_col(Alias::new(column));
    }
    if let Some(action) = fk_action(foreign_key.on_delete) {
        stmt.on_delete(action);
    }
    if let Some(action) = fk_action(foreign_key.on_update) {
        stmt.on_update(action);
    }
    stmt.to_owned()
}

/// The sea-query action of an IR action; `None` for `NO ACTION`, which is what an
/// unspecified action means.
pub(crate) fn fk_action(action: FkAction) -> Option<ForeignKeyAction> {
    match action {
        FkAction::NoAction => None,
        FkAction::Restrict => Some(ForeignKeyAction::Restrict),
        FkAction::Cascade => Some(ForeignKeyAction::Cascade),
        FkAction::SetNull => Some(ForeignKeyAction::SetNull),
        FkAction::SetDefault => Some(ForeignKeyAction::SetDefault),
    }
}

/// `CREATE TYPE name AS ENUM (...)` (PostgreSQL).
pub fn create_enum(enum_type: &EnumType) -> TypeCreateStatement {
    Type::create()
        .as_enum(Alias::new(&enum_type.name))
        .values(enum_type.values.iter().map(Alias::new))
        .to_owned()
}

/// `ALTER TYPE name ADD VALUE 'value' [BEFORE|AFTER 'other']` (PostgreSQL).
pub(crate) fn add_enum_value(name: &str, value: &str, placement: &Placement) -> TypeAlterStatement {
    let stmt = Type::alter()
        .name(Alias::new(name))
        .add_value(Alias::new(value));
    match placement {
        Placement::Before(other) => stmt.before(Alias::new(other)),
        Placement::After(other) => stmt.after(Alias::new(other)),
        Placement::End => stmt,
    }
}

fn alter(table: &str) -> TableAlterStatement {
    SeaTable::alter().table(Alias::new(table)).to_owned()
}

/// Runs `changes` against `manager`'s database: the same statements, in the same order,
/// as the module [`crate::render::render_migration`] generates for them.
pub async fn apply(manager: &SchemaManager<'_>, changes: &[Change]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let dialect = Dialect::of(backend)
        .ok_or_else(|| DbErr::Migration(format!("unsupported database backend {backend:?}")))?;
    crate::sql_text::check_changes(changes).map_err(|e| DbErr::Migration(e.to_string()))?;
    let nodes = plan(changes);
    for op in flatten(&nodes, dialect) {
        run(manager, op).await?;
    }
    Ok(())
}

async fn run(manager: &SchemaManager<'_>, op: &Op) -> Result<(), DbErr> {
    match op {
        Op::CreateTable(table) => manager.create_table(create_table(table)).await,
        Op::DropTable(name) => {
            let stmt = SeaTable::drop().table(Alias::new(name)).to_owned();
            manager.drop_table(stmt).await
        }
        Op::RenameTable { from, to } => {
            let stmt = SeaTable::rename()
                .table(Alias::new(from), Alias::new(to))
                .to_owned();
            manager.rename_table(stmt).await
        }
        Op::AddColumn { table, column } => {
            let stmt = alter(table)
                .add_column(column_def(table, column))
                .to_owned();
            manager.alter_table(stmt).await
        }
        Op::DropColumn { table, column } => {
            let stmt = alter(table).drop_column(Alias::new(column)).to_owned();
            manager.alter_table(stmt).await
        }
        Op::RenameColumn { table, from, to } => {
            let stmt = alter(table)
                .rename_column(Alias::new(from), Alias::new(to))
                .to_owned();
            manager.alter_table(stmt).await
        }
        Op::ModifyColumn {
            table,
            column,
            parts,
        } => {
            let def = modify_column_def(table, column, parts);
            manager
                .alter_table(alter(table).modify_column(def).to_owned())
                .await
        }
        Op::CreateIndex { table, index } => manager.create_index(create_index(table, index)).await,
        Op::DropIndex { table, name } => manager.drop_index(drop_index(table, name)).await,
        Op::AddUnique { table, index } => {
            let columns: Vec<&str> = index.columns.iter().map(String::as_str).collect();
            runtime::add_unique_constraint(manager, table, &index.name, &columns).await
        }
        Op::KeepForeignKeyIndexes { table, name } => {
            runtime::keep_foreign_key_indexes(manager, table, name).await
        }
        Op::RequireFit {
            table,
            column,
            new_type,
            fit,
        } => runtime::require_values_fit(manager, table, column, new_type, fit.clone()).await,
        Op::DropUnique { table, name } => {
            runtime::drop_unique_constraint(manager, table, name).await
        }
        Op::AddForeignKey { table, foreign_key } => {
            let stmt = create_foreign_key(table, foreign_key);
            manager.create_foreign_key(stmt).await
        }
        Op::DropForeignKey { table, name } => runtime::drop_foreign_key(manager, table, name).await,
        Op::ReplacePrimaryKey { table, columns } => {
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
            runtime::replace_primary_key(manager, table, &columns).await
        }
        Op::CreateEnum(enum_type) => manager.create_type(create_enum(enum_type)).await,
        Op::DropEnum(name) => {
            let stmt = Type::drop().name(Alias::new(name)).to_owned();
            manager.drop_type(stmt).await
        }
        Op::AddEnumValue {
            name,
            value,
            placement,
        } => {
            let stmt = add_enum_value(name, value, placement);
            manager.alter_type(stmt).await
        }
        Op::RecreateEnum(enum_type) => {
            let values: Vec<&str> = enum_type.values.iter().map(String::as_str).collect();
            runtime::recreate_postgres_enum(manager, &enum_type.name, &values).await
        }
        Op::AlterMySqlEnumColumns { from, to } => {
            let from: Vec<&str> = from.iter().map(String::as_str).collect();
            let to: Vec<&str> = to.iter().map(String::as_str).collect();
            runtime::alter_mysql_enum_columns(manager, &from, &to).await
        }
        Op::RebuildSqlite {
            table,
            copy_columns,
        } => {
            let copy: Vec<&str> = copy_columns.iter().map(String::as_str).collect();
            runtime::rebuild_sqlite_table(
                manager,
                create_table(table),
                create_indexes(table),
                &copy,
            )
            .await
        }
        Op::CheckSqliteRebuilds {
            tables,
            referenced_by_migration,
        } => {
            let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
            let referenced: Vec<&str> =
                referenced_by_migration.iter().map(String::as_str).collect();
            runtime::check_sqlite_rebuilds(manager, &tables, &referenced).await
        }
        Op::Raw(sql) => manager
            .get_connection()
            .execute_unprepared(sql)
            .await
            .map(|_| ()),
        Op::Fail(message) => Err(DbErr::Migration(message.clone())),
        Op::RequireBackends { backends, message } => {
            let here = Dialect::of(manager.get_database_backend());
            if here.is_some_and(|d| backends.contains(&d)) {
                Ok(())
            } else {
                Err(DbErr::Migration(message.clone()))
            }
        }
    }
}

/// The SQL `changes` would run on `backend`, one string per statement, for previews
/// and tests. Steps done by a [`crate::runtime`] helper, which reads the catalog at run
/// time, are shown as `-- ` comment lines naming the helper (the SQLite rebuild also
/// shows the `CREATE TABLE` and `CREATE INDEX` it runs).
pub fn preview_sql(changes: &[Change], backend: DbBackend) -> Vec<String> {
    let Some(dialect) = Dialect::of(backend) else {
        return vec![format!("-- unsupported database backend {backend:?}")];
    };
    if let Err(unsafe_name) = crate::sql_text::check_changes(changes) {
        return vec![format!("-- error: {unsafe_name}")];
    }
    let nodes = plan(changes);
    let mut lines = Vec::new();
    for op in flatten(&nodes, dialect) {
        lines.extend(op_sql(op, dialect));
        if let Op::Fail(_) = op {
            break;
        }
        if let Op::RequireBackends { backends, .. } = op
            && !backends.contains(&dialect)
        {
            break;
        }
    }
    lines
}

fn op_sql(op: &Op, dialect: Dialect) -> Vec<String> {
    macro_rules! sql {
        ($stmt:expr) => {
            match dialect {
                Dialect::Sqlite => $stmt.to_string(SqliteQueryBuilder),
                Dialect::Postgres => $stmt.to_string(PostgresQueryBuilder),
                Dialect::MySql => $stmt.to_string(MysqlQueryBuilder),
            }
        };
    }
    let one = |s: String| vec![s];
    match op {
        Op::CreateTable(table) => one(sql!(create_table(table))),
        Op::DropTable(name) => one(sql!(SeaTable::drop().table(Alias::new(name)))),
        Op::RenameTable { from, to } => one(sql!(
            SeaTable::rename().table(Alias::new(from), Alias::new(to))
        )),
        Op::AddColumn { table, column } => {
            one(sql!(alter(table).add_column(column_def(table, column))))
        }
        Op::DropColumn { table, column } => one(sql!(alter(table).drop_column(Alias::new(column)))),
        Op::RenameColumn { table, from, to } => one(sql!(
            alter(table).rename_column(Alias::new(from), Alias::new(to))
        )),
        Op::ModifyColumn {
            table,
            column,
            parts,
        } => one(sql!(
            alter(table).modify_column(modify_column_def(table, column, parts))
        )),
        Op::CreateIndex { table, index } => one(sql!(create_index(table, index))),
        Op::DropIndex { table, name } => one(sql!(drop_index(table, name))),
        Op::AddUnique { table, index } => one(format!(
            "-- runtime::add_unique_constraint({table}, {}, {:?})",
            index.name, index.columns
        )),
        Op::RequireFit {
            table,
            column,
            new_type,
            ..
        } => one(format!(
            "-- runtime::require_values_fit({table}.{column}, {new_type})"
        )),
        Op::KeepForeignKeyIndexes { table, name } => match dialect {
            Dialect::MySql => one(format!(
                "-- runtime::keep_foreign_key_indexes({table}, {name})"
            )),
            _ => Vec::new(),
        },
        Op::DropUnique { table, name } => one(format!(
            "-- runtime::drop_unique_constraint({table}, {name})"
        )),
        Op::AddForeignKey { table, foreign_key } => {
            one(sql!(create_foreign_key(table, foreign_key)))
        }
        Op::DropForeignKey { table, name } => one(sql!(
            SeaForeignKey::drop().name(name).table(Alias::new(table))
        )),
        Op::ReplacePrimaryKey { table, columns } => one(format!(
            "-- runtime::replace_primary_key({table}, {columns:?})"
        )),
        Op::CreateEnum(enum_type) => one(create_enum(enum_type).to_string(PostgresQueryBuilder)),
        Op::DropEnum(name) => one(Type::drop()
            .name(Alias::new(name))
            .to_string(PostgresQueryBuilder)),
        Op::AddEnumValue {
            name,
            value,
            placement,
        } => one(add_enum_value(name, value, placement).to_string(PostgresQueryBuilder)),
        Op::RecreateEnum(enum_type) => one(format!(
            "-- runtime::recreate_postgres_enum({}, {:?})",
            enum_type.name, enum_type.values
        )),
        Op::AlterMySqlEnumColumns { from, to } => one(format!(
            "-- runtime::alter_mysql_enum_columns({from:?}, {to:?})"
        )),
        Op::RebuildSqlite {
            table,
            copy_columns,
        } => {
            let mut lines = vec![format!(
                "-- runtime::rebuild_sqlite_table({}, copying {copy_columns:?}):",
                table.name
            )];
            lines.push(sql!(create_table(table)));
            lines.extend(create_indexes(table).iter().map(|i| sql!(i)));
            lines
        }
        // A read-only check of the catalog: no statement to show.
        Op::CheckSqliteRebuilds { .. } => Vec::new(),
        Op::Raw(sql) => one(sql.clone()),
        Op::Fail(message) => one(format!("-- error: {message}")),
        Op::RequireBackends { backends, message } if !backends.contains(&dialect) => {
            one(format!("-- error: {message}"))
        }
        Op::RequireBackends { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
