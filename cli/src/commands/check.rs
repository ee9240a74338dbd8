//! `db-migrate check`: the CI gate.
//!
//! - **drift**: every migration of the code is replayed on a scratch database of
//!   the target's backend, which is then compared with the entities. Any change
//!   means the migrations no longer produce the entities' schema.
//! - **pending**: migrations the target has not applied (a problem only with
//!   `--fail-on-pending`).
//! - **history**: what [`super::verify::read_history`] finds (unknown, edited,
//!   unfinished and out-of-order migrations).
//! - **hazards**: the lint of the changes from the target's schema to the
//!   entities, and of the drift changes; with `--deny SEVERITY`, any at or above
//!   it is a problem.

use std::process::ExitCode;

use anyhow::Context as _;
use schema_diff::lint::{Hazard, LintOptions, Severity};
use schema_diff::runner::{RunError, Runner, UpgradeTarget};
use schema_diff::{Change, Dialect, DiffOptions, Schema};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;
use serde::Serialize;

use super::Context;
use super::verify::{History, history_problems, read_history};

/// The prefix of the scratch databases `check` creates on PostgreSQL and MySQL.
pub const SCRATCH_PREFIX: &str = "dbm_check";

/// What `check` fails on besides drift and history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Pending migrations on the target are a problem.
    pub fail_on_pending: bool,
    /// Hazards at or above this severity are a problem.
    pub deny: Option<Severity>,
}

/// An applied migration whose recorded checksum is not the code's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EditedMigration {
    /// The migration's version.
    pub version: String,
    /// The checksum recorded in `db_migrate_history` when it was applied.
    pub recorded: String,
    /// The checksum of the SQL the code's `up` sends now.
    pub current: String,
}

/// A migration the companion table marks as not finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnfinishedMigration {
    /// The migration's version.
    pub version: String,
    /// Its state in `db_migrate_history`: `started`, `failed` or `rolling_back`.
    pub state: String,
    /// A run that holds the migration lock is applying (or rolling back) it
    /// right now: it needs time, not repair.
    pub in_progress: bool,
    /// What happened and how to recover, as `upgrade` says when it refuses.
    pub message: String,
}

/// Which comparison a hazard comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardSource {
    /// The changes from the target's current schema to the entities.
    Target,
    /// The drift: the changes from the replayed migrations to the entities.
    Drift,
    /// The rows of the target that the pending migrations cannot keep (the
    /// data-aware preflight of the changes from the target to the replayed head).
    Pending,
}

/// A lint hazard and the comparison it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundHazard {
    /// The hazard: `code`, `severity`, `table`, `message`.
    #[serde(flatten)]
    pub hazard: Hazard,
    /// `target`, `drift` or `pending`.
    pub source: HazardSource,
}

/// What `check` or `verify` found. `ok` is true when `problems` is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// No problem found.
    pub ok: bool,
    /// `check`: replayed migrations → entities; `verify`: target → entities.
    pub drift: Vec<Change>,
    /// Migrations of the code the target has not applied, in order.
    pub pending: Vec<String>,
    /// Applied versions the code does not have.
    pub unknown: Vec<String>,
    /// Applied migrations edited since.
    pub edited: Vec<EditedMigration>,
    /// Migrations left `started` or `failed` in the companion table.
    pub unfinished: Vec<UnfinishedMigration>,
    /// Pending migrations that come before an applied one in the code.
    pub out_of_order: Vec<String>,
    /// Lint hazards (`check` only).
    pub hazards: Vec<FoundHazard>,
    /// One readable sentence per problem.
    pub problems: Vec<String>,
}

impl Report {
    /// A report holding what the history says, without problems yet.
    pub(crate) fn from_history(history: History) -> Report {
        Report {
            pending: history.pending,
            unknown: history.unknown,
            edited: history.edited,
            unfinished: history.unfinished,
            out_of_order: history.out_of_order,
            ..Report::default()
        }
    }

    /// Sets `ok`, removes repeated problems and hides passwords.
    pub(crate) fn finish(mut self) -> Report {
        let mut seen = std::collections::HashSet::new();
        self.problems = self
            .problems
            .into_iter()
            .map(|p| crate::redact::redact(&p))
            .filter(|p| seen.insert(p.clone()))
            .collect();
        self.ok = self.problems.is_empty();
        self
    }

    /// 0 when ok, 2 when a problem was found.
    pub fn exit_code(&self) -> ExitCode {
        if self.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        }
    }
}

