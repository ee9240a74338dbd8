//! `db-migrate health` through the real binary on SQLite, PostgreSQL and
//! MariaDB: degraded (exit 2) with pending migrations, ok (0) at head, error
//! (1) with a dirty or unknown migration or an unreachable database.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{exec, on_every_backend};
use serde_json::{Value, json};
use support::{Run, Sandbox, versions};

fn health(sandbox: &Sandbox, url: &str, json: bool) -> Run {
    let mut args = vec!["-u", url, "health"];
    if json {
        args.push("--json");
    }
    sandbox.run_raw(&args, &[])
}

#[track_caller]
fn report(run: &Run, code: i32) -> Value {
    assert_eq!(run.code, Some(code), "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    serde_json::from_str(&run.stdout).expect("one JSON document")
}

fn head() -> String {
    versions().last().cloned().expect("migrations")
}

#[test]
fn health_is_degraded_then_ok_then_error() {
    on_every_backend("ops_health", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();

        let degraded = report(&health(&sandbox, url, true), 2);
        assert_eq!(degraded["status"], "degraded");
        assert_eq!(degraded["current"], Value::Null);
        assert_eq!(degraded["head"], head());
        assert_eq!(degraded["pending"], json!(versions()));
        assert_eq!(degraded["last_applied_at"], Value::Null);
        let text = health(&sandbox, url, false);
        assert_eq!(text.code, Some(2));
        assert!(text.stdout.starts_with("status:  degraded\n"), "{text:#?}");

        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        let ok = report(&health(&sandbox, url, true), 0);
        assert_eq!(ok["status"], "ok");
        assert_eq!(ok["current"], head());
        assert_eq!(ok["pending"], json!([]));
        assert_eq!(ok["problems"], json!([]));
        assert!(
            ok["last_applied_at"]
                .as_str()
                .is_some_and(support::is_utc_time),
            "{ok}"
        );
        let text = health(&sandbox, url, false);
        assert!(text.ok().starts_with("status:  ok\n"), "{text:#?}");

        // Applied versions the code does not have.
        exec(
            rt,
            scratch,
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000000_future', 0)",
        );
        let unknown = report(&health(&sandbox, url, true), 1);
        assert_eq!(unknown["status"], "error");
        assert!(
            unknown["problems"][0]
                .as_str()
                .is_some_and(|p| p.contains("m29990101_000000_future")),
            "{unknown}"
        );
        exec(
            rt,
            scratch,
            "DELETE FROM seaql_migrations WHERE version = 'm29990101_000000_future'",
        );

        // A migration left failed (as MySQL leaves one).
        let head = head();
        exec(
            rt,
            scratch,
            &format!("DELETE FROM seaql_migrations WHERE version = '{head}'"),
        );
        exec(
            rt,
            scratch,
            &format!(
                "UPDATE db_migrate_history SET state = 'failed', error = 'boom' \
                 WHERE version = '{head}'"
            ),
        );
        let dirty = report(&health(&sandbox, url, true), 1);
        assert_eq!(dirty["status"], "error");
        let problem = dirty["problems"][0].as_str().unwrap_or_default();
        assert!(
            problem.starts_with(&format!("migration {head} failed")),
            "{dirty}"
        );
        assert!(problem.contains("db-migrate resolve"), "{dirty}");
        assert_eq!(dirty["error"], "migration_failed", "{dirty}");
    });
}

#[test]
fn an_unreachable_database_is_an_error_without_the_password() {
    let sandbox = Sandbox::new();
    let url = "postgres://app:H3althS3cret@127.0.0.1:1/app";
    let run = sandbox.run_raw(&["-u", url, "health", "--json", "--timeout", "2"], &[]);
    let doc = report(&run, 1);
    assert_eq!(doc["status"], "error");
    // The refusal is told at once, not as a timeout.
    assert_eq!(doc["error"], "unreachable", "{doc}");
    assert_eq!(doc["head"], head());
    let problem = doc["problems"][0].as_str().unwrap_or_default();
    assert!(problem.contains("127.0.0.1:1"), "{doc}");
    assert!(!run.stdout.contains("H3althS3cret"), "{run:#?}");
    let text = sandbox.run_raw(&["-u", url, "health", "--timeout", "2"], &[]);
    assert_eq!(text.code, Some(1));
    assert!(text.stdout.starts_with("status:  error\n"), "{text:#?}");
    assert!(!text.stdout.contains("H3althS3cret"), "{text:#?}");
    // A malformed URL is bad input: one error line.
    sandbox
        .run_raw(&["-u", "ftp://x/y", "health"], &[])
        .error(&["unsupported database URL scheme"]);
}
