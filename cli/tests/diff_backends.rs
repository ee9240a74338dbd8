//! `db-migrate diff` on every backend: entities against the database, and two
//! databases of the same backend against each other.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, exec, on_every_backend, quoted};
use serde_json::Value;
use support::{Run, Sandbox};

const TABLES: [&str; 6] = [
    "api_keys",
    "document_tags",
    "documents",
    "tags",
    "user_preferences",
    "users",
];

fn diff(sandbox: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["-u", url, "diff"];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

/// Asserts exit 2 (the schemas differ), no panic and nothing on stderr; returns stdout.
#[track_caller]
fn differs(run: &Run) -> &str {
    assert_eq!(run.code, Some(2), "expected exit 2: {run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    assert!(!run.stdout.contains("panicked"), "{run:#?}");
    &run.stdout
}

/// The JSON document of a run that exited 2.
#[track_caller]
fn differs_json(run: &Run) -> Value {
    serde_json::from_str(differs(run)).expect("one JSON document")
}

fn ops(json: &Value) -> Vec<String> {
    json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["op"].as_str().expect("op").to_owned())
        .collect()
}

fn count(items: &[String], wanted: &str) -> usize {
    items.iter().filter(|i| *i == wanted).count()
}

fn codes(json: &Value) -> Vec<String> {
    json["hazards"]
        .as_array()
        .expect("hazards")
        .iter()
        .map(|h| h["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn an_empty_database_lacks_every_table_and_one_at_head_matches() {
    on_every_backend("diff_entities", |_rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();

        let run = diff(&sandbox, url, &[]);
        let out = differs(&run);
        assert!(out.starts_with("--- "), "{out}");
        assert!(out.contains("\n+++ entities\n"), "{out}");
        assert!(!out.contains('\x1b'), "no colours off a terminal: {out:?}");
        let create_users = format!("+CREATE TABLE {} (\n", quoted(scratch.backend, "users"));
        assert!(out.contains(&create_users), "{out}");
        assert!(out.contains("\n  + table users\n"), "{out}");

        let json = differs_json(&diff(&sandbox, url, &["--json"]));
        assert_eq!(json["equal"], false);
        let ops = ops(&json);
        assert_eq!(count(&ops, "create_table"), 6, "{json}");
        // The enum types too, as generated migrations create them for every backend.
        assert_eq!(count(&ops, "create_enum"), 2, "{json}");
        assert_eq!(ops.len(), 8, "{json}");
        assert_eq!(json["summary"].as_array().map(Vec::len), Some(8));
        assert!(out.contains("\n8 change(s):\n"), "{out}");

        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        let run = diff(&sandbox, url, &[]);
        assert_eq!(
            run.ok(),
            format!("No changes: {url} matches entities\n"),
            "a database at head renders exactly as the entities"
        );
        let json = diff(&sandbox, url, &["--json"]).json();
        assert_eq!(json["equal"], true);
        assert_eq!(json["changes"], serde_json::json!([]));
        assert_eq!(json["hazards"], serde_json::json!([]));
        assert_eq!(json["diff"], "");
    });
}

#[test]
fn a_renamed_column_shows_as_a_line_pair_with_its_hazards() {
    on_every_backend("diff_column", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        exec(rt, scratch, "ALTER TABLE users RENAME COLUMN bio TO about");

        let run = diff(&sandbox, url, &[]);
        let out = differs(&run);
        let q = |name: &str| quoted(scratch.backend, name);
        assert!(
            out.contains(&format!("\n-  {} text NULL,\n", q("about"))),
            "{out}"
        );
        assert!(
            out.contains(&format!("\n+  {} text NULL,\n", q("bio"))),
            "{out}"
        );
        assert!(out.contains("@@ "), "{out}");
        assert!(
            out.contains("DL002 danger: dropping column users.about"),
            "{out}"
        );
        assert!(out.contains("RN001 warning: "), "{out}");

        let json = differs_json(&diff(&sandbox, url, &["--json"]));
        assert_eq!(json["equal"], false);
        let codes = codes(&json);
        assert!(codes.contains(&"DL002".to_owned()), "{json}");
        assert!(codes.contains(&"RN001".to_owned()), "{json}");
        let text = json["diff"].as_str().expect("diff text");
        assert!(
            text.contains(&format!("+  {} text NULL,", q("bio"))),
            "{text}"
        );
    });
}

#[test]
fn two_databases_of_one_backend_compare_with_the_second_as_the_goal() {
    on_every_backend("diff_pair", |rt, scratch| {
        let sandbox = Sandbox::new();
        let at_head = scratch.url.as_str();
        sandbox.run_raw(&["-u", at_head, "upgrade"], &[]).ok();
        let Some(other) = rt.block_on(Scratch::new(scratch.backend, "diff_pair_b")) else {
            return;
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let empty = other.url.as_str();
            // The configured database (-u) is ignored when --from is given.
            let unused = "sqlite::memory:";
            let run = diff(
                &sandbox,
                unused,
                &["--from", at_head, "--to", empty, "--json"],
            );
            let json = differs_json(&run);
            let ops = ops(&json);
            assert_eq!(count(&ops, "drop_table"), 6, "{json}");
            // Named enum types exist on PostgreSQL only.
            let enums = if scratch.backend == Backend::Postgres {
                2
            } else {
                0
            };
            assert_eq!(count(&ops, "drop_enum"), enums, "{json}");
            assert_eq!(ops.len(), 6 + enums, "{json}");
            assert_eq!(codes(&json), vec!["DL001"; 6], "{json}");

            let run = diff(&sandbox, at_head, &["--to", empty]);
            let out = differs(&run);
            let drop_users = format!("\n-CREATE TABLE {} (\n", quoted(scratch.backend, "users"));
            assert!(out.contains(&drop_users), "{out}");
            for table in TABLES {
                assert!(out.contains(&format!("\n  - table {table}\n")), "{out}");
            }

            sandbox.run_raw(&["-u", empty, "upgrade"], &[]).ok();
            let run = diff(
                &sandbox,
                unused,
                &["--from", empty, "--to", at_head, "--json"],
            );
            let json = run.json();
            assert_eq!(json["equal"], true, "{json}");
            assert_eq!(json["diff"], "");
            assert_eq!(json["changes"], serde_json::json!([]));
        }));
        rt.block_on(other.cleanup());
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}

#[test]
fn unusable_urls_are_one_line_errors_without_the_password() {
    let sandbox = Sandbox::new();
    let line = sandbox
        .run(&["diff", "--to", "postgres://app:s3cret@/db"])
        .error(&["malformed database URL", "app:***@"])
        .to_owned();
    assert!(!line.contains("s3cret"), "{line}");
    sandbox
        .run(&["diff", "--from", "oracle://x"])
        .error(&["unsupported database URL scheme `oracle`"]);
}
