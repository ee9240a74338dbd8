//! Building a [`SchemaReport`] from both schemas, the change list and the hazards.

use std::collections::BTreeSet;

use super::{
    ColumnRow, ColumnSide, EnumReport, ItemRow, ReportHazard, SchemaReport, Status, Summary,
    TableReport,
};
use crate::change::{default_label, type_label};
use crate::ir::{Column, EnumType, ForeignKey, Index, Table};
use crate::lint::{Hazard, Severity};
use crate::{Change, Dialect, Schema};

/// What a report is built from: the same inputs `db-migrate diff` prints.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// What the current side is (already redacted).
    pub from_label: &'a str,
    /// What the wanted side is (already redacted).
    pub to_label: &'a str,
    /// The backend the schemas are compared on.
    pub dialect: Dialect,
    /// The current schema, in the form the differ compares (normalized for `dialect`).
    pub actual: &'a Schema,
    /// The wanted schema, in the same form.
    pub desired: &'a Schema,
    /// The differ's changes from `actual` to `desired`.
    pub changes: &'a [Change],
    /// The lint's hazards of `changes`.
    pub hazards: &'a [Hazard],
}

impl SchemaReport {
    /// The report of `input`. Statuses come from the change list; the schemas only
    /// supply what each side looks like.
    pub fn build(input: &ReportInput<'_>) -> SchemaReport {
        let changes = flatten(input.changes);
        let mut tables = Vec::new();
        let mut seen_actual = BTreeSet::new();
        for wanted in &input.desired.tables {
            let current_name = changes
                .iter()
                .find_map(|c| match c {
                    Change::RenameTable { from, to } if *to == wanted.name => Some(from.as_str()),
                    _ => None,
                })
                .unwrap_or(&wanted.name);
            let current = input.actual.table(current_name);
            if current.is_some() {
                seen_actual.insert(current_name.to_owned());
            }
            tables.push(table_report(current, Some(wanted), &changes, input.hazards));
        }
        for current in &input.actual.tables {
            if !seen_actual.contains(&current.name) {
                tables.push(table_report(Some(current), None, &changes, input.hazards));
            }
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));

        let enums = enum_reports(input.actual, input.desired, &changes);
        let hazards = input
            .hazards
            .iter()
            .filter(|h| h.table.is_none())
            .map(report_hazard)
            .collect();
        let summary = summarize(
            &tables,
            crate::change::as_run_on(input.changes, input.dialect).len(),
            input.hazards,
        );
        SchemaReport {
            from: input.from_label.to_owned(),
            to: input.to_label.to_owned(),
            dialect: crate::portable::dialect_name(input.dialect).to_owned(),
            summary,
            tables,
            enums,
            hazards,
        }
    }
}

/// Every change, with the changes inside each `RebuildTable` in its place.
fn flatten(changes: &[Change]) -> Vec<&Change> {
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        match change {
            Change::RebuildTable { changes, .. } => out.extend(flatten(changes)),
            other => out.push(other),
        }
    }
    out
}

fn report_hazard(hazard: &Hazard) -> ReportHazard {
    ReportHazard {
        code: hazard.code.to_owned(),
        severity: hazard.severity,
        message: hazard.message.clone(),
    }
}

fn table_report(
    current: Option<&Table>,
    wanted: Option<&Table>,
    changes: &[&Change],
    hazards: &[Hazard],
) -> TableReport {
    let name = wanted
        .or(current)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let renamed_from = match (current, wanted) {
        (Some(c), Some(w)) if c.name != w.name => Some(c.name.clone()),
        _ => None,
    };
    let mine: Vec<&Change> = changes
        .iter()
        .copied()
        .filter(|c| c.table() == Some(name.as_str()))
        .collect();
    let status = match (current, wanted) {
        (None, _) => Status::Added,
        (_, None) => Status::Removed,
        _ if mine.is_empty() => Status::Same,
        _ => Status::Changed,
    };
    let table_hazards = hazards
        .iter()
        .filter(|h| {
            h.table.as_deref() == Some(name.as_str())
                || (h.table.is_some() && h.table.as_deref() == renamed_from.as_deref())
        })
        .map(report_hazard)
        .collect();
    TableReport {
        columns: column_rows(current, wanted, &mine, status),
        indexes: index_rows(current, wanted, &mine, status),
        foreign_keys: foreign_key_rows(current, wanted, &mine, status),
        name,
        renamed_from,
        status,
        hazards: table_hazards,
    }
}

