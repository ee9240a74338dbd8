//! End to end through the CLI, on every backend: while `db-migrate upgrade`
//! (a child process, `src/bin/data_cli.rs`) is between the batches of a data
//! migration, `status --json` shows the step's progress and the migration in
//! progress, and `health` says `degraded` with the error `in_progress`; once
//! the run ends, the database is up to date and every row was updated once.
//!
//! The child stops after its fifth batch until the test opens its gate
//! (`DATA_CLI_GATE`), so the test reads a known state; it polls with a
//! deadline, never relying on a fixed sleep.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tests::data::{STEP, VERSION, create_items, tally};
use tests::spawned::runtime;
use tests::{Backend, Scratch};

const CLI: &str = env!("CARGO_BIN_EXE_data_cli");
const ROWS: i64 = 1_000;

fn command(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(CLI);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_SCHEMA")
        .env_remove("RUST_LOG")
        .env_remove("DATA_CLI_GATE")
        .args(["-u", url])
        .args(args);
    command
}

fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    command(dir, url, args).output().expect("run data_cli")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// Waits for `child` to end, at most `limit`; kills it past that.
fn wait_for(child: &mut Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = Output {
        status: child.wait().expect("wait"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut out.stdout).ok();
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut out.stderr).ok();
    }
    out
}

fn progress_while_running(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "data_progress_cli")) else {
        return;
    };
    rt.block_on(create_items(&scratch.db, ROWS, 500))
        .expect("items");
    let dir = tempfile::tempdir().expect("temp dir");
    let gate = dir.path().join("gate");
    let url = scratch.url.as_str();
    let mut child = command(dir.path(), url, &["upgrade"])
        .env("DATA_CLI_GATE", &gate)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn upgrade");

    // Until the run stands at its gate: five batches committed, the migration
    // in progress under a live lock.
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        let out = run(dir.path(), url, &["status", "--json"]);
        if out.status.code() == Some(0) {
            let status = json(&out);
            let at_gate =
                status["data"][0]["batches"] == 5 && status["dirty"][0]["in_progress"] == true;
            if at_gate {
                break status;
            }
        }
        if Instant::now() > deadline || child.try_wait().expect("try_wait").is_some() {
            let upgrade = wait_for(&mut child, Duration::from_secs(5));
            panic!(
                "{backend:?}: the run never showed in progress at batch 5; last status: {}; \
                 upgrade: {}",
                text(&out),
                text(&upgrade)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let step = &status["data"][0];
    assert_eq!(step["version"], VERSION, "{backend:?}: {status:#}");
    assert_eq!(step["step"], STEP, "{backend:?}: {status:#}");
    assert_eq!(step["rows_done"], 250, "{backend:?}: {status:#}");
    assert_eq!(step["rows_total"], ROWS, "{backend:?}: {status:#}");
    assert_eq!(step["percent"], 25, "{backend:?}: {status:#}");
    assert_eq!(status["dirty"][0]["version"], VERSION, "{backend:?}");
    assert_eq!(status["dirty"][0]["state"], "started", "{backend:?}");
    assert_eq!(status["pending"][0], VERSION, "{backend:?}");

    let out = run(dir.path(), url, &["health", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{backend:?}: {}", text(&out));
    let health = json(&out);
    assert_eq!(health["status"], "degraded", "{backend:?}: {health:#}");
    assert_eq!(health["error"], "in_progress", "{backend:?}: {health:#}");
    let out = run(dir.path(), url, &["health"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{backend:?}: {shown}");
    assert!(
        shown.starts_with("status:  degraded\n"),
        "{backend:?}: {shown}"
    );
    assert!(
        shown.contains(&format!("migration {VERSION} is being applied")),
        "{backend:?}: {shown}"
    );
    assert!(
        shown.contains(&format!(
            "data migration {VERSION} (step {STEP}): 25% (250/{ROWS} rows): running now"
        )),
        "{backend:?}: {shown}"
    );
    assert!(!shown.contains("resolve"), "{backend:?}: {shown}");

    std::fs::write(&gate, b"go").expect("open the gate");
    let upgrade = wait_for(&mut child, Duration::from_secs(120));
    assert_eq!(
        upgrade.status.code(),
        Some(0),
        "{backend:?}: {}",
        text(&upgrade)
    );
    let status = json(&run(dir.path(), url, &["status", "--json"]));
    assert_eq!(status["pending"], serde_json::json!([]), "{status:#}");
    assert_eq!(status["dirty"], serde_json::json!([]), "{status:#}");
    assert_eq!(status["data"], serde_json::json!([]), "{status:#}");
    let out = run(dir.path(), url, &["health"]);
    assert_eq!(out.status.code(), Some(0), "{backend:?}: {}", text(&out));
    rt.block_on(async {
        let t = tally(&scratch.db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0),
            "{backend:?}"
        );
        scratch.cleanup().await;
    });
}

#[test]
fn status_and_health_show_a_running_backfill_sqlite() {
    progress_while_running(Backend::Sqlite);
}

#[test]
fn status_and_health_show_a_running_backfill_postgres() {
    progress_while_running(Backend::Postgres);
}

#[test]
fn status_and_health_show_a_running_backfill_mysql() {
    progress_while_running(Backend::MySql);
}
