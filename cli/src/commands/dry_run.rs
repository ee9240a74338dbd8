//! `upgrade --dry-run` and `downgrade --dry-run`: the SQL the real command would send
//! on this database, sent nowhere.
//!
//! The plan is the real command's (same targets, same refusal of an unknown applied
//! version); each migration's SQL is captured with [`schema_diff::capture`] on the
//! database's backend. The database is only read (its migration history), never
//! written: not even `seaql_migrations` or `db_migrate_history` is created.
//! The printing here is shared with `db-migrate sql`.

use std::process::ExitCode;

use schema_diff::lint::Hazard;
use schema_diff::runner::{DowngradeTarget, RunError, UpgradeTarget};
use sea_orm::DbBackend;
use sea_orm_migration::MigrationTrait;
use serde::Serialize;
use serde_json::json;

use super::Context;

/// Which way a migration runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// The SQL of one migration in one direction.
#[derive(Debug, Serialize)]
pub struct Script {
    pub version: String,
    pub direction: &'static str,
    /// One string per statement, in the order they are sent.
    pub sql: Vec<String>,
    /// Why the SQL could not be captured (the migration returned an error, or reads
    /// the database), when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the statements drop (`downgrade --dry-run`), counted on the database
    /// where rows would be lost; for `upgrade --dry-run`, on the last migration, the
    /// rows of the database the migrations up to it cannot keep (the preflight).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<Hazard>,
    /// Whether `error` says the migration cannot run on this backend at all (a type
    /// the backend lacks): an error of the command, not a warning.
    #[serde(skip)]
    pub unrunnable: bool,
}

/// `upgrade --dry-run TARGET`: the SQL, and the rows of this database the
/// migrations cannot keep (the data-aware preflight).
pub async fn upgrade(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let parsed: UpgradeTarget = target.parse()?;
    let db = ctx.connect().await?;
    let runner = ctx.runner();
    let status = runner.status(&db).await?;
    if !status.unknown.is_empty() {
        return Err(RunError::UnknownApplied(status.unknown).into());
    }
    let plan = parsed.plan(&runner.versions(), &status.pending)?;
    let backend = db.get_database_backend();
    let preflight = match plan.last() {
        Some(last) => preflight(ctx, &db, last).await?,
        None => Vec::new(),
    };
    db.close().await.ok();
    let mut scripts = capture(ctx, &plan, Direction::Up, backend).await;
    if let Some(last) = scripts.last_mut() {
        last.hazards.extend(preflight);
    }
    print(
        ctx,
        &scripts,
        "nothing to apply: the database is up to date",
    )
}

/// The preflight of what applying the migrations up to `last` does to this
/// database: the migrations are replayed on a scratch database, the difference to
/// this one's schema is what they change, and its risky changes are counted here.
pub async fn preflight(
    ctx: &Context<'_>,
    db: &sea_orm::DatabaseConnection,
    last: &str,
) -> anyhow::Result<Vec<Hazard>> {
    let target = UpgradeTarget::Version(last.to_owned());
    let replayed =
        match super::check::replay_to(db, &ctx.url, ctx.project.migrations, &target).await? {
            Ok(schema) => schema,
            Err(failure) => {
                errln!("warning: the rows at risk cannot be counted: {failure}");
                return Ok(Vec::new());
            }
        };
    let actual = schema_diff::introspect::introspect(db).await?;
    let dialect = schema_diff::Dialect::of(db.get_database_backend())
        .ok_or_else(|| anyhow::anyhow!("unsupported database backend"))?;
    let changes = schema_diff::diff(&actual, &replayed, dialect, &Default::default());
    Ok(schema_diff::lint::preflight(db, &changes).await?)
}

/// `downgrade --dry-run TARGET`: the SQL, and the hazards of what it drops.
pub async fn downgrade(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let parsed: DowngradeTarget = target.parse()?;
    let db = ctx.connect().await?;
    let plan = super::down_hazards::plan(ctx, &db, &parsed).await?;
    let (scripts, _) = super::down_hazards::inspect(ctx, &db, &plan).await?;
    db.close().await.ok();
    print(ctx, &scripts, "nothing to roll back")
}

