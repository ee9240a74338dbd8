//! Every failure is one `error: ...` line on stderr, exit 1, no panic, and never
//! a password.

mod support;

use serde_json::json;
use support::{Run, Sandbox, versions};

const PASSWORD: &str = "s3cretpw";

#[track_caller]
fn assert_no_password(run: &Run) {
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "password printed: {run:#?}"
    );
}

#[test]
fn malformed_urls() {
    let s = Sandbox::new();
    let cases: &[(&str, &[&str])] = &[
        (
            "not a url",
            &["malformed database URL `not a url`", "sqlite://FILE"],
        ),
        (
            "postgres://",
            &["malformed database URL `postgres://`", "host"],
        ),
        (
            "ftp://x",
            &[
                "unsupported database URL scheme `ftp`",
                "sqlite, postgres or mysql",
            ],
        ),
        ("sqlite://", &["no SQLite file named"]),
    ];
    for (url, needles) in cases {
        for extra in [&[][..], &["--json"][..]] {
            let mut args = vec!["-u", url, "status"];
            args.extend_from_slice(extra);
            s.run_raw(&args, &[]).error(needles);
        }
    }
    assert_eq!(support::files(s.path()), Vec::<String>::new());
}

#[test]
fn a_missing_sqlite_directory_is_named() {
    let s = Sandbox::new();
    for cmd in ["status", "upgrade"] {
        s.run_raw(&["-u", "sqlite:///no/such/dir/app.db", cmd], &[])
            .error(&[
                "`/no/such/dir/app.db` cannot be created",
                "directory `/no/such/dir` does not exist",
            ]);
    }
}

#[test]
fn unknown_and_wrong_direction_targets() {
    let s = Sandbox::new();
    let head = versions().last().cloned().expect("migrations");
    s.run(&["upgrade", "m2099"])
        .error(&["unknown migration `m2099`", &head, "db-migrate history"]);
    s.run(&["upgrade"]).ok();
    s.run(&["downgrade", "nosuch"])
        .error(&["unknown migration `nosuch`"]);
    s.run(&["upgrade", "-1"])
        .error(&["invalid target `-1`", "use `downgrade`"]);
    s.run(&["downgrade", "+1"])
        .error(&["invalid target `+1`", "use `upgrade`"]);
    s.run(&["upgrade", "+0"])
        .error(&["invalid target `+0`", "positive number"]);
    s.run(&["downgrade", "-x"])
        .error(&["invalid target `-x`", "positive number"]);
    // None of these changed anything.
    let status = s.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(head));
}

#[test]
fn an_ambiguous_prefix_lists_the_matches() {
    let all = versions();
    // Every migration starts with `m`; with one migration the prefix is unique.
    let s = Sandbox::new();
    if all.len() < 2 {
        s.run(&["upgrade", "m"]).ok();
        return;
    }
    let mut needles = vec!["`m` matches several migrations"];
    needles.extend(all.iter().map(String::as_str));
    s.run(&["upgrade", "m"]).error(&needles);
}

#[test]
fn a_history_row_the_code_does_not_have() {
    let s = Sandbox::new();
    s.run(&["upgrade"]).ok();
    s.sql(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20000101_000000_ghost', 0)",
    );
    let head = versions().last().cloned().expect("migrations");

    let status = s.run(&["status", "--json"]).json();
    assert_eq!(
        status,
        json!({"current": head, "head": head, "pending": [], "unknown": ["m20000101_000000_ghost"], "dirty": [], "data": []})
    );
    let text = s.run(&["status"]).ok().to_owned();
    assert!(
        text.ends_with("applied but not in the code (1):\n  m20000101_000000_ghost\n"),
        "{text}"
    );
    let history = s.run(&["history", "--json"]).json();
    let rows = history["migrations"].as_array().expect("rows");
    assert_eq!(
        rows.last(),
        Some(&json!({"version": "m20000101_000000_ghost", "state": "unknown", "applied_at": null}))
    );

    for args in [
        &["upgrade"][..],
        &["downgrade"][..],
        &["downgrade", "base"][..],
    ] {
        s.run(args).error(&[
            "history names migrations this code does not have",
            "m20000101_000000_ghost",
        ]);
    }
    let dir = s.migration_dir();
    s.run(&["auto", "x", "--migration-dir", &dir.display().to_string()])
        .error(&["m20000101_000000_ghost"]);
    // Nothing was rolled back.
    assert_eq!(s.run(&["status", "--json"]).json()["current"], json!(head));
}

#[test]
fn malformed_urls_with_a_password_do_not_print_it() {
    let s = Sandbox::new();
    for url in [
        format!("postgres://app:{PASSWORD}@host:notaport/db"),
        format!("postgres://app:{PASSWORD}@/db"),
        format!("mysql://app:{PASSWORD}@"),
    ] {
        for verbose in ["-v", "-vv"] {
            let run = s.run_raw(&["-u", &url, verbose, "status"], &[]);
            assert_no_password(&run);
            let line = run.stderr.lines().last().unwrap_or_default();
            assert!(
                line.starts_with("error: malformed database URL"),
                "{run:#?}"
            );
            assert!(line.contains("app:***@"), "{run:#?}");
            assert_eq!(run.code, Some(1));
        }
    }
    // Built from POSTGRES_* variables, with a host the URL parser rejects.
    let run = s.run_raw(
        &["status"],
        &[
            ("POSTGRES_SERVER", "bad host"),
            ("POSTGRES_PASSWORD", PASSWORD),
        ],
    );
    assert_no_password(&run);
    run.error(&["malformed database URL", "postgres:***@"]);
}

fn unreachable_postgres(verbose: Option<&str>) {
    let s = Sandbox::new();
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:1/db");
    let mut args = vec!["-u", url.as_str(), "status"];
    args.extend(verbose);
    let run = s.run_raw(&args, &[]);
    assert_no_password(&run);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot connect to `postgres://app:***@127.0.0.1:1/db`: "),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    if verbose.is_none() {
        run.error(&["is the server running"]);
    } else {
        // The logs name the URL, redacted, and where it came from.
        assert!(
            run.stderr.contains("url=postgres://app:***@127.0.0.1:1/db"),
            "{run:#?}"
        );
    }
}

#[test]
fn unreachable_postgres_hides_the_password() {
    unreachable_postgres(None);
}

#[test]
fn unreachable_postgres_hides_the_password_in_debug_logs() {
    unreachable_postgres(Some("-vv"));
}

#[test]
fn unreachable_postgres_from_variables_hides_the_password() {
    let s = Sandbox::new();
    let run = s.run_raw(
        &["-vv", "history"],
        &[
            ("POSTGRES_SERVER", "127.0.0.1"),
            ("POSTGRES_PORT", "1"),
            ("POSTGRES_USER", "app"),
            ("POSTGRES_PASSWORD", PASSWORD),
        ],
    );
    assert_no_password(&run);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("error: cannot connect to `postgres://app:***@127.0.0.1:1/app`"),
        "{run:#?}"
    );
}
