//! `status`, `history`, `upgrade` and `downgrade` through the real binary, on a
//! SQLite file per test.

mod support;

use serde_json::json;
use support::{Sandbox, is_utc_time, versions};

fn first() -> String {
    versions()
        .first()
        .cloned()
        .expect("the code has migrations")
}

fn head() -> String {
    versions().last().cloned().expect("the code has migrations")
}

/// `applied <v> (N ms)` or `rolled back <v> (N ms)` for each of `expected`.
#[track_caller]
fn assert_progress(stdout: &str, verb: &str, expected: &[String]) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected.len(), "stdout: {stdout}");
    for (line, version) in lines.iter().zip(expected) {
        let rest = line
            .strip_prefix(&format!("{verb} {version} ("))
            .unwrap_or_else(|| panic!("`{line}` is not `{verb} {version} (N ms)`"));
        let ms = rest
            .strip_suffix(" ms)")
            .unwrap_or_else(|| panic!("line: {line}"));
        assert!(ms.parse::<u64>().is_ok(), "line: {line}");
    }
}

#[test]
fn the_shipped_migrations_start_with_the_initial_schema() {
    assert!(first().ends_with("_initial_schema"), "{:?}", versions());
}

#[test]
fn status_and_history_on_a_fresh_database() {
    let s = Sandbox::new();
    let all = versions();

    let text = s.run(&["status"]).ok().to_owned();
    let mut expected = format!(
        "current: (none)\nhead:    {}\npending: {}\n",
        head(),
        all.len()
    );
    for v in &all {
        expected.push_str(&format!("  {v}\n"));
    }
    assert_eq!(text, expected);

    let status = s.run(&["status", "--json"]).json();
    assert_eq!(
        status,
        json!({"current": null, "head": head(), "pending": all, "unknown": [], "dirty": [], "data": []})
    );

    let history = s.run(&["history", "--json"]).json();
    let rows: Vec<_> = all
        .iter()
        .map(|v| json!({"version": v, "state": "pending", "applied_at": null}))
        .collect();
    assert_eq!(history, json!({ "migrations": rows }));

    let text = s.run(&["history"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), all.len(), "{text}");
    for (line, v) in lines.iter().zip(&all) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words, ["pending", "-", v.as_str()]);
    }

    // Reading does not create the history table.
    assert!(!s.tables().contains(&"seaql_migrations".to_owned()));
}

#[test]
fn upgrade_then_status_history_and_upgrade_again() {
    let s = Sandbox::new();
    let all = versions();

    let out = s.run(&["upgrade"]);
    assert_progress(out.ok(), "applied", &all);
    assert!(s.tables().contains(&"users".to_owned()));

    assert_eq!(
        s.run(&["status"]).ok(),
        format!(
            "current: {h}\nhead:    {h}\npending: none, the database is up to date\n",
            h = head()
        )
    );
    assert_eq!(
        s.run(&["status", "--json"]).json(),
        json!({"current": head(), "head": head(), "pending": [], "unknown": [], "dirty": [], "data": []})
    );

    let text = s.run(&["history"]).ok().to_owned();
    for (line, v) in text.lines().zip(&all) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 3, "{line}");
        assert_eq!(words[0], "applied", "{line}");
        assert!(is_utc_time(words[1]), "{line}");
        assert_eq!(words[2], v, "{line}");
    }
    let history = s.run(&["history", "--json"]).json();
    let rows = history["migrations"].as_array().expect("migrations");
    assert_eq!(rows.len(), all.len());
    for (row, v) in rows.iter().zip(&all) {
        assert_eq!(row["version"], json!(v));
        assert_eq!(row["state"], "applied");
        assert!(row["applied_at"].as_str().is_some_and(is_utc_time), "{row}");
    }

    assert_eq!(
        s.run(&["upgrade"]).ok(),
        "nothing to apply: the database is up to date\n"
    );
    assert_eq!(s.run(&["upgrade", "--json"]).json(), json!({"applied": []}));
}

#[test]
fn downgrade_defaults_to_one_step_and_takes_minus_n() {
    let s = Sandbox::new();
    s.run(&["upgrade"]).ok();

    let out = s.run(&["downgrade"]);
    assert_progress(out.ok(), "rolled back", &[head()]);
    let status = s.run(&["status", "--json"]).json();
    assert_eq!(status["pending"], json!([head()]));

    assert_progress(s.run(&["upgrade", "+1"]).ok(), "applied", &[head()]);
    assert_progress(s.run(&["downgrade", "-1"]).ok(), "rolled back", &[head()]);
    // `--json` reports what ran, with a duration in milliseconds.
    let applied = s.run(&["upgrade", "+1", "--json"]).json();
    let list = applied["applied"].as_array().expect("applied");
    assert_eq!(list.len(), 1, "{applied}");
    assert_eq!(list[0]["version"], json!(head()));
    assert!(list[0]["duration"].is_u64(), "{applied}");
    let rolled = s.run(&["downgrade", "-1", "--json"]).json();
    assert_eq!(rolled["rolled_back"][0]["version"], json!(head()));
}

#[test]
fn downgrade_base_and_upgrade_to_a_version_prefix() {
    let s = Sandbox::new();
    let all = versions();
    s.run(&["upgrade"]).ok();

    let mut newest_first = all.clone();
    newest_first.reverse();
    assert_progress(
        s.run(&["downgrade", "base"]).ok(),
        "rolled back",
        &newest_first,
    );
    assert!(!s.tables().contains(&"users".to_owned()));
    assert_eq!(s.run(&["downgrade"]).ok(), "nothing to roll back\n");
    assert_eq!(
        s.run(&["status", "--json"]).json()["current"],
        serde_json::Value::Null
    );

    // `mYYYYMMDD_HHMMSS` of the first migration: it alone is applied.
    let prefix = &first()[..16];
    assert_progress(s.run(&["upgrade", prefix]).ok(), "applied", &[first()]);
    let status = s.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(first()));
    assert_eq!(status["pending"], json!(all[1..].to_vec()));

    // The full name works too, and applying it again has nothing to do.
    let again = s.run(&["upgrade", &first()]).ok().to_owned();
    if all.len() == 1 {
        assert_eq!(again, "nothing to apply: the database is up to date\n");
    } else {
        assert!(again.starts_with("nothing to apply up to "), "{again}");
    }
}

#[test]
fn downgrade_to_a_version_keeps_that_version() {
    let s = Sandbox::new();
    let all = versions();
    s.run(&["upgrade"]).ok();
    let mut later: Vec<String> = all[1..].to_vec();
    later.reverse();
    let out = s.run(&["downgrade", &first()]);
    if later.is_empty() {
        assert_eq!(out.ok(), "nothing to roll back\n");
    } else {
        assert_progress(out.ok(), "rolled back", &later);
    }
    let status = s.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(first()));
}
