//! Columns and enum types.

use std::collections::BTreeMap;

use sea_orm::QueryResult;

use super::get;
use crate::dialect::postgres::{parse_default, parse_type};
use crate::error::Error;
use crate::ir::{Column, ColumnType, DefaultValue, EnumType, Generated, Table};

/// Every enum type of the database (columns may use one from another schema),
/// with its values in order and whether it is in the current schema.
pub(super) const ENUMS: &str = "SELECT t.oid::int8 AS oid, t.typname::text AS name, \
    (n.nspname = current_schema()) AS local, e.enumlabel::text AS label \
    FROM pg_catalog.pg_type AS t \
    JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace \
    JOIN pg_catalog.pg_enum AS e ON e.enumtypid = t.oid \
    ORDER BY t.oid, e.enumsortorder";

/// Every column of every table of the current schema, in column order: its
/// type as `format_type` prints it, the type's kind (and its element's, for
/// arrays), NOT NULL, default, identity, generation and comment.
pub(super) const COLUMNS: &str = "SELECT c.relname::text AS tbl, a.attname::text AS name, \
    format_type(a.atttypid, a.atttypmod) AS type_text, \
    t.typtype::text AS typtype, t.oid::int8 AS type_oid, \
    et.typtype::text AS elem_typtype, et.oid::int8 AS elem_oid, \
    a.attnotnull AS not_null, pg_get_expr(ad.adbin, ad.adrelid) AS dflt, \
    a.attidentity::text AS identity, a.attgenerated::text AS generated, \
    d.description AS comment \
    FROM pg_catalog.pg_class AS c \
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace \
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 \
      AND NOT a.attisdropped \
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid \
    LEFT JOIN pg_catalog.pg_type AS et ON t.typcategory = 'A' AND et.oid = t.typelem \
    LEFT JOIN pg_catalog.pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
    LEFT JOIN pg_catalog.pg_description AS d ON d.classoid = 'pg_catalog.pg_class'::regclass \
      AND d.objoid = c.oid AND d.objsubid = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    ORDER BY c.relname, a.attnum";

/// The enum types read by [`ENUMS`], by type oid.
#[derive(Debug, Default)]
pub(super) struct Enums {
    by_oid: BTreeMap<i64, (EnumType, bool)>,
}

impl Enums {
    /// The enum type with oid `oid`, if it is one.
    fn get(&self, oid: i64) -> Option<&EnumType> {
        self.by_oid.get(&oid).map(|(e, _)| e)
    }

    /// The enum types of the current schema.
    pub(super) fn into_local(self) -> Vec<EnumType> {
        self.by_oid
            .into_values()
            .filter_map(|(e, local)| local.then_some(e))
            .collect()
    }
}

pub(super) fn read_enums(rows: Vec<QueryResult>) -> Result<Enums, Error> {
    let mut enums = Enums::default();
    for row in &rows {
        let oid: i64 = get(row, "oid", "*")?;
        let name: String = get(row, "name", "*")?;
        let local: bool = get(row, "local", &name)?;
        let label: String = get(row, "label", &name)?;
        let entry = enums.by_oid.entry(oid).or_insert_with(|| {
            let e = EnumType {
                name,
                values: Vec::new(),
            };
            (e, local)
        });
        entry.0.values.push(label);
    }
    Ok(enums)
}

pub(super) fn read_columns(
    tables: &mut BTreeMap<String, Table>,
    enums: &Enums,
    rows: Vec<QueryResult>,
) -> Result<(), Error> {
    for row in &rows {
        let tbl: String = get(row, "tbl", "*")?;
        let Some(table) = tables.get_mut(&tbl) else {
            continue;
        };
        let column = read_column(row, &tbl, enums)?;
        table.columns.push(column);
    }
    Ok(())
}

fn read_column(row: &QueryResult, tbl: &str, enums: &Enums) -> Result<Column, Error> {
    let name: String = get(row, "name", tbl)?;
    let type_text: String = get(row, "type_text", tbl)?;
    let typtype: String = get(row, "typtype", tbl)?;
    let type_oid: i64 = get(row, "type_oid", tbl)?;
    let elem_typtype: Option<String> = get(row, "elem_typtype", tbl)?;
    let elem_oid: Option<i64> = get(row, "elem_oid", tbl)?;
    let not_null: bool = get(row, "not_null", tbl)?;
    let default: Option<String> = get(row, "dflt", tbl)?;
    let identity: String = get(row, "identity", tbl)?;
    let generated: String = get(row, "generated", tbl)?;
    let comment: Option<String> = get(row, "comment", tbl)?;

    let enum_type = |oid: i64| {
        enums.get(oid).map(|e| ColumnType::Enum {
            name: e.name.clone(),
            variants: e.values.clone(),
        })
    };
    let ty = match (typtype.as_str(), elem_typtype.as_deref(), elem_oid) {
        ("e", _, _) => enum_type(type_oid),
        (_, Some("e"), Some(oid)) => enum_type(oid).map(|e| ColumnType::Array(Box::new(e))),
        _ => None,
    }
    .unwrap_or_else(|| parse_type(&type_text));

    let mut column = Column::new(name, ty);
    column.nullable = !not_null;
    column.comment = comment;
    match (identity.as_str(), generated.as_str()) {
        // `a`: GENERATED ALWAYS AS IDENTITY, `d`: GENERATED BY DEFAULT AS IDENTITY.
        ("a" | "d", _) => column.auto_increment = true,
        // `s`: GENERATED ALWAYS AS (expr) STORED; `v` (PostgreSQL 18): virtual.
        (_, "s" | "v") => {
            let expr = default.ok_or_else(|| Error::Introspection {
                table: tbl.to_owned(),
                reason: format!(
                    "column `{}` is generated but has no generation expression",
                    column.name
                ),
            })?;
            column.generated = Some(Generated {
                expr: crate::dialect::sqlite::strip_outer_parens(expr.trim()).to_owned(),
                stored: generated == "s",
            });
        }
        _ => match default.as_deref().map(parse_default) {
            Some(DefaultValue::Expr(expr)) if is_nextval(&expr) => column.auto_increment = true,
            parsed => column.default = parsed,
        },
    }
    Ok(column)
}

/// Whether a default is a sequence's next value: what `serial` columns get.
fn is_nextval(expr: &str) -> bool {
    expr.trim_start()
        .get(..8)
        .is_some_and(|head| head.eq_ignore_ascii_case("nextval("))
}
