//! Data migrations ([`schema_diff::data::Backfill`]) on every backend: every
//! row updated exactly once, dry-run counts, progress events, a failure in
//! batch N leaving batches 1..N-1 and the checkpoint exact, and a run killed
//! mid-way (a child process, `src/bin/data_child.rs`) resumed from its
//! checkpoint without applying any batch twice.

use std::sync::{Arc, Mutex};

use schema_diff::data::{BatchKey, Progress, ProgressSink, StepState, checkpoint};
use schema_diff::runner::{Runner, lock};
use tests::data::{STEP, Tally, VERSION, counting_update, create_items, items_backfill, tally};
use tests::spawned::{Running, runtime};
use tests::{Backend, Scratch};

const CHILD: &str = env!("CARGO_BIN_EXE_data_child");
const ROWS: i64 = 2_345;

/// Every event, as `start`/`batch`/`finish` with its progress.
#[derive(Default)]
struct Recorder(Mutex<Vec<(&'static str, Progress)>>);

impl ProgressSink for Recorder {
    fn start(&self, p: &Progress) {
        self.0.lock().expect("lock").push(("start", p.clone()));
    }
    fn batch(&self, p: &Progress) {
        self.0.lock().expect("lock").push(("batch", p.clone()));
    }
    fn finish(&self, p: &Progress) {
        self.0.lock().expect("lock").push(("finish", p.clone()));
    }
}

async fn scratch_with_items(backend: Backend, label: &str) -> Option<Scratch> {
    let scratch = Scratch::new(backend, label).await?;
    create_items(&scratch.db, ROWS, 500).await.expect("items");
    Some(scratch)
}

fn every_row_once(backend: Backend) {
    let rt = runtime();
    rt.block_on(async {
        let Some(scratch) = scratch_with_items(backend, "data_once").await else {
            return;
        };
        let db = &scratch.db;
        let dry = items_backfill(VERSION, 100)
            .dry_run(db)
            .await
            .expect("dry run");
        assert_eq!(
            (dry.rows, dry.batches, dry.resumed_after_rows),
            (2_345, 24, 0)
        );
        // The dry run wrote nothing, not even the checkpoint table.
        assert!(!checkpoint::exists(db).await.expect("exists"));
        assert_eq!(tally(db).await.expect("tally").untouched, ROWS);

        let events = Arc::new(Recorder::default());
        let report = items_backfill(VERSION, 100)
            .progress(events.clone())
            .run(db, counting_update(None))
            .await
            .expect("backfill");
        assert_eq!((report.rows, report.batches), (2_345, 24));
        let t = tally(db).await.expect("tally");
        assert_eq!(
            t,
            Tally {
                untouched: 0,
                once: ROWS,
                more: 0,
                wrong_total: 0,
                last_updated: Some(ROWS),
            }
        );
        let saved = checkpoint::read(db, VERSION, STEP)
            .await
            .expect("read")
            .expect("a checkpoint");
        assert_eq!(saved.state, StepState::Done);
        assert_eq!(saved.last_key, Some(BatchKey::Int(ROWS)));
        assert_eq!(
            (saved.rows_done, saved.rows_total, saved.batches),
            (ROWS, ROWS, 24)
        );

        // Progress: start, 24 batches with growing counts, finish.
        let events = events.0.lock().expect("lock").clone();
        assert_eq!(events.len(), 26, "{events:?}");
        assert_eq!(events[0].0, "start");
        assert_eq!((events[0].1.rows_done, events[0].1.rows_total), (0, 2_345));
        for (i, (kind, p)) in events[1..25].iter().enumerate() {
            assert_eq!(*kind, "batch");
            assert_eq!(p.batches, i as u64 + 1);
            assert_eq!(p.rows_done, ((i as u64 + 1) * 100).min(2_345));
            assert_eq!(p.rows_total, 2_345);
        }
        assert_eq!(events[24].1.percent(), 100);
        assert_eq!(events[25].0, "finish");

        // Done is done: running again touches nothing.
        let again = items_backfill(VERSION, 100)
            .run(db, counting_update(None))
            .await
            .expect("again");
        assert!(again.already_done);
        assert_eq!(tally(db).await.expect("tally").more, 0);
        let dry = items_backfill(VERSION, 100)
            .dry_run(db)
            .await
            .expect("dry run");
        assert_eq!((dry.rows, dry.batches), (0, 0));
        scratch.cleanup().await;
    });
}

fn failure_in_batch_n(backend: Backend) {
    let rt = runtime();
    rt.block_on(async {
        let Some(scratch) = scratch_with_items(backend, "data_fail").await else {
            return;
        };
        let db = &scratch.db;
        // Row 1234 is in batch 13 (ids 1201..=1300).
        let error = items_backfill(VERSION, 100)
            .run(db, counting_update(Some(1_234)))
            .await
            .expect_err("row 1234 fails")
            .to_string();
        for needle in [
            format!("data migration {VERSION} step `{STEP}`: batch 13 (keys after 1200)"),
            "failed and was rolled back".to_owned(),
            "batches 1 to 12 are committed (1200 rows, checkpoint at key 1200)".to_owned(),
            "run it again to resume from there".to_owned(),
        ] {
            assert!(error.contains(&needle), "`{needle}` not in {error}");
        }
        let t = tally(db).await.expect("tally");
        assert_eq!((t.once, t.more, t.untouched), (1_200, 0, ROWS - 1_200));
        assert_eq!(t.last_updated, Some(1_200));
        let saved = checkpoint::read(db, VERSION, STEP)
            .await
            .expect("read")
            .expect("a checkpoint");
        assert_eq!(saved.state, StepState::Running);
        assert_eq!(saved.last_key, Some(BatchKey::Int(1_200)));
        assert_eq!((saved.rows_done, saved.batches), (1_200, 12));

        let dry = items_backfill(VERSION, 100)
            .dry_run(db)
            .await
            .expect("dry run");
        assert_eq!(
            (dry.rows, dry.batches, dry.resumed_after_rows),
            (1_145, 12, 1_200)
        );

        // Fixed, it resumes at batch 13.
        let report = items_backfill(VERSION, 100)
            .run(db, counting_update(None))
            .await
            .expect("resumed");
        assert_eq!(
            (report.rows, report.batches, report.resumed_after_rows),
            (1_145, 12, 1_200)
        );
        let t = tally(db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0)
        );
        scratch.cleanup().await;
    });
}

/// A data migration through the runner whose update fails on row `poison`.
struct Poisoned {
    poison: Option<i64>,
}

impl sea_orm_migration::MigrationName for Poisoned {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl sea_orm_migration::MigrationTrait for Poisoned {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
        items_backfill(VERSION, 100)
            .run(manager.get_connection(), counting_update(self.poison))
            .await?;
        Ok(())
    }

    async fn down(&self, _: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
}

/// Through the runner, a failed batch says how to resume (the batches before
/// it stay committed, on SQLite too: the runner steps out of its transaction
/// for a data migration) and the next upgrade resumes.
fn failure_under_the_runner(backend: Backend) {
    let rt = runtime();
    rt.block_on(async {
        let Some(scratch) = scratch_with_items(backend, "data_runner_fail").await else {
            return;
        };
        let db = &scratch.db;
        let target = schema_diff::runner::UpgradeTarget::Head;
        let error = Runner::new(vec![Box::new(Poisoned {
            poison: Some(1_234),
        })])
        .upgrade(db, &target, |_| {})
        .await
        .expect_err("row 1234 fails")
        .to_string();
        assert!(error.contains("batch 13 (keys after 1200)"), "{error}");
        let t = tally(db).await.expect("tally");
        assert!(
            error.contains("run `db-migrate upgrade` again, which resumes from the checkpoint"),
            "{error}"
        );
        assert_eq!((t.once, t.more), (1_200, 0), "{t:?}");
        let status = Runner::new(Vec::new()).status(db).await.expect("status");
        assert_eq!(status.needs_repair().count(), 0, "{status:?}");
        // The run ended: no owner row holds SQLite's lock, no run is in progress.
        assert_eq!(status.lock_holder, None, "{status:?}");
        if backend == Backend::Sqlite {
            assert_eq!(lock::owner::read(db).await.expect("owner"), None);
        }
        let reports = Runner::new(vec![Box::new(Poisoned { poison: None })])
            .upgrade(db, &target, |_| {})
            .await
            .expect("resumed");
        assert_eq!(reports.len(), 1);
        let t = tally(db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0)
        );
        scratch.cleanup().await;
    });
}

#[test]
fn failure_under_the_runner_sqlite() {
    failure_under_the_runner(Backend::Sqlite);
}

#[test]
fn failure_under_the_runner_postgres() {
    failure_under_the_runner(Backend::Postgres);
}

#[test]
fn failure_under_the_runner_mysql() {
    failure_under_the_runner(Backend::MySql);
}

/// Starts the child, waits for its tenth batch, and kills it; returns its pid.
fn kill_after_ten_batches(url: &str, mode: &str) -> u32 {
    let mut child = Running::start(CHILD, &[url, mode, "slow"]);
    child.wait_for_line("BATCH 10");
    child.kill()
}

fn run_child(url: &str, mode: &str) -> String {
    let (code, stdout, stderr) = tests::spawned::run(CHILD, &[url, mode, "fast"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    stdout
}

/// Kills a backfill after its tenth batch, checks that the committed batches
/// and the checkpoint agree, then runs it again: it resumes after the
/// checkpoint and every row ends updated exactly once.
fn killed_and_resumed(backend: Backend, mode: &str) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(scratch_with_items(backend, "data_kill")) else {
        return;
    };
    let killed = kill_after_ten_batches(&scratch.url, mode);
    let done_before = rt.block_on(async {
        let db = &scratch.db;
        let t = tally(db).await.expect("tally");
        assert_eq!(t.more, 0, "{t:?}");
        let saved = checkpoint::read(db, VERSION, STEP).await.expect("read");
        let saved = saved.expect("a checkpoint");
        assert_eq!(saved.state, StepState::Running);
        assert!(saved.batches >= 10 && saved.rows_done < ROWS, "{saved:?}");
        // The committed batches are exactly the checkpoint's.
        assert_eq!(t.once, saved.rows_done, "{t:?} {saved:?}");
        assert_eq!(t.last_updated.map(BatchKey::Int), saved.last_key);
        if mode == "runner" {
            // Interrupted, not dirty: status shows the progress, upgrade resumes.
            let status = Runner::new(Vec::new()).status(db).await.expect("status");
            assert_eq!(status.needs_repair().count(), 0, "{status:?}");
            // SQLite: the killed run's owner row stays, naming a process that
            // is gone: nobody holds the lock, and the next run takes it over.
            assert_eq!(status.lock_holder, None, "{status:?}");
            if backend == Backend::Sqlite {
                let owner = lock::owner::read(db).await.expect("owner").expect("a row");
                assert_eq!(owner.pid, i64::from(killed), "{owner:?}");
                assert_eq!(owner.version.as_deref(), Some(VERSION));
                assert!(owner.is_gone(), "{owner:?}");
            }
            let lines = schema_diff::health::data_progress(&status);
            let expected = format!(
                "data migration {VERSION} (step {STEP}): {}% ({}/{ROWS} rows): interrupted",
                saved.rows_done * 100 / ROWS,
                saved.rows_done
            );
            assert!(lines[0].starts_with(&expected), "{lines:?}");
        }
        saved.rows_done
    });
    let stdout = run_child(&scratch.url, mode);
    assert!(
        stdout.starts_with(&format!("START {done_before}\n")),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!("DONE {}\n", ROWS - done_before)),
        "{stdout}"
    );
    rt.block_on(async {
        let t = tally(&scratch.db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0)
        );
        let saved = checkpoint::read(&scratch.db, VERSION, STEP)
            .await
            .expect("read")
            .expect("a checkpoint");
        assert_eq!(saved.state, StepState::Done);
        if backend == Backend::Sqlite {
            let owner = lock::owner::read(&scratch.db).await.expect("owner");
            assert_eq!(owner, None, "taken over, then removed at the end");
        }
        scratch.cleanup().await;
    });
}

