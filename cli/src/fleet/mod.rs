//! Fleet runs: `upgrade`, `status`, `check`, `verify`, `health` and `backup` on
//! many databases (or PostgreSQL schemas) in one command (docs/fleet.md).
//!
//! Each target runs the single-database command in-process, on its own
//! connection and under its own migration lock, with its output captured
//! ([`crate::output::capture`]) so that targets never interleave. At most `-j N`
//! run at once; a failure stops nothing else unless `--fail-fast`; `--canary N`
//! runs the first N alone first.

mod progress;
mod report;
pub mod targets;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::StreamExt;

use crate::Project;
use crate::args::{Cli, Command, Global};
use crate::settings::{Origin, Settings, Sourced};
use targets::Target;

/// How one target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The command succeeded (exit 0).
    Ok,
    /// The command failed or found a problem (an error or a non-zero exit).
    Failed,
    /// Not run: `--fail-fast` after a failure, or a failed canary.
    Skipped,
}

impl State {
    /// `ok`, `failed` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Failed => "failed",
            State::Skipped => "skipped",
        }
    }
}

/// The result of one target.
#[derive(Debug)]
pub struct Outcome {
    pub target: Target,
    pub state: State,
    /// The command's exit code (`None`: not run).
    pub exit_code: Option<u8>,
    /// Why it failed or was skipped, on one line, redacted.
    pub error: Option<String>,
    /// The command's own JSON document (what `--json` prints for one database).
    pub result: Option<serde_json::Value>,
    /// What the command wrote on stderr (warnings, notes), one entry a line.
    pub messages: Vec<String>,
    pub duration: Duration,
}

/// Whether the command line names several databases: `-u` more than once,
/// `--targets` or `--targets-query`.
pub fn requested(global: &Global) -> bool {
    global.database_url.len() > 1 || global.fleet.lists_targets()
}

/// Runs the command on every target and reports: exit 0 when every target
/// succeeded, 1 otherwise.
pub async fn run(project: &Project, cli: &Cli, settings: Settings) -> anyhow::Result<ExitCode> {
    let name = fleet_command(&cli.command)?;
    let targets = targets::collect(&cli.global, &settings, &project.default_sqlite_path).await?;
    // Each target's command prints one JSON document, kept for the report.
    let mut inner = cli.global.clone();
    inner.json = true;
    inner.database_url.clear();
    inner.fleet = Default::default();
    let fleet = &cli.global.fleet;
    let jobs = usize::from(fleet.jobs);
    let started = Instant::now();
    let progress = progress::Progress::new(targets.len(), cli.global.json);
    let stop = AtomicBool::new(false);
    let runner = TargetRunner {
        project,
        global: &inner,
        command: &cli.command,
        settings: &settings,
        stop: &stop,
        fail_fast: fleet.fail_fast,
        progress: &progress,
    };
    let canaries = fleet
        .canary
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
        .min(targets.len());
    let mut outcomes = runner.run_all(&targets[..canaries], jobs).await;
    if outcomes.iter().any(|o| o.state != State::Ok) {
        stop.store(true, Ordering::SeqCst);
    }
    if stop.load(Ordering::SeqCst) && canaries > 0 {
        let reason = "not run: a canary target failed";
        outcomes.extend(targets[canaries..].iter().map(|t| skipped(t, reason)));
    } else {
        outcomes.extend(runner.run_all(&targets[canaries..], jobs).await);
    }
    progress.finish();
    let summary = report::Summary {
        command: name,
        jobs,
        canary: canaries,
        outcomes: &outcomes,
        duration: started.elapsed(),
    };
    if cli.global.json {
        crate::output::json(&summary.to_json())?;
    } else {
        summary.print();
    }
    Ok(if summary.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The command's name when it can run on several databases; its options that
/// make sense for one database only are refused.
fn fleet_command(command: &Command) -> anyhow::Result<&'static str> {
    Ok(match command {
        Command::Upgrade { dry_run: true, .. } => {
            bail!("upgrade --dry-run prints the SQL for one database: run it with a single -u")
        }
        Command::Upgrade { .. } => "upgrade",
        Command::Status => "status",
        Command::Check { .. } => "check",
        Command::Verify { .. } => "verify",
        Command::Health { .. } => "health",
        Command::Backup(args) => {
            if matches!(args.verify, Some(Some(_))) {
                bail!("backup --verify FILE checks one backup: run it with a single -u");
            }
            if let Some(out) = &args.output
                && !out.is_dir()
            {
                bail!(
                    "with several databases, backup -o names an existing folder (each \
                     database gets its own default-named file there), and `{}` is not one",
                    out.display()
                );
            }
            "backup"
        }
        _ => bail!(
            "several databases (repeated -u, --targets, --targets-query) work with upgrade, \
             status, check, verify, health and backup only"
        ),
    })
}

/// Runs targets, sharing what every target needs.
struct TargetRunner<'a> {
    project: &'a Project,
    global: &'a Global,
    command: &'a Command,
    settings: &'a Settings,
    stop: &'a AtomicBool,
    fail_fast: bool,
    progress: &'a progress::Progress,
}