/// The SQL of each of `versions` in `direction` on `backend`, captured without a database.
pub async fn capture(
    ctx: &Context<'_>,
    versions: &[String],
    direction: Direction,
    backend: DbBackend,
) -> Vec<Script> {
    let migrations = (ctx.project.migrations)();
    let mut scripts = Vec::new();
    for version in versions {
        let found = migrations.iter().find(|m| m.name() == version.as_str());
        let captured = match found {
            Some(migration) => capture_one(migration.as_ref(), direction, backend)
                .await
                .map_err(|e| (e.to_string(), schema_diff::portable::cannot_run_here(&e))),
            None => Err(("not in the code".to_owned(), false)),
        };
        let (sql, error, unrunnable) = match captured {
            Ok(sql) => (sql, None, false),
            Err((e, unrunnable)) => (Vec::new(), Some(e), unrunnable),
        };
        scripts.push(Script {
            version: version.clone(),
            direction: direction.as_str(),
            sql,
            error,
            hazards: Vec::new(),
            unrunnable,
        });
    }
    scripts
}

async fn capture_one(
    migration: &dyn MigrationTrait,
    direction: Direction,
    backend: DbBackend,
) -> Result<Vec<String>, sea_orm::DbErr> {
    match direction {
        Direction::Up => schema_diff::capture::capture_up_sql(migration, backend).await,
        Direction::Down => schema_diff::capture::capture_down_sql(migration, backend).await,
    }
}

/// Prints the scripts: `{"migrations": [...]}` with `--json`, else a SQL text with a
/// `-- VERSION (up)` header per migration and `;` after each statement. `nothing`
/// is printed (as a SQL comment) when there are no scripts.
pub fn print(ctx: &Context<'_>, scripts: &[Script], nothing: &str) -> anyhow::Result<ExitCode> {
    for script in scripts.iter().filter(|s| !s.unrunnable) {
        if let Some(error) = &script.error {
            errln!(
                "warning: cannot show the SQL of {} ({}): {error}",
                script.version,
                script.direction
            );
        }
    }
    if ctx.global.json {
        crate::output::json(&json!({ "migrations": scripts }))?;
    } else if scripts.is_empty() {
        outln!("-- {nothing}");
    } else {
        out!("{}", crate::terminal::visible_lines(&sql_text(scripts)));
    }
    let unrunnable: Vec<String> = scripts
        .iter()
        .filter(|s| s.unrunnable)
        .filter_map(|s| {
            s.error
                .as_ref()
                .map(|e| format!("{} ({}): {e}", s.version, s.direction))
        })
        .collect();
    if !unrunnable.is_empty() {
        anyhow::bail!("cannot run on this backend: {}", unrunnable.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The scripts as one SQL text.
fn sql_text(scripts: &[Script]) -> String {
    let mut out = String::new();
    for (i, script) in scripts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("-- {} ({})\n", script.version, script.direction));
        if let Some(error) = &script.error {
            out.push_str(&format!("-- cannot show this migration's SQL: {error}\n"));
        }
        for hazard in &script.hazards {
            out.push_str(&format!("-- hazard {hazard}\n"));
        }
        for statement in &script.sql {
            let statement = statement.trim_end();
            out.push_str(statement);
            if !statement.ends_with(';') {
                out.push(';');
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_text_has_a_header_per_migration_and_terminated_statements() {
        let scripts = vec![
            Script {
                version: "m1".into(),
                direction: "up",
                sql: vec!["CREATE TABLE a (x int)".into(), "SELECT 1;".into()],
                error: None,
                hazards: vec![schema_diff::lint::Hazard {
                    code: "DL001",
                    severity: schema_diff::lint::Severity::Danger,
                    table: Some("a".into()),
                    message: "dropping table a loses all of its rows".into(),
                }],
                unrunnable: false,
            },
            Script {
                version: "m2".into(),
                direction: "down",
                sql: Vec::new(),
                error: Some("boom".into()),
                hazards: Vec::new(),
                unrunnable: false,
            },
        ];
        assert_eq!(
            sql_text(&scripts),
            "-- m1 (up)\n-- hazard DL001 danger: dropping table a loses all of its rows\n\
             CREATE TABLE a (x int);\nSELECT 1;\n\n\
             -- m2 (down)\n-- cannot show this migration's SQL: boom\n"
        );
    }
}
