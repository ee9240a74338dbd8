//! Restore checks a backup whole before touching the target and never runs
//! commands from it: crafted PostgreSQL and MariaDB files with client commands
//! (with or without a forged manifest) run nothing and change nothing; cut-off
//! files on every backend are refused with the target's rows intact; a failed
//! `--force` leaves the target as it was (PostgreSQL, SQLite) or names the
//! safety backup taken first (MariaDB); a SQLite restore reaches the
//! connections that stay open to the file, in rollback and WAL mode.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, exec, on_every_backend, strings};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use sha2::{Digest, Sha256};
use support::{Run, Sandbox};
use tokio::runtime::Runtime;

fn run(sandbox: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["-u", url];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

/// Asserts exit 1, no panic, and a last stderr line `error: ...` holding every
/// needle (a warning about a missing manifest may come before it); returns it.
#[track_caller]
fn failed(out: &Run, needles: &[&str]) -> String {
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(!out.stderr.contains("panicked"), "{out:#?}");
    let line = out.stderr.lines().last().unwrap_or_default().to_owned();
    assert!(line.starts_with("error: "), "{out:#?}");
    for needle in needles {
        assert!(line.contains(needle), "`{needle}` not in: {line}");
    }
    line
}

fn populate(rt: &Runtime, sandbox: &Sandbox, scratch: &Scratch) {
    run(sandbox, &scratch.url, &["upgrade"]).ok();
    exec(
        rt,
        scratch,
        "INSERT INTO tags (name, color) VALUES ('red', '#ff0000'), ('plain', NULL)",
    );
}

fn tag_names(rt: &Runtime, scratch: &Scratch) -> Vec<String> {
    strings(rt, scratch, "SELECT name FROM tags ORDER BY name")
}

/// Backs the scratch database up to `b.EXT` in the sandbox; returns the path.
fn backup(sandbox: &Sandbox, scratch: &Scratch) -> String {
    let ext = if scratch.backend == Backend::Sqlite {
        "sqlite"
    } else {
        "sql"
    };
    let file = sandbox.path().join(format!("b.{ext}"));
    let file = file.to_str().expect("path").to_owned();
    run(sandbox, &scratch.url, &["backup", "-o", &file]).ok();
    file
}

/// Rewrites the manifest of `file` so its checksum and size match the file, as
/// anyone with write access to the folder could.
fn forge_manifest(file: &str) {
    let path = format!("{file}.json");
    let text = std::fs::read_to_string(&path).expect("manifest");
    let mut m: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let bytes = std::fs::read(file).expect("read");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    m["sha256"] = sha.into();
    m["size"] = bytes.len().into();
    std::fs::write(&path, m.to_string()).expect("write");
}

/// `line` inserted into the dump `file` just before its first `CREATE TABLE`.
fn inject(file: &str, line: &str) {
    let text = std::fs::read_to_string(file).expect("dump");
    let at = text.find("CREATE TABLE").expect("a CREATE TABLE");
    std::fs::write(file, format!("{}{line}\n{}", &text[..at], &text[at..])).expect("write");
}

#[test]
fn client_commands_in_a_backup_never_run() {
    on_every_backend("safety_commands", |rt, scratch| {
        if scratch.backend == Backend::Sqlite {
            return;
        }
        let sandbox = Sandbox::new();
        populate(rt, &sandbox, scratch);
        let original = backup(&sandbox, scratch);
        let marker = sandbox.path().join("pwned");
        let touch = format!("touch {}", marker.display());
        let attacks: Vec<String> = match scratch.backend {
            Backend::Postgres => vec![
                format!("\\! {touch}"),
                format!("SELECT 1; \\! {touch}"),
                format!("\\setenv X 1\n\\! {touch}"),
            ],
            _ => vec![
                format!("\\! {touch}"),
                format!("system {touch}"),
                format!("SELECT 1; \\! {touch}"),
            ],
        };
        let Some(empty) = rt.block_on(Scratch::new(scratch.backend, "safety_target")) else {
            return;
        };
        for attack in &attacks {
            let file = sandbox.path().join("evil.sql");
            let file = file.to_str().expect("path");
            std::fs::copy(&original, file).expect("copy");
            std::fs::copy(format!("{original}.json"), format!("{file}.json")).expect("copy");
            inject(file, attack);
            // A manifest that matches is no licence to run commands.
            forge_manifest(file);
            for args in [vec!["restore", file], vec!["restore", file, "--force"]] {
                let out = run(&sandbox, &empty.url, &args);
                assert_eq!(out.code, Some(1), "{attack}: {out:#?}");
                assert!(out.stderr.starts_with("error: "), "{out:#?}");
                assert!(!marker.exists(), "`{attack}` ran a command: {out:#?}");
                assert_eq!(
                    backends::tables(rt, &empty),
                    Vec::<String>::new(),
                    "{attack}"
                );
            }
            let out = run(&sandbox, &scratch.url, &["restore", file, "--force"]);
            assert_eq!(out.code, Some(1), "{out:#?}");
            assert_eq!(tag_names(rt, scratch), ["plain", "red"], "{attack}");
            let out = run(&sandbox, &scratch.url, &["backup", "--verify", file]);
            assert_eq!(out.code, Some(1), "{out:#?}");
            assert!(
                !marker.exists(),
                "`{attack}` ran a command in verify: {out:#?}"
            );
        }
        // A command at the start of a line is named.
        let file = sandbox.path().join("evil.sql");
        let file = file.to_str().expect("path");
        std::fs::copy(&original, file).expect("copy");
        std::fs::remove_file(format!("{file}.json")).ok();
        inject(file, &format!("\\! {touch}"));
        failed(
            &run(&sandbox, &empty.url, &["restore", file]),
            &["line ", "runs no client commands"],
        );
        rt.block_on(empty.cleanup());
    });
}

#[test]
fn cut_off_backups_are_refused_and_the_target_keeps_its_rows() {
    on_every_backend("safety_truncated", |rt, scratch| {
        let sandbox = Sandbox::new();
        populate(rt, &sandbox, scratch);
        let file = backup(&sandbox, scratch);
        std::fs::remove_file(format!("{file}.json")).expect("no manifest");
        let bytes = std::fs::read(&file).expect("read");
        // Keep the first part only (a SQLite file keeps its header).
        let cut = match scratch.backend {
            Backend::Sqlite => bytes.len() / 2,
            _ => {
                let text = String::from_utf8_lossy(&bytes);
                text.find("\\.\n")
                    .or_else(|| text.find("INSERT INTO `tags`"))
                    .expect("data")
            }
        };
        std::fs::write(&file, &bytes[..cut]).expect("write");
        let out = run(&sandbox, &scratch.url, &["restore", &file, "--force"]);
        let line = failed(&out, &[]);
        let expected = match scratch.backend {
            Backend::Sqlite => "not a sound SQLite database",
            _ => "incomplete",
        };
        assert!(line.contains(expected), "{line}");
        assert_eq!(tag_names(rt, scratch), ["plain", "red"]);
        let status = run(&sandbox, &scratch.url, &["status", "--json"]).json();
        assert_eq!(status["pending"], serde_json::json!([]));
    });
}

#[test]
fn a_failed_force_restore_leaves_the_target_restorable() {
    on_every_backend("safety_failed_load", |rt, scratch| {
        if scratch.backend == Backend::Sqlite {
            return;
        }
        let sandbox = Sandbox::new();
        populate(rt, &sandbox, scratch);
        let file = backup(&sandbox, scratch);
        std::fs::remove_file(format!("{file}.json")).expect("no manifest");
        // Complete and free of client commands, but it fails half-way on the server.
        inject(&file, "INSERT INTO no_such_table VALUES (1);");
        exec(rt, scratch, "INSERT INTO tags (name) VALUES ('newer')");
        let out = run(&sandbox, &scratch.url, &["restore", &file, "--force"]);
        let line = failed(&out, &["cannot restore"]);
        match scratch.backend {
            Backend::Postgres => {
                // One transaction: nothing changed.
                assert_eq!(tag_names(rt, scratch), ["newer", "plain", "red"]);
            }
            _ => {
                let at = line.find("previous contents are in `").expect("named") + 26;
                let safety = &line[at..at + line[at..].find('`').expect("end")];
                assert!(safety.contains("-pre-restore-"), "{line}");
                assert!(sandbox.path().join(safety).is_file(), "{line}");
                run(&sandbox, &scratch.url, &["restore", safety, "--force"]).ok();
                assert_eq!(tag_names(rt, scratch), ["newer", "plain", "red"]);
            }
        }
    });
}

/// The first column of `sql`'s rows on `db` (a connection or a transaction).
fn texts(rt: &Runtime, db: &impl ConnectionTrait, sql: &str) -> Vec<String> {
    rt.block_on(db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql)))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

