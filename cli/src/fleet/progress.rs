//! Progress over the targets of a fleet run: a bar on a terminal (stderr),
//! otherwise one plain line a finished target (text mode) or a log event
//! (`--json`, shown with `-v`).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Outcome, State};

/// How a fleet run shows its progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    json: bool,
    finished: std::sync::atomic::AtomicUsize,
}

impl Progress {
    /// A bar on stderr when it is a terminal; plain lines otherwise.
    pub fn new(total: usize, json: bool) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            );
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} targets {elapsed} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
            json,
            finished: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// One more target finished (or skipped).
    pub fn done(&self, outcome: &Outcome) {
        let n = self
            .finished
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let shown = outcome.target.shown();
        let state = outcome.state.as_str();
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if outcome.state == State::Failed {
                let line = format!("failed: {shown}");
                bar.println(crate::terminal::visible_line(&crate::redact::redact(&line)));
            }
        } else if self.json {
            tracing::info!(target_url = %shown, state, "[{n}/{}]", self.total);
        } else {
            errln!(
                "[{n}/{}] {state} {shown} ({} ms)",
                self.total,
                outcome.duration.as_millis()
            );
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
