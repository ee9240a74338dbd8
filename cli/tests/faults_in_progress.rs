//! A migration in progress is not a failure: while a run holds the migration
//! lock, its `started` row makes `health` say `degraded` (exit 2) and
//! `status`, `check` and `verify` say "in progress" without advising
//! `resolve`; once no run holds the lock, the same row is a failure to repair.
//!
//! On MySQL/MariaDB every migration runs outside a transaction, so every
//! deployment passes through this state; on PostgreSQL a migration whose
//! `use_transaction()` is false does. The test writes the row and holds the
//! lock as the running process would.

mod support;

use sea_orm::ConnectionTrait;
use support::{Run, Sandbox, versions};
use tests::backend::{Backend, Scratch};
use tests::migration_lock::HeldLock;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[track_caller]
fn exit(run: &Run, code: i32) -> String {
    assert_eq!(run.code, Some(code), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    run.stdout.clone()
}

fn problems(value: &serde_json::Value) -> Vec<String> {
    value["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p.as_str().expect("text").to_owned())
        .collect()
}

fn in_progress_then_failed(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "faults_in_progress")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    let run = |args: &[&str]| {
        let mut all = vec!["-u", url.as_str()];
        all.extend_from_slice(args);
        sandbox.run_raw(&all, &[])
    };
    run(&["upgrade"]).ok();
    let head = versions().last().cloned().expect("migrations");
    // The head migration as a run writes it when it starts, outside a transaction.
    rt.block_on(async {
        for sql in [
            format!("DELETE FROM seaql_migrations WHERE version = '{head}'"),
            format!(
                "UPDATE db_migrate_history SET state = 'started', finished_at = NULL \
                 WHERE version = '{head}'"
            ),
        ] {
            scratch.db.execute_unprepared(&sql).await.expect("sql");
        }
    });
    let holder = rt.block_on(HeldLock::take(&scratch));
    let being_applied = format!("migration {head} is being applied (in progress since ");

    let text = exit(&run(&["health"]), 2);
    assert!(text.starts_with("status:  degraded\n"), "{text}");
    assert!(text.contains(&being_applied), "{text}");
    assert!(text.contains("the migration lock is held by "), "{text}");
    assert!(!text.contains("resolve"), "{text}");
    let health: serde_json::Value =
        serde_json::from_str(&exit(&run(&["health", "--json"]), 2)).expect("json");
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["error"], "in_progress", "{health}");

    let text = exit(&run(&["status"]), 0);
    assert!(
        text.contains(&format!("in progress: {being_applied}")),
        "{text}"
    );
    assert!(!text.contains("resolve"), "{text}");

    for command in ["verify", "check"] {
        let value: serde_json::Value =
            serde_json::from_str(&exit(&run(&[command, "--json"]), 2)).expect("json");
        assert_eq!(
            value["unfinished"][0]["version"],
            head.as_str(),
            "{value:#}"
        );
        assert_eq!(value["unfinished"][0]["in_progress"], true, "{value:#}");
        let problems = problems(&value);
        assert!(
            problems.iter().any(|p| p.starts_with(&being_applied)),
            "{command}: {problems:?}"
        );
        assert!(
            problems.iter().all(|p| !p.contains("resolve")),
            "{command}: {problems:?}"
        );
    }

    // The run is gone and its row stayed `started`: now it needs repair.
    rt.block_on(holder.release());
    let text = exit(&run(&["health"]), 1);
    assert!(text.starts_with("status:  error\n"), "{text}");
    assert!(
        text.contains(&format!("migration {head} was interrupted at ")),
        "{text}"
    );
    assert!(
        text.contains(&format!("`db-migrate resolve {head} --applied`")),
        "{text}"
    );
    let value: serde_json::Value =
        serde_json::from_str(&exit(&run(&["verify", "--json"]), 2)).expect("json");
    assert_eq!(value["unfinished"][0]["in_progress"], false, "{value:#}");
    assert!(
        problems(&value)
            .iter()
            .any(|p| p.contains(&format!("db-migrate resolve {head} --applied"))),
        "{value:#}"
    );
    rt.block_on(scratch.cleanup());
}

#[test]
fn a_migration_in_progress_is_degraded_not_an_error_mysql() {
    in_progress_then_failed(Backend::MySql);
}

#[test]
fn a_migration_in_progress_is_degraded_not_an_error_postgres() {
    in_progress_then_failed(Backend::Postgres);
}