/// SQLite restores in place, through SQLite's own locking: the test's
/// connection, open to the file all along as an application's would be, reads
/// the restored rows, and a row it writes afterwards is in the file (read back
/// on a new connection). In WAL mode a read transaction open during the
/// restore neither holds it up nor sees it until it ends. Renaming a copy over
/// the file, as restore once did, left such connections on the old, unlinked
/// file, where their writes were lost.
#[test]
fn a_sqlite_restore_reaches_the_connections_that_stay_open() {
    let rt = backends::runtime();
    for mode in ["delete", "wal"] {
        let Some(scratch) = rt.block_on(Scratch::new(Backend::Sqlite, "safety_open")) else {
            return;
        };
        let sandbox = Sandbox::new();
        exec(&rt, &scratch, &format!("PRAGMA journal_mode = {mode}"));
        populate(&rt, &sandbox, &scratch);
        let file = backup(&sandbox, &scratch);
        exec(&rt, &scratch, "INSERT INTO tags (name) VALUES ('newer')");
        let all = "SELECT name FROM tags ORDER BY name";
        // WAL: a reader in the middle of a read transaction (in rollback mode
        // one would keep the restore out, as it keeps any writer out).
        let reader: Option<(DatabaseConnection, _)> = (mode == "wal").then(|| {
            let db = rt
                .block_on(tests::backend::connect(&scratch.url))
                .expect("reader");
            let txn = rt.block_on(db.begin()).expect("BEGIN");
            assert_eq!(texts(&rt, &txn, all), ["newer", "plain", "red"]);
            (db, txn)
        });

        let out = run(&sandbox, &scratch.url, &["restore", &file, "--force"]);
        assert!(out.ok().starts_with("restored "), "{mode}: {out:#?}");
        assert_eq!(tag_names(&rt, &scratch), ["plain", "red"], "{mode}");
        if let Some((db, txn)) = reader {
            assert_eq!(texts(&rt, &txn, all), ["newer", "plain", "red"]);
            rt.block_on(txn.commit()).expect("COMMIT");
            assert_eq!(texts(&rt, &db, all), ["plain", "red"]);
            rt.block_on(db.close()).expect("close");
        }
        exec(
            &rt,
            &scratch,
            "INSERT INTO tags (name) VALUES ('written after')",
        );

        let fresh = rt
            .block_on(tests::backend::connect(&scratch.url))
            .expect("reopen");
        assert_eq!(
            texts(&rt, &fresh, all),
            ["plain", "red", "written after"],
            "{mode}"
        );
        assert_eq!(texts(&rt, &fresh, "PRAGMA journal_mode"), [mode]);
        assert_eq!(texts(&rt, &fresh, "PRAGMA integrity_check"), ["ok"]);
        rt.block_on(fresh.close()).expect("close");
        rt.block_on(scratch.cleanup());
    }
}

