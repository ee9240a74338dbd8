//! Fleet runs on SQLite files (docs/fleet.md): `--targets FILE` parsing and its
//! errors, `--fail-fast`, `--canary N`, the `--json` report's shape, the summary
//! table, exit codes (also with targets on a closed loopback port, which fail
//! at once), and the read-only commands over several databases.

mod support;

use support::{Run, Sandbox, versions};

/// Writes a file that is not a SQLite database: every command on it fails.
fn broken_file(sandbox: &Sandbox, name: &str) -> String {
    std::fs::write(
        sandbox.path().join(name),
        "this is not a SQLite database, it is a text file of more than a hundred bytes \
         so that the driver reads a header and refuses it",
    )
    .expect("write");
    sandbox.url_of(name)
}

fn history(sandbox: &Sandbox, file: &str) -> Vec<String> {
    sandbox.strings_on(
        file,
        "SELECT version FROM seaql_migrations ORDER BY version",
    )
}

fn has_file(sandbox: &Sandbox, file: &str) -> bool {
    sandbox.path().join(file).exists()
}

/// The `--json` document of a run that exited `code`.
#[track_caller]
fn report(run: &Run, code: i32) -> serde_json::Value {
    assert_eq!(run.code, Some(code), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:#?}"))
}

fn states(doc: &serde_json::Value) -> Vec<String> {
    doc["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["state"].as_str().expect("state").to_owned())
        .collect()
}

#[test]
fn a_targets_file_with_comments_runs_every_listed_database() {
    let sandbox = Sandbox::new();
    let file = sandbox.path().join("targets.txt");
    std::fs::write(
        &file,
        format!(
            "# tenants\n\n{}\n   # indented comment\n{}\n\n",
            sandbox.url_of("a.db"),
            sandbox.url_of("b.db")
        ),
    )
    .expect("write");
    let run = sandbox.run_raw(&["--targets", "targets.txt", "--json", "upgrade"], &[]);
    let doc = report(&run, 0);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["command"], "upgrade");
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    for (target, file) in targets.iter().zip(["a.db", "b.db"]) {
        assert_eq!(target["url"], sandbox.url_of(file));
        assert_eq!(target["ok"], true);
        assert!(target["error"].is_null());
        assert_eq!(target["exit_code"], 0);
        assert_eq!(target["applied"], serde_json::json!(versions()));
        assert_eq!(history(&sandbox, file), versions());
    }
    // Again: nothing applied twice.
    let again = report(
        &sandbox.run_raw(&["--targets", "targets.txt", "--json", "upgrade"], &[]),
        0,
    );
    for target in again["targets"].as_array().expect("targets") {
        assert_eq!(target["applied"], serde_json::json!([]));
    }
    assert_eq!(history(&sandbox, "a.db"), versions());
}

#[test]
fn a_bad_line_in_the_targets_file_is_named_and_nothing_runs() {
    let sandbox = Sandbox::new();
    let good = sandbox.url_of("a.db");
    let cases = [
        (
            format!("{good}\n\nftp://x/y\n"),
            vec!["targets.txt line 3", "ftp"],
        ),
        (
            format!("# c\n{good}?schema=x\n"),
            vec!["line 2", "PostgreSQL"],
        ),
        (
            format!("{good}\npostgres://u@h/db?schema=a%22b\n"),
            vec!["line 2", "schema name"],
        ),
        ("# only a comment\n\n".to_owned(), vec!["no targets"]),
        (format!("{good}\n{good}\n"), vec!["listed twice"]),
    ];
    for (text, needles) in cases {
        std::fs::write(sandbox.path().join("targets.txt"), &text).expect("write");
        let run = sandbox.run_raw(&["--targets", "targets.txt", "upgrade"], &[]);
        run.error(&needles);
        assert!(
            !has_file(&sandbox, "a.db"),
            "nothing runs on a bad list: {text}"
        );
    }
    sandbox
        .run_raw(&["--targets", "missing.txt", "status"], &[])
        .error(&["cannot read the targets file", "missing.txt"]);
}

#[test]
fn commands_that_work_on_one_database_refuse_several() {
    let sandbox = Sandbox::new();
    let (a, b) = (sandbox.url_of("a.db"), sandbox.url_of("b.db"));
    sandbox
        .run_raw(&["-u", &a, "-u", &b, "history"], &[])
        .error(&["upgrade, status, check, verify, health and backup"]);
    sandbox
        .run_raw(&["-u", &a, "-u", &b, "upgrade", "--dry-run"], &[])
        .error(&["--dry-run", "single -u"]);
    sandbox
        .run_raw(&["-u", &a, "-u", &b, "backup", "-o", "one.sql"], &[])
        .error(&["existing folder"]);
    assert!(!has_file(&sandbox, "a.db"));
}

#[test]
fn a_broken_target_fails_alone_and_the_exit_code_says_so() {
    let sandbox = Sandbox::new();
    let broken = broken_file(&sandbox, "broken.db");
    let (a, c) = (sandbox.url_of("a.db"), sandbox.url_of("c.db"));
    let run = sandbox.run_raw(
        &["-u", &a, "-u", &broken, "-u", &c, "-j", "2", "upgrade"],
        &[],
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    let table = &run.stdout;
    assert!(table.starts_with("TARGET"), "{table}");
    assert!(
        table.contains("3 targets: 2 ok, 1 failed, 0 skipped"),
        "{table}"
    );
    let broken_row = table
        .lines()
        .find(|l| l.contains("broken.db"))
        .expect("a row for the broken target");
    assert!(broken_row.contains("failed"), "{broken_row}");
    assert_eq!(history(&sandbox, "a.db"), versions());
    assert_eq!(history(&sandbox, "c.db"), versions());

    // Servers that refuse the connection (a closed loopback port) fail at once,
    // not after the 10 s connect timeout, with or without the relay, naming
    // the cause and not the password.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let d = sandbox.url_of("d.db");
    std::fs::write(
        sandbox.path().join("targets.txt"),
        format!(
            "{d}\npostgres://app:Fl33t-pw@127.0.0.1:{port}/db\n\
             mysql://app:Fl33t-pw@127.0.0.1:{port}/db\n"
        ),
    )
    .expect("write");
    for relay in ["on", "off"] {
        let started = std::time::Instant::now();
        let run = sandbox.run_raw(
            &["--targets", "targets.txt", "--json", "upgrade"],
            &[("DB_MIGRATE_NODELAY_RELAY", relay)],
        );
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(5),
            "{relay}: {took:?}"
        );
        let doc = report(&run, 1);
        assert_eq!(states(&doc), ["ok", "failed", "failed"], "{relay}: {doc}");
        for target in &doc["targets"].as_array().expect("targets")[1..] {
            let error = target["error"].as_str().unwrap_or_default();
            assert!(
                error.contains(&format!(
                    "connection refused: is the server running on 127.0.0.1:{port}"
                )),
                "{relay}: {error}"
            );
        }
        assert!(!run.stdout.contains("Fl33t-pw") && !run.stderr.contains("Fl33t-pw"));
    }
    assert_eq!(history(&sandbox, "d.db"), versions());
}

#[test]
fn fail_fast_starts_nothing_after_the_first_failure() {
    let sandbox = Sandbox::new();
    let broken = broken_file(&sandbox, "broken.db");
    let (a, c, d) = (
        sandbox.url_of("a.db"),
        sandbox.url_of("c.db"),
        sandbox.url_of("d.db"),
    );
    let args = [
        "-u", &a, "-u", &broken, "-u", &c, "-u", &d, "-j", "1", "--json",
    ];
    let mut with_flag = args.to_vec();
    with_flag.extend(["--fail-fast", "upgrade"]);
    let doc = report(&sandbox.run_raw(&with_flag, &[]), 1);
    assert_eq!(states(&doc), ["ok", "failed", "skipped", "skipped"]);
    assert_eq!(doc["counts"]["skipped"], 2);
    let skipped = &doc["targets"][2];
    assert_eq!(skipped["ok"], false);
    assert!(skipped["exit_code"].is_null());
    assert!(
        skipped["error"]
            .as_str()
            .is_some_and(|e| e.contains("--fail-fast"))
    );
    assert!(!has_file(&sandbox, "c.db") && !has_file(&sandbox, "d.db"));
    // Without it the others go on.
    let mut without = args.to_vec();
    without.push("upgrade");
    let doc = report(&sandbox.run_raw(&without, &[]), 1);
    assert_eq!(states(&doc), ["ok", "failed", "ok", "ok"]);
    assert_eq!(history(&sandbox, "d.db"), versions());
}

#[test]
fn a_failed_canary_stops_the_run_and_a_good_one_lets_it_go_on() {
    let sandbox = Sandbox::new();
    let broken = broken_file(&sandbox, "broken.db");
    let (a, c, d) = (
        sandbox.url_of("a.db"),
        sandbox.url_of("c.db"),
        sandbox.url_of("d.db"),
    );
    let doc = report(
        &sandbox.run_raw(
            &[
                "-u", &a, "-u", &broken, "-u", &c, "-u", &d, "--canary", "2", "--json", "upgrade",
            ],
            &[],
        ),
        1,
    );
    assert_eq!(states(&doc), ["ok", "failed", "skipped", "skipped"]);
    assert_eq!(doc["canary"], 2);
    assert!(
        doc["targets"][3]["error"]
            .as_str()
            .is_some_and(|e| e.contains("canary"))
    );
    assert!(!has_file(&sandbox, "c.db") && !has_file(&sandbox, "d.db"));
    let doc = report(
        &sandbox.run_raw(
            &[
                "-u", &a, "-u", &c, "-u", &d, "--canary", "1", "--json", "upgrade",
            ],
            &[],
        ),
        0,
    );
    assert_eq!(states(&doc), ["ok", "ok", "ok"]);
    assert_eq!(history(&sandbox, "d.db"), versions());
}

#[test]
fn status_check_verify_health_and_backup_run_on_several_databases() {
    let sandbox = Sandbox::new();
    let (a, b) = (sandbox.url_of("a.db"), sandbox.url_of("b.db"));
    sandbox.run_raw(&["-u", &a, "upgrade"], &[]).ok();
    // b has everything pending: status succeeds, health is degraded.
    let status = report(
        &sandbox.run_raw(&["-u", &a, "-u", &b, "--json", "status"], &[]),
        0,
    );
    assert_eq!(
        status["targets"][0]["result"]["pending"],
        serde_json::json!([])
    );
    assert_eq!(
        status["targets"][1]["result"]["pending"],
        serde_json::json!(versions())
    );
    let health = report(
        &sandbox.run_raw(&["-u", &a, "-u", &b, "--json", "health"], &[]),
        1,
    );
    assert_eq!(health["targets"][0]["ok"], true);
    assert_eq!(health["targets"][1]["ok"], false);
    assert_eq!(health["targets"][1]["exit_code"], 2);
    assert!(
        health["targets"][1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("degraded"))
    );
    sandbox.run_raw(&["-u", &b, "upgrade"], &[]).ok();
    for command in [
        ["check", "--fail-on-pending"].as_slice(),
        &["verify"],
        &["health"],
    ] {
        let mut args = vec!["-u", &a, "-u", &b, "--json"];
        args.extend_from_slice(command);
        let doc = report(&sandbox.run_raw(&args, &[]), 0);
        assert_eq!(states(&doc), ["ok", "ok"], "{command:?}");
    }
    std::fs::create_dir(sandbox.path().join("saved")).expect("mkdir");
    let backup = report(
        &sandbox.run_raw(
            &["-u", &a, "-u", &b, "--json", "backup", "-o", "saved"],
            &[],
        ),
        0,
    );
    let mut made: Vec<String> = backup["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["result"]["file"].as_str().expect("file").to_owned())
        .collect();
    made.dedup();
    assert_eq!(made.len(), 2, "one file per database: {made:?}");
    for file in &made {
        assert!(sandbox.path().join(file).is_file(), "{file}");
    }
    // Text: one table, one row per database.
    let text = sandbox.run_raw(&["-u", &a, "-u", &b, "status"], &[]);
    let out = text.ok();
    assert_eq!(
        out.lines().filter(|l| l.contains("0 pending")).count(),
        2,
        "{out}"
    );
}
