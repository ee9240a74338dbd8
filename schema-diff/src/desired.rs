//! The desired side: SeaORM entities → IR.
//!
//! The input is what SeaORM's [`sea_orm::Schema`] builds from each entity
//! (`create_table_from_entity`, `create_index_from_entity`,
//! `create_enum_from_entity`), read back through sea-query's public getters.
//!
//! **Build the statements with `sea_orm::Schema::new(DbBackend::Sqlite)`.** With
//! that backend SeaORM keeps `ColumnType::Enum { name, variants }` as it is; the
//! PostgreSQL backend turns an enum column into `Custom(name)` (variants lost)
//! and the MySQL backend into `Custom("ENUM(...)")`. The IR is backend-neutral,
//! so the SQLite statements are the most faithful source whatever database the
//! schema is later compared with.
//!
//! Names: index, unique constraint and foreign key names over 63 bytes (SeaORM
//! derives them from table names) are shortened with [`crate::names::fit_name`], so
//! every backend keeps exactly the name the IR has; table and column names over 63
//! bytes are refused ([`Error::NameTooLong`]).

use sea_orm::sea_query::extension::postgres::TypeCreateStatement;
use sea_orm::sea_query::{
    self as sq, ColumnDef, Expr, ForeignKeyAction, IndexCreateStatement, Keyword, Query,
    SqliteQueryBuilder, StringLen, TableCreateStatement, TableName, TableRef, Value,
};

use crate::dialect::sqlite::parse_default;
use crate::error::Error;
use crate::ir::{
    Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Generated, Index, Schema,
    Table,
};
use crate::names::fit_name;

/// One entity's schema statements: `(table, extra indexes, enum types)`, the
/// tuple `entity::all_entities(&sea_orm::Schema)` returns per entity.
pub type EntityStatements = (
    TableCreateStatement,
    Vec<IndexCreateStatement>,
    Vec<TypeCreateStatement>,
);

/// Converts the statements of every entity into one sorted [`Schema`].
///
/// The statements must be built with `sea_orm::Schema::new(DbBackend::Sqlite)`
/// (see the module documentation). The enum types (third tuple element) are
/// not read: enums are collected from the columns' `ColumnType::Enum`, which
/// carries the same name and variants.
///
/// Fails with [`Error::UnsupportedType`] when a column type has no IR
/// equivalent, or when two columns declare the same enum name with different
/// variants.
pub fn schema_from_entities(entities: Vec<EntityStatements>) -> Result<Schema, Error> {
    let mut schema = Schema::default();
    for (table_stmt, indexes, _types) in &entities {
        let table = table_from_statements(table_stmt, indexes)?;
        collect_enums(&table, &mut schema.enums)?;
        schema.tables.push(table);
    }
    schema.sort();
    Ok(schema)
}

/// Converts one entity's `CREATE TABLE` and `CREATE INDEX` statements into a [`Table`].
pub fn table_from_statements(
    stmt: &TableCreateStatement,
    indexes: &[IndexCreateStatement],
) -> Result<Table, Error> {
    let name = stmt
        .get_table_name()
        .and_then(table_ref_name)
        .ok_or_else(|| Error::UnsupportedType {
            entity: "<unnamed>".into(),
            column: String::new(),
            reason: "the CREATE TABLE statement has no plain table name".into(),
        })?;
    crate::names::check_identifier("table", &name)?;
    let (comment, renamed_from) = split_renamed_from(stmt.get_comment().map(String::as_str));
    let mut table = Table {
        name: name.clone(),
        comment,
        renamed_from,
        ..Table::default()
    };

    for def in stmt.get_columns() {
        let column = column_from_def(&name, def)?;
        crate::names::check_identifier(&format!("column of table `{name}`"), &column.name)?;
        let spec = def.get_column_spec();
        if spec.primary_key {
            table.primary_key.push(column.name.clone());
        }
        if spec.unique {
            table.indexes.push(Index {
                name: fit_name(&format!("{name}_{}_key", column.name)),
                columns: vec![column.name.clone()],
                unique: true,
                constraint: true,
            });
        }
        table.columns.push(column);
    }

    for index in stmt.get_indexes() {
        let columns = index.get_index_spec().get_column_names();
        if index.is_primary_key() {
            table.primary_key = columns;
        } else {
            table.indexes.push(index_from_stmt(&name, index, true));
        }
    }
    for index in indexes {
        table.indexes.push(index_from_stmt(&name, index, false));
    }

    for fk_stmt in stmt.get_foreign_key_create_stmts() {
        let fk = fk_stmt.get_foreign_key();
        let ref_table =
            fk.get_ref_table()
                .and_then(table_ref_name)
                .ok_or_else(|| Error::UnsupportedType {
                    entity: name.clone(),
                    column: fk.get_columns().join(", "),
                    reason: "foreign key without a plain referenced table name".into(),
                })?;
        table.foreign_keys.push(ForeignKey {
            name: fk.get_name().map(fit_name),
            columns: fk.get_columns(),
            ref_table,
            ref_columns: fk.get_ref_columns(),
            on_delete: fk_action(fk.get_on_delete()),
            on_update: fk_action(fk.get_on_update()),
        });
    }
    Ok(table)
}

