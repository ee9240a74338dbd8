//! Progress of a data migration: a [`ProgressSink`] hears of every committed
//! batch. The engine's default, [`TracingProgress`], writes `tracing` events
//! (target `db_migrate::data`); the CLI installs a progress bar instead when
//! stderr is a terminal ([`set_progress_sink`]).

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// Where a step stands after a batch (or at its start and end).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Progress {
    /// The migration's version.
    pub version: String,
    /// The step's name.
    pub step: String,
    /// Rows covered so far, counting those of earlier runs of the step.
    pub rows_done: u64,
    /// Rows to cover in all.
    pub rows_total: u64,
    /// Batches committed so far, counting earlier runs.
    pub batches: u64,
    /// Rows per second in this run.
    pub rate: f64,
    /// Estimated time left at this rate; `None` before the first batch.
    pub eta: Option<Duration>,
}

impl Progress {
    /// The share done, 0 to 100.
    pub fn percent(&self) -> u32 {
        if self.rows_total == 0 {
            return 100;
        }
        ((self.rows_done.min(self.rows_total) * 100) / self.rows_total) as u32
    }
}

/// Hears of a data migration's progress. Calls come from the task running the
/// migration, in order: `start`, `batch` per committed batch, then `finish`
/// when the step completed (not when it failed).
pub trait ProgressSink: Send + Sync {
    /// The step starts (or resumes: `rows_done` counts the earlier runs).
    fn start(&self, progress: &Progress);
    /// A batch committed.
    fn batch(&self, progress: &Progress);
    /// Every batch is committed.
    fn finish(&self, progress: &Progress);
}

/// The default sink: one `tracing` event per batch, at `info` on target
/// `db_migrate::data`, with fields `version`, `step`, `rows_done`,
/// `rows_total`, `batches`, `rate` (rows/s) and `eta_s`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingProgress;

impl ProgressSink for TracingProgress {
    fn start(&self, p: &Progress) {
        tracing::info!(
            target: "db_migrate::data",
            version = %p.version,
            step = %p.step,
            rows_done = p.rows_done,
            rows_total = p.rows_total,
            "data migration step started"
        );
    }

    fn batch(&self, p: &Progress) {
        tracing::info!(
            target: "db_migrate::data",
            version = %p.version,
            step = %p.step,
            rows_done = p.rows_done,
            rows_total = p.rows_total,
            batches = p.batches,
            rate = p.rate.round(),
            eta_s = p.eta.map(|d| d.as_secs()),
            "data migration batch committed"
        );
    }

    fn finish(&self, p: &Progress) {
        tracing::info!(
            target: "db_migrate::data",
            version = %p.version,
            step = %p.step,
            rows_done = p.rows_done,
            batches = p.batches,
            rate = p.rate.round(),
            "data migration step done"
        );
    }
}

static SINK: RwLock<Option<Arc<dyn ProgressSink>>> = RwLock::new(None);

/// Installs the sink of every data migration in this process that was not
/// given its own ([`crate::data::Backfill::progress`]); `None` restores
/// [`TracingProgress`].
pub fn set_progress_sink(sink: Option<Arc<dyn ProgressSink>>) {
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = sink;
}

/// The installed sink, or [`TracingProgress`].
pub(crate) fn installed_sink() -> Arc<dyn ProgressSink> {
    SINK.read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .unwrap_or_else(|| Arc::new(TracingProgress))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A writer into a shared buffer, for the subscriber.
    #[derive(Clone, Default)]
    struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tracing_progress_logs_each_batch_with_its_figures() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let progress = Progress {
            version: "m1".into(),
            step: "fill".into(),
            rows_done: 450,
            rows_total: 1000,
            batches: 9,
            rate: 150.4,
            eta: Some(Duration::from_secs(3)),
        };
        tracing::subscriber::with_default(subscriber, || TracingProgress.batch(&progress));
        let text = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
        for needle in [
            "db_migrate::data",
            "data migration batch committed",
            "version=m1",
            "step=fill",
            "rows_done=450",
            "rows_total=1000",
            "batches=9",
            "rate=150",
            "eta_s=3",
        ] {
            assert!(text.contains(needle), "`{needle}` not in {text}");
        }
        assert_eq!(progress.percent(), 45);
    }
}
