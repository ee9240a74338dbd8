//! `schema_diff::health::check` and `schema_diff::startup` on SQLite,
//! PostgreSQL and MariaDB: degraded with pending migrations, ok at head, error
//! on unknown or dirty migrations and on an unreachable database; the start-up
//! policies apply, fail and warn; waiting for a database.

mod health_support;

use std::time::{Duration, Instant};

use health_support::{exec, migrations, older_code, on_every_backend, unreachable, versions};
use schema_diff::health::{HealthStatus, check};
use schema_diff::runner::RunError;
use schema_diff::startup::{
    OnPending, StartupError, StartupOptions, migrate_on_startup, wait_for_database,
};

fn policy(on_pending: OnPending) -> StartupOptions {
    StartupOptions {
        on_pending,
        lock_timeout: Duration::from_secs(10),
    }
}

#[test]
fn health_follows_the_database_through_every_state() {
    on_every_backend("health_states", |s| {
        Box::pin(async move {
            let db = &s.db;
            let fresh = check(db, migrations()).await;
            assert_eq!(fresh.status, HealthStatus::Degraded, "{fresh:?}");
            assert_eq!(fresh.pending, versions());
            assert_eq!(fresh.current, None);
            assert_eq!(fresh.head.as_deref(), Some(versions()[1].as_str()));

            // fail refuses and changes nothing; warn reports and changes nothing.
            match migrate_on_startup(db, migrations(), policy(OnPending::Fail)).await {
                Err(StartupError::Pending(p)) => assert_eq!(p, versions()),
                other => panic!("expected Pending, got {other:?}"),
            }
            let warned = migrate_on_startup(db, migrations(), policy(OnPending::Warn))
                .await
                .expect("warn");
            assert_eq!(warned.pending, versions());
            assert!(warned.applied.is_empty() && warned.warnings.is_empty());
            assert_eq!(check(db, migrations()).await.status, HealthStatus::Degraded);

            let applied = migrate_on_startup(db, migrations(), policy(OnPending::Apply))
                .await
                .expect("apply");
            let names: Vec<String> = applied.applied.iter().map(|r| r.version.clone()).collect();
            assert_eq!(names, versions());
            let ok = check(db, migrations()).await;
            assert_eq!(ok.status, HealthStatus::Ok, "{ok:?}");
            assert_eq!(ok.current.as_deref(), Some(versions()[1].as_str()));
            assert!(ok.pending.is_empty() && ok.problems.is_empty());
            assert!(
                ok.last_applied_at
                    .as_deref()
                    .is_some_and(|t| t.ends_with('Z'))
            );
            // Apply again: nothing to do.
            let again = migrate_on_startup(db, migrations(), policy(OnPending::Apply))
                .await
                .expect("apply again");
            assert!(again.applied.is_empty());
            migrate_on_startup(db, migrations(), policy(OnPending::Fail))
                .await
                .expect("fail at head starts");

            // Code older than the database: a version it does not know.
            let older = check(db, older_code()).await;
            assert_eq!(older.status, HealthStatus::Error, "{older:?}");
            assert!(older.problems[0].contains(&versions()[1]), "{older:?}");

            // A migration left failed halfway.
            let last = &versions()[1];
            exec(
                s,
                &format!("DELETE FROM seaql_migrations WHERE version = '{last}'"),
            )
            .await;
            exec(
                s,
                &format!("UPDATE db_migrate_history SET state = 'failed' WHERE version = '{last}'"),
            )
            .await;
            let dirty = check(db, migrations()).await;
            assert_eq!(dirty.status, HealthStatus::Error, "{dirty:?}");
            assert_eq!(dirty.pending, std::slice::from_ref(last));
            assert!(dirty.problems[0].starts_with(&format!("migration {last} failed")));
            for on_pending in [OnPending::Apply, OnPending::Fail] {
                match migrate_on_startup(db, migrations(), policy(on_pending)).await {
                    Err(StartupError::Run(RunError::Dirty(m))) => {
                        assert!(m[0].contains(last.as_str()), "{m:?}")
                    }
                    other => panic!("expected Dirty for {on_pending:?}, got {other:?}"),
                }
            }
            let warned = migrate_on_startup(db, migrations(), policy(OnPending::Warn))
                .await
                .expect("warn starts anyway");
            assert_eq!(warned.warnings.len(), 1, "{warned:?}");
        })
    });
}

#[test]
fn an_unreachable_database_is_an_error_report() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let db = unreachable().await;
        let started = Instant::now();
        let report = check(&db, migrations()).await;
        assert!(started.elapsed() < Duration::from_secs(6));
        assert_eq!(report.status, HealthStatus::Error, "{report:?}");
        assert_eq!(report.head.as_deref(), Some(versions()[1].as_str()));
        assert_eq!(report.problems.len(), 1);
        assert!(!report.problems[0].contains("NeverShown"), "{report:?}");
    });
}

#[test]
fn waiting_returns_when_the_database_answers_and_times_out_otherwise() {
    on_every_backend("health_wait", |s| {
        Box::pin(async move {
            let attempts = wait_for_database(&s.url, Duration::from_secs(10))
                .await
                .expect("ready");
            assert_eq!(attempts, 1);
        })
    });
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let started = Instant::now();
        let url = "mysql://root:W4itPass@127.0.0.1:1/x";
        match wait_for_database(url, Duration::from_secs(1)).await {
            Err(e @ StartupError::Unreachable { .. }) => {
                let text = e.to_string();
                assert!(
                    text.starts_with("the database at 127.0.0.1:1 did not accept"),
                    "{text}"
                );
                assert!(!text.contains("W4itPass"), "{text}");
                // The cause, said as every command says it.
                assert!(
                    text.contains("connection refused: is the server running on 127.0.0.1:1,"),
                    "{text}"
                );
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
        // Refusals are retried until the timeout: that is the wait's job.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(800), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    });
}