fn column_from_def(table: &str, def: &ColumnDef) -> Result<Column, Error> {
    let name = def.get_column_name();
    let unsupported = |reason: String| Error::UnsupportedType {
        entity: table.to_owned(),
        column: name.clone(),
        reason,
    };
    let sea_ty = def
        .get_column_type()
        .ok_or_else(|| unsupported("the column has no type".into()))?;
    let ty = column_type_from_sea(sea_ty).map_err(unsupported)?;
    let spec = def.get_column_spec();
    if let Some(extra) = &spec.extra {
        tracing::warn!(table, column = %name, extra, "column `extra` SQL is not compared");
    }
    let (comment, renamed_from) = split_renamed_from(spec.comment.as_deref());
    Ok(Column {
        ty,
        nullable: spec.nullable.unwrap_or(true),
        default: spec.default.as_ref().map(default_from_expr),
        auto_increment: spec.auto_increment,
        generated: spec.generated.as_ref().map(|g| Generated {
            expr: expr_to_sql(&g.expr),
            stored: g.stored,
        }),
        comment,
        renamed_from,
        name,
    })
}

fn index_from_stmt(table: &str, index: &IndexCreateStatement, constraint: bool) -> Index {
    let spec = index.get_index_spec();
    let columns = spec.get_column_names();
    let unique = index.is_unique_key();
    let name = spec.get_name().map(str::to_owned).unwrap_or_else(|| {
        let suffix = if unique { "key" } else { "idx" };
        format!("{table}_{}_{suffix}", columns.join("_"))
    });
    Index {
        name: fit_name(&name),
        columns,
        unique,
        constraint,
    }
}

