//! `db-migrate check` through the real binary, on a scratch database per test on
//! SQLite, PostgreSQL and MySQL/MariaDB.

mod check_support;
mod support;

use check_support::{Backend, Db, head, keys, logged_scratch_databases, problems, report};
use serde_json::json;
use support::versions;

on_every_backend!(
    a_clean_database_at_head_passes,
    an_edited_applied_migration_is_caught,
    pending_migrations_fail_only_with_the_flag,
    an_unknown_applied_version_is_caught,
    hazards_fail_only_at_or_above_deny,
    a_hand_dropped_column_is_not_checks_business,
    an_unfinished_migration_is_caught,
);

const KEYS: [&str; 9] = [
    "drift",
    "edited",
    "hazards",
    "ok",
    "out_of_order",
    "pending",
    "problems",
    "unfinished",
    "unknown",
];

fn a_clean_database_at_head_passes(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_clean") else {
        return;
    };
    db.upgrade();

    let run = db.run(&["-v", "check", "--json", "--fail-on-pending"]);
    let value = report(&run, 0);
    assert_eq!(keys(&value), KEYS);
    assert_eq!(
        value,
        json!({
            "ok": true, "drift": [], "pending": [], "unknown": [], "edited": [],
            "unfinished": [], "out_of_order": [], "hazards": [], "problems": [],
        })
    );

    // The replay's scratch database was created on the same server and dropped.
    let (created, dropped) = logged_scratch_databases(&run.stderr);
    if backend == Backend::Sqlite {
        assert_eq!(created, Vec::<String>::new(), "SQLite replays in memory");
    } else {
        assert_eq!(created.len(), 1, "stderr: {}", run.stderr);
        assert!(created[0].starts_with("dbm_check_"), "{created:?}");
        assert_eq!(dropped, created);
        assert!(!db.database_exists(&created[0]), "{} remains", created[0]);
    }

    let text = db.run(&["check"]);
    assert_eq!(
        text.ok(),
        "ok: no problems found\ndrift: none\npending: none\nhazards: none\n"
    );
}

fn an_edited_applied_migration_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_edited") else {
        return;
    };
    db.upgrade();
    let fake = "0".repeat(64);
    db.sql(&format!(
        "UPDATE db_migrate_history SET checksum = '{fake}' WHERE version = '{}'",
        head()
    ));

    let value = report(&db.run(&["check", "--json"]), 2);
    assert_eq!(value["ok"], json!(false));
    let edited = value["edited"].as_array().expect("edited");
    assert_eq!(edited.len(), 1, "{value:#}");
    assert_eq!(edited[0]["version"], json!(head()));
    assert_eq!(edited[0]["recorded"], json!(fake));
    let current = edited[0]["current"].as_str().expect("current");
    assert_eq!(current.len(), 64);
    assert_ne!(current, fake);
    assert_eq!(value["drift"], json!([]));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&format!("{} was edited after it was applied", head())),
        "{problems:?}"
    );

    let text = db.run(&["check"]);
    assert_eq!(text.code, Some(2), "{text:#?}");
    assert!(
        text.stdout.starts_with("1 problem(s):\n  - migration "),
        "{text:#?}"
    );
}

fn pending_migrations_fail_only_with_the_flag(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_pending") else {
        return;
    };
    let value = report(&db.run(&["check", "--json"]), 0);
    assert_eq!(value["ok"], json!(true));
    assert_eq!(value["pending"], json!(versions()));
    assert_eq!(value["drift"], json!([]));

    let value = report(&db.run(&["check", "--json", "--fail-on-pending"]), 2);
    assert_eq!(value["ok"], json!(false));
    assert_eq!(value["pending"], json!(versions()));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!(
            "{} migration(s) pending on the database: {}",
            versions().len(),
            versions().join(", ")
        )),
        "{problems:?}"
    );
}

fn an_unknown_applied_version_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_unknown") else {
        return;
    };
    db.upgrade();
    db.sql(
        "INSERT INTO seaql_migrations (version, applied_at) \
         VALUES ('m20000101_000000_gone', 0)",
    );
    let value = report(&db.run(&["check", "--json"]), 2);
    assert_eq!(value["unknown"], json!(["m20000101_000000_gone"]));
    assert_eq!(value["pending"], json!([]));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("the code does not have: m20000101_000000_gone"),
        "{problems:?}"
    );
}

fn hazards_fail_only_at_or_above_deny(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_deny") else {
        return;
    };
    db.upgrade();
    // A column the entities do not have: reaching them drops it (DL002, danger).
    db.sql("ALTER TABLE tags ADD COLUMN legacy_note TEXT");

    let value = report(&db.run(&["check", "--json"]), 0);
    let hazards = value["hazards"].as_array().expect("hazards");
    let dl002: Vec<_> = hazards.iter().filter(|h| h["code"] == "DL002").collect();
    assert_eq!(dl002.len(), 1, "{hazards:#?}");
    assert_eq!(dl002[0]["severity"], json!("danger"));
    assert_eq!(dl002[0]["source"], json!("target"));
    assert_eq!(dl002[0]["table"], json!("tags"));
    assert!(
        dl002[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("tags.legacy_note")),
        "{hazards:#?}"
    );

    for deny in ["danger", "warning", "info"] {
        let value = report(&db.run(&["check", "--json", "--deny", deny]), 2);
        let problems = problems(&value);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("hazard denied (--deny {deny}): DL002 danger"))),
            "{problems:?}"
        );
    }
}

fn a_hand_dropped_column_is_not_checks_business(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_dropped") else {
        return;
    };
    db.upgrade();
    db.sql("ALTER TABLE users DROP COLUMN bio");
    // `check` compares the migrations with the entities; `verify` sees this.
    let value = report(&db.run(&["check", "--json", "--deny", "warning"]), 0);
    assert_eq!(value["drift"], json!([]));
    assert_eq!(value["problems"], json!([]));
}

fn an_unfinished_migration_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "gate_unfinished") else {
        return;
    };
    db.upgrade();
    db.sql(&format!(
        "UPDATE db_migrate_history SET state = 'failed', error = 'boom' WHERE version = '{}'",
        head()
    ));
    let value = report(&db.run(&["check", "--json"]), 2);
    let unfinished = value["unfinished"].as_array().expect("unfinished");
    assert_eq!(unfinished.len(), 1, "{value:#}");
    assert_eq!(unfinished[0]["version"], json!(head()));
    assert_eq!(unfinished[0]["state"], json!("failed"));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("migration {} failed at ", head()))
            && problems[0].contains("(error: boom)"),
        "{problems:?}"
    );
    assert_eq!(unfinished[0]["message"], json!(problems[0]));
}

#[test]
fn a_bad_severity_is_a_usage_error() {
    let s = support::Sandbox::new();
    let run = s.run(&["check", "--deny", "fatal"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("unknown severity `fatal`: expected info, warning or danger"),
        "{run:#?}"
    );
}

#[test]
fn a_bad_url_is_an_error() {
    let s = support::Sandbox::new();
    let run = s.run_raw(&["-u", "oracle://scott:tiger@db/x", "check"], &[]);
    let line = run.error(&["unsupported database URL scheme `oracle`"]);
    assert!(!line.contains("tiger"), "{line}");
}