/// A status for an item on both sides: `Added`/`Removed` when only one side has it or
/// the whole table is added/removed, `Changed` when `changed`, else `Same`.
fn item_status(table: Status, current: bool, wanted: bool, changed: bool) -> Status {
    match (table, current, wanted) {
        (Status::Added, _, _) | (_, false, true) => Status::Added,
        (Status::Removed, _, _) | (_, true, false) => Status::Removed,
        _ if changed => Status::Changed,
        _ => Status::Same,
    }
}

fn column_side(column: &Column) -> ColumnSide {
    let mut extra = Vec::new();
    if column.auto_increment {
        extra.push("auto increment".to_owned());
    }
    if let Some(generated) = &column.generated {
        let kind = if generated.stored {
            "stored"
        } else {
            "virtual"
        };
        extra.push(format!("generated ({}) {kind}", generated.expr));
    }
    if let Some(comment) = &column.comment {
        extra.push(format!("comment: {comment}"));
    }
    ColumnSide {
        ty: type_label(&column.ty),
        nullable: column.nullable,
        default: column.default.as_ref().map(default_label),
        extra,
    }
}

fn column_rows(
    current: Option<&Table>,
    wanted: Option<&Table>,
    changes: &[&Change],
    table: Status,
) -> Vec<ColumnRow> {
    let renamed = |to: &str| {
        changes.iter().find_map(|c| match c {
            Change::RenameColumn { from, to: t, .. } if t == to => Some(from.clone()),
            _ => None,
        })
    };
    let altered = |name: &str| {
        changes.iter().any(|c| match c {
            Change::AlterColumn { to, .. } => to.name == name,
            Change::RenameColumn { to, .. } => to == name,
            _ => false,
        })
    };
    let mut rows: Vec<ColumnRow> = Vec::new();
    if let Some(wanted) = wanted {
        for column in &wanted.columns {
            let renamed_from = renamed(&column.name);
            let current_name = renamed_from.as_deref().unwrap_or(&column.name);
            let before = current.and_then(|t| t.column(current_name));
            rows.push(ColumnRow {
                name: column.name.clone(),
                status: item_status(table, before.is_some(), true, altered(&column.name)),
                renamed_from,
                database: before.map(column_side),
                entity: Some(column_side(column)),
            });
        }
    }
    // Columns only the current side has, each after the row of the column it follows.
    if let Some(current) = current {
        let mut after: Option<usize> = None;
        for column in &current.columns {
            let kept = rows.iter().position(|r| {
                r.database.is_some() && r.renamed_from.as_deref().unwrap_or(&r.name) == column.name
            });
            match kept {
                Some(at) => after = Some(at),
                None => {
                    let at = after.map_or(0, |a| a + 1);
                    rows.insert(
                        at,
                        ColumnRow {
                            name: column.name.clone(),
                            renamed_from: None,
                            status: Status::Removed,
                            database: Some(column_side(column)),
                            entity: None,
                        },
                    );
                    after = Some(at);
                }
            }
        }
    }
    rows
}

fn index_label(index: &Index) -> String {
    let kind = match (index.unique, index.constraint) {
        (_, true) => "unique constraint",
        (true, false) => "unique index",
        (false, false) => "index",
    };
    format!("{kind} ({})", index.columns.join(", "))
}

fn index_rows(
    current: Option<&Table>,
    wanted: Option<&Table>,
    changes: &[&Change],
    table: Status,
) -> Vec<ItemRow> {
    let mut rows = Vec::new();
    let key = |t: Option<&Table>| t.map(|t| t.primary_key.clone()).filter(|k| !k.is_empty());
    let (key_before, key_after) = (key(current), key(wanted));
    if key_before.is_some() || key_after.is_some() {
        let changed = changes
            .iter()
            .any(|c| matches!(c, Change::AlterPrimaryKey { .. }));
        let label = |k: Vec<String>| format!("({})", k.join(", "));
        rows.push(ItemRow {
            name: "PRIMARY KEY".to_owned(),
            status: item_status(table, key_before.is_some(), key_after.is_some(), changed),
            database: key_before.map(label),
            entity: key_after.map(label),
        });
    }
    let none = Vec::new();
    let before = current.map_or(&none, |t| &t.indexes);
    let after = wanted.map_or(&none, |t| &t.indexes);
    let mut names: Vec<&str> = after
        .iter()
        .chain(before)
        .map(|i| i.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let old = before.iter().find(|i| i.name == name);
        let new = after.iter().find(|i| i.name == name);
        let touched = changes.iter().any(|c| match c {
            Change::CreateIndex { index, .. } | Change::DropIndex { index, .. } => {
                index.name == name
            }
            _ => false,
        });
        rows.push(ItemRow {
            name: name.to_owned(),
            status: item_status(table, old.is_some(), new.is_some(), touched),
            database: old.map(index_label),
            entity: new.map(index_label),
        });
    }
    rows
}

