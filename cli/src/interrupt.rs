//! Stopping cleanly on SIGINT and SIGTERM. The command runs until a signal
//! arrives; then its future is dropped, which stops its child tools (each in
//! its own process group, killed with it by [`ChildGroup`]) and removes its
//! partial files (their guards); then the scratch databases registered here
//! are dropped, the notes registered here are printed, and the process exits
//! 130 (SIGINT) or 143 (SIGTERM).

use std::process::ExitCode;
use std::sync::Mutex;

use sea_orm::DatabaseConnection;

/// What to clean up or say if interrupted now.
#[derive(Default)]
struct State {
    next: u64,
    scratch: Vec<(u64, DatabaseConnection, String)>,
    notes: Vec<(u64, String)>,
}

static STATE: Mutex<State> = Mutex::new(State {
    next: 0,
    scratch: Vec::new(),
    notes: Vec::new(),
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registration, withdrawn when dropped.
#[must_use = "the registration ends when this is dropped"]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        let mut s = state();
        s.scratch.retain(|(id, _, _)| *id != self.0);
        s.notes.retain(|(id, _)| *id != self.0);
    }
}

fn next_id(s: &mut State) -> u64 {
    s.next += 1;
    s.next
}

/// Says `text` in the error line if the command is interrupted while the
/// registration lives.
pub fn note(text: String) -> Registration {
    let mut s = state();
    let id = next_id(&mut s);
    s.notes.push((id, text));
    Registration(id)
}

/// Drops the database `name` through `admin` if the command is interrupted
/// while the registration lives.
pub fn scratch_database(admin: &DatabaseConnection, name: &str) -> Registration {
    let mut s = state();
    let id = next_id(&mut s);
    s.scratch.push((id, admin.clone(), name.to_owned()));
    Registration(id)
}

/// Runs `command` until it ends or SIGINT/SIGTERM arrives; see the module docs.
pub async fn run_until_signal(
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut command = Box::pin(command);
    let (name, code) = tokio::select! {
        result = &mut command => return result,
        _ = int.recv() => ("SIGINT", 130),
        _ = term.recv() => ("SIGTERM", 143),
    };
    // What to clean up, taken before the command's guards withdraw it.
    let (scratch, notes) = {
        let mut s = state();
        (std::mem::take(&mut s.scratch), std::mem::take(&mut s.notes))
    };
    // Dropping the command kills its children and removes its partial files.
    drop(command);
    let mut said: Vec<String> = notes.into_iter().map(|(_, n)| n).collect();
    for (_, admin, database) in scratch {
        match crate::commands::scratch::drop_database(&admin, &database).await {
            Ok(()) => said.push(format!("dropped the scratch database `{database}`")),
            Err(e) => said.push(format!("{e:#}")),
        }
    }
    let mut line = format!("interrupted by {name}: stopped");
    for s in said {
        line.push_str("; ");
        line.push_str(&s);
    }
    errln!("error: {line}");
    Ok(ExitCode::from(code))
}

/// A child tool's process group, killed when this is dropped before
/// [`ChildGroup::finished`]: the command failed or was interrupted.
pub struct ChildGroup(Option<u32>);

impl ChildGroup {
    /// Watches the group whose leader is `pid` (spawned with `process_group(0)`).
    pub fn new(pid: Option<u32>) -> ChildGroup {
        ChildGroup(pid)
    }

    /// The leader was waited for: nothing to kill.
    pub fn finished(mut self) {
        self.0 = None;
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with a negative pid signals that process group only.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}
