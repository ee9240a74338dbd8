//! Mechanical reversal of changes: a migration's `down` is its reversed `up`.

use crate::Change;

impl Change {
    /// The change that undoes this one.
    pub fn reverse(&self) -> Change {
        match self.clone() {
            Change::CreateTable { table } => Change::DropTable { table },
            Change::DropTable { table } => Change::CreateTable { table },
            Change::RenameTable { from, to } => Change::RenameTable { from: to, to: from },
            Change::AddColumn { table, column } => Change::DropColumn { table, column },
            Change::DropColumn { table, column } => Change::AddColumn { table, column },
            Change::RenameColumn { table, from, to } => Change::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Change::AlterColumn { table, from, to } => Change::AlterColumn {
                table,
                from: to,
                to: from,
            },
            Change::CreateIndex { table, index } => Change::DropIndex { table, index },
            Change::DropIndex { table, index } => Change::CreateIndex { table, index },
            Change::AddForeignKey { table, foreign_key } => {
                Change::DropForeignKey { table, foreign_key }
            }
            Change::DropForeignKey { table, foreign_key } => {
                Change::AddForeignKey { table, foreign_key }
            }
            Change::AlterPrimaryKey { table, from, to } => Change::AlterPrimaryKey {
                table,
                from: to,
                to: from,
            },
            Change::CreateEnum { enum_type } => Change::DropEnum { enum_type },
            Change::DropEnum { enum_type } => Change::CreateEnum { enum_type },
            Change::AlterEnum { from, to } => Change::AlterEnum { from: to, to: from },
            Change::RebuildTable { from, to, changes } => Change::RebuildTable {
                from: to,
                to: from,
                changes: reverse_all(&changes),
            },
        }
    }
}

/// The changes that undo `changes`: each one reversed, in reverse order.
pub fn reverse_all(changes: &[Change]) -> Vec<Change> {
    changes.iter().rev().map(Change::reverse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Column, ColumnType, Table};

    #[test]
    fn reversing_twice_gives_the_original() {
        let changes = vec![
            Change::CreateTable {
                table: Table {
                    name: "t".into(),
                    ..Table::default()
                },
            },
            Change::AddColumn {
                table: "t".into(),
                column: Column::new("c", ColumnType::Text),
            },
            Change::RenameColumn {
                table: "t".into(),
                from: "c".into(),
                to: "d".into(),
            },
        ];
        let down = reverse_all(&changes);
        assert_eq!(
            down[0],
            Change::RenameColumn {
                table: "t".into(),
                from: "d".into(),
                to: "c".into()
            }
        );
        assert!(matches!(down[2], Change::DropTable { .. }));
        assert_eq!(reverse_all(&down), changes);
    }
}
