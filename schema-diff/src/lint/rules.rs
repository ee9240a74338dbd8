//! The rules: one walk over the change list, matched exhaustively on [`Change`].

use std::collections::{HashMap, HashSet};

use super::preflight::Check;
use super::unfit::unfit;
use super::{Hazard, LintOptions, Severity, is_widening};
use crate::change::type_label;
use crate::ir::{Column, ColumnType, DefaultValue, EnumType, ForeignKey, Index, Table};
use crate::{Change, Dialect, Schema, dialect};

/// A hazard, and the data check [`super::preflight`] can run for it.
pub(super) struct Finding {
    pub hazard: Hazard,
    pub check: Option<Check>,
}

/// The findings of `changes`. `actual` is the schema they apply to; without it (the
/// preflight), every table the list does not create counts as existing.
pub(super) fn findings(
    changes: &[Change],
    actual: Option<&Schema>,
    options: &LintOptions,
) -> Vec<Finding> {
    let mut walk = Walk {
        actual,
        dialect: options.dialect,
        names: Names::of(changes),
        out: Vec::new(),
        drops: Vec::new(),
        adds: Vec::new(),
        dropped_tables: Vec::new(),
        created_tables: Vec::new(),
    };
    for change in changes {
        walk.change(change);
    }
    walk.renames();
    let nets = super::constraints::findings(changes, &|table| walk.existing(table));
    walk.out.extend(nets);
    walk.out
}

/// What the list does to names: which tables it creates, what renamed tables and
/// columns were called before, which columns it adds.
#[derive(Default)]
pub(super) struct Names<'a> {
    created: HashSet<&'a str>,
    table_before: HashMap<&'a str, &'a str>,
    column_before: HashMap<(&'a str, &'a str), &'a str>,
    added: HashSet<(&'a str, &'a str)>,
}

impl<'a> Names<'a> {
    pub(super) fn of(changes: &'a [Change]) -> Self {
        let mut names = Names::default();
        names.collect(changes);
        names
    }

    fn collect(&mut self, changes: &'a [Change]) {
        for change in changes {
            match change {
                Change::CreateTable { table } => {
                    self.created.insert(&table.name);
                }
                Change::RenameTable { from, to } => {
                    self.table_before.insert(to, from);
                }
                Change::RenameColumn { table, from, to } => {
                    self.column_before.insert((table, to), from);
                }
                Change::AddColumn { table, column } => {
                    self.added.insert((table, &column.name));
                }
                Change::RebuildTable { changes, .. } => self.collect(changes),
                _ => {}
            }
        }
    }

    /// Whether the list creates `table`.
    pub(super) fn creates(&self, table: &str) -> bool {
        self.created.contains(table)
    }

    /// What `table` is called in the database before the migration.
    pub(super) fn table_before(&self, table: &str) -> String {
        let mut name = table;
        // Bounded: a rename cycle (a -> b -> a) must not loop.
        for _ in 0..=self.table_before.len() {
            match self.table_before.get(name) {
                Some(before) => name = before,
                None => break,
            }
        }
        name.to_owned()
    }

    /// What `column` of `table` is called in the database before the migration, or
    /// `None` when the list adds it.
    pub(super) fn column_before(&self, table: &str, column: &str) -> Option<String> {
        if self.added.contains(&(table, column)) {
            return None;
        }
        let mut name = column;
        for _ in 0..=self.column_before.len() {
            match self.column_before.get(&(table, name)) {
                Some(before) => name = before,
                None => break,
            }
        }
        Some(name.to_owned())
    }

    /// [`Self::column_before`] of every column, or `None` if one is added.
    pub(super) fn columns_before(&self, table: &str, columns: &[String]) -> Option<Vec<String>> {
        columns
            .iter()
            .map(|c| self.column_before(table, c))
            .collect()
    }
}

struct Walk<'a> {
    actual: Option<&'a Schema>,
    dialect: Option<Dialect>,
    names: Names<'a>,
    out: Vec<Finding>,
    drops: Vec<(&'a str, &'a Column)>,
    adds: Vec<(&'a str, &'a Column)>,
    dropped_tables: Vec<&'a Table>,
    created_tables: Vec<&'a Table>,
}

