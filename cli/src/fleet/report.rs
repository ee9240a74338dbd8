//! The end of a fleet run: a summary table, or one JSON document with a
//! `targets` list.

use std::time::Duration;

use serde_json::json;

use super::{Outcome, State};

/// Everything the report shows.
pub struct Summary<'a> {
    pub command: &'static str,
    pub jobs: usize,
    pub canary: usize,
    pub outcomes: &'a [Outcome],
    pub duration: Duration,
}

impl Summary<'_> {
    /// Whether every target succeeded.
    pub fn all_ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.state == State::Ok)
    }

    fn count(&self, state: State) -> usize {
        self.outcomes.iter().filter(|o| o.state == state).count()
    }

    /// `{"command", "ok", "jobs", "canary", "duration_ms", "counts", "targets": [...]}`;
    /// each target: `url` (redacted), `schema`, `ok`, `state`, `error`,
    /// `exit_code`, `duration_ms`, `applied` (upgrade), `result` (the command's
    /// own document), `messages`.
    pub fn to_json(&self) -> serde_json::Value {
        let targets: Vec<serde_json::Value> = self
            .outcomes
            .iter()
            .map(|o| {
                let mut entry = json!({
                    "url": o.target.shown(),
                    "schema": o.target.schema,
                    "ok": o.state == State::Ok,
                    "state": o.state.as_str(),
                    "error": o.error,
                    "exit_code": o.exit_code,
                    "duration_ms": millis(o.duration),
                    "result": o.result,
                    "messages": o.messages,
                });
                if self.command == "upgrade" {
                    entry["applied"] = json!(applied(o));
                }
                entry
            })
            .collect();
        json!({
            "command": self.command,
            "ok": self.all_ok(),
            "jobs": self.jobs,
            "canary": self.canary,
            "duration_ms": millis(self.duration),
            "counts": {
                "ok": self.count(State::Ok),
                "failed": self.count(State::Failed),
                "skipped": self.count(State::Skipped),
            },
            "targets": targets,
        })
    }

    /// The table: target, result, detail, time; then each target's messages
    /// and a total line.
    pub fn print(&self) {
        let rows: Vec<[String; 4]> = self
            .outcomes
            .iter()
            .map(|o| {
                [
                    o.target.shown(),
                    o.state.as_str().to_owned(),
                    detail(self.command, o),
                    format!("{} ms", o.duration.as_millis()),
                ]
            })
            .collect();
        let header = [
            "TARGET".to_owned(),
            "RESULT".to_owned(),
            "DETAIL".to_owned(),
            "TIME".to_owned(),
        ];
        let mut widths = [0usize; 4];
        for row in std::iter::once(&header).chain(&rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(shown_width(cell));
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| {
                    let pad = width.saturating_sub(shown_width(cell));
                    format!("{cell}{}", " ".repeat(pad))
                })
                .collect();
            outln!("{}", cells.join("  ").trim_end());
        }
        for o in self.outcomes.iter().filter(|o| !o.messages.is_empty()) {
            for message in &o.messages {
                errln!("{}: {message}", o.target.shown());
            }
        }
        outln!(
            "{} targets: {} ok, {} failed, {} skipped in {:.1} s (-j {})",
            self.outcomes.len(),
            self.count(State::Ok),
            self.count(State::Failed),
            self.count(State::Skipped),
            self.duration.as_secs_f64(),
            self.jobs
        );
    }
}

/// The width a cell takes once made visible (control characters escaped).
fn shown_width(cell: &str) -> usize {
    crate::terminal::visible_line(&crate::redact::redact(cell))
        .chars()
        .count()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The versions `upgrade` applied on the target.
fn applied(outcome: &Outcome) -> Vec<String> {
    outcome
        .result
        .as_ref()
        .and_then(|r| r.get("applied"))
        .and_then(|a| a.as_array())
        .map(|reports| {
            reports
                .iter()
                .filter_map(|r| r.get("version").and_then(|v| v.as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// One line about the target: its error, or what the command found.
fn detail(command: &str, outcome: &Outcome) -> String {
    if let Some(error) = &outcome.error {
        return error.clone();
    }
    let field = |key: &str| outcome.result.as_ref().and_then(|r| r.get(key));
    match command {
        "upgrade" => match applied(outcome).len() {
            0 => "up to date".to_owned(),
            n => format!("applied {n}"),
        },
        "status" => {
            let current = field("current")
                .and_then(|c| c.as_str())
                .unwrap_or("(none)");
            let pending = field("pending")
                .and_then(|p| p.as_array())
                .map_or(0, Vec::len);
            format!("current {current}, {pending} pending")
        }
        "health" => field("status")
            .and_then(|s| s.as_str())
            .unwrap_or("")
            .to_owned(),
        "backup" => field("file")
            .and_then(|f| f.as_str())
            .unwrap_or("")
            .to_owned(),
        _ => "no problems".to_owned(),
    }
}
