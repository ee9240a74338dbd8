//! SIGINT/SIGTERM during `backup` and `backup --verify` stop the child tools
//! (their whole process group), remove partial files and drop the scratch
//! database; a scratch database left by a run killed with SIGKILL is dropped by
//! the next `backup --verify`. The tools are wrapped by scripts on `PATH` that
//! hang on request, so the signal arrives while they run.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backends::{Backend, Scratch, strings};
use support::Sandbox;

/// Puts a script named `tool` in `bin` that records its pid and a grandchild's
/// in `pids` and hangs while the file `hang` exists, else runs the real tool.
fn wrap(bin: &Path, tool: &str, hang: &Path, pids: &Path) {
    std::fs::create_dir_all(bin).expect("mkdir");
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .expect("which")
            .stdout,
    )
    .expect("utf8");
    let script = format!(
        "#!/bin/sh\nif [ -e '{hang}' ]; then sleep 300 & echo \"$$ $!\" > '{pids}'; wait; exit 1; fi\n\
         exec {real} \"$@\"\n",
        hang = hang.display(),
        pids = pids.display(),
        real = real.trim()
    );
    let path = bin.join(tool);
    std::fs::write(&path, script).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn spawn(sandbox: &Sandbox, bin: &Path, args: &[&str]) -> Child {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_db-migrate"))
        .args(args)
        .current_dir(sandbox.path())
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// The pids the wrapper wrote, once it runs.
fn wait_for_pids(pids: &Path) -> Vec<i32> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(text) = std::fs::read_to_string(pids) {
            let p: Vec<i32> = text
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
            if p.len() == 2 {
                return p;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the wrapped tool never started");
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn gone_soon(pid: i32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

#[test]
fn sigint_during_a_backup_stops_the_dump_and_removes_the_partial_file() {
    let rt = backends::runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "intr_backup")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let (bin, hang, pids) = (
        sandbox.path().join("bin"),
        sandbox.path().join("hang"),
        sandbox.path().join("pids"),
    );
    wrap(&bin, "pg_dump", &hang, &pids);
    std::fs::write(&hang, "").expect("hang");
    let child = spawn(
        &sandbox,
        &bin,
        &["-u", &scratch.url, "backup", "-o", "out/b.sql"],
    );
    let tool = wait_for_pids(&pids);
    assert!(sandbox.path().join("out/.b.sql.partial").exists());
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: interrupted by SIGINT"), "{stderr}");
    for pid in tool {
        assert!(
            gone_soon(pid),
            "process {pid} of the tool's group still runs"
        );
    }
    assert_eq!(
        support::files(&sandbox.path().join("out")),
        Vec::<String>::new()
    );
    rt.block_on(scratch.cleanup());
}

#[test]
fn interrupted_and_killed_verifies_leave_no_scratch_database() {
    let rt = backends::runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::MySql, "intr_verify")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    let ok = Command::new(env!("CARGO_BIN_EXE_db-migrate"))
        .args(["-u", &url, "upgrade"])
        .current_dir(sandbox.path())
        .status()
        .expect("upgrade");
    assert!(ok.success());
    let made = sandbox.run_raw(&["-u", &url, "backup", "-o", "b.sql"], &[]);
    made.ok();
    let (bin, hang, pids) = (
        sandbox.path().join("bin"),
        sandbox.path().join("hang"),
        sandbox.path().join("pids"),
    );
    wrap(&bin, "mariadb", &hang, &pids);
    let scratch_dbs = |pid: u32| {
        strings(
            &rt,
            &scratch,
            &format!(
                "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
                 WHERE schema_name LIKE 'dbm\\_verify\\_{pid}\\_%'"
            ),
        )
    };
    for (sig, code) in [(libc::SIGTERM, Some(143)), (libc::SIGKILL, None)] {
        std::fs::write(&hang, "").expect("hang");
        let _ = std::fs::remove_file(&pids);
        let child = spawn(&sandbox, &bin, &["-u", &url, "backup", "--verify", "b.sql"]);
        let tool = wait_for_pids(&pids);
        let pid = child.id();
        assert_eq!(scratch_dbs(pid).len(), 1);
        signal(&child, sig);
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), code, "{out:?}");
        if sig == libc::SIGKILL {
            // Nothing could clean up: the database and the tool are left.
            assert_eq!(scratch_dbs(pid).len(), 1);
            for p in &tool {
                // SAFETY: the leftover tool of the killed run.
                unsafe {
                    libc::kill(-tool[0], libc::SIGKILL);
                }
                assert!(gone_soon(*p));
            }
            // The next verify (tools not hanging) drops it: its owner is dead.
            std::fs::remove_file(&hang).expect("no hang");
            let again = sandbox.run_raw(&["-u", &url, "backup", "--verify", "b.sql"], &[]);
            let text = again.ok().to_owned();
            assert!(text.starts_with("verified: "), "{text}");
        } else {
            for p in tool {
                assert!(gone_soon(p), "process {p} of the tool's group still runs");
            }
        }
        assert_eq!(scratch_dbs(pid), Vec::<String>::new(), "after {sig}");
    }
    rt.block_on(scratch.cleanup());
}