impl<'a> Walk<'a> {
    fn push(
        &mut self,
        code: &'static str,
        severity: Severity,
        table: Option<&str>,
        message: String,
    ) {
        self.push_checked(code, severity, table, message, None);
    }

    fn push_checked(
        &mut self,
        code: &'static str,
        severity: Severity,
        table: Option<&str>,
        message: String,
        check: Option<Check>,
    ) {
        let hazard = Hazard {
            code,
            severity,
            table: table.map(str::to_owned),
            message,
        };
        self.out.push(Finding { hazard, check });
    }

    /// Whether `table` exists before the migration (and is not created by it).
    fn existing(&self, table: &str) -> bool {
        !self.names.creates(table)
            && self
                .actual
                .is_none_or(|a| a.table(&self.names.table_before(table)).is_some())
    }

    fn change(&mut self, change: &'a Change) {
        use Severity::{Danger, Info};
        match change {
            Change::CreateTable { table } => self.created_tables.push(table),
            Change::DropTable { table } => {
                self.dropped_tables.push(table);
                let t = &table.name;
                let message = format!("dropping table {t} loses all of its rows");
                self.push("DL001", Danger, Some(t), message);
            }
            Change::RenameTable { .. } | Change::RenameColumn { .. } => {}
            Change::AddColumn { table, column } => {
                self.adds.push((table, column));
                self.add_column(table, column);
            }
            Change::DropColumn { table, column } => {
                self.drops.push((table, column));
                let message = format!("dropping column {table}.{} loses its data", column.name);
                self.push("DL002", Danger, Some(table), message);
            }
            Change::AlterColumn { table, from, to } => self.alter_column(table, from, to),
            Change::CreateIndex { table, index } => self.create_index(table, index),
            Change::DropIndex { .. } | Change::DropForeignKey { .. } => {}
            Change::AddForeignKey { table, foreign_key } => {
                self.add_foreign_key(table, foreign_key);
            }
            Change::AlterPrimaryKey { table, to, .. } => self.alter_primary_key(table, to),
            Change::CreateEnum { .. } | Change::DropEnum { .. } => {}
            Change::AlterEnum { from, to } => self.alter_enum(from, to),
            Change::RebuildTable { to, changes, .. } => {
                let t = &to.name;
                let message = format!(
                    "SQLite rebuilds table {t}: every row is copied into a new table \
                     (other backends run plain ALTER statements)"
                );
                // Only SQLite rebuilds; other backends run the changes as they are.
                if self.dialect == Some(Dialect::Sqlite) {
                    self.push("RB001", Info, Some(t), message);
                }
                for change in changes {
                    self.change(change);
                }
            }
        }
    }

    fn add_column(&mut self, table: &str, column: &Column) {
        let no_default = matches!(column.default, None | Some(DefaultValue::Null));
        let filled = column.auto_increment || column.generated.is_some();
        if column.nullable || !no_default || filled || !self.existing(table) {
            return;
        }
        let message = format!(
            "adding NOT NULL column {table}.{} without a default fails if {table} has rows",
            column.name
        );
        let check = Check::Rows {
            table: table.to_owned(),
            db_table: self.names.table_before(table),
            column: column.name.clone(),
        };
        self.push_checked(
            "DF001",
            Severity::Warning,
            Some(table),
            message,
            Some(check),
        );
    }