#[test]
fn every_row_once_sqlite() {
    every_row_once(Backend::Sqlite);
}

#[test]
fn every_row_once_postgres() {
    every_row_once(Backend::Postgres);
}

#[test]
fn every_row_once_mysql() {
    every_row_once(Backend::MySql);
}

#[test]
fn failure_in_batch_n_sqlite() {
    failure_in_batch_n(Backend::Sqlite);
}

#[test]
fn failure_in_batch_n_postgres() {
    failure_in_batch_n(Backend::Postgres);
}

#[test]
fn failure_in_batch_n_mysql() {
    failure_in_batch_n(Backend::MySql);
}

#[test]
fn killed_and_resumed_direct_sqlite() {
    killed_and_resumed(Backend::Sqlite, "direct");
}

#[test]
fn killed_and_resumed_direct_postgres() {
    killed_and_resumed(Backend::Postgres, "direct");
}

#[test]
fn killed_and_resumed_direct_mysql() {
    killed_and_resumed(Backend::MySql, "direct");
}

#[test]
fn killed_and_resumed_runner_sqlite() {
    killed_and_resumed(Backend::Sqlite, "runner");
}

#[test]
fn killed_and_resumed_runner_postgres() {
    killed_and_resumed(Backend::Postgres, "runner");
}

#[test]
fn killed_and_resumed_runner_mysql() {
    killed_and_resumed(Backend::MySql, "runner");
}
