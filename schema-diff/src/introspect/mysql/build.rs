//! Catalog rows → IR tables.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::catalog::{Catalog, CheckRow, ColumnRow, IndexRow, KeyColumnRow, RuleRow};
use super::{Server, error};
use crate::dialect::mysql::{canonical_expr, parse_default_literal, parse_default_sql, parse_type};
use crate::dialect::sqlite::strip_outer_parens;
use crate::error::Error;
use crate::introspect::is_ignored_table;
use crate::ir::{
    Check, Column, ColumnType, DefaultValue, FkAction, ForeignKey, Generated, Index, Schema, Table,
};

/// Assembles the schema from the catalog rows; the result is sorted.
pub(super) fn build(server: &Server, catalog: Catalog) -> Result<Schema, Error> {
    let mut tables: BTreeMap<String, Table> = catalog
        .tables
        .into_iter()
        .filter(|t| !is_ignored_table(&t.name))
        .map(|t| {
            let table = Table {
                name: t.name.clone(),
                comment: t.comment.filter(|c| !c.is_empty()),
                ..Table::default()
            };
            (t.name, table)
        })
        .collect();

    read_columns(server, &mut tables, catalog.columns);
    let mut check_tables: HashMap<String, String> = HashMap::new();
    let mut unique_constraints: HashSet<(String, String)> = HashSet::new();
    for c in catalog.constraints {
        match c.kind.as_str() {
            "UNIQUE" => {
                unique_constraints.insert((c.table, c.name));
            }
            _ => {
                check_tables.insert(c.name, c.table);
            }
        }
    }
    read_checks(&mut tables, catalog.checks, &check_tables);
    read_indexes(&mut tables, catalog.indexes, &unique_constraints);
    read_foreign_keys(server, &mut tables, catalog.key_columns, catalog.rules)?;
    for table in tables.values_mut() {
        let Table {
            name,
            indexes,
            foreign_keys,
            ..
        } = table;
        indexes.retain(|index| !is_automatic_fk_index(name, index, foreign_keys));
    }

    let mut schema = Schema {
        tables: tables.into_values().collect(),
        enums: Vec::new(),
    };
    schema.sort();
    Ok(schema)
}

fn read_columns(server: &Server, tables: &mut BTreeMap<String, Table>, mut rows: Vec<ColumnRow>) {
    rows.sort_by(|a, b| (&a.table, a.position).cmp(&(&b.table, b.position)));
    for row in rows {
        if let Some(table) = tables.get_mut(&row.table) {
            table.columns.push(column(server, row));
        }
    }
}

fn column(server: &Server, row: ColumnRow) -> Column {
    let extra = row.extra.to_ascii_uppercase();
    let ty = parse_type(&row.column_type);
    let generated = row
        .generation
        .filter(|expr| !expr.trim().is_empty())
        .map(|expr| Generated {
            expr: strip_outer_parens(expr.trim()).to_owned(),
            stored: extra.contains("STORED") || extra.contains("PERSISTENT"),
        });
    let default = match (&generated, row.default) {
        (Some(_), _) | (None, None) => None,
        (None, Some(text)) => {
            let value = if server.quotes_defaults() || extra.contains("DEFAULT_GENERATED") {
                parse_default_sql(&text)
            } else {
                parse_default_literal(&text, &ty)
            };
            // MariaDB writes `NULL` for every nullable column without a default.
            Some(value).filter(|v| *v != DefaultValue::Null)
        }
    };
    let mut column = Column::new(row.name, ty);
    column.nullable = row.nullable;
    column.default = default;
    column.auto_increment = extra.contains("AUTO_INCREMENT");
    column.generated = generated;
    column.comment = row.comment.filter(|c| !c.is_empty());
    column
}

