//! Primary keys, foreign keys, CHECK constraints and indexes.

use std::collections::BTreeMap;

use sea_orm::QueryResult;

use super::{get, get_names};
use crate::dialect::sqlite::strip_outer_parens;
use crate::error::Error;
use crate::ir::{Check, FkAction, ForeignKey, Index, Table};

/// Primary keys (`p`), foreign keys (`f`) and CHECK constraints (`c`) of the
/// current schema's tables, columns in key order as JSON arrays. Constraints
/// PostgreSQL clones onto partitions (`conparentid <> 0`) are left out, and so
/// are PostgreSQL 18's NOT NULL constraints (`n`).
pub(super) const CONSTRAINTS: &str = "SELECT c.relname::text AS tbl, con.conname::text AS name, \
    con.contype::text AS kind, \
    (SELECT json_agg(a.attname ORDER BY k.ord)::text \
       FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord) \
       JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.num) AS cols, \
    rc.relname::text AS ref_table, \
    (SELECT json_agg(a.attname ORDER BY k.ord)::text \
       FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord) \
       JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.num) \
      AS ref_cols, \
    con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete, \
    pg_get_expr(con.conbin, con.conrelid) AS check_expr \
    FROM pg_catalog.pg_constraint AS con \
    JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid \
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
    LEFT JOIN pg_catalog.pg_class AS rc ON rc.oid = con.confrelid \
    WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f', 'c') \
      AND con.conparentid = 0 \
    ORDER BY c.relname, con.conname";

/// Every index of the current schema's tables: unique or not, whether a
/// constraint owns it (`u` unique, `p` primary key, `x` exclusion), whether it
/// is partial or has expressions, and its key columns (not `INCLUDE` ones) in
/// order as a JSON array.
pub(super) const INDEXES: &str = "SELECT c.relname::text AS tbl, ic.relname::text AS name, \
    i.indisunique AS is_unique, i.indisprimary AS is_primary, \
    con.contype::text AS con_kind, \
    (i.indpred IS NOT NULL) AS partial, (i.indexprs IS NOT NULL) AS has_exprs, \
    (SELECT json_agg(a.attname ORDER BY k.ord)::text \
       FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(num, ord) \
       JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.num \
       WHERE k.ord <= i.indnkeyatts) AS cols \
    FROM pg_catalog.pg_index AS i \
    JOIN pg_catalog.pg_class AS c ON c.oid = i.indrelid \
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
    JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid \
    LEFT JOIN pg_catalog.pg_constraint AS con ON con.conrelid = i.indrelid \
      AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x') \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    ORDER BY c.relname, ic.relname";

pub(super) fn read_constraints(
    tables: &mut BTreeMap<String, Table>,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        let Some(table) = tables.get_mut(&tbl) else {
            continue;
        };
        let name: String = get(row, "name", &tbl)?;
        let kind: String = get(row, "kind", &tbl)?;
        match kind.as_str() {
            "p" => table.primary_key = get_names(row, "cols", &tbl)?,
            "f" => {
                let ref_table: Option<String> = get(row, "ref_table", &tbl)?;
                let on_update: String = get(row, "on_update", &tbl)?;
                let on_delete: String = get(row, "on_delete", &tbl)?;
                let context = |what: &str| format!("foreign key `{name}`: {what}");
                table.foreign_keys.push(ForeignKey {
                    columns: get_names(row, "cols", &tbl)?,
                    ref_table: ref_table.ok_or_else(|| Error::Introspection {
                        table: tbl.clone(),
                        reason: context("the referenced table was not found"),
                    })?,
                    ref_columns: get_names(row, "ref_cols", &tbl)?,
                    on_update: fk_action(&on_update).ok_or_else(|| Error::Introspection {
                        table: tbl.clone(),
                        reason: context(&format!("unknown ON UPDATE action `{on_update}`")),
                    })?,
                    on_delete: fk_action(&on_delete).ok_or_else(|| Error::Introspection {
                        table: tbl.clone(),
                        reason: context(&format!("unknown ON DELETE action `{on_delete}`")),
                    })?,
                    name: Some(name),
                });
            }
            "c" => {
                let expr: Option<String> = get(row, "check_expr", &tbl)?;
                let expr = expr.ok_or_else(|| Error::Introspection {
                    table: tbl.clone(),
                    reason: format!("CHECK constraint `{name}` has no expression"),
                })?;
                table.checks.push(Check {
                    name: Some(name),
                    expr: strip_outer_parens(expr.trim()).to_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The action of a `confupdtype` / `confdeltype` letter.
fn fk_action(letter: &str) -> Option<FkAction> {
    Some(match letter {
        "a" | " " | "" => FkAction::NoAction,
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => return None,
    })
}

pub(super) fn read_indexes(
    tables: &mut BTreeMap<String, Table>,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        let Some(table) = tables.get_mut(&tbl) else {
            continue;
        };
        let name: String = get(row, "name", &tbl)?;
        let unique: bool = get(row, "is_unique", &tbl)?;
        let primary: bool = get(row, "is_primary", &tbl)?;
        let con_kind: Option<String> = get(row, "con_kind", &tbl)?;
        let partial: bool = get(row, "partial", &tbl)?;
        let has_exprs: bool = get(row, "has_exprs", &tbl)?;
        // The primary key is read from its constraint; exclusion constraints,
        // partial indexes and indexes on expressions have no IR form.
        if primary || partial || has_exprs || matches!(con_kind.as_deref(), Some("p" | "x")) {
            continue;
        }
        table.indexes.push(Index {
            columns: get_names(row, "cols", &tbl)?,
            unique,
            constraint: con_kind.as_deref() == Some("u"),
            name,
        });
    }
    Ok(())
}
