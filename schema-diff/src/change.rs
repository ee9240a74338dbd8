//! [`Change`]: the one currency between diff, order, lint, render and JSON output.

use serde::{Deserialize, Serialize};

use crate::ir::{Column, ColumnType, DefaultValue, EnumType, FkAction, ForeignKey, Index, Table};

/// One schema change. Drops and alters carry the whole old object, so that
/// [`Change::reverse`] is mechanical and a migration's `down` is the reversed
/// `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// A new table with its primary key, unique constraints, foreign keys and indexes.
    CreateTable {
        table: Table,
    },
    /// Drops a table; carries it whole.
    DropTable {
        table: Table,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// Type, nullability, default, auto-increment, generation or comment changed.
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    AlterPrimaryKey {
        table: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    CreateEnum {
        enum_type: EnumType,
    },
    DropEnum {
        enum_type: EnumType,
    },
    AlterEnum {
        from: EnumType,
        to: EnumType,
    },
    /// Changes to one table that SQLite cannot `ALTER`: on SQLite the table is
    /// rebuilt from `from` into `to` (rows and indexes kept); other backends run
    /// `changes` as plain statements.
    RebuildTable {
        from: Table,
        to: Table,
        changes: Vec<Change>,
    },
}

impl Change {
    /// The table this change is about (the new name for `RenameTable`), or
    /// `None` for changes to enum types.
    pub fn table(&self) -> Option<&str> {
        match self {
            Change::CreateTable { table } | Change::DropTable { table } => Some(&table.name),
            Change::RenameTable { to, .. } => Some(to),
            Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::AlterPrimaryKey { table, .. } => Some(table),
            Change::RebuildTable { to, .. } => Some(&to.name),
            Change::CreateEnum { .. } | Change::DropEnum { .. } | Change::AlterEnum { .. } => None,
        }
    }

    /// A one-line human summary, as the CLI prints it: `+` adds, `-` removes,
    /// `~` changes, e.g. `+ column users.bio (text, null)`.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateTable { table } => format!("+ table {}", table.name),
            Change::DropTable { table } => format!("- table {}", table.name),
            Change::RenameTable { from, to } => format!("~ table renamed {from} -> {to}"),
            Change::AddColumn { table, column } => {
                format!(
                    "+ column {table}.{} ({})",
                    column.name,
                    column_summary(column)
                )
            }
            Change::DropColumn { table, column } => {
                format!(
                    "- column {table}.{} ({})",
                    column.name,
                    column_summary(column)
                )
            }
            Change::RenameColumn { table, from, to } => {
                format!("~ column renamed {table}.{from} -> {to}")
            }
            Change::AlterColumn { table, from, to } => {
                format!("~ column {table}.{}: {}", to.name, column_delta(from, to))
            }
            Change::CreateIndex { table, index } => format!("+ {}", index_summary(table, index)),
            Change::DropIndex { table, index } => format!("- {}", index_summary(table, index)),
            Change::AddForeignKey { table, foreign_key } => {
                format!("+ {}", foreign_key_summary(table, foreign_key))
            }
            Change::DropForeignKey { table, foreign_key } => {
                format!("- {}", foreign_key_summary(table, foreign_key))
            }
            Change::AlterPrimaryKey { table, from, to } => format!(
                "~ primary key {table}: ({}) -> ({})",
                from.join(", "),
                to.join(", ")
            ),
            Change::CreateEnum { enum_type } => {
                format!(
                    "+ enum {} ({})",
                    enum_type.name,
                    enum_type.values.join(", ")
                )
            }
            Change::DropEnum { enum_type } => format!("- enum {}", enum_type.name),
            Change::AlterEnum { from, to } => format!(
                "~ enum {}: ({}) -> ({})",
                to.name,
                from.values.join(", "),
                to.values.join(", ")
            ),
            Change::RebuildTable { to, changes, .. } => format!(
                "~ rebuild table {} (SQLite): {} change{}",
                to.name,
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The changes as they run on `dialect`: unchanged on SQLite; elsewhere each
/// `RebuildTable` (SQLite's way to run the changes it groups) replaced by those
/// changes, which is what runs there. For what is printed (summaries, `diff`,
/// `check`), so that PostgreSQL and MySQL users never read "rebuild table".
pub fn as_run_on(changes: &[Change], dialect: crate::Dialect) -> Vec<&Change> {
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        match change {
            Change::RebuildTable { changes, .. } if dialect != crate::Dialect::Sqlite => {
                out.extend(as_run_on(changes, dialect));
            }
            other => out.push(other),
        }
    }
    out
}

/// A column type, compactly: `varchar(255)`, `decimal(10,2)`, `enum user_role`,
/// `integer[]`.
pub fn type_label(ty: &ColumnType) -> String {
    let sized = |name: &str, len: &Option<u32>| match len {
        Some(len) => format!("{name}({len})"),
        None => name.to_owned(),
    };
    match ty {
        ColumnType::Char(len) => sized("char", len),
        ColumnType::String(len) => sized("varchar", len),
        ColumnType::Text => "text".into(),
        ColumnType::TinyInteger => "tinyint".into(),
        ColumnType::SmallInteger => "smallint".into(),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::TinyUnsigned => "tinyint unsigned".into(),
        ColumnType::SmallUnsigned => "smallint unsigned".into(),
        ColumnType::Unsigned => "integer unsigned".into(),
        ColumnType::BigUnsigned => "bigint unsigned".into(),
        ColumnType::Float => "float".into(),
        ColumnType::Double => "double".into(),
        ColumnType::Decimal(Some((precision, scale))) => format!("decimal({precision},{scale})"),
        ColumnType::Decimal(None) => "decimal".into(),
        ColumnType::DateTime => "datetime".into(),
        ColumnType::Timestamp => "timestamp".into(),
        ColumnType::TimestampWithTimeZone => "timestamptz".into(),
        ColumnType::Time => "time".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Year => "year".into(),
        ColumnType::Interval => "interval".into(),
        ColumnType::Binary(len) => format!("binary({len})"),
        ColumnType::VarBinary(len) => sized("varbinary", len),
        ColumnType::Blob => "blob".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::Money => "money".into(),
        ColumnType::Json => "json".into(),
        ColumnType::JsonBinary => "jsonb".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Enum { name, .. } => format!("enum {name}"),
        ColumnType::Array(inner) => format!("{}[]", type_label(inner)),
        ColumnType::Custom(name) => name.clone(),
    }
}

/// A default value as SQL-ish text: `NULL`, `'x'`, `CURRENT_TIMESTAMP`.
pub fn default_label(default: &DefaultValue) -> String {
    match default {
        DefaultValue::Null => "NULL".into(),
        DefaultValue::Bool(value) => value.to_string(),
        DefaultValue::Number(value) | DefaultValue::Expr(value) => value.clone(),
        DefaultValue::String(value) => format!("'{}'", value.replace('\'', "''")),
        DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
        DefaultValue::CurrentDate => "CURRENT_DATE".into(),
        DefaultValue::CurrentTime => "CURRENT_TIME".into(),
    }
}

/// `text, null, default 'x', auto increment`.
fn column_summary(column: &Column) -> String {
    let mut parts = vec![
        type_label(&column.ty),
        if column.nullable { "null" } else { "not null" }.to_owned(),
    ];
    if let Some(default) = &column.default {
        parts.push(format!("default {}", default_label(default)));
    }
    if column.auto_increment {
        parts.push("auto increment".into());
    }
    if let Some(generated) = &column.generated {
        parts.push(format!("generated as ({})", generated.expr));
    }
    parts.join(", ")
}

/// What changed between two versions of a column: `varchar(100) -> varchar(255); NOT NULL -> NULL`.
fn column_delta(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if from.ty != to.ty {
        parts.push(format!(
            "{} -> {}",
            type_label(&from.ty),
            type_label(&to.ty)
        ));
    }
    if from.nullable != to.nullable {
        let label = |nullable: bool| if nullable { "NULL" } else { "NOT NULL" };
        parts.push(format!(
            "{} -> {}",
            label(from.nullable),
            label(to.nullable)
        ));
    }
    if from.default != to.default {
        let label = |d: &Option<DefaultValue>| {
            d.as_ref().map_or_else(
                || "no default".to_owned(),
                |d| format!("default {}", default_label(d)),
            )
        };
        parts.push(format!(
            "{} -> {}",
            label(&from.default),
            label(&to.default)
        ));
    }
    if from.auto_increment != to.auto_increment {
        parts.push(
            if to.auto_increment {
                "+ auto increment"
            } else {
                "- auto increment"
            }
            .into(),
        );
    }
    if from.generated != to.generated {
        let label = |g: &Option<crate::ir::Generated>| {
            g.as_ref().map_or_else(
                || "not generated".to_owned(),
                |g| format!("generated as ({})", g.expr),
            )
        };
        parts.push(format!(
            "{} -> {}",
            label(&from.generated),
            label(&to.generated)
        ));
    }
    if from.comment != to.comment {
        parts.push("comment changed".into());
    }
    if parts.is_empty() {
        parts.push("unchanged".into());
    }
    parts.join("; ")
}

/// `index idx-users-email on users (email) unique`.
fn index_summary(table: &str, index: &Index) -> String {
    let kind = if index.constraint {
        "unique constraint"
    } else {
        "index"
    };
    let unique = if index.unique && !index.constraint {
        " unique"
    } else {
        ""
    };
    format!(
        "{kind} {} on {table} ({}){unique}",
        index.name,
        index.columns.join(", ")
    )
}

/// `foreign key documents (owner_id) -> users (id) on delete cascade`.
fn foreign_key_summary(table: &str, fk: &ForeignKey) -> String {
    let mut text = format!(
        "foreign key {table} ({}) -> {} ({})",
        fk.columns.join(", "),
        fk.ref_table,
        fk.ref_columns.join(", ")
    );
    let label = |action: FkAction| match action {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("restrict"),
        FkAction::Cascade => Some("cascade"),
        FkAction::SetNull => Some("set null"),
        FkAction::SetDefault => Some("set default"),
    };
    if let Some(action) = label(fk.on_delete) {
        text.push_str(&format!(" on delete {action}"));
    }
    if let Some(action) = label(fk.on_update) {
        text.push_str(&format!(" on update {action}"));
    }
    text
}