/// `db-migrate check`.
pub async fn run(ctx: &Context<'_>, options: CheckOptions) -> anyhow::Result<ExitCode> {
    let desired = super::auto::desired_schema(ctx)?;
    let scope = Scope {
        exclusions: ctx.settings.exclusions(),
        diff: ctx.settings.diff_options(),
    };
    let report =
        check_report_with(&ctx.url, ctx.project.migrations, desired, &options, &scope).await?;
    if ctx.global.json {
        crate::output::json(&serde_json::to_value(&report)?)?;
    } else {
        print_text(&report, true);
    }
    Ok(report.exit_code())
}

/// Checks the database at `db_url` and the code (`migrations`, and `desired`, the
/// schema the entities describe) as `db-migrate check` does, and returns what it
/// found. Errors (unreachable database, scratch database not creatable, schema
/// unreadable) are `Err`; problems are in the report.
pub async fn check_report(
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: Schema,
    options: &CheckOptions,
) -> anyhow::Result<Report> {
    check_report_with(db_url, migrations, desired, options, &Scope::default()).await
}

/// What a comparison covers: the tables left out, and the differ's switches.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Tables the entities do not own, left out of both sides.
    pub exclusions: crate::settings::Exclusions,
    /// `compare_type` and `compare_server_default`.
    pub diff: DiffOptions,
}

/// [`check_report`] within `scope` (`desired` must already leave the excluded
/// tables out).
pub async fn check_report_with(
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: Schema,
    options: &CheckOptions,
    scope: &Scope,
) -> anyhow::Result<Report> {
    super::auto::require_entities(&desired)?;
    let db = crate::connect::connect(db_url).await?;
    let result = check_on(&db, db_url, migrations, &desired, options, scope).await;
    db.close().await.ok();
    result
}

async fn check_on(
    db: &DatabaseConnection,
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    desired: &Schema,
    options: &CheckOptions,
    scope: &Scope,
) -> anyhow::Result<Report> {
    let dialect = Dialect::of(db.get_database_backend()).context("unsupported database backend")?;
    let lint_options = LintOptions {
        dialect: Some(dialect),
        ..Default::default()
    };
    let diff_options = scope.diff;

    let history = read_history(db, migrations).await?;
    let mut report = Report::from_history(history);
    report.problems = history_problems(&report);
    if options.fail_on_pending && !report.pending.is_empty() {
        report.problems.push(format!(
            "{} migration(s) pending on the database: {} (run `db-migrate upgrade`)",
            report.pending.len(),
            report.pending.join(", ")
        ));
    }

    let actual = scope.exclusions.apply(
        schema_diff::introspect::introspect(db)
            .await
            .context("cannot read the database schema")?,
    );
    let to_entities = schema_diff::diff(&actual, desired, dialect, &diff_options);
    let mut hazards: Vec<FoundHazard> =
        schema_diff::lint::lint_with(&to_entities, &actual, &lint_options)
            .into_iter()
            .map(|hazard| FoundHazard {
                hazard,
                source: HazardSource::Target,
            })
            .collect();

    match replay(db, db_url, migrations).await? {
        Ok(replayed) => {
            let replayed = scope.exclusions.apply(replayed);
            let drift = schema_diff::diff(&replayed, desired, dialect, &diff_options);
            // As the backend runs them: a SQLite rebuild is plain changes elsewhere.
            report.drift = schema_diff::change::as_run_on(&drift, dialect)
                .into_iter()
                .cloned()
                .collect();
            if !report.drift.is_empty() {
                report.problems.push(format!(
                    "the migrations do not produce the entities' schema: replayed on a scratch \
                     database, {} change(s) remain ({}); run `db-migrate auto`, or undo the \
                     hand edit of a migration",
                    report.drift.len(),
                    summary(&report.drift)
                ));
            }
            if !report.pending.is_empty() {
                let pending = schema_diff::diff(&actual, &replayed, dialect, &diff_options);
                let counted = schema_diff::lint::preflight(db, &pending)
                    .await
                    .context("cannot count the rows the pending migrations would affect")?;
                hazards.extend(counted.into_iter().map(|hazard| FoundHazard {
                    hazard,
                    source: HazardSource::Pending,
                }));
            }
            hazards.extend(
                schema_diff::lint::lint_with(&report.drift, &replayed, &lint_options)
                    .into_iter()
                    .map(|hazard| FoundHazard {
                        hazard,
                        source: HazardSource::Drift,
                    }),
            );
        }
        Err(failure) => report.problems.push(format!(
            "the migrations fail on an empty database, so drift cannot be checked: {failure}"
        )),
    }

    if let Some(deny) = options.deny {
        for found in hazards.iter().filter(|h| h.hazard.severity >= deny) {
            report
                .problems
                .push(format!("hazard denied (--deny {deny}): {}", found.hazard));
        }
    }
    report.hazards = hazards;
    Ok(report.finish())
}

