//! `db-migrate entities`: what the project's entity list holds, entity by entity
//! (its table, column, index and foreign-key counts), in the list's order. It
//! needs no database: it shows what `auto`, `diff` and `check` compare with, so
//! that an entity the discovery missed is seen before a migration drops its table.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use schema_diff::Table;
use serde_json::json;

use super::Context;
use crate::terminal::visible_line as visible;

pub async fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let tables = entity_tables(ctx.project.entities)?;
    if ctx.global.json {
        let entities: Vec<_> = tables
            .iter()
            .map(|t| {
                json!({
                    "table": t.name,
                    "columns": t.columns.len(),
                    "primary_key": t.primary_key,
                    "indexes": t.indexes.len(),
                    "foreign_keys": t.foreign_keys.len(),
                })
            })
            .collect();
        crate::output::json(&json!({ "count": tables.len(), "entities": entities }))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} entit{}:",
        tables.len(),
        plural(tables.len(), "y", "ies")
    );
    let width = tables
        .iter()
        .map(|t| visible(&t.name).chars().count())
        .max()
        .unwrap_or(0);
    for t in &tables {
        outln!(
            "  {:<width$}  {} column{}, {} index{}, {} foreign key{}",
            visible(&t.name),
            t.columns.len(),
            plural(t.columns.len(), "", "s"),
            t.indexes.len(),
            plural(t.indexes.len(), "", "es"),
            t.foreign_keys.len(),
            plural(t.foreign_keys.len(), "", "s"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The table of every entity in the project's list, in the list's order. An
/// empty list, or an entity whose statements have no IR equivalent, is an error.
fn entity_tables(
    entities: fn(&sea_orm::Schema) -> Vec<crate::EntityStatements>,
) -> anyhow::Result<Vec<Table>> {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let statements = entities(&helper);
    if statements.is_empty() {
        bail!(
            "the project lists no entities: the entity crate's all_entities() returned none; \
             every entity module must be reachable from its src/lib.rs through `pub mod` lines \
             (nested modules such as src/entities/mod.rs count) and derive DeriveEntityModel"
        );
    }
    statements
        .iter()
        .enumerate()
        .map(|(i, (table, indexes, _types))| {
            schema_diff::desired::table_from_statements(table, indexes)
                .with_context(|| format!("cannot read entity {} of the project's list", i + 1))
        })
        .collect()
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_entity_list_is_an_error_saying_where_entities_are_found() {
        let error = entity_tables(|_| Vec::new()).expect_err("no entities");
        let text = crate::output::error_line(&error);
        assert!(text.contains("the project lists no entities"), "{text}");
        assert!(text.contains("pub mod"), "{text}");
    }
}
