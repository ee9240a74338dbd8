//! `db-migrate wait` and `db-migrate start -- COMMAND` through the real binary,
//! on SQLite, PostgreSQL and MariaDB. These are the commands of the deployment
//! guide (docs/operations.md).

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use backends::on_every_backend;
use serde_json::json;
use support::{Run, Sandbox, versions};

fn run(sandbox: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["-u", url];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

fn pending(sandbox: &Sandbox, url: &str) -> serde_json::Value {
    run(sandbox, url, &["status", "--json"]).json()["pending"].clone()
}

#[test]
fn wait_returns_once_the_database_accepts_connections() {
    on_every_backend("ops_wait", |_rt, scratch| {
        let sandbox = Sandbox::new();
        let out = run(&sandbox, &scratch.url, &["wait", "--timeout", "10"]);
        assert!(out.ok().contains("accepts connections"), "{out:#?}");
        let json = run(&sandbox, &scratch.url, &["--json", "wait"]).json();
        assert_eq!(json["ready"], true);
    });
}

#[test]
fn wait_times_out_naming_host_and_port_but_not_the_password() {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let out = sandbox.run_raw(
        &[
            "-u",
            "postgres://app:W41tS3cret@127.0.0.1:1/app",
            "wait",
            "--timeout",
            "1",
        ],
        &[],
    );
    let took = started.elapsed();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("W41tS3cret"), "{all}");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "error: the database at 127.0.0.1:1 did not accept connections within 1 s"
        ),
        "{out:#?}"
    );
    // The same on MySQL's default port rule: the port is named even when implied.
    let out = sandbox.run_raw(
        &[
            "-u",
            "mysql://root:pw@127.0.0.1:1/x",
            "wait",
            "--timeout",
            "1",
        ],
        &[],
    );
    assert!(out.stderr.contains("127.0.0.1:1"), "{out:#?}");
}

#[test]
fn start_applies_pending_migrations_then_becomes_the_command() {
    on_every_backend("ops_start_apply", |_rt, scratch| {
        let sandbox = Sandbox::new();
        let out = run(
            &sandbox,
            &scratch.url,
            &[
                "start",
                "--lock-timeout",
                "300",
                "--",
                "sh",
                "-c",
                "echo started; exit 3",
            ],
        );
        // The command's exit code is the process's: start replaced itself with it.
        assert_eq!(out.code, Some(3), "{out:#?}");
        assert_eq!(out.stdout, "started\n", "{out:#?}");
        for v in versions() {
            assert!(out.stderr.contains(&format!("applied {v} (")), "{out:#?}");
        }
        assert_eq!(pending(&sandbox, &scratch.url), json!([]));

        // Nothing pending now: it starts straight away, with the same environment.
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_db-migrate"));
        cmd.args(["-u", &scratch.url, "start", "--", "sh", "-c"])
            .arg("echo \"$$ $DBM_START_MARK\"")
            .current_dir(sandbox.path())
            .env("DBM_START_MARK", "passed-through")
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = cmd.spawn().expect("spawn");
        let pid = child.id();
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        // Same PID: exec, not a child process.
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{pid} passed-through\n")
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    });
}

#[test]
fn start_with_fail_refuses_pending_migrations_and_does_not_run_the_command() {
    on_every_backend("ops_start_fail", |_rt, scratch| {
        let sandbox = Sandbox::new();
        let marker = sandbox.path().join("ran");
        let script = format!("touch '{}'; echo started", marker.display());
        let out = run(
            &sandbox,
            &scratch.url,
            &["start", "--on-pending", "fail", "--", "sh", "-c", &script],
        );
        let head = versions().last().cloned().expect("migrations");
        out.error(&["pending and the policy is `fail`", &head]);
        assert!(!marker.exists(), "the command ran");
        assert_eq!(pending(&sandbox, &scratch.url), json!(versions()));

        // warn: logs, applies nothing, runs the command.
        let out = run(
            &sandbox,
            &scratch.url,
            &["start", "--on-pending", "warn", "--", "sh", "-c", &script],
        );
        assert_eq!(out.code, Some(0), "{out:#?}");
        assert_eq!(out.stdout, "started\n");
        let warning = format!(
            "warning: {} migration(s) pending, starting anyway: ",
            versions().len()
        );
        assert!(out.stderr.contains(&warning), "{out:#?}");
        assert!(marker.exists());
        assert_eq!(pending(&sandbox, &scratch.url), json!(versions()));

        // fail at head: starts.
        run(&sandbox, &scratch.url, &["upgrade"]).ok();
        let out = run(
            &sandbox,
            &scratch.url,
            &["start", "--on-pending", "fail", "--", "sh", "-c", "exit 0"],
        );
        assert_eq!(out.code, Some(0), "{out:#?}");
    });
}