fn foreign_key_label(fk: &ForeignKey) -> String {
    let mut text = format!(
        "({}) \u{2192} {} ({})",
        fk.columns.join(", "),
        fk.ref_table,
        fk.ref_columns.join(", ")
    );
    let action = |a: crate::ir::FkAction| match a {
        crate::ir::FkAction::NoAction => "no action",
        crate::ir::FkAction::Restrict => "restrict",
        crate::ir::FkAction::Cascade => "cascade",
        crate::ir::FkAction::SetNull => "set null",
        crate::ir::FkAction::SetDefault => "set default",
    };
    if fk.on_delete != crate::ir::FkAction::NoAction {
        text.push_str(&format!(" on delete {}", action(fk.on_delete)));
    }
    if fk.on_update != crate::ir::FkAction::NoAction {
        text.push_str(&format!(" on update {}", action(fk.on_update)));
    }
    text
}

fn same_join(a: &ForeignKey, b: &ForeignKey) -> bool {
    a.columns == b.columns && a.ref_table == b.ref_table && a.ref_columns == b.ref_columns
}

fn foreign_key_rows(
    current: Option<&Table>,
    wanted: Option<&Table>,
    changes: &[&Change],
    table: Status,
) -> Vec<ItemRow> {
    let none = Vec::new();
    let before = current.map_or(&none, |t| &t.foreign_keys);
    let after = wanted.map_or(&none, |t| &t.foreign_keys);
    let mut joins: Vec<&ForeignKey> = Vec::new();
    for fk in after.iter().chain(before) {
        if !joins.iter().any(|j| same_join(j, fk)) {
            joins.push(fk);
        }
    }
    joins
        .into_iter()
        .map(|join| {
            let old = before.iter().find(|f| same_join(f, join));
            let new = after.iter().find(|f| same_join(f, join));
            let touched = changes.iter().any(|c| match c {
                Change::AddForeignKey { foreign_key, .. }
                | Change::DropForeignKey { foreign_key, .. } => same_join(foreign_key, join),
                _ => false,
            });
            ItemRow {
                name: format!("({}) \u{2192} {}", join.columns.join(", "), join.ref_table),
                status: item_status(table, old.is_some(), new.is_some(), touched),
                database: old.map(foreign_key_label),
                entity: new.map(foreign_key_label),
            }
        })
        .collect()
}

fn enum_reports(actual: &Schema, desired: &Schema, changes: &[&Change]) -> Vec<EnumReport> {
    let mut names: Vec<&str> = desired
        .enums
        .iter()
        .chain(&actual.enums)
        .map(|e| e.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let old = actual.enum_type(name);
            let new = desired.enum_type(name);
            let altered = changes
                .iter()
                .any(|c| matches!(c, Change::AlterEnum { to, .. } if to.name == name));
            let values = |e: &EnumType| e.values.clone();
            EnumReport {
                name: name.to_owned(),
                status: item_status(Status::Same, old.is_some(), new.is_some(), altered),
                database: old.map(values),
                entity: new.map(values),
            }
        })
        .collect()
}

fn summarize(tables: &[TableReport], changes: usize, hazards: &[Hazard]) -> Summary {
    let mut summary = Summary {
        changes,
        ..Summary::default()
    };
    for table in tables {
        match table.status {
            Status::Added => summary.tables_added += 1,
            Status::Removed => summary.tables_removed += 1,
            Status::Changed => summary.tables_changed += 1,
            Status::Same => summary.tables_same += 1,
        }
        if table.status != Status::Changed {
            continue;
        }
        for column in &table.columns {
            match column.status {
                Status::Added => summary.columns_added += 1,
                Status::Removed => summary.columns_removed += 1,
                Status::Changed => summary.columns_changed += 1,
                Status::Same => {}
            }
        }
    }
    for hazard in hazards {
        match hazard.severity {
            Severity::Danger => summary.hazards_danger += 1,
            Severity::Warning => summary.hazards_warning += 1,
            Severity::Info => summary.hazards_info += 1,
        }
    }
    summary
}
