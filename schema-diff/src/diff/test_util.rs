//! IR literal builders for the differ's unit tests.

use crate::ir::{Column, ColumnType, FkAction, ForeignKey, Index, Schema, Table};
use crate::{Change, Dialect, DiffOptions};

/// A NOT NULL column.
pub fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

/// A nullable column.
pub fn null_col(name: &str, ty: ColumnType) -> Column {
    Column {
        nullable: true,
        ..Column::new(name, ty)
    }
}

/// An auto-increment integer primary key column called `id`.
pub fn id() -> Column {
    Column {
        auto_increment: true,
        ..Column::new("id", ColumnType::Integer)
    }
}

/// A table with primary key `(id)` and the given columns after `id`.
pub fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut all = vec![id()];
    all.extend(columns);
    Table {
        name: name.into(),
        columns: all,
        primary_key: vec!["id".into()],
        ..Table::default()
    }
}

/// A non-constraint index.
pub fn index(name: &str, columns: &[&str], unique: bool) -> Index {
    Index {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        unique,
        constraint: false,
    }
}

/// A UNIQUE table constraint.
pub fn unique_constraint(name: &str, columns: &[&str]) -> Index {
    Index {
        constraint: true,
        ..index(name, columns, true)
    }
}

/// A foreign key `(column) -> ref_table (id)` with no actions.
pub fn fk(column: &str, ref_table: &str) -> ForeignKey {
    ForeignKey {
        name: Some(format!("fk-{column}-{ref_table}")),
        columns: vec![column.into()],
        ref_table: ref_table.into(),
        ref_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
    }
}

/// A table `name` with an `<ref>_id` column and foreign key per referenced table.
pub fn linked(name: &str, refs: &[&str]) -> Table {
    let mut t = table(name, Vec::new());
    for r in refs {
        let column = format!("{r}_id");
        t.columns.push(col(&column, ColumnType::Integer));
        t.foreign_keys.push(fk(&column, r));
    }
    t
}

/// A schema of `tables` and no enums.
pub fn schema(tables: Vec<Table>) -> Schema {
    Schema {
        tables,
        enums: Vec::new(),
    }
}

/// `diff` with default options on PostgreSQL (identity normalization).
pub fn run(actual: &Schema, desired: &Schema) -> Vec<Change> {
    crate::diff(actual, desired, Dialect::Postgres, &DiffOptions::default())
}

/// The one-line descriptions of `changes`, for compact assertions.
pub fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::describe).collect()
}
