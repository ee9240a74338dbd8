//! The one door for untrusted names into SQL.
//!
//! Names and expressions read from a database are untrusted: anyone who can create a
//! table, index or type in it chooses them. Two rules keep them from turning into SQL
//! of their own:
//!
//! - every statement this crate writes by hand quotes identifiers with
//!   [`quote_ident`] and string literals with [`quote_literal`];
//! - before a change list is rendered into a module or applied, [`check_changes`]
//!   refuses names that sea-query would write unescaped. sea-query 1.0 escapes table
//!   and column names, but writes index, foreign key and constraint names, PostgreSQL
//!   enum type names in column types, MySQL enum values and custom type names as they
//!   are. Rather than relying on which builder escapes what, one rule holds for every
//!   name: no double quote, no backtick, no NUL.
//!
//! Refusing happens before any SQL runs and before any file is written; the error
//! names the object (escaped for the terminal) and asks for a rename by hand.

use crate::display::visible;
use crate::ir::{Column, ColumnType, DefaultValue, EnumType, Table};
use crate::{Change, Dialect};

/// A name or expression that cannot be used in SQL safely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} {} cannot be used in a migration: {reason}; rename or change it by hand first",
    quoted_for_message(name)
)]
pub struct UnsafeName {
    /// What the name names, with its table: `index on table "users"`.
    pub what: String,
    /// The name as read.
    pub name: String,
    /// Why it is refused.
    pub reason: &'static str,
}

fn quoted_for_message(name: &str) -> String {
    format!("`{}`", visible(name))
}

/// `name` as a quoted identifier of `dialect`: `"name"` (PostgreSQL, SQLite) or
/// `` `name` `` (MySQL), with the quote character doubled inside.
pub fn quote_ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres | Dialect::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// [`quote_ident`] for a sea-orm backend: backticks on MySQL, double quotes elsewhere.
pub fn quote_ident_for(backend: sea_orm::DbBackend, name: &str) -> String {
    quote_ident(Dialect::of(backend).unwrap_or(Dialect::Postgres), name)
}

/// `text` as a string literal of `dialect`: single quotes doubled, and on MySQL
/// backslashes doubled too (MySQL reads `\` as an escape inside strings).
pub fn quote_literal(dialect: Dialect, text: &str) -> String {
    let text = text.replace('\'', "''");
    match dialect {
        Dialect::MySql => format!("'{}'", text.replace('\\', "\\\\")),
        Dialect::Postgres | Dialect::Sqlite => format!("'{text}'"),
    }
}

/// Checks every name, type and expression `changes` would put into SQL (see the
/// module documentation); the first that is unsafe is the error.
pub fn check_changes(changes: &[Change]) -> Result<(), UnsafeName> {
    changes.iter().try_for_each(check_change)
}

fn check_change(change: &Change) -> Result<(), UnsafeName> {
    match change {
        Change::CreateTable { table } | Change::DropTable { table } => check_table(table),
        Change::RenameTable { from, to } => {
            identifier("table", from)?;
            identifier("table", to)
        }
        Change::AddColumn { table, column } | Change::DropColumn { table, column } => {
            identifier("table", table)?;
            check_column(table, column)
        }
        Change::RenameColumn { table, from, to } => {
            identifier("table", table)?;
            identifier(&format!("column of table {}", q(table)), from)?;
            identifier(&format!("column of table {}", q(table)), to)
        }
        Change::AlterColumn { table, from, to } => {
            identifier("table", table)?;
            check_column(table, from)?;
            check_column(table, to)
        }
        Change::CreateIndex { table, index } | Change::DropIndex { table, index } => {
            identifier("table", table)?;
            identifier(&format!("index on table {}", q(table)), &index.name)?;
            columns(table, &index.columns)
        }
        Change::AddForeignKey { table, foreign_key }
        | Change::DropForeignKey { table, foreign_key } => {
            identifier("table", table)?;
            if let Some(name) = &foreign_key.name {
                identifier(&format!("foreign key on table {}", q(table)), name)?;
            }
            columns(table, &foreign_key.columns)?;
            identifier("table", &foreign_key.ref_table)?;
            columns(&foreign_key.ref_table, &foreign_key.ref_columns)
        }
        Change::AlterPrimaryKey { table, from, to } => {
            identifier("table", table)?;
            columns(table, from)?;
            columns(table, to)
        }
        Change::CreateEnum { enum_type } | Change::DropEnum { enum_type } => check_enum(enum_type),
        Change::AlterEnum { from, to } => {
            check_enum(from)?;
            check_enum(to)
        }
        Change::RebuildTable { from, to, changes } => {
            check_table(from)?;
            check_table(to)?;
            check_changes(changes)
        }
    }
}