/// Maps a sea-query column type to the IR, or explains why it cannot.
///
/// PostgreSQL-only types without an IR name (`Bit`, `VarBit`, `Vector`, `Cidr`,
/// `Inet`, `MacAddr`, `LTree`) become [`ColumnType::Custom`] with their
/// PostgreSQL spelling. Rejected: `StringLen::Max`, `Interval` with fields or
/// precision, and `Money` with a precision (the IR keeps none of these).
pub fn column_type_from_sea(ty: &sq::ColumnType) -> Result<ColumnType, String> {
    use sq::ColumnType as S;
    Ok(match ty {
        S::Char(n) => ColumnType::Char(*n),
        S::String(len) => ColumnType::String(string_len(*len, "String")?),
        S::Text => ColumnType::Text,
        S::Blob => ColumnType::Blob,
        S::TinyInteger => ColumnType::TinyInteger,
        S::SmallInteger => ColumnType::SmallInteger,
        S::Integer => ColumnType::Integer,
        S::BigInteger => ColumnType::BigInteger,
        S::TinyUnsigned => ColumnType::TinyUnsigned,
        S::SmallUnsigned => ColumnType::SmallUnsigned,
        S::Unsigned => ColumnType::Unsigned,
        S::BigUnsigned => ColumnType::BigUnsigned,
        S::Float => ColumnType::Float,
        S::Double => ColumnType::Double,
        S::Decimal(p) => ColumnType::Decimal(*p),
        S::DateTime => ColumnType::DateTime,
        S::Timestamp => ColumnType::Timestamp,
        S::TimestampWithTimeZone => ColumnType::TimestampWithTimeZone,
        S::Time => ColumnType::Time,
        S::Date => ColumnType::Date,
        S::Year => ColumnType::Year,
        S::Interval(None, None) => ColumnType::Interval,
        S::Interval(fields, precision) => {
            return Err(format!(
                "Interval with fields {fields:?} / precision {precision:?} is not supported; \
                 use a plain Interval"
            ));
        }
        S::Binary(n) => ColumnType::Binary(*n),
        S::VarBinary(len) => ColumnType::VarBinary(string_len(*len, "VarBinary")?),
        S::Bit(Some(n)) => ColumnType::Custom(format!("bit({n})")),
        S::Bit(None) => ColumnType::Custom("bit".into()),
        S::VarBit(n) => ColumnType::Custom(format!("varbit({n})")),
        S::Boolean => ColumnType::Boolean,
        S::Money(None) => ColumnType::Money,
        S::Money(Some((p, s))) => {
            return Err(format!(
                "Money({p}, {s}) is not supported: the schema IR keeps no precision for money; \
                 use Money without precision or Decimal(Some(({p}, {s})))"
            ));
        }
        S::Json => ColumnType::Json,
        S::JsonBinary => ColumnType::JsonBinary,
        S::Uuid => ColumnType::Uuid,
        S::Custom(iden) => ColumnType::Custom(iden.to_string()),
        S::Enum { name, variants } => ColumnType::Enum {
            name: name.to_string(),
            variants: variants.iter().map(|v| v.to_string()).collect(),
        },
        S::Array(inner) => ColumnType::Array(Box::new(column_type_from_sea(inner)?)),
        S::Vector(Some(n)) => ColumnType::Custom(format!("vector({n})")),
        S::Vector(None) => ColumnType::Custom("vector".into()),
        S::Cidr => ColumnType::Custom("cidr".into()),
        S::Inet => ColumnType::Custom("inet".into()),
        S::MacAddr => ColumnType::Custom("macaddr".into()),
        S::LTree => ColumnType::Custom("ltree".into()),
        other => return Err(format!("the column type {other:?} is not supported")),
    })
}

fn string_len(len: StringLen, ty: &str) -> Result<Option<u32>, String> {
    match len {
        StringLen::N(n) => Ok(Some(n)),
        StringLen::None => Ok(None),
        StringLen::Max => Err(format!(
            "{ty}(StringLen::Max) is not supported: give a length, or use no length"
        )),
    }
}

/// Converts a column default expression into a [`DefaultValue`].
///
/// Plain values and the `NULL` / `CURRENT_*` keywords are converted
/// structurally; anything else is rendered to SQL with `SqliteQueryBuilder`
/// and read back as a literal where it is one (so `Expr::cust("CURRENT_TIMESTAMP")`
/// is [`DefaultValue::CurrentTimestamp`]), else kept as [`DefaultValue::Expr`].
pub fn default_from_expr(expr: &Expr) -> DefaultValue {
    match expr {
        Expr::Value(value) | Expr::Constant(value) => match value_default(value) {
            Some(default) => default,
            None => parse_default(&expr_to_sql(expr)),
        },
        Expr::Keyword(Keyword::Null) => DefaultValue::Null,
        Expr::Keyword(Keyword::CurrentTimestamp) => DefaultValue::CurrentTimestamp,
        Expr::Keyword(Keyword::CurrentDate) => DefaultValue::CurrentDate,
        Expr::Keyword(Keyword::CurrentTime) => DefaultValue::CurrentTime,
        _ => parse_default(&expr_to_sql(expr)),
    }
}

