//! Migration health: is the database reachable, at the code's head, and free of
//! unfinished or unknown migrations?
//!
//! [`check`] answers with a [`HealthReport`] and never fails: an unreachable
//! database is a report whose status is [`HealthStatus::Error`]. It reads the
//! runner's status (the history table and the companion table, a handful of
//! small queries, no schema introspection), so it is cheap enough to poll every
//! second. With the `http` feature, `http::router` serves it as
//! `GET /health`.

#[cfg(feature = "http")]
pub mod http;
mod kind;

pub use kind::HealthErrorKind;

use std::time::Duration;

use sea_orm::DatabaseConnection;
use sea_orm_migration::MigrationTrait;

use crate::runner::{RunError, Runner, Status, dirty_message, format_unix, in_progress_message};

/// How long [`check`] waits for the database before reporting an error.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The verdict of a health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The database is at the code's head.
    Ok,
    /// The database works but migrations are pending, or one is in progress
    /// (started outside a transaction by a run that holds the migration lock).
    Degraded,
    /// The database is unreachable, a migration is dirty (failed, or started
    /// outside a transaction with no run holding the lock), or the history
    /// names versions the code lacks.
    Error,
}

impl HealthStatus {
    /// `ok`, `degraded` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Error => "error",
        }
    }

    /// The exit code of `db-migrate health`: 0 ok, 2 degraded, 1 error.
    pub fn exit_code(self) -> u8 {
        match self {
            HealthStatus::Ok => 0,
            HealthStatus::Degraded => 2,
            HealthStatus::Error => 1,
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the database stands, for a probe or a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealthReport {
    /// The verdict.
    pub status: HealthStatus,
    /// The last applied migration the code knows, if any.
    pub current: Option<String>,
    /// The code's last migration, if any.
    pub head: Option<String>,
    /// The code's migrations the database has not applied, in order.
    pub pending: Vec<String>,
    /// When the last migration was applied (RFC 3339, UTC), if any.
    pub last_applied_at: Option<String>,
    /// Why the status is not `ok`, as a stable code; `None` when it is `ok`.
    #[serde(default)]
    pub error: Option<HealthErrorKind>,
    /// Why the status is not `ok`, one sentence each; empty when it is. For the
    /// operator: it may quote the database's own messages (and the values they
    /// name), so it is not for strangers; see [`HealthReport::public`].
    pub problems: Vec<String>,
}

/// What a health endpoint may tell anyone who asks: the verdict, the versions
/// and a stable error code, and nothing the database said.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicHealthReport {
    /// The verdict.
    pub status: HealthStatus,
    /// The last applied migration the code knows, if any.
    pub current: Option<String>,
    /// The code's last migration, if any.
    pub head: Option<String>,
    /// The code's migrations the database has not applied, in order.
    pub pending: Vec<String>,
    /// When the last migration was applied (RFC 3339, UTC), if any.
    pub last_applied_at: Option<String>,
    /// Why the status is not `ok`; `None` when it is.
    pub error: Option<HealthErrorKind>,
}

impl HealthReport {
    /// An `error` report for a database that could not be asked, with the code's
    /// head: `kind` says why (e.g. [`HealthErrorKind::Unreachable`]).
    pub fn unreachable(
        head: Option<String>,
        kind: HealthErrorKind,
        problem: impl Into<String>,
    ) -> Self {
        HealthReport {
            status: HealthStatus::Error,
            current: None,
            head,
            pending: Vec::new(),
            last_applied_at: None,
            error: Some(kind),
            problems: vec![problem.into()],
        }
    }

    /// The report without its `problems`: what an unauthenticated client may see.
    pub fn public(&self) -> PublicHealthReport {
        PublicHealthReport {
            status: self.status,
            current: self.current.clone(),
            head: self.head.clone(),
            pending: self.pending.clone(),
            last_applied_at: self.last_applied_at.clone(),
            error: self.error,
        }
    }
}

/// Checks the database against `migrations` (a `MigratorTrait::migrations()`
/// list), waiting at most [`DEFAULT_TIMEOUT`] for an answer.
pub async fn check(
    db: &DatabaseConnection,
    migrations: Vec<Box<dyn MigrationTrait>>,
) -> HealthReport {
    check_with(db, &Runner::new(migrations), DEFAULT_TIMEOUT).await
}

/// [`check`] with a runner already built and a timeout of your choice.
pub async fn check_with(
    db: &DatabaseConnection,
    runner: &Runner,
    timeout: Duration,
) -> HealthReport {
    let head = runner.versions().last().cloned();
    match tokio::time::timeout(timeout, runner.status(db)).await {
        Ok(Ok(status)) => report(status, db.get_database_backend()),
        Ok(Err(e)) => HealthReport::unreachable(
            head,
            match &e {
                RunError::Db(db) => HealthErrorKind::of_db_err(db),
                _ => HealthErrorKind::HistoryUnreadable,
            },
            format!(
                "cannot read the migration history: {}",
                one_line(&e.to_string())
            ),
        ),
        Err(_) => HealthReport::unreachable(
            head,
            HealthErrorKind::Timeout,
            format!(
                "the database did not answer within {} s",
                timeout.as_secs_f64().ceil() as u64
            ),
        ),
    }
}

/// The report for a status read from the database.
pub fn report(status: Status, backend: sea_orm::DbBackend) -> HealthReport {
    let mut problems = blocking_problems(&status, backend);
    let error = !problems.is_empty();
    let in_progress = in_progress_problems(&status);
    let busy = !in_progress.is_empty();
    problems.extend(in_progress);
    if !status.pending.is_empty() {
        problems.push(format!(
            "{} migration(s) pending: {}",
            status.pending.len(),
            status.pending.join(", ")
        ));
    }
    let kind = if !status.unknown.is_empty() {
        Some(HealthErrorKind::UnknownVersions)
    } else if let Some(row) = status.needs_repair().next() {
        Some(HealthErrorKind::of_dirty(row.state))
    } else if busy {
        Some(HealthErrorKind::InProgress)
    } else if !status.pending.is_empty() {
        Some(HealthErrorKind::Pending)
    } else {
        None
    };
    let verdict = if error {
        HealthStatus::Error
    } else if status.pending.is_empty() && !busy {
        HealthStatus::Ok
    } else {
        HealthStatus::Degraded
    };
    let last_applied_at = status
        .applied
        .iter()
        .map(|a| a.applied_at)
        .max()
        .map(format_unix);
    HealthReport {
        status: verdict,
        current: status.current,
        head: status.head,
        pending: status.pending,
        last_applied_at,
        error: kind,
        problems,
    }
}

/// Migrations a live run is applying now, one sentence each, with the
/// progress of their data-migration steps: `degraded`.
pub(crate) fn in_progress_problems(status: &Status) -> Vec<String> {
    let mut problems: Vec<String> = match &status.lock_holder {
        Some(holder) => status
            .in_progress()
            .map(|row| one_line(&in_progress_message(row, holder)))
            .collect(),
        None => Vec::new(),
    };
    problems.extend(data_progress(status));
    problems
}

/// One sentence per unfinished data-migration step: its progress, and whether a
/// run is applying it now or the next upgrade resumes it.
pub fn data_progress(status: &Status) -> Vec<String> {
    status
        .data
        .iter()
        .map(|step| {
            let running = status.in_progress().any(|row| row.version == step.version);
            let how = if running {
                "running now"
            } else {
                "interrupted; the next upgrade resumes it from its checkpoint"
            };
            one_line(&format!("{}: {how}", step.describe()))
        })
        .collect()
}

/// The problems that make the status `error`: unknown versions, dirty
/// migrations (except those in progress under a live lock).
pub(crate) fn blocking_problems(status: &Status, backend: sea_orm::DbBackend) -> Vec<String> {
    let mut problems = Vec::new();
    if !status.unknown.is_empty() {
        problems.push(format!(
            "the database's history names migrations this code does not have: {}",
            status.unknown.join(", ")
        ));
    }
    for row in status.needs_repair() {
        problems.push(one_line(&dirty_message(row, backend)));
    }
    problems
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::AppliedMigration;
    use crate::runner::companion::{CompanionRow, MigrationState};
    use sea_orm::DbBackend;

    fn status(applied: &[&str], pending: &[&str]) -> Status {
        Status {
            current: applied.last().map(|v| v.to_string()),
            head: Some("m3".into()),
            applied: applied
                .iter()
                .enumerate()
                .map(|(i, v)| AppliedMigration {
                    version: v.to_string(),
                    applied_at: i as i64,
                })
                .collect(),
            pending: pending.iter().map(|v| v.to_string()).collect(),
            unknown: Vec::new(),
            dirty: Vec::new(),
            lock_holder: None,
            data: Vec::new(),
        }
    }

    #[test]
    fn at_head_is_ok_and_pending_is_degraded() {
        let ok = report(status(&["m1", "m2", "m3"], &[]), DbBackend::Sqlite);
        assert_eq!(ok.status, HealthStatus::Ok);
        assert_eq!(ok.last_applied_at.as_deref(), Some("1970-01-01T00:00:02Z"));
        assert!(ok.problems.is_empty());
        let degraded = report(status(&["m1"], &["m2", "m3"]), DbBackend::Sqlite);
        assert_eq!(degraded.status, HealthStatus::Degraded);
        assert_eq!(degraded.problems, ["2 migration(s) pending: m2, m3"]);
        assert_eq!(degraded.status.exit_code(), 2);
    }

    #[test]
    fn unknown_or_dirty_is_an_error() {
        let mut s = status(&["m1"], &["m2", "m3"]);
        s.unknown = vec!["m9".into()];
        let r = report(s, DbBackend::Postgres);
        assert_eq!(r.status, HealthStatus::Error);
        assert!(r.problems[0].contains("m9"), "{:?}", r.problems);
        let mut s = status(&["m1"], &["m2", "m3"]);
        s.dirty = vec![CompanionRow {
            version: "m2".into(),
            checksum: None,
            state: MigrationState::Failed,
            started_at: 0,
            finished_at: None,
            duration_ms: None,
            error: None,
        }];
        let r = report(s, DbBackend::MySql);
        assert_eq!(r.status, HealthStatus::Error);
        assert_eq!(r.error, Some(HealthErrorKind::MigrationFailed));
        assert!(
            r.problems[0].starts_with("migration m2 failed"),
            "{:?}",
            r.problems
        );
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["status"], "error");
    }
}