    fn alter_column(&mut self, table: &str, from: &Column, to: &Column) {
        let column = &to.name;
        let (from_ty, to_ty) = (self.canonical(&from.ty), self.canonical(&to.ty));
        if !self.same_type(&from_ty, &to_ty) {
            let (a, b) = (type_label(&from.ty), type_label(&to.ty));
            if !is_widening(&from_ty, &to_ty) {
                let message = format!(
                    "changing {table}.{column} from {a} to {b} narrows the type: existing \
                     values may be truncated or rejected"
                );
                let check = unfit(&from.ty, &to.ty)
                    .filter(|_| self.existing(table))
                    .and_then(|unfit| {
                        Some(Check::DoesNotFit {
                            table: table.to_owned(),
                            db_table: self.names.table_before(table),
                            column: column.clone(),
                            db_column: self.names.column_before(table, column)?,
                            new_type: b.clone(),
                            unfit,
                        })
                    });
                self.push_checked("DL003", Severity::Danger, Some(table), message, check);
            }
            let rewrites = super::rewrite::rewrites(&from.ty, &to.ty);
            if self.existing(table) && rewrites.any() {
                let how = match (rewrites.postgres, rewrites.mysql) {
                    (true, true) => {
                        "under an ACCESS EXCLUSIVE lock on PostgreSQL, as a table copy on MySQL"
                    }
                    (true, false) => "under an ACCESS EXCLUSIVE lock on PostgreSQL",
                    _ => "as a table copy on MySQL",
                };
                let message = format!(
                    "changing the type of {table}.{column} from {a} to {b} rewrites {table}: {how}"
                );
                self.push("LK002", Severity::Warning, Some(table), message);
            }
        }
        if from.nullable && !to.nullable && self.existing(table) {
            let message = format!(
                "making {table}.{column} NOT NULL fails if any row of {table} holds NULL in it"
            );
            let check = self
                .names
                .column_before(table, column)
                .map(|db_column| Check::Nulls {
                    table: table.to_owned(),
                    db_table: self.names.table_before(table),
                    column: column.clone(),
                    db_column,
                });
            self.push_checked("DF002", Severity::Warning, Some(table), message, check);
        }
    }

    fn create_index(&mut self, table: &str, index: &Index) {
        if !self.existing(table) {
            return;
        }
        let kind = match (index.unique, index.constraint) {
            (true, true) => "unique constraint",
            (true, false) => "unique index",
            (false, _) => "index",
        };
        let (name, columns) = (&index.name, index.columns.join(", "));
        let message = format!(
            "building {kind} {name} on existing table {table} blocks writes to it on \
             PostgreSQL (CREATE INDEX without CONCURRENTLY)"
        );
        self.push("LK001", Severity::Info, Some(table), message);
        if index.unique {
            let message = format!(
                "adding {kind} {name} on {table} ({columns}) fails if existing rows hold \
                 duplicate values"
            );
            let check = self.duplicates(table, &index.columns, format!("{kind} {name}"), true);
            self.push_checked("DF003", Severity::Warning, Some(table), message, check);
        }
    }

    fn alter_primary_key(&mut self, table: &str, to: &[String]) {
        if to.is_empty() || !self.existing(table) {
            return;
        }
        let message = format!(
            "setting the primary key of {table} to ({}) fails if existing rows hold duplicate \
             values",
            to.join(", ")
        );
        let check = self.duplicates(table, to, "the new primary key".to_owned(), false);
        self.push_checked("DF003", Severity::Warning, Some(table), message, check);
    }

    fn duplicates(
        &self,
        table: &str,
        columns: &[String],
        what: String,
        skip_nulls: bool,
    ) -> Option<Check> {
        Some(Check::Duplicates {
            table: table.to_owned(),
            db_table: self.names.table_before(table),
            columns: columns.to_vec(),
            db_columns: self.names.columns_before(table, columns)?,
            what,
            skip_nulls,
        })
    }

    fn add_foreign_key(&mut self, table: &str, fk: &ForeignKey) {
        if !self.existing(table) {
            return;
        }
        let (columns, target) = (fk.columns.join(", "), &fk.ref_table);
        let message = format!(
            "adding foreign key {table} ({columns}) -> {target} ({}) fails if existing rows \
             of {table} reference no {target} row",
            fk.ref_columns.join(", ")
        );
        let check = self
            .names
            .columns_before(table, &fk.columns)
            .and_then(|db_columns| {
                // A referenced table created by this migration is empty: every
                // non-NULL reference is an orphan.
                let db_target = if self.names.creates(target) {
                    None
                } else {
                    let db_ref_columns = self.names.columns_before(target, &fk.ref_columns)?;
                    Some((self.names.table_before(target), db_ref_columns))
                };
                Some(Check::Orphans {
                    table: table.to_owned(),
                    db_table: self.names.table_before(table),
                    columns: fk.columns.clone(),
                    db_columns,
                    ref_table: target.clone(),
                    db_target,
                })
            });
        self.push_checked("DF004", Severity::Warning, Some(table), message, check);
    }

