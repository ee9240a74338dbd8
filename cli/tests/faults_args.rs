//! Bad numbers and empty targets are refused when the command line is parsed:
//! a clear message, a non-zero exit, never a panic, and nothing touched.

mod support;

use support::{Run, Sandbox, versions};

const HUGE: &str = "18446744073709551615";

#[track_caller]
fn refused(run: &Run, needles: &[&str]) {
    assert_ne!(run.code, Some(0), "expected a refusal: {run:#?}");
    assert!(run.code.is_some(), "killed by a signal: {run:#?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("panicked"), "panic: {run:#?}");
    assert!(!all.contains("overflow"), "overflow: {run:#?}");
    for needle in needles {
        assert!(run.stderr.contains(needle), "`{needle}` not in {run:#?}");
    }
}

#[test]
fn huge_durations_and_counts_are_refused() {
    let s = Sandbox::new();
    let cases: &[&[&str]] = &[
        &["wait", "--timeout", HUGE],
        &["wait", "--timeout", "604801"],
        &["health", "--timeout", HUGE],
        &["start", "--timeout", HUGE, "--", "true"],
        &["start", "--lock-timeout", HUGE, "--", "true"],
        &["upgrade", "--lock-timeout", HUGE],
        &["downgrade", "--lock-timeout", HUGE],
        &["stamp", "head", "--lock-timeout", HUGE],
        &["resolve", "m1", "--applied", "--lock-timeout", HUGE],
    ];
    for args in cases {
        let run = s.run(args);
        refused(&run, &["is not in 0..=604800"]);
    }
    for keep in [HUGE, "0"] {
        let run = s.run(&["backup", "--keep", keep]);
        refused(&run, &["--keep"]);
    }
    for steps in ["+18446744073709551616", "+0"] {
        let run = s.run(&["upgrade", steps]);
        refused(&run, &["expected a positive number of steps"]);
    }
    // Nothing ran: no database file was created.
    assert_eq!(support::files(s.path()), Vec::<String>::new());
}

#[test]
fn the_longest_accepted_wait_does_not_overflow() {
    let s = Sandbox::new();
    s.run(&["wait", "--timeout", "604800"]).ok();
}

#[test]
fn empty_targets_are_refused() {
    let s = Sandbox::new();
    s.run(&["upgrade"]).ok();
    let cases: &[&[&str]] = &[
        &["upgrade", ""],
        &["downgrade", ""],
        &["downgrade", " "],
        &["stamp", ""],
        &["resolve", "", "--rolled-back"],
        &["resolve", "", "--applied"],
        &["sql", "", "--backend", "sqlite"],
    ];
    for args in cases {
        let run = s.run(args);
        refused(&run, &["a target cannot be empty"]);
    }
    // Every migration is still recorded as applied.
    let applied = s.strings_on(
        "app.db",
        "SELECT version FROM seaql_migrations ORDER BY version",
    );
    assert_eq!(applied, versions());
}
