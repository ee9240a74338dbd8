//! `db-migrate verify` through the real binary, on a scratch database per test
//! on SQLite, PostgreSQL and MySQL/MariaDB.

mod check_support;
mod support;

use check_support::{Backend, Db, head, keys, problems, report};
use serde_json::json;
use support::versions;

on_every_backend!(
    a_clean_database_at_head_passes,
    an_edited_applied_migration_is_caught,
    a_hand_dropped_column_is_caught,
    pending_migrations_are_a_problem,
    an_unknown_applied_version_is_caught,
);

fn a_clean_database_at_head_passes(backend: Backend) {
    let Some(db) = Db::new(backend, "verify_clean") else {
        return;
    };
    db.upgrade();
    let value = report(&db.run(&["verify", "--json"]), 0);
    assert_eq!(
        keys(&value),
        [
            "drift",
            "edited",
            "ok",
            "out_of_order",
            "pending",
            "problems",
            "unfinished",
            "unknown"
        ]
    );
    assert_eq!(
        value,
        json!({
            "ok": true, "drift": [], "pending": [], "unknown": [], "edited": [],
            "unfinished": [], "out_of_order": [], "problems": [],
        })
    );
    let text = db.run(&["verify"]);
    assert_eq!(
        text.ok(),
        "ok: no problems found\ndrift: none\npending: none\n"
    );
}

fn an_edited_applied_migration_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "verify_edited") else {
        return;
    };
    db.upgrade();
    let fake = "f".repeat(64);
    db.sql(&format!(
        "UPDATE db_migrate_history SET checksum = '{fake}' WHERE version = '{}'",
        head()
    ));
    let value = report(&db.run(&["verify", "--json"]), 2);
    assert_eq!(value["ok"], json!(false));
    assert_eq!(value["edited"][0]["version"], json!(head()));
    assert_eq!(value["edited"][0]["recorded"], json!(fake));
    assert_eq!(value["edited"].as_array().map(Vec::len), Some(1));
    assert_eq!(value["drift"], json!([]));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&format!("{} was edited after it was applied", head()))
            && problems[0].contains("ffffffffffff was recorded"),
        "{problems:?}"
    );
}

fn a_hand_dropped_column_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "verify_dropped") else {
        return;
    };
    db.upgrade();
    db.sql("ALTER TABLE users DROP COLUMN bio");

    let value = report(&db.run(&["verify", "--json"]), 2);
    let drift = value["drift"].as_array().expect("drift");
    assert_eq!(drift.len(), 1, "{drift:#?}");
    assert_eq!(drift[0]["op"], json!("add_column"));
    assert_eq!(drift[0]["table"], json!("users"));
    assert_eq!(drift[0]["column"]["name"], json!("bio"));
    assert_eq!(drift[0]["column"]["nullable"], json!(true));
    assert_eq!(value["pending"], json!([]));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "the database's schema does not match the entities: 1 change(s) (+ column users.bio"
        ),
        "{problems:?}"
    );

    let text = db.run(&["verify"]);
    assert_eq!(text.code, Some(2), "{text:#?}");
    assert!(
        text.stdout.contains("drift (1):\n  + column users.bio"),
        "{text:#?}"
    );
}

fn pending_migrations_are_a_problem(backend: Backend) {
    let Some(db) = Db::new(backend, "verify_pending") else {
        return;
    };
    let value = report(&db.run(&["verify", "--json"]), 2);
    assert_eq!(value["pending"], json!(versions()));
    let problems = problems(&value);
    assert!(
        problems[0].starts_with(&format!(
            "the database is not at head: {} migration(s) pending: {}",
            versions().len(),
            versions().join(", ")
        )),
        "{problems:?}"
    );
    // An empty database differs from the entities too, and the problem says why.
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1].contains("pending migration(s) may account for some of it"),
        "{problems:?}"
    );
}

fn an_unknown_applied_version_is_caught(backend: Backend) {
    let Some(db) = Db::new(backend, "verify_unknown") else {
        return;
    };
    db.upgrade();
    db.sql(
        "INSERT INTO seaql_migrations (version, applied_at) \
         VALUES ('m20000101_000000_gone', 0)",
    );
    let value = report(&db.run(&["verify", "--json"]), 2);
    assert_eq!(value["unknown"], json!(["m20000101_000000_gone"]));
    let problems = problems(&value);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("the code does not have: m20000101_000000_gone"),
        "{problems:?}"
    );
}
