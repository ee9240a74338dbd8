//! One line of plain English per change, for the module's doc comment.

use crate::Change;
use crate::ir::{Column, ForeignKey, Index};

/// The summary lines of `changes` as a Markdown list (nested for table rebuilds).
pub(super) fn summary(changes: &[Change]) -> Vec<String> {
    let mut lines = Vec::new();
    for change in changes {
        push(change, 0, &mut lines);
    }
    lines
}

fn push(change: &Change, depth: usize, lines: &mut Vec<String>) {
    let indent = "  ".repeat(depth);
    lines.push(format!("{indent}- {}", describe(change)));
    if let Change::RebuildTable { changes, .. } = change {
        for inner in changes {
            push(inner, depth + 1, lines);
        }
    }
}

/// `a`, `b`: names in backticks, comma-separated.
fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn index_kind(index: &Index) -> &'static str {
    match (index.constraint, index.unique) {
        (true, true) => "unique constraint",
        (_, true) => "unique index",
        _ => "index",
    }
}

fn foreign_key(fk: &ForeignKey) -> String {
    let name = fk
        .name
        .as_ref()
        .map(|n| format!("`{n}` "))
        .unwrap_or_default();
    format!(
        "{name}({}) → `{}` ({})",
        list(&fk.columns),
        fk.ref_table,
        list(&fk.ref_columns)
    )
}

/// What differs between two versions of a column, in words.
fn column_diff(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if from.ty != to.ty {
        parts.push("type");
    }
    if from.nullable != to.nullable {
        parts.push(if to.nullable {
            "now nullable"
        } else {
            "now NOT NULL"
        });
    }
    if from.default != to.default {
        parts.push("default");
    }
    if from.auto_increment != to.auto_increment {
        parts.push("auto-increment");
    }
    if from.generated != to.generated {
        parts.push("generated expression");
    }
    if from.comment != to.comment {
        parts.push("comment");
    }
    parts.join(", ")
}

fn describe(change: &Change) -> String {
    match change {
        Change::CreateTable { table } => format!("create table `{}`", table.name),
        Change::DropTable { table } => format!("drop table `{}`", table.name),
        Change::RenameTable { from, to } => format!("rename table `{from}` to `{to}`"),
        Change::AddColumn { table, column } => format!("add column `{table}.{}`", column.name),
        Change::DropColumn { table, column } => {
            format!("drop column `{table}.{}`", column.name)
        }
        Change::RenameColumn { table, from, to } => {
            format!("rename column `{table}.{from}` to `{to}`")
        }
        Change::AlterColumn { table, from, to } => {
            format!(
                "alter column `{table}.{}` ({})",
                to.name,
                column_diff(from, to)
            )
        }
        Change::CreateIndex { table, index } => format!(
            "create {} `{}` on `{table}` ({})",
            index_kind(index),
            index.name,
            list(&index.columns)
        ),
        Change::DropIndex { table, index } => {
            format!("drop {} `{}` on `{table}`", index_kind(index), index.name)
        }
        Change::AddForeignKey {
            table,
            foreign_key: fk,
        } => {
            format!("add foreign key {} on `{table}`", foreign_key(fk))
        }
        Change::DropForeignKey {
            table,
            foreign_key: fk,
        } => {
            format!("drop foreign key {} on `{table}`", foreign_key(fk))
        }
        Change::AlterPrimaryKey { table, from, to } => format!(
            "change the primary key of `{table}` from ({}) to ({})",
            list(from),
            list(to)
        ),
        Change::CreateEnum { enum_type } => format!(
            "create enum `{}` ({})",
            enum_type.name,
            list(&enum_type.values)
        ),
        Change::DropEnum { enum_type } => format!("drop enum `{}`", enum_type.name),
        Change::AlterEnum { from, to } => format!(
            "alter enum `{}`: ({}) → ({})",
            to.name,
            list(&from.values),
            list(&to.values)
        ),
        Change::RebuildTable { to, .. } => {
            format!(
                "rebuild table `{}` on SQLite, which cannot alter it in place:",
                to.name
            )
        }
    }
}