fn value_default(value: &Value) -> Option<DefaultValue> {
    let number = |n: String| Some(DefaultValue::Number(n));
    match value {
        Value::Bool(Some(b)) => Some(DefaultValue::Bool(*b)),
        Value::TinyInt(Some(n)) => number(n.to_string()),
        Value::SmallInt(Some(n)) => number(n.to_string()),
        Value::Int(Some(n)) => number(n.to_string()),
        Value::BigInt(Some(n)) => number(n.to_string()),
        Value::TinyUnsigned(Some(n)) => number(n.to_string()),
        Value::SmallUnsigned(Some(n)) => number(n.to_string()),
        Value::Unsigned(Some(n)) => number(n.to_string()),
        Value::BigUnsigned(Some(n)) => number(n.to_string()),
        Value::Float(Some(n)) if n.is_finite() => number(n.to_string()),
        Value::Double(Some(n)) if n.is_finite() => number(n.to_string()),
        Value::String(Some(s)) => Some(DefaultValue::String(s.clone())),
        Value::Char(Some(c)) => Some(DefaultValue::String(c.to_string())),
        Value::Bool(None)
        | Value::TinyInt(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::TinyUnsigned(None)
        | Value::SmallUnsigned(None)
        | Value::Unsigned(None)
        | Value::BigUnsigned(None)
        | Value::Float(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::Char(None) => Some(DefaultValue::Null),
        _ => None,
    }
}

/// Renders an expression to SQLite SQL text (the `SELECT` list of a one-item query).
pub fn expr_to_sql(expr: &Expr) -> String {
    let sql = Query::select()
        .expr(expr.clone())
        .to_string(SqliteQueryBuilder);
    sql.strip_prefix("SELECT ").unwrap_or(&sql).to_owned()
}

fn fk_action(action: Option<ForeignKeyAction>) -> FkAction {
    match action {
        None | Some(ForeignKeyAction::NoAction) => FkAction::NoAction,
        Some(ForeignKeyAction::Restrict) => FkAction::Restrict,
        Some(ForeignKeyAction::Cascade) => FkAction::Cascade,
        Some(ForeignKeyAction::SetNull) => FkAction::SetNull,
        Some(ForeignKeyAction::SetDefault) => FkAction::SetDefault,
        // `ForeignKeyAction` is non-exhaustive; an unknown action is the default.
        Some(_) => FkAction::NoAction,
    }
}

fn table_ref_name(table: &TableRef) -> Option<String> {
    match table {
        TableRef::Table(TableName(_, name), _) => Some(name.to_string()),
        _ => None,
    }
}

/// Splits SeaORM's rename hint out of a comment.
///
/// SeaORM writes `comment; renamed_from "old"` or `renamed_from "old"`.
/// Returns the remaining comment (`None` when nothing is left) and the old name.
pub fn split_renamed_from(comment: Option<&str>) -> (Option<String>, Option<String>) {
    const MARK: &str = "renamed_from \"";
    let Some(comment) = comment else {
        return (None, None);
    };
    let non_empty = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let Some(start) = comment.rfind(MARK) else {
        return (non_empty(comment), None);
    };
    let rest = &comment[start + MARK.len()..];
    let Some(end) = rest.find('"') else {
        return (non_empty(comment), None);
    };
    let old = rest[..end].to_owned();
    let before = comment[..start].trim_end();
    let before = before.strip_suffix(';').unwrap_or(before).trim_end();
    let after = rest[end + 1..].trim();
    let remaining = match (before.is_empty(), after.is_empty()) {
        (_, true) => before.to_owned(),
        (true, false) => after.to_owned(),
        (false, false) => format!("{before} {after}"),
    };
    (non_empty(&remaining), non_empty(&old))
}

fn collect_enums(table: &Table, enums: &mut Vec<EnumType>) -> Result<(), Error> {
    for column in &table.columns {
        let mut ty = &column.ty;
        while let ColumnType::Array(inner) = ty {
            ty = inner;
        }
        let ColumnType::Enum { name, variants } = ty else {
            continue;
        };
        match enums.iter().find(|e| &e.name == name) {
            Some(existing) if &existing.values != variants => {
                return Err(Error::UnsupportedType {
                    entity: table.name.clone(),
                    column: column.name.clone(),
                    reason: format!(
                        "enum `{name}` has variants {variants:?} here but {:?} elsewhere",
                        existing.values
                    ),
                });
            }
            Some(_) => {}
            None => enums.push(EnumType {
                name: name.clone(),
                values: variants.clone(),
            }),
        }
    }
    Ok(())
}