fn check_table(table: &Table) -> Result<(), UnsafeName> {
    let name = &table.name;
    identifier("table", name)?;
    for column in &table.columns {
        check_column(name, column)?;
    }
    columns(name, &table.primary_key)?;
    for index in &table.indexes {
        identifier(&format!("index on table {}", q(name)), &index.name)?;
        columns(name, &index.columns)?;
    }
    for foreign_key in &table.foreign_keys {
        if let Some(fk_name) = &foreign_key.name {
            identifier(&format!("foreign key on table {}", q(name)), fk_name)?;
        }
        columns(name, &foreign_key.columns)?;
        identifier("table", &foreign_key.ref_table)?;
        columns(&foreign_key.ref_table, &foreign_key.ref_columns)?;
    }
    for check in &table.checks {
        let what = format!("check constraint on table {}", q(name));
        if let Some(check_name) = &check.name {
            identifier(&what, check_name)?;
        }
        expression(&what, &check.expr)?;
    }
    Ok(())
}

fn check_column(table: &str, column: &Column) -> Result<(), UnsafeName> {
    identifier(&format!("column of table {}", q(table)), &column.name)?;
    let what = format!("column {}.{}", q(table), q(&column.name));
    column_type(&what, &column.ty)?;
    if let Some(DefaultValue::Expr(expr)) = &column.default {
        expression(&format!("default of {what}"), expr)?;
    }
    if let Some(generated) = &column.generated {
        expression(&format!("generation expression of {what}"), &generated.expr)?;
    }
    Ok(())
}

fn column_type(what: &str, ty: &ColumnType) -> Result<(), UnsafeName> {
    match ty {
        ColumnType::Enum { name, variants } => {
            enum_type_name(name)?;
            enum_values(name, variants)
        }
        ColumnType::Array(inner) => column_type(what, inner),
        ColumnType::Custom(custom) => {
            let what = format!("type of {what}");
            if custom.contains(['\'', '`', '\\']) {
                return Err(unsafe_name(
                    &what,
                    custom,
                    "a type name with a quote, backtick or backslash",
                ));
            }
            expression(&what, custom)
        }
        _ => Ok(()),
    }
}

fn check_enum(enum_type: &EnumType) -> Result<(), UnsafeName> {
    enum_type_name(&enum_type.name)?;
    enum_values(&enum_type.name, &enum_type.values)
}

/// PostgreSQL enum type names reach column types unquoted: only plain identifiers
/// (or none: MySQL and SQLite enum columns have no type name).
fn enum_type_name(name: &str) -> Result<(), UnsafeName> {
    let plain = name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(())
    } else {
        Err(unsafe_name(
            "enum type",
            name,
            "enum type names must be plain identifiers (ASCII letters, digits and `_`)",
        ))
    }
}

/// MySQL writes enum values between single quotes as they are.
fn enum_values(name: &str, values: &[String]) -> Result<(), UnsafeName> {
    for value in values {
        if value.contains(['\'', '\\', '\0']) {
            return Err(unsafe_name(
                &format!("value of enum {}", q(name)),
                value,
                "enum values cannot hold a single quote, a backslash or NUL",
            ));
        }
    }
    Ok(())
}

fn columns(table: &str, names: &[String]) -> Result<(), UnsafeName> {
    let what = format!("column of table {}", q(table));
    names.iter().try_for_each(|name| identifier(&what, name))
}

fn identifier(what: &str, name: &str) -> Result<(), UnsafeName> {
    if name.contains(['"', '`', '\0']) {
        Err(unsafe_name(
            what,
            name,
            "names with a double quote, a backtick or NUL are not quoted safely by every \
             SQL builder",
        ))
    } else {
        Ok(())
    }
}

/// An SQL expression (default, check, generation, custom type) is inserted as written:
/// it must be one expression, with balanced quotes, and no `;` or comment outside
/// them, whether or not backslashes escape quotes (MySQL) or not (PostgreSQL, SQLite).
fn expression(what: &str, expr: &str) -> Result<(), UnsafeName> {
    let reason = scan_expression(expr, true).or_else(|| scan_expression(expr, false));
    match reason {
        Some(reason) => Err(unsafe_name(what, expr, reason)),
        None => Ok(()),
    }
}

fn scan_expression(expr: &str, backslash_escapes: bool) -> Option<&'static str> {
    let mut quote: Option<char> = None;
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\0' {
            return Some("an expression cannot hold NUL");
        }
        match quote {
            Some(open) => {
                if backslash_escapes && open == '\'' && c == '\\' {
                    chars.next();
                } else if c == open {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                ';' => return Some("an expression cannot hold `;` outside a string"),
                '-' if chars.peek() == Some(&'-') => {
                    return Some("an expression cannot hold a `--` comment");
                }
                '/' if chars.peek() == Some(&'*') => {
                    return Some("an expression cannot hold a `/*` comment");
                }
                _ => {}
            },
        }
    }
    quote.map(|_| "an expression must close every quote it opens")
}

fn unsafe_name(what: &str, name: &str, reason: &'static str) -> UnsafeName {
    UnsafeName {
        what: what.to_owned(),
        name: name.to_owned(),
        reason,
    }
}

/// A name in a message, quoted and escaped for the terminal.
fn q(name: &str) -> String {
    format!("`{}`", visible(name))
}

#[cfg(test)]
mod tests;
