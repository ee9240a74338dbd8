//! One operation at a time through the admin API, on SQLite, PostgreSQL and
//! MariaDB: while an API upgrade waits for the migration lock (held as a CLI run
//! holds it), a second operation gets 409; the waiting one fails with
//! `migration_locked`; the audit log records the refusals. An API backup waits
//! for the same lock.

mod admin_support;
// `admin_support` names the scratch database `crate::backend::Scratch`.
use tests::backend;

use std::time::{Duration, Instant};

use admin_support::{OPERATOR, VIEWER, error_code, start, versions};
use backend::{Backend, Scratch};
use serde_json::json;
use tests::migration_lock::HeldLock;

/// While an API upgrade waits for the migration lock a CLI run holds, a second
/// operation gets 409 `operation_in_progress`; the waiting one ends with
/// `migration_locked`; once the lock is free an upgrade runs.
async fn one_operation_at_a_time(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "admin_busy").await else {
        return;
    };
    let server = start(&scratch, 1000, 3).await;
    let holder = HeldLock::take(&scratch).await;
    let started = server
        .post("/api/upgrade", OPERATOR, json!({ "wait": false }))
        .await;
    assert_eq!(started.status, 202, "{}", started.json);
    let id = started.json["operation_id"].as_str().unwrap().to_owned();
    let status = server.get("/api/status", VIEWER).await;
    assert_eq!(status["operation"]["id"], json!(id), "{status}");
    assert_eq!(status["operation"]["kind"], "upgrade");
    for (path, body) in [("/api/upgrade", json!({})), ("/api/backup", json!({}))] {
        let second = server.post(path, OPERATOR, body).await;
        assert_eq!(second.status, 409, "{path}: {}", second.json);
        assert_eq!(error_code(&second), "operation_in_progress");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let operation = loop {
        let operation = server.get(&format!("/api/operations/{id}"), VIEWER).await;
        if operation["state"] != "running" {
            break operation;
        }
        assert!(Instant::now() < deadline, "still running: {operation}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(operation["state"], "failed", "{operation}");
    assert_eq!(operation["error"]["code"], "migration_locked");
    holder.release().await;
    let upgrade = server.post("/api/upgrade", OPERATOR, json!({})).await;
    assert_eq!(upgrade.status, 200, "{}", upgrade.json);
    assert_eq!(upgrade.json["applied"], json!(versions()));
    let audit = server.get("/api/audit?limit=100", VIEWER).await;
    let results: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["result"].as_str())
        .collect();
    assert_eq!(results.first(), Some(&"ok"), "{audit}");
    if backend != Backend::Sqlite {
        // On SQLite the refusals' entries wait for the same write lock and can
        // be lost (logged) while another process holds it.
        assert_eq!(
            results.iter().filter(|r| **r == "conflict").count(),
            3,
            "{audit}"
        );
    }
    server.assert_no_secrets();
    scratch.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_at_a_time_sqlite() {
    one_operation_at_a_time(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_at_a_time_postgres() {
    one_operation_at_a_time(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_at_a_time_mysql() {
    one_operation_at_a_time(Backend::MySql).await;
}

/// An API backup takes the migration lock: while a CLI run holds it, the backup
/// answers 409 `migration_locked` after the lock timeout; once it is free the
/// backup is taken.
async fn backup_waits_for_the_lock(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "admin_backup_held").await else {
        return;
    };
    let server = start(&scratch, 1000, 1).await;
    let holder = HeldLock::take(&scratch).await;
    let started = Instant::now();
    let refused = server.post("/api/backup", OPERATOR, json!({})).await;
    let waited = started.elapsed();
    assert_eq!(refused.status, 409, "{}", refused.json);
    assert_eq!(error_code(&refused), "migration_locked");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    let listed = server.get("/api/backups", VIEWER).await;
    assert_eq!(listed["backups"], json!([]), "{listed}");
    holder.release().await;
    let taken = server.post("/api/backup", OPERATOR, json!({})).await;
    assert_eq!(taken.status, 200, "{}", taken.json);
    assert!(
        taken.json["manifest"]["sha256"].is_string(),
        "{}",
        taken.json
    );
    server.assert_no_secrets();
    scratch.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_waits_for_the_lock_sqlite() {
    backup_waits_for_the_lock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_waits_for_the_lock_postgres() {
    backup_waits_for_the_lock(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_waits_for_the_lock_mysql() {
    backup_waits_for_the_lock(Backend::MySql).await;
}
