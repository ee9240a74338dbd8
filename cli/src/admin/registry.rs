//! The operations of this server: at most one runs at a time, the recent ones
//! are kept (in memory) for `GET /api/operations/{id}`, and each carries its
//! progress.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::error::ApiError;

/// Finished operations kept for `GET /api/operations/{id}`.
const KEPT: usize = 50;

/// The running operation and the recent ones; clones share them.
#[derive(Clone, Default)]
pub struct Registry {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    next: AtomicU64,
    running: Mutex<Option<Arc<Operation>>>,
    recent: Mutex<VecDeque<Arc<Operation>>>,
}

/// One operation: what, for whom, and how far it got.
pub struct Operation {
    pub id: String,
    /// `upgrade`, `downgrade` or `backup`.
    pub kind: &'static str,
    pub target: Option<String>,
    pub actor: String,
    /// Unix time in milliseconds.
    pub started_at: i64,
    progress: Mutex<Progress>,
}

#[derive(Default)]
struct Progress {
    /// `running`, `succeeded` or `failed`.
    state: &'static str,
    /// The migrations planned, when known.
    total: Option<usize>,
    /// The migrations done so far.
    done: Vec<String>,
    finished_at: Option<i64>,
    result: Option<Value>,
    error: Option<Value>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// RFC 3339 (UTC, milliseconds) of a Unix time in milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

impl Operation {
    /// Sets the number of migrations planned.
    pub fn set_total(&self, total: usize) {
        lock(&self.progress).total = Some(total);
    }

    /// Records one migration done.
    pub fn step_done(&self, version: &str) {
        lock(&self.progress).done.push(version.to_owned());
    }

    /// Ends the operation with its answer.
    pub fn finish(&self, outcome: &Result<Value, ApiError>) {
        let mut progress = lock(&self.progress);
        progress.finished_at = Some(now_ms());
        match outcome {
            Ok(result) => {
                progress.state = "succeeded";
                progress.result = Some(result.clone());
            }
            Err(error) => {
                progress.state = "failed";
                progress.error = Some(error.body()["error"].clone());
            }
        }
    }

    /// `{id, kind, target, actor, state, started_at, finished_at, progress, result, error}`.
    pub fn json(&self) -> Value {
        let progress = lock(&self.progress);
        json!({
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "actor": self.actor,
            "state": progress.state,
            "started_at": rfc3339_ms(self.started_at),
            "finished_at": progress.finished_at.map(rfc3339_ms),
            "progress": {
                "total": progress.total,
                "done": progress.done.len(),
                "versions": progress.done,
            },
            "result": progress.result,
            "error": progress.error,
        })
    }
}

/// The right to run: the operation stays `running` in the registry until this
/// is dropped (also when its task panics or is cancelled).
pub struct Slot {
    registry: Registry,
    operation: Arc<Operation>,
}

impl Slot {
    /// The operation this slot runs.
    pub fn operation(&self) -> &Arc<Operation> {
        &self.operation
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let registry = &self.registry.shared;
        {
            let mut progress = lock(&self.operation.progress);
            if progress.state == "running" {
                progress.state = "failed";
                progress.finished_at = Some(now_ms());
                progress.error = Some(json!({
                    "code": "interrupted",
                    "message": "the operation stopped before it finished",
                }));
            }
        }
        let mut running = lock(&registry.running);
        if running
            .as_ref()
            .is_some_and(|op| Arc::ptr_eq(op, &self.operation))
        {
            *running = None;
        }
    }
}

impl Registry {
    /// Starts an operation, or 409 `operation_in_progress` while another runs.
    pub fn begin(
        &self,
        kind: &'static str,
        target: Option<String>,
        actor: &str,
    ) -> Result<Slot, ApiError> {
        let registry = &self.shared;
        let mut running = lock(&registry.running);
        if let Some(op) = running.as_ref() {
            return Err(ApiError::operation_in_progress(&op.id, op.kind));
        }
        let n = registry.next.fetch_add(1, Ordering::Relaxed) + 1;
        let operation = Arc::new(Operation {
            id: n.to_string(),
            kind,
            target,
            actor: actor.to_owned(),
            started_at: now_ms(),
            progress: Mutex::new(Progress {
                state: "running",
                ..Progress::default()
            }),
        });
        *running = Some(operation.clone());
        drop(running);
        let mut recent = lock(&registry.recent);
        recent.push_back(operation.clone());
        while recent.len() > KEPT {
            recent.pop_front();
        }
        drop(recent);
        Ok(Slot {
            registry: self.clone(),
            operation,
        })
    }

    /// The running operation, if any.
    pub fn running(&self) -> Option<Arc<Operation>> {
        lock(&self.shared.running).clone()
    }

    /// A recent operation by id.
    pub fn find(&self, id: &str) -> Option<Arc<Operation>> {
        lock(&self.shared.recent)
            .iter()
            .find(|op| op.id == id)
            .cloned()
    }
}
