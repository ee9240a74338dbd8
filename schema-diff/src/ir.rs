//! The schema IR: plain data shared by both sides of the diff.
//!
//! Entities (the desired side) and the live database (the actual side) are both
//! turned into these types; the differ, the renderer and the lint only ever see
//! them. Names are stored exactly as the database spells them.

use serde::{Deserialize, Serialize};

/// A whole database schema: its tables and its named enum types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Tables, kept sorted by name.
    pub tables: Vec<Table>,
    /// Named enum types (PostgreSQL `CREATE TYPE ... AS ENUM`); empty on backends
    /// where enums live in the column type.
    pub enums: Vec<EnumType>,
}

impl Schema {
    /// The table called `name`, if there is one.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The enum type called `name`, if there is one.
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// Sorts tables and enums by name (and each table's parts), so that two
    /// schemas describing the same thing compare equal.
    pub fn sort(&mut self) {
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        for table in &mut self.tables {
            table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            table.foreign_keys.sort_by(|a, b| {
                (&a.columns, &a.ref_table, &a.ref_columns).cmp(&(
                    &b.columns,
                    &b.ref_table,
                    &b.ref_columns,
                ))
            });
            table.checks.sort_by(|a, b| a.expr.cmp(&b.expr));
        }
    }
}

/// A named enum type and its values, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}

/// One table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// Columns in their declared order.
    pub columns: Vec<Column>,
    /// Primary key column names in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Indexes and unique constraints (see [`Index::constraint`]).
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    pub comment: Option<String>,
    /// Desired side only: the table's previous name, declared in the entity's
    /// comment as `renamed_from "old"`. Never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Table {
    /// The column called `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    pub default: Option<DefaultValue>,
    /// Database-assigned values: SERIAL/IDENTITY, AUTO_INCREMENT, AUTOINCREMENT
    /// or SQLite's `INTEGER PRIMARY KEY` rowid alias, all as one flag.
    pub auto_increment: bool,
    pub generated: Option<Generated>,
    pub comment: Option<String>,
    /// Desired side only: the column's previous name, from SeaORM's
    /// `renamed_from`. Never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Column {
    /// A NOT NULL column of type `ty` with no default and no extras.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
            auto_increment: false,
            generated: None,
            comment: None,
            renamed_from: None,
        }
    }
}

/// A backend-neutral column type, the vocabulary of sea-query's `ColumnType`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "args", rename_all = "snake_case")]
pub enum ColumnType {
    Char(Option<u32>),
    String(Option<u32>),
    Text,
    TinyInteger,
    SmallInteger,
    Integer,
    BigInteger,
    TinyUnsigned,
    SmallUnsigned,
    Unsigned,
    BigUnsigned,
    Float,
    Double,
    /// `(precision, scale)`.
    Decimal(Option<(u32, u32)>),
    DateTime,
    Timestamp,
    TimestampWithTimeZone,
    Time,
    Date,
    Year,
    Interval,
    Binary(u32),
    VarBinary(Option<u32>),
    Blob,
    Boolean,
    Money,
    Json,
    JsonBinary,
    Uuid,
    Enum {
        name: String,
        variants: Vec<String>,
    },
    Array(Box<ColumnType>),
    /// A type the IR has no name for, as the database spells it.
    Custom(String),
}

impl ColumnType {
    /// Whether this is one of the integer types, signed or unsigned.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ColumnType::TinyInteger
                | ColumnType::SmallInteger
                | ColumnType::Integer
                | ColumnType::BigInteger
                | ColumnType::TinyUnsigned
                | ColumnType::SmallUnsigned
                | ColumnType::Unsigned
                | ColumnType::BigUnsigned
        )
    }
}

/// A column default, parsed so that equal values compare equal whatever
/// spelling the database gave them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DefaultValue {
    Null,
    Bool(bool),
    /// A numeric literal, as canonical text (`1`, `-3`, `2.5`).
    Number(String),
    /// A string literal, unquoted.
    String(String),
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    /// Any other SQL expression, as text.
    Expr(String),
}

/// A generated (computed) column's expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    pub expr: String,
    pub stored: bool,
}

/// An index, or a unique constraint (which the database backs by an index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// A table constraint (`UNIQUE` in `CREATE TABLE`) rather than a
    /// `CREATE INDEX`: on SQLite it can only be removed by rebuilding the table.
    pub constraint: bool,
}

/// What a foreign key does when the referenced row changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    /// `NO ACTION`, also what an unspecified action means.
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// A foreign key from `columns` of the owning table to `ref_columns` of `ref_table`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint name where the database keeps one (SQLite does not report it).
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: Option<String>,
    pub expr: String,
}