/// A SQLite restore killed (SIGKILL) or interrupted (SIGINT) at any moment
/// leaves the old database or the restored one, never a mix: the backup API
/// writes one transaction, which SQLite rolls back at the next open when it did
/// not commit, and an interrupted run stops without committing and removes its
/// temporary copy. The signal comes later and later until a restore finishes
/// first; a kill that left a hot journal (in the middle of the copy) is counted.
#[test]
fn a_killed_sqlite_restore_leaves_the_old_or_the_restored_database() {
    let rt = backends::runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Sqlite, "safety_killed")) else {
        return;
    };
    let sandbox = Sandbox::new();
    populate(&rt, &sandbox, &scratch);
    // About 8 MB, so that the copy takes a while.
    exec(
        &rt,
        &scratch,
        "CREATE TABLE bulk (b blob); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
         SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO bulk SELECT randomblob(4000) FROM n",
    );
    let file = backup(&sandbox, &scratch);
    let diverge = "DELETE FROM bulk WHERE rowid % 2 = 0; INSERT INTO tags (name) VALUES ('newer')";
    exec(&rt, &scratch, diverge);
    rt.block_on(scratch.db.close()).ok();
    let path = scratch.url["sqlite://".len()..]
        .split('?')
        .next()
        .expect("path");
    let journal = format!("{path}-journal");
    let state = |db: &DatabaseConnection| {
        let tags = texts(&rt, db, "SELECT name FROM tags ORDER BY name");
        let bulk = texts(&rt, db, "SELECT CAST(count(*) AS TEXT) FROM bulk");
        assert_eq!(texts(&rt, db, "PRAGMA integrity_check"), ["ok"]);
        (tags, bulk)
    };
    let old = (
        vec!["newer".to_owned(), "plain".into(), "red".into()],
        vec!["1000".to_owned()],
    );
    let new = (
        vec!["plain".to_owned(), "red".into()],
        vec!["2000".to_owned()],
    );
    let (mut mid_copy, mut steps) = (0, 0);
    for step in 0u64.. {
        steps += 1;
        assert!(step < 200, "the restore never finished");
        let mut child = sandbox
            .command(&["-u", &scratch.url, "restore", &file, "--force"], &[])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(step * 8));
        let finished = child.try_wait().expect("wait").is_some();
        // Every other run gets SIGINT (it stops cleanly), the others SIGKILL.
        let sigint = step % 2 == 1;
        if sigint {
            // SAFETY: kill(2) on the pid of our own child, which is not reaped yet.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        } else {
            child.kill().ok();
        }
        let status = child.wait().expect("wait");
        if std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
            mid_copy += 1;
        }
        let dir = std::path::Path::new(path).parent().expect("folder");
        let temporary: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(".dbm-restore-"))
            })
            .collect();
        if sigint && status.code().is_some() {
            // Exited (0, or 130 when interrupted), not killed: nothing left behind.
            assert!(
                temporary.is_empty(),
                "after SIGINT at {step}: {temporary:?}"
            );
        }
        // A killed run cannot remove its temporary copy of the backup.
        for p in temporary {
            std::fs::remove_file(p).expect("rm");
        }
        // A new connection, as the application's next one: a hot journal is
        // rolled back.
        let db = rt
            .block_on(tests::backend::connect(&scratch.url))
            .expect("reopen");
        let now = state(&db);
        assert!(now == old || now == new, "after a kill at {step}: {now:?}");
        if finished {
            assert_eq!(now, new);
            rt.block_on(db.close()).ok();
            break;
        }
        if now == new {
            rt.block_on(db.execute_unprepared(diverge))
                .expect("diverge");
        }
        rt.block_on(db.close()).ok();
    }
    eprintln!("kills in the middle of the copy (hot journal left): {mid_copy} of {steps}");
}