#[test]
fn start_reports_bad_input_as_one_error_line() {
    let sandbox = Sandbox::new();
    let url = sandbox.url();
    run(&sandbox, &url, &["upgrade"]).ok();
    let out = run(&sandbox, &url, &["start", "--", "/no/such/program"]);
    out.error(&["cannot start `/no/such/program`"]);
    let out = run(
        &sandbox,
        &url,
        &["start", "--on-pending", "maybe", "--", "true"],
    );
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("unknown policy `maybe`"), "{out:#?}");
    let out = run(&sandbox, &url, &["start"]);
    assert_eq!(out.code, Some(2), "a usage error: {out:#?}");
}

/// The deployment guide's shell lines, as written, with `db-migrate` on `PATH`
/// and the database in `DATABASE_URL`.
fn guide(dir: &std::path::Path, url: &str, line: &str) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_db-migrate"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(&path));
    Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", std::env::join_paths(dirs).expect("PATH"))
        .env("DATABASE_URL", url)
        .env_remove("RUST_LOG")
        .output()
        .expect("run sh")
}

#[test]
fn the_deployment_guide_runs_as_written() {
    on_every_backend("ops_guide", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.path();
        let url = scratch.url.as_str();
        // Kubernetes Job: wait, back up, upgrade.
        let job = guide(
            dir,
            url,
            "db-migrate wait --timeout 120 && db-migrate upgrade --backup",
        );
        assert_eq!(job.status.code(), Some(0), "{job:?}");
        let backups: Vec<_> = std::fs::read_dir(dir.join("backups"))
            .expect("backups/")
            .collect();
        assert_eq!(backups.len(), 2, "a backup and its manifest");
        assert_eq!(pending(&sandbox, url), json!([]));
        // Init container, on a database already at head.
        let init = guide(
            dir,
            url,
            "db-migrate wait --timeout 120 && db-migrate upgrade --lock-timeout 300",
        );
        assert_eq!(init.status.code(), Some(0), "{init:?}");
        assert!(String::from_utf8_lossy(&init.stdout).contains("nothing to apply"));
        // Entrypoints, and the probe.
        for (line, code) in [
            ("exec db-migrate start -- sh -c 'echo started; exit 3'", 3),
            (
                "db-migrate start --on-pending fail -- sh -c 'echo started'",
                0,
            ),
            ("db-migrate health", 0),
            ("db-migrate backup --verify", 0),
        ] {
            let out = guide(dir, url, line);
            assert_eq!(out.status.code(), Some(code), "{line}: {out:?}");
        }
        // A fresh database: the `fail` entrypoint refuses, the probe says degraded.
        let Some(fresh) = rt.block_on(backends::Scratch::new(scratch.backend, "ops_guide_fresh"))
        else {
            return;
        };
        let refused = guide(
            dir,
            &fresh.url,
            "db-migrate start --on-pending fail -- my-app",
        );
        assert_eq!(refused.status.code(), Some(1), "{refused:?}");
        let probe = guide(dir, &fresh.url, "db-migrate health");
        assert_eq!(probe.status.code(), Some(2), "{probe:?}");
        rt.block_on(fresh.cleanup());
    });
}
