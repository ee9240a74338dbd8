//! Data-migration progress on a terminal: an `indicatif` bar on stderr, with
//! rows, rate and ETA, installed as the engine's [`ProgressSink`] when stderr
//! is a terminal. Elsewhere the engine's `tracing` events (target
//! `db_migrate::data`) carry the same figures.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use schema_diff::data::{Progress, ProgressSink};

const TEMPLATE: &str =
    "{msg} [{bar:30}] {percent:>3}% {human_pos}/{human_len} rows, {per_sec}, ETA {eta}";

/// One bar per data-migration step, on stderr.
#[derive(Default)]
struct TerminalBar {
    bar: Mutex<Option<ProgressBar>>,
}

impl TerminalBar {
    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            f(bar);
        }
    }
}

impl ProgressSink for TerminalBar {
    fn start(&self, p: &Progress) {
        let style = ProgressStyle::with_template(TEMPLATE)
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let label = format!("{} ({})", p.version, p.step);
        let bar = ProgressBar::with_draw_target(Some(p.rows_total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(crate::terminal::visible_line(&label).into_owned());
        // The rate counts this run only: the bar starts at the resume point.
        bar.reset_elapsed();
        bar.set_position(p.rows_done);
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    fn batch(&self, p: &Progress) {
        self.with_bar(|bar| {
            bar.set_length(p.rows_total);
            bar.set_position(p.rows_done);
        });
    }

    fn finish(&self, p: &Progress) {
        self.with_bar(|bar| {
            bar.set_length(p.rows_total);
            bar.set_position(p.rows_done);
            bar.finish();
        });
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Installs the terminal bar when stderr is a terminal and the output is not
/// JSON; otherwise progress stays with the `tracing` events.
pub fn install(json: bool) {
    if !json && std::io::stderr().is_terminal() {
        schema_diff::data::set_progress_sink(Some(Arc::new(TerminalBar::default())));
    }
}