    fn alter_enum(&mut self, from: &EnumType, to: &EnumType) {
        let removed: Vec<String> = from
            .values
            .iter()
            .filter(|v| !to.values.contains(v))
            .map(|v| format!("'{v}'"))
            .collect();
        if removed.is_empty() {
            return;
        }
        let message = format!(
            "removing {} from enum {} fails on rows that hold {}",
            removed.join(", "),
            to.name,
            if removed.len() == 1 { "it" } else { "them" }
        );
        self.push("DL003", Severity::Danger, None, message);
    }

    /// `RN001`: drop + add pairs of compatible columns in one table, drop + create
    /// pairs of tables with the same column names. Each drop pairs with at most one
    /// add, the first that fits.
    fn renames(&mut self) {
        let mut used = vec![false; self.adds.len()];
        let mut found = Vec::new();
        for &(table, dropped) in &self.drops {
            let fit = self.adds.iter().enumerate().position(|(i, &(t, added))| {
                !used[i] && t == table && self.compatible(&dropped.ty, &added.ty)
            });
            if let Some(i) = fit {
                used[i] = true;
                let (old, new) = (&dropped.name, &self.adds[i].1.name);
                let message = format!(
                    "dropping {table}.{old} and adding {table}.{new} looks like a rename of \
                     {old} to {new}: declare renamed_from to keep the data"
                );
                found.push((table.to_owned(), message));
            }
        }
        let mut used = vec![false; self.created_tables.len()];
        for dropped in &self.dropped_tables {
            let fit = self
                .created_tables
                .iter()
                .enumerate()
                .position(|(i, created)| !used[i] && same_column_names(dropped, created));
            if let Some(i) = fit {
                used[i] = true;
                let (old, new) = (&dropped.name, &self.created_tables[i].name);
                let message = format!(
                    "dropping table {old} and creating table {new} with the same columns looks \
                     like a rename of {old} to {new}: declare renamed_from to keep the data"
                );
                found.push((new.clone(), message));
            }
        }
        for (table, message) in found {
            self.push("RN001", Severity::Warning, Some(&table), message);
        }
    }

    /// Whether a dropped column's values would fit the added column.
    fn compatible(&self, dropped: &ColumnType, added: &ColumnType) -> bool {
        let (a, b) = (self.canonical(dropped), self.canonical(added));
        self.same_type(&a, &b) || is_widening(&a, &b)
    }

    /// `ty` in the dialect's canonical form, when the dialect is known.
    fn canonical(&self, ty: &ColumnType) -> ColumnType {
        match self.dialect {
            Some(Dialect::Sqlite) => dialect::sqlite::canonical_type(ty),
            Some(Dialect::Postgres) => dialect::postgres::canonical_type(ty),
            Some(Dialect::MySql) | None => ty.clone(),
        }
    }

    /// Type equality as the differ sees it: two references to one named enum type are
    /// the same type whatever values they list (those change through `AlterEnum`);
    /// inline enums are equal when their values are.
    fn same_type(&self, a: &ColumnType, b: &ColumnType) -> bool {
        match (a, b) {
            (
                ColumnType::Enum {
                    name: x,
                    variants: xs,
                },
                ColumnType::Enum {
                    name: y,
                    variants: ys,
                },
            ) => {
                let named = |n: &str| self.actual.is_none_or(|s| s.enum_type(n).is_some());
                (x == y && named(x)) || xs == ys
            }
            (ColumnType::Array(x), ColumnType::Array(y)) => self.same_type(x, y),
            _ => a == b,
        }
    }
}

fn same_column_names(a: &Table, b: &Table) -> bool {
    !a.columns.is_empty() && column_names(a) == column_names(b)
}

fn column_names(table: &Table) -> Vec<&str> {
    let mut names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names
}
