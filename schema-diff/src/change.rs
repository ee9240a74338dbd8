//! [`Change`]: the one currency between diff, order, lint, render and JSON output.

use serde::{Deserialize, Serialize};

use crate::ir::{Column, EnumType, ForeignKey, Index, Table};

/// One schema change. Drops and alters carry the whole old object, so that
/// [`Change::reverse`] is mechanical and a migration's `down` is the reversed
/// `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// A new table with its primary key, unique constraints, foreign keys and indexes.
    CreateTable { table: Table },
    /// Drops a table; carries it whole.
    DropTable { table: Table },
    RenameTable { from: String, to: String },
    AddColumn { table: String, column: Column },
    DropColumn { table: String, column: Column },
    RenameColumn { table: String, from: String, to: String },
    /// Type, nullability, default, auto-increment, generation or comment changed.
    AlterColumn { table: String, from: Column, to: Column },
    CreateIndex { table: String, index: Index },
    DropIndex { table: String, index: Index },
    AddForeignKey { table: String, foreign_key: ForeignKey },
    DropForeignKey { table: String, foreign_key: ForeignKey },
    AlterPrimaryKey { table: String, from: Vec<String>, to: Vec<String> },
    CreateEnum { enum_type: EnumType },
    DropEnum { enum_type: EnumType },
    AlterEnum { from: EnumType, to: EnumType },
    /// Changes to one table that SQLite cannot `ALTER`: on SQLite the table is
    /// rebuilt from `from` into `to` (rows and indexes kept); other backends run
    /// `changes` as plain statements.
    RebuildTable { from: Table, to: Table, changes: Vec<Change> },
}