/// Replays every migration on a scratch database and reads its schema. The inner
/// `Err` is a migration that failed (a problem of the code); the outer one an error.
async fn replay(
    db: &DatabaseConnection,
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
) -> anyhow::Result<Result<Schema, String>> {
    replay_to(db, db_url, migrations, &UpgradeTarget::Head).await
}

/// [`replay`] up to `target` (an absolute target: `Head` or a version).
pub(crate) async fn replay_to(
    db: &DatabaseConnection,
    db_url: &str,
    migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    target: &UpgradeTarget,
) -> anyhow::Result<Result<Schema, String>> {
    super::scratch::with_scratch(db, db_url, SCRATCH_PREFIX, async |scratch| {
        let runner = Runner::new(migrations());
        match runner.upgrade(scratch, target, |_| {}).await {
            Ok(_) => {}
            // Not the runner's message: its recovery steps (`resolve`) are for a
            // real database, and this one is thrown away.
            Err(
                RunError::Migration { version, source }
                | RunError::PartlyApplied {
                    version, source, ..
                },
            ) => return Ok(Err(replay_failure(&version, &source))),
            Err(e) => return Err(anyhow::Error::new(e).context("cannot replay the migrations")),
        }
        let schema = schema_diff::introspect::introspect(scratch)
            .await
            .context("cannot read the replayed schema")?;
        Ok(Ok(schema))
    })
    .await
}

/// What to say when `version` failed while replayed on the scratch database.
fn replay_failure(version: &str, source: &sea_orm::DbErr) -> String {
    format!(
        "migration `{version}` failed on the scratch database the migrations are replayed on \
         ({}); the target database is untouched and needs no repair: fix the migration so \
         that it runs on an empty database, then run `db-migrate check` again",
        schema_diff::error::without_server_source_line(&source.to_string())
    )
}

/// The changes as [`Change::describe`] lines, a `RebuildTable` followed by the
/// changes it groups (indented by two spaces).
pub(crate) fn describe_all(changes: &[Change]) -> Vec<String> {
    let mut lines = Vec::new();
    for change in changes {
        lines.push(change.describe());
        if let Change::RebuildTable { changes, .. } = change {
            lines.extend(describe_all(changes).into_iter().map(|l| format!("  {l}")));
        }
    }
    lines
}

/// The first few changes, described on one line; a `RebuildTable` counts as
/// the changes it groups.
pub(crate) fn summary(changes: &[Change]) -> String {
    const SHOWN: usize = 3;
    let flat: Vec<String> = describe_all(changes)
        .into_iter()
        .filter(|line| !line.starts_with("~ rebuild table"))
        .map(|line| line.trim_start().to_owned())
        .collect();
    let mut parts: Vec<String> = flat.iter().take(SHOWN).cloned().collect();
    if flat.len() > SHOWN {
        parts.push(format!("and {} more", flat.len() - SHOWN));
    }
    parts.join("; ")
}

/// Prints a report as text: the verdict, the problems, then the details.
pub(crate) fn print_text(report: &Report, with_hazards: bool) {
    if report.ok {
        outln!("ok: no problems found");
    } else {
        outln!("{} problem(s):", report.problems.len());
        for problem in &report.problems {
            outln!("  - {problem}");
        }
    }
    if report.drift.is_empty() {
        outln!("drift: none");
    } else {
        outln!("drift ({}):", report.drift.len());
        for line in describe_all(&report.drift) {
            outln!("  {line}");
        }
    }
    if report.pending.is_empty() {
        outln!("pending: none");
    } else {
        outln!("pending ({}):", report.pending.len());
        for version in &report.pending {
            outln!("  {version}");
        }
    }
    if with_hazards {
        if report.hazards.is_empty() {
            outln!("hazards: none");
        } else {
            outln!("hazards ({}):", report.hazards.len());
            for found in &report.hazards {
                let source = match found.source {
                    HazardSource::Target => "database → entities",
                    HazardSource::Drift => "drift",
                    HazardSource::Pending => "pending migrations, on this data",
                };
                outln!("  {} [{source}]", found.hazard);
            }
        }
    }
}