impl TargetRunner<'_> {
    /// Runs `targets`, at most `jobs` at once; the outcomes in the targets' order.
    async fn run_all(&self, targets: &[Target], jobs: usize) -> Vec<Outcome> {
        let mut outcomes: Vec<(usize, Outcome)> =
            futures_util::stream::iter(targets.iter().enumerate())
                .map(|(index, target)| async move { (index, self.run_one(target).await) })
                .buffer_unordered(jobs.max(1))
                .collect()
                .await;
        outcomes.sort_by_key(|(index, _)| *index);
        outcomes.into_iter().map(|(_, outcome)| outcome).collect()
    }

    /// Runs the command on `target` (unless the run was stopped).
    async fn run_one(&self, target: &Target) -> Outcome {
        if self.stop.load(Ordering::SeqCst) {
            let outcome = skipped(target, "not run: an earlier target failed (--fail-fast)");
            self.progress.done(&outcome);
            return outcome;
        }
        let mut settings = self.settings.clone();
        settings.schema = target.schema.clone().map(|value| Sourced {
            value,
            source: Origin::Flag("--targets"),
        });
        let started = Instant::now();
        let work = crate::commands::run_on(
            self.project,
            self.global,
            self.command,
            settings,
            target.url.clone(),
            Some(Origin::Flag("--targets")),
        );
        let (result, captured) = crate::output::capture(work).await;
        let document = serde_json::from_str::<serde_json::Value>(&captured.stdout).ok();
        let mut messages: Vec<String> = captured.stderr.lines().map(str::to_owned).collect();
        if document.is_none() && !captured.stdout.trim().is_empty() {
            messages.extend(captured.stdout.lines().map(str::to_owned));
        }
        let (exit_code, error) = match result {
            Ok(code) => {
                let code = exit_number(code);
                (code, failure(code, document.as_ref()))
            }
            Err(e) => {
                let refused = e
                    .downcast_ref::<crate::commands::data_loss::Refused>()
                    .is_some();
                let code = if refused {
                    crate::commands::data_loss::REFUSED_EXIT
                } else {
                    1
                };
                (code, Some(crate::output::error_line(&e)))
            }
        };
        let state = if error.is_none() {
            State::Ok
        } else {
            if self.fail_fast {
                self.stop.store(true, Ordering::SeqCst);
            }
            State::Failed
        };
        let outcome = Outcome {
            target: target.clone(),
            state,
            exit_code: Some(exit_code),
            error,
            result: document,
            messages,
            duration: started.elapsed(),
        };
        self.progress.done(&outcome);
        outcome
    }
}

fn skipped(target: &Target, reason: &str) -> Outcome {
    Outcome {
        target: target.clone(),
        state: State::Skipped,
        exit_code: None,
        error: Some(reason.to_owned()),
        result: None,
        messages: Vec::new(),
        duration: Duration::ZERO,
    }
}

/// Why a command that returned `code` did not succeed (`None`: it did).
fn failure(code: u8, document: Option<&serde_json::Value>) -> Option<String> {
    if code == 0 {
        return None;
    }
    let field = |key: &str| document.and_then(|d| d.get(key));
    if let Some(status) = field("status").and_then(|s| s.as_str()) {
        // `health`: degraded or error, with its problems.
        let problems: Vec<&str> = field("problems")
            .and_then(|p| p.as_array())
            .map(|p| p.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        return Some(if problems.is_empty() {
            format!("health {status} (exit {code})")
        } else {
            format!("health {status} (exit {code}): {}", problems.join("; "))
        });
    }
    Some(match code {
        2 => "problems found (exit 2); see `result`".to_owned(),
        _ => format!("exit {code}"),
    })
}

/// The number of an exit code (std keeps it opaque).
fn exit_number(code: ExitCode) -> u8 {
    (0..=u8::MAX)
        .find(|n| ExitCode::from(*n) == code)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_read_back_and_non_zero_ones_explained() {
        assert_eq!(exit_number(ExitCode::SUCCESS), 0);
        assert_eq!(exit_number(ExitCode::from(3)), 3);
        assert_eq!(failure(0, None), None);
        let health = serde_json::json!({"status": "degraded", "problems": ["2 pending"]});
        assert_eq!(
            failure(2, Some(&health)).as_deref(),
            Some("health degraded (exit 2): 2 pending")
        );
        assert!(failure(2, None).is_some_and(|e| e.contains("problems found")));
        assert_eq!(failure(5, None).as_deref(), Some("exit 5"));
    }
}