/// Reads CHECK constraints. A MariaDB JSON column is a `longtext` with a CHECK
/// named after it, `json_valid(`col`)`: the column becomes `Json` and the
/// check is not reported.
fn read_checks(
    tables: &mut BTreeMap<String, Table>,
    rows: Vec<CheckRow>,
    check_tables: &HashMap<String, String>,
) {
    let mut rows: Vec<(String, CheckRow)> = rows
        .into_iter()
        .filter_map(|row| {
            let table = row
                .table
                .clone()
                .or_else(|| check_tables.get(&row.name).cloned());
            if table.is_none() {
                tracing::warn!(check = %row.name, "CHECK constraint of an unknown table; not read");
            }
            table.map(|t| (t, row))
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
    for (table_name, row) in rows {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let json_column = table.columns.iter_mut().find(|c| {
            c.name == row.name
                && c.ty == ColumnType::Custom("longtext".into())
                && canonical_expr(&row.clause)
                    == canonical_expr(&format!("json_valid(`{}`)", c.name))
        });
        match json_column {
            Some(column) => column.ty = ColumnType::Json,
            None => table.checks.push(Check {
                name: Some(row.name),
                expr: strip_outer_parens(row.clause.trim()).to_owned(),
            }),
        }
    }
}

/// Reads the primary key and the indexes; expression, prefix, full-text and
/// spatial indexes are skipped whole.
fn read_indexes(
    tables: &mut BTreeMap<String, Table>,
    rows: Vec<IndexRow>,
    unique_constraints: &HashSet<(String, String)>,
) {
    let mut grouped: BTreeMap<(String, String), Vec<IndexRow>> = BTreeMap::new();
    for row in rows {
        grouped
            .entry((row.table.clone(), row.index.clone()))
            .or_default()
            .push(row);
    }
    for ((table_name, index_name), mut parts) in grouped {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        parts.sort_by_key(|p| p.seq);
        let plain = parts.iter().all(|p| {
            p.column.is_some()
                && p.sub_part.is_none()
                && !matches!(
                    p.index_type.to_ascii_uppercase().as_str(),
                    "FULLTEXT" | "SPATIAL" | "VECTOR"
                )
        });
        if !plain {
            tracing::debug!(table = %table_name, index = %index_name,
                "expression, prefix, full-text or spatial index; not read");
            continue;
        }
        let unique = parts.first().is_some_and(|p| p.unique);
        let columns: Vec<String> = parts.into_iter().filter_map(|p| p.column).collect();
        if index_name == "PRIMARY" {
            table.primary_key = columns;
            continue;
        }
        let constraint = unique && unique_constraints.contains(&(table_name, index_name.clone()));
        table.indexes.push(Index {
            name: index_name,
            columns,
            unique,
            constraint,
        });
    }
}

fn read_foreign_keys(
    server: &Server,
    tables: &mut BTreeMap<String, Table>,
    rows: Vec<KeyColumnRow>,
    rules: Vec<RuleRow>,
) -> Result<(), Error> {
    let rules: HashMap<(String, String), RuleRow> = rules
        .into_iter()
        .map(|r| ((r.table.clone(), r.name.clone()), r))
        .collect();
    let mut grouped: BTreeMap<(String, String), Vec<KeyColumnRow>> = BTreeMap::new();
    for row in rows {
        grouped
            .entry((row.table.clone(), row.name.clone()))
            .or_default()
            .push(row);
    }
    for (key, mut parts) in grouped {
        let (table_name, fk_name) = &key;
        let Some(table) = tables.get_mut(table_name) else {
            continue;
        };
        parts.sort_by_key(|p| p.position);
        let Some(first) = parts.first() else {
            continue;
        };
        if first.ref_schema.as_deref() != Some(server.database.as_str()) {
            tracing::warn!(table = %table_name, foreign_key = %fk_name,
                ref_schema = ?first.ref_schema,
                "foreign key to a table of another database; read without the database name");
        }
        let ref_table = first.ref_table.clone();
        let (on_update, on_delete) = match rules.get(&key) {
            Some(rule) => (
                fk_action(&rule.on_update, table_name)?,
                fk_action(&rule.on_delete, table_name)?,
            ),
            None => {
                return Err(error(
                    table_name,
                    format!("foreign key `{fk_name}` is missing from REFERENTIAL_CONSTRAINTS"),
                ));
            }
        };
        let (columns, ref_columns) = parts.into_iter().map(|p| (p.column, p.ref_column)).unzip();
        table.foreign_keys.push(ForeignKey {
            name: Some(fk_name.clone()),
            columns,
            ref_table,
            ref_columns,
            on_delete,
            on_update,
        });
    }
    Ok(())
}

fn fk_action(text: &str, table: &str) -> Result<FkAction, Error> {
    Ok(match text.to_ascii_uppercase().as_str() {
        "NO ACTION" => FkAction::NoAction,
        "RESTRICT" => FkAction::Restrict,
        "CASCADE" => FkAction::Cascade,
        "SET NULL" => FkAction::SetNull,
        "SET DEFAULT" => FkAction::SetDefault,
        other => {
            return Err(error(
                table,
                format!("unknown foreign key action `{other}`"),
            ));
        }
    })
}

/// Whether `index` is the one InnoDB made by itself for a foreign key of the
/// table: not unique, on exactly the key's columns, and named as InnoDB names
/// it — after the constraint, or after the first column when the constraint
/// has a generated name (`<table>_ibfk_<n>`).
fn is_automatic_fk_index(table: &str, index: &Index, foreign_keys: &[ForeignKey]) -> bool {
    !index.unique
        && foreign_keys.iter().any(|fk| {
            let Some(name) = fk.name.as_deref() else {
                return false;
            };
            fk.columns == index.columns
                && (index.name == name
                    || (is_generated_fk_name(table, name)
                        && fk.columns.first() == Some(&index.name)))
        })
}

/// `<table>_ibfk_<n>`, the name InnoDB gives an unnamed foreign key.
fn is_generated_fk_name(table: &str, name: &str) -> bool {
    name.strip_prefix(table)
        .and_then(|rest| rest.strip_prefix("_ibfk_"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
