//! A migration left `failed` in the companion table (as MySQL leaves one), seen
//! by `status`, refused by `upgrade`/`downgrade`, and repaired with `resolve`
//! and `stamp`, through the real binary on SQLite, PostgreSQL and MariaDB.

mod support;

#[allow(dead_code)]
#[path = "../../tests/src/backend.rs"]
mod backend;

use backend::{Backend, Scratch};
use schema_diff::runner::companion::{self, MigrationState};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use support::{Run, Sandbox, versions};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

struct Db {
    rt: tokio::runtime::Runtime,
    scratch: Scratch,
    sandbox: Sandbox,
}

impl Db {
    fn new(backend: Backend, label: &str) -> Option<Db> {
        let rt = runtime();
        let scratch = rt.block_on(Scratch::new(backend, label))?;
        Some(Db {
            rt,
            scratch,
            sandbox: Sandbox::new(),
        })
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["-u", self.scratch.url.as_str()];
        all.extend_from_slice(args);
        self.sandbox.run_raw(&all, &[])
    }

    fn sql(&self, sql: &str) {
        let db = &self.scratch.db;
        self.rt
            .block_on(db.execute_raw(Statement::from_string(db.get_database_backend(), sql)))
            .expect("sql");
    }

    fn companion(&self) -> Vec<companion::CompanionRow> {
        self.rt
            .block_on(companion::read(&self.scratch.db))
            .expect("companion")
    }

    fn cleanup(self) {
        self.rt.block_on(self.scratch.cleanup());
    }
}

fn head() -> String {
    versions().last().cloned().expect("migrations")
}

/// The shipped schema is in place, but the history says its last migration
/// failed halfway, as a MySQL run that died on its last statement leaves it.
fn fail_the_head(db: &Db) {
    db.run(&["upgrade"]).ok();
    let head = head();
    db.sql(&format!(
        "DELETE FROM seaql_migrations WHERE version = '{head}'"
    ));
    db.sql(&format!(
        "UPDATE db_migrate_history SET state = 'failed', started_at = 0, \
         error = 'Table ''x'' already exists' WHERE version = '{head}'"
    ));
}

fn dirty_is_shown_refused_and_resolved(backend: Backend) {
    let Some(db) = Db::new(backend, "ops_dirty") else {
        return;
    };
    let head = head();
    let checksum = {
        db.run(&["upgrade"]).ok();
        db.companion().last().and_then(|r| r.checksum.clone())
    };
    assert_eq!(checksum.as_ref().map(String::len), Some(64));
    db.run(&["downgrade", "base"]).ok();
    fail_the_head(&db);

    let status = db.run(&["status", "--json"]).json();
    assert_eq!(
        status["dirty"],
        json!([{
            "version": head,
            "state": "failed",
            "started_at": "1970-01-01T00:00:00Z",
            "error": "Table 'x' already exists",
            "in_progress": false,
        }])
    );
    assert_eq!(status["pending"], json!([head]));
    let text = db.run(&["status"]).ok().to_owned();
    assert!(
        text.contains(&format!(
            "dirty (1): upgrade and downgrade refuse until each is resolved:\n  \
             migration {head} failed at 1970-01-01T00:00:00Z "
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("`db-migrate resolve {head} --rolled-back`")),
        "{text}"
    );

    for args in [&["upgrade"][..], &["downgrade", "base"][..]] {
        db.run(args).error(&[
            "refusing to run while a migration is in an unknown state",
            &format!("migration {head} failed at 1970-01-01T00:00:00Z"),
            "(error: Table 'x' already exists)",
            "Inspect the schema, finish or undo its statements by hand",
            &format!("`db-migrate resolve {head} --applied` (if it is now fully applied)"),
            &format!("`db-migrate resolve {head} --rolled-back`"),
        ]);
    }

    // The schema is all there: record it as applied, by a unique prefix.
    let prefix = &head[..head.len() - 3];
    let resolved = db.run(&["resolve", prefix, "--applied", "--json"]).json();
    assert_eq!(
        resolved,
        json!({"version": head, "before": "failed", "after": "applied"})
    );
    let rows = db.companion();
    let row = rows.iter().find(|r| r.version == head).expect("row");
    assert_eq!(row.state, MigrationState::Applied);
    assert_eq!(row.checksum, checksum);
    assert_eq!(row.error, None);
    assert_eq!(row.started_at, 0, "the first start is kept");
    let status = db.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(head));
    assert_eq!(status["dirty"], json!([]));
    assert_eq!(
        db.run(&["upgrade"]).ok(),
        "nothing to apply: the database is up to date\n"
    );

    // And back: forgotten again, without running `down`.
    let text = db.run(&["resolve", &head, "--rolled-back"]).ok().to_owned();
    assert_eq!(
        text,
        format!("marked {head} as rolled back (before: applied); nothing was run\n")
    );
    let status = db.run(&["status", "--json"]).json();
    assert_eq!(status["pending"], json!([head]));
    assert_eq!(status["dirty"], json!([]));
    assert!(db.companion().iter().all(|r| r.version != head));
    db.cleanup();
}

