//! `db-migrate auto`: compare the entities with the database and write the migration.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use schema_diff::{Dialect, DiffOptions};
use serde_json::json;

use super::Context;

pub async fn run(
    ctx: &Context<'_>,
    description: &str,
    options: DiffOptions,
) -> anyhow::Result<ExitCode> {
    crate::naming::slug(description)?;
    let db = ctx.connect().await?;
    let status = ctx.runner().status(&db).await?;
    if !status.unknown.is_empty() {
        bail!(
            "the database's history names migrations this code does not have: {}",
            status.unknown.join(", ")
        );
    }
    if !status.pending.is_empty() {
        bail!(
            "the database is not up to date ({} pending: {}); run `db-migrate upgrade` first, \
             so that `auto` compares the entities with the schema the migrations produce",
            status.pending.len(),
            status.pending.join(", ")
        );
    }
    let backend = db.get_database_backend();
    let dialect = Dialect::of(backend).context("unsupported database backend")?;
    let desired = desired_schema(ctx)?;
    let actual = schema_diff::introspect::introspect(&db)
        .await
        .context("cannot read the database schema")?;
    let changes = schema_diff::diff(&actual, &desired, dialect, &options);
    let summary: Vec<String> = changes.iter().map(|c| c.describe()).collect();
    let lint_options = schema_diff::lint::LintOptions {
        dialect: Some(dialect),
    };
    let hazards = schema_diff::lint::lint_with(&changes, &actual, &lint_options);
    let preflight = schema_diff::lint::preflight(&db, &changes)
        .await
        .context("cannot count the rows the changes would affect")?;

    let file = if changes.is_empty() {
        None
    } else {
        let options = schema_diff::render::RenderOptions {
            description: description.to_owned(),
            hazards: schema_diff::lint::comment_lines(&hazards),
        };
        let text = schema_diff::render::render_migration(&changes, &options)?;
        Some(super::generate::write_module(ctx, description, &text)?)
    };

    if ctx.global.json {
        crate::output::json(&json!({
            "changes": changes,
            "summary": summary,
            "hazards": hazards,
            "preflight": preflight,
            "file": file,
        }))?;
    } else if let Some(path) = &file {
        println!("{} change(s):", changes.len());
        for line in &summary {
            println!("  {line}");
        }
        if !hazards.is_empty() {
            println!("hazards ({}), also written in the file:", hazards.len());
            for hazard in &hazards {
                println!("  {hazard}");
            }
        }
        if !preflight.is_empty() {
            println!("on this database's data:");
            for hazard in &preflight {
                println!("  {hazard}");
            }
        }
        println!("wrote {}", crate::output::relative(path));
        println!("review it, then run `db-migrate upgrade`");
    } else {
        println!("No changes");
    }
    Ok(ExitCode::SUCCESS)
}

/// The schema the entities describe (always built with SQLite's statements, which
/// keep enum variants; the dialect layer maps them per backend).
pub fn desired_schema(ctx: &Context<'_>) -> anyhow::Result<schema_diff::Schema> {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let statements = (ctx.project.entities)(&helper);
    Ok(schema_diff::desired::schema_from_entities(statements)?)
}
