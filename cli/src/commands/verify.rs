//! `db-migrate verify`: does the database agree with the code?
//!
//! Problems: an applied migration edited since (its checksum in
//! `db_migrate_history` is not the code's), applied versions the code does not
//! have, pending migrations that come before an applied one, migrations left
//! `started` or `failed` (or in progress in a run that holds the migration
//! lock), pending migrations at all, and any difference between the
//! database's schema and the entities (types and defaults compared).

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use anyhow::Context as _;
use schema_diff::runner::companion;
use schema_diff::runner::{Runner, is_in_progress, migration_checksum, unfinished_message};
use schema_diff::{Dialect, Schema};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use super::Context;
use super::check::Scope;
use super::check::{EditedMigration, Report, UnfinishedMigration, print_text, summary};

/// What the history tables say, next to the code's migrations.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    pub pending: Vec<String>,
    pub unknown: Vec<String>,
    pub edited: Vec<EditedMigration>,
    pub unfinished: Vec<UnfinishedMigration>,
    pub out_of_order: Vec<String>,
}

/// Reads `seaql_migrations` and `db_migrate_history` (creating neither) and
/// compares them with `migrations`: each applied migration's recorded checksum
/// with the checksum of the SQL its `up` sends now. A migration with no recorded
/// checksum (history adopted from SeaORM) or whose SQL cannot be captured is not
/// compared.
pub(crate) async fn read_history(
    db: &DatabaseConnection,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
) -> anyhow::Result<History> {
    let runner = Runner::new(migrations());
    let versions = runner.versions();
    let status = runner
        .status(db)
        .await
        .context("cannot read the migration history")?;
    let rows = companion::read(db)
        .await
        .with_context(|| format!("cannot read {}", companion::COMPANION_TABLE))?;
    let applied: HashSet<&str> = status.applied.iter().map(|a| a.version.as_str()).collect();
    let backend = db.get_database_backend();
    let code = migrations();

    let mut edited = Vec::new();
    let mut unfinished = Vec::new();
    for row in &rows {
        if row.state.is_dirty() {
            let holder = status.lock_holder.as_deref();
            unfinished.push(UnfinishedMigration {
                version: row.version.clone(),
                state: row.state.as_str().to_owned(),
                in_progress: is_in_progress(row, holder),
                message: unfinished_message(row, holder, backend),
            });
            continue;
        }
        let (Some(recorded), true) = (&row.checksum, applied.contains(row.version.as_str())) else {
            continue;
        };
        let Some(migration) = code.iter().find(|m| m.name() == row.version) else {
            continue;
        };
        if let Some(current) = migration_checksum(migration.as_ref(), backend).await
            && &current != recorded
        {
            edited.push(EditedMigration {
                version: row.version.clone(),
                recorded: recorded.clone(),
                current,
            });
        }
    }

    let position: HashMap<&str, usize> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i))
        .collect();
    let last_applied = status
        .applied
        .iter()
        .filter_map(|a| position.get(a.version.as_str()).copied())
        .max();
    let out_of_order = status
        .pending
        .iter()
        .filter(|v| {
            let at = position.get(v.as_str()).copied();
            matches!((at, last_applied), (Some(at), Some(last)) if at < last)
        })
        .cloned()
        .collect();
    Ok(History {
        pending: status.pending,
        unknown: status.unknown,
        edited,
        unfinished,
        out_of_order,
    })
}

/// The first 12 characters of a checksum.
fn short(checksum: &str) -> String {
    checksum.chars().take(12).collect()
}

/// One problem sentence per unknown, edited, unfinished or out-of-order migration.
pub(crate) fn history_problems(report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if !report.unknown.is_empty() {
        problems.push(format!(
            "the database's history names migration(s) the code does not have: {}; deploy \
             the code that contains them, or repair the history",
            report.unknown.join(", ")
        ));
    }
    for e in &report.edited {
        problems.push(format!(
            "migration {} was edited after it was applied: the SQL of its `up` has checksum \
             {} now, {} was recorded when it ran",
            e.version,
            short(&e.current),
            short(&e.recorded)
        ));
    }
    problems.extend(report.unfinished.iter().map(|u| u.message.clone()));
    for v in &report.out_of_order {
        problems.push(format!(
            "migration {v} is pending, but a migration after it in the code is applied: it \
             would run out of order"
        ));
    }
    problems
}

/// `db-migrate verify`.
pub async fn run(ctx: &Context<'_>) -> anyhow::Result<ExitCode> {
    let desired = super::auto::desired_schema(ctx)?;
    let scope = super::check::Scope {
        exclusions: ctx.settings.exclusions(),
        diff: ctx.settings.diff_options(),
    };
    let report = verify_report_with(&ctx.url, ctx.project.migrations, desired, &scope).await?;
    if ctx.global.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(object) = value.as_object_mut() {
            object.remove("hazards");
        }
        crate::output::json(&value)?;
    } else {
        print_text(&report, false);
    }
    Ok(report.exit_code())
}

/// Verifies the database at `db_url` against the code (`migrations`, and
/// `desired`, the schema the entities describe) as `db-migrate verify` does.
/// Errors are `Err`; problems are in the report.
pub async fn verify_report(
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: Schema,
) -> anyhow::Result<Report> {
    verify_report_with(db_url, migrations, desired, &Scope::default()).await
}

/// [`verify_report`] within `scope` (`desired` must already leave the excluded
/// tables out).
pub async fn verify_report_with(
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: Schema,
    scope: &Scope,
) -> anyhow::Result<Report> {
    super::auto::require_entities(&desired)?;
    let db = crate::connect::connect(db_url).await?;
    let result = verify_on(&db, migrations, &desired, scope).await;
    db.close().await.ok();
    result
}

async fn verify_on(
    db: &DatabaseConnection,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: &Schema,
    scope: &Scope,
) -> anyhow::Result<Report> {
    let dialect = Dialect::of(db.get_database_backend()).context("unsupported database backend")?;
    let history = read_history(db, migrations).await?;
    let mut report = Report::from_history(history);
    report.problems = history_problems(&report);
    if !report.pending.is_empty() {
        report.problems.push(format!(
            "the database is not at head: {} migration(s) pending: {} (run `db-migrate upgrade`)",
            report.pending.len(),
            report.pending.join(", ")
        ));
    }
    let actual = scope.exclusions.apply(
        schema_diff::introspect::introspect(db)
            .await
            .context("cannot read the database schema")?,
    );
    let drift = schema_diff::diff(&actual, desired, dialect, &scope.diff);
    // As the backend runs them, as `check` reports them.
    report.drift = schema_diff::change::as_run_on(&drift, dialect)
        .into_iter()
        .cloned()
        .collect();
    if !report.drift.is_empty() {
        let why = if report.pending.is_empty() {
            "it was changed by hand, or the migrations do not do what the entities say".to_owned()
        } else {
            format!(
                "the {} pending migration(s) may account for some of it",
                report.pending.len()
            )
        };
        report.problems.push(format!(
            "the database's schema does not match the entities: {} change(s) ({}); {why}",
            report.drift.len(),
            summary(&report.drift)
        ));
    }
    Ok(report.finish())
}