#[test]
fn a_dirty_migration_is_shown_refused_and_resolved_sqlite() {
    dirty_is_shown_refused_and_resolved(Backend::Sqlite);
}

#[test]
fn a_dirty_migration_is_shown_refused_and_resolved_postgres() {
    dirty_is_shown_refused_and_resolved(Backend::Postgres);
}

#[test]
fn a_dirty_migration_is_shown_refused_and_resolved_mysql() {
    dirty_is_shown_refused_and_resolved(Backend::MySql);
}

fn stamp_moves_the_history_only(backend: Backend) {
    let Some(db) = Db::new(backend, "ops_stamp") else {
        return;
    };
    let all = versions();
    let head = head();
    // The schema exists already (made by other means): say so.
    db.run(&["upgrade"]).ok();
    fail_the_head(&db);
    let stamped = db.run(&["stamp", "head", "--json"]).json();
    assert_eq!(stamped, json!({"applied": [head], "removed": []}));
    assert_eq!(
        db.run(&["stamp", "head"]).ok(),
        "nothing to change: the history already says so\n"
    );
    let status = db.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(head));
    assert_eq!(status["dirty"], json!([]));
    let rows = db.companion();
    assert_eq!(rows.len(), all.len());
    assert!(
        rows.iter().all(|r| r.state == MigrationState::Applied
            && r.checksum.as_ref().map(String::len) == Some(64))
    );

    let text = db.run(&["stamp", "base"]).ok().to_owned();
    let expected: String = all.iter().map(|v| format!("removed {v}\n")).collect();
    assert_eq!(text, expected);
    let status = db.run(&["status", "--json"]).json();
    assert_eq!(status["current"], json!(null));
    assert_eq!(status["pending"], json!(all));
    assert!(db.companion().is_empty());

    // A version by prefix; the tables are still there, so upgrade has nothing to do.
    let stamped = db.run(&["stamp", &head[..head.len() - 3], "--json"]).json();
    assert_eq!(stamped, json!({"applied": all, "removed": []}));
    assert_eq!(
        db.run(&["upgrade"]).ok(),
        "nothing to apply: the database is up to date\n"
    );

    // A version only the database knows: stamp refuses, resolve removes it.
    db.sql(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20000101_000000_ghost', 0)",
    );
    db.run(&["stamp", "head"]).error(&[
        "m20000101_000000_ghost",
        "`db-migrate resolve VERSION --rolled-back`",
    ]);
    db.run(&["resolve", "m20000101_000000_ghost", "--applied"])
        .error(&["m20000101_000000_ghost", "the code does not have it"]);
    let resolved = db
        .run(&[
            "resolve",
            "m20000101_000000_ghost",
            "--rolled-back",
            "--json",
        ])
        .json();
    assert_eq!(
        resolved,
        json!({"version": "m20000101_000000_ghost", "before": "applied", "after": "rolled_back"})
    );
    assert_eq!(db.run(&["status", "--json"]).json()["unknown"], json!([]));
    db.cleanup();
}

#[test]
fn stamp_moves_the_history_only_sqlite() {
    stamp_moves_the_history_only(Backend::Sqlite);
}

#[test]
fn stamp_moves_the_history_only_postgres() {
    stamp_moves_the_history_only(Backend::Postgres);
}

#[test]
fn stamp_moves_the_history_only_mysql() {
    stamp_moves_the_history_only(Backend::MySql);
}

#[test]
fn resolve_and_stamp_usage_errors() {
    let s = Sandbox::new();
    for args in [
        &["resolve", "m2026"][..],
        &["resolve", "m2026", "--applied", "--rolled-back"][..],
        &["stamp"][..],
    ] {
        let run = s.run(args);
        assert_eq!(run.code, Some(2), "{run:#?}");
        assert_eq!(run.stdout, "");
    }
    s.run(&["stamp", "+1"]).error(&[
        "invalid target `+1`",
        "stamp takes a version, `head` or `base`",
    ]);
    s.run(&["stamp", "m2099"])
        .error(&["unknown migration `m2099`"]);
    s.run(&["resolve", "m2099", "--rolled-back"])
        .error(&["unknown migration `m2099`"]);
    // Nothing was created by the failed commands.
    assert!(
        !s.tables().contains(&"db_migrate_history".to_owned()),
        "{:?}",
        s.tables()
    );
}
