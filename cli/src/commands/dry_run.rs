//! `upgrade --dry-run` and `downgrade --dry-run`: the SQL the real command would send
//! on this database, sent nowhere.
//!
//! The plan is the real command's (same targets, same refusal of an unknown applied
//! version); each migration's SQL is captured with [`schema_diff::capture`] on the
//! database's backend. The database is only read (its migration history), never
//! written: not even `seaql_migrations` or `db_migrate_history` is created.
//! The printing here is shared with `db-migrate sql`.

use std::process::ExitCode;

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
}

/// `upgrade --dry-run TARGET`.
pub async fn upgrade(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let parsed: UpgradeTarget = target.parse()?;
    let (plan, backend) = {
        let db = ctx.connect().await?;
        let runner = ctx.runner();
        let status = runner.status(&db).await?;
        if !status.unknown.is_empty() {
            return Err(RunError::UnknownApplied(status.unknown).into());
        }
        let plan = plan_upgrade(&parsed, &runner.versions(), &status.pending)?;
        let backend = db.get_database_backend();
        db.close().await.ok();
        (plan, backend)
    };
    let scripts = capture(ctx, &plan, Direction::Up, backend).await;
    print(
        ctx,
        &scripts,
        "nothing to apply: the database is up to date",
    )
}

/// `downgrade --dry-run TARGET`.
pub async fn downgrade(ctx: &Context<'_>, target: &str) -> anyhow::Result<ExitCode> {
    let parsed: DowngradeTarget = target.parse()?;
    let (plan, backend) = {
        let db = ctx.connect().await?;
        let runner = ctx.runner();
        let status = runner.status(&db).await?;
        if !status.unknown.is_empty() {
            return Err(RunError::UnknownApplied(status.unknown).into());
        }
        let applied: Vec<String> = status.applied.iter().map(|a| a.version.clone()).collect();
        let plan = plan_downgrade(&parsed, &runner.versions(), &applied)?;
        let backend = db.get_database_backend();
        db.close().await.ok();
        (plan, backend)
    };
    let scripts = capture(ctx, &plan, Direction::Down, backend).await;
    print(ctx, &scripts, "nothing to roll back")
}

/// The versions `upgrade TARGET` applies, in order (as the runner plans them).
fn plan_upgrade(
    target: &UpgradeTarget,
    versions: &[String],
    pending: &[String],
) -> Result<Vec<String>, RunError> {
    Ok(match target {
        UpgradeTarget::Head => pending.to_vec(),
        UpgradeTarget::Steps(n) => pending.iter().take(*n as usize).cloned().collect(),
        UpgradeTarget::Version(v) => {
            let target = resolve(v, versions)?;
            pending.iter().filter(|p| **p <= target).cloned().collect()
        }
    })
}

/// The versions `downgrade TARGET` rolls back, newest first (as the runner plans them).
fn plan_downgrade(
    target: &DowngradeTarget,
    versions: &[String],
    applied: &[String],
) -> Result<Vec<String>, RunError> {
    let newest_first = applied.iter().rev().cloned();
    Ok(match target {
        DowngradeTarget::Base => newest_first.collect(),
        DowngradeTarget::Steps(n) => newest_first.take(*n as usize).collect(),
        DowngradeTarget::Version(v) => {
            let target = resolve(v, versions)?;
            newest_first.filter(|a| *a > target).collect()
        }
    })
}

/// A full version name or a unique prefix of one, with the runner's errors.
pub fn resolve(given: &str, versions: &[String]) -> Result<String, RunError> {
    if let Some(v) = versions.iter().find(|v| v.as_str() == given) {
        return Ok(v.clone());
    }
    let matches: Vec<String> = versions
        .iter()
        .filter(|v| v.starts_with(given))
        .cloned()
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(RunError::UnknownTarget {
            given: given.into(),
            hint: match versions.last() {
                Some(last) => format!(
                    "the code has {} migration(s), the newest is `{last}` (see `db-migrate history`)",
                    versions.len()
                ),
                None => "the code has no migrations".into(),
            },
        }),
        _ => Err(RunError::AmbiguousTarget {
            given: given.into(),
            matches,
        }),
    }
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
                .map_err(|e| e.to_string()),
            None => Err("not in the code".to_owned()),
        };
        let (sql, error) = match captured {
            Ok(sql) => (sql, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        scripts.push(Script {
            version: version.clone(),
            direction: direction.as_str(),
            sql,
            error,
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
    for script in scripts {
        if let Some(error) = &script.error {
            eprintln!(
                "warning: cannot show the SQL of {} ({}): {error}",
                script.version, script.direction
            );
        }
    }
    if ctx.global.json {
        crate::output::json(&json!({ "migrations": scripts }))?;
    } else if scripts.is_empty() {
        println!("-- {nothing}");
    } else {
        print!("{}", sql_text(scripts));
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

    fn versions() -> Vec<String> {
        [
            "m20260101_000000_a",
            "m20260102_000000_b",
            "m20260103_000000_c",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn plans_follow_the_runner() {
        let v = versions();
        let up = plan_upgrade(&"m20260102".parse().unwrap(), &v, &v[1..]).unwrap();
        assert_eq!(up, vec![v[1].clone()]);
        let up = plan_upgrade(&"+2".parse().unwrap(), &v, &v).unwrap();
        assert_eq!(up, v[..2].to_vec());
        let down = plan_downgrade(&"-1".parse().unwrap(), &v, &v).unwrap();
        assert_eq!(down, vec![v[2].clone()]);
        let down = plan_downgrade(&"m20260101_000000_a".parse().unwrap(), &v, &v).unwrap();
        assert_eq!(down, vec![v[2].clone(), v[1].clone()]);
        let down = plan_downgrade(&DowngradeTarget::Base, &v, &v[..2]).unwrap();
        assert_eq!(down, vec![v[1].clone(), v[0].clone()]);
        assert!(matches!(
            resolve("m2026", &v),
            Err(RunError::AmbiguousTarget { .. })
        ));
        assert!(matches!(
            resolve("m2099", &v),
            Err(RunError::UnknownTarget { .. })
        ));
    }

    #[test]
    fn sql_text_has_a_header_per_migration_and_terminated_statements() {
        let scripts = vec![
            Script {
                version: "m1".into(),
                direction: "up",
                sql: vec!["CREATE TABLE a (x int)".into(), "SELECT 1;".into()],
                error: None,
            },
            Script {
                version: "m2".into(),
                direction: "down",
                sql: Vec::new(),
                error: Some("boom".into()),
            },
        ];
        assert_eq!(
            sql_text(&scripts),
            "-- m1 (up)\nCREATE TABLE a (x int);\nSELECT 1;\n\n\
             -- m2 (down)\n-- cannot show this migration's SQL: boom\n"
        );
    }
}
