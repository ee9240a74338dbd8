//! SQLite's migration lock across a data migration. The runner commits its
//! write transaction before a migration whose `use_transaction()` is
//! `Some(false)` and holds the lock with an owner row (`db_migrate_lock`)
//! while the backfill commits batch by batch. While a run (a child process,
//! `src/bin/data_child.rs`) is between batches: status names it as in
//! progress, a backup (`hold_lock`) and a second upgrade wait for it, and the
//! second upgrade, once the first has finished, has nothing left to run (no
//! row is updated twice). An owner row whose process is gone is taken over;
//! one of a live process, or of another host, is not.

use std::process::Command;
use std::time::Duration;

use schema_diff::runner::{RunError, Runner, UpgradeTarget, hold_lock, lock};
use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use tests::data::{VERSION, counting_update, create_items, items_backfill, tally};
use tests::spawned::{Running, runtime};
use tests::{Backend, Scratch};

const CHILD: &str = env!("CARGO_BIN_EXE_data_child");
const ROWS: i64 = 2_000;

/// The child's data migration again, in this process: it would update every
/// row a second time if the runner let it run twice.
struct Again;

impl MigrationName for Again {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Again {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        items_backfill(VERSION, 50)
            .run(manager.get_connection(), counting_update(None))
            .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

fn lock_timeout_holder<T>(result: Result<T, RunError>) -> String {
    match result {
        Err(RunError::LockTimeout { holder, .. }) => holder,
        Err(other) => panic!("expected a lock timeout, got {other}"),
        Ok(_) => panic!("expected a lock timeout, got the lock"),
    }
}

#[test]
fn upgrades_and_backups_wait_for_a_data_migration_between_batches() {
    let rt = runtime();
    let scratch = rt
        .block_on(Scratch::new(Backend::Sqlite, "data_lock_wait"))
        .expect("SQLite");
    rt.block_on(create_items(&scratch.db, ROWS, 500))
        .expect("items");
    let mut child = Running::start(CHILD, &[scratch.url.as_str(), "runner", "crawl"]);
    let pid = child.id();
    child.wait_for_line("BATCH 3");
    let named = format!("db-migrate process {pid} on host");
    rt.block_on(async {
        let db = &scratch.db;
        // In progress, with its progress: not a failure to repair.
        let status = Runner::new(Vec::new()).status(db).await.expect("status");
        let holder = status.lock_holder.clone().expect("a holder");
        assert!(holder.contains(&named), "{holder}");
        assert!(
            holder.contains(&format!("running migration {VERSION}")),
            "{holder}"
        );
        assert_eq!(status.in_progress().count(), 1, "{status:?}");
        assert_eq!(status.needs_repair().count(), 0, "{status:?}");
        assert!(status.data[0].rows_done >= 150, "{status:?}");
        let health = schema_diff::health::report(status, db.get_database_backend());
        assert_eq!(
            health.error.map(|k| k.as_str()),
            Some("in_progress"),
            "{health:?}"
        );

        // A backup waits, and names the run it waits for.
        let holder = lock_timeout_holder(hold_lock(db, Duration::from_millis(700)).await);
        assert!(holder.contains(&named), "{holder}");
        // So does an upgrade with the same migration.
        let again =
            Runner::new(vec![Box::new(Again)]).with_lock_timeout(Duration::from_millis(700));
        let holder = lock_timeout_holder(again.upgrade(db, &UpgradeTarget::Head, |_| {}).await);
        assert!(holder.contains(&named), "{holder}");
        let t = tally(db).await.expect("tally");
        assert!(t.untouched > 0 && t.more == 0, "{t:?}");

        // Given time, it waits for the run to end, and finds nothing to do.
        let reports = Runner::new(vec![Box::new(Again)])
            .with_lock_timeout(Duration::from_secs(120))
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect("waited");
        assert_eq!(reports, Vec::new());
    });
    let (code, stdout, stderr) = child.finish();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    rt.block_on(async {
        let db = &scratch.db;
        let t = tally(db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0)
        );
        assert_eq!(lock::owner::read(db).await.expect("owner"), None);
        let status = Runner::new(Vec::new()).status(db).await.expect("status");
        assert_eq!((status.lock_holder, status.dirty.len()), (None, 0));
        hold_lock(db, Duration::ZERO)
            .await
            .expect("free")
            .release()
            .await
            .expect("release");
    });
    rt.block_on(scratch.cleanup());
}

/// Writes an owner row as a run would, for `pid` on `host`.
async fn write_owner(db: &impl ConnectionTrait, pid: i64, host: &str, start: Option<i64>) {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS db_migrate_lock (id INTEGER NOT NULL PRIMARY KEY, \
         pid BIGINT NOT NULL, host VARCHAR(255) NOT NULL, process_start BIGINT NULL, \
         token VARCHAR(64) NOT NULL, started_at BIGINT NOT NULL, version VARCHAR(255) NULL)",
    )
    .await
    .expect("create");
    db.execute_unprepared("DELETE FROM db_migrate_lock")
        .await
        .expect("clear");
    let start = start.map_or("NULL".to_owned(), |s| s.to_string());
    db.execute_unprepared(&format!(
        "INSERT INTO db_migrate_lock VALUES (1, {pid}, '{host}', {start}, 't-1', 0, 'm_data')"
    ))
    .await
    .expect("insert");
}

#[test]
fn a_stale_owner_row_is_taken_over_and_a_live_one_is_not() {
    let rt = runtime();
    rt.block_on(async {
        let scratch = Scratch::new(Backend::Sqlite, "data_lock_stale")
            .await
            .expect("SQLite");
        let db = &scratch.db;
        let host = schema_diff::process::host_name();
        let short = Duration::from_millis(300);

        // A process of this host that is gone: taken over.
        let mut gone = Command::new("true").spawn().expect("spawn");
        let dead = i64::from(gone.id());
        gone.wait().expect("wait");
        write_owner(db, dead, &host, None).await;
        assert_eq!(lock::holder(db).await.expect("holder"), None);
        Runner::new(Vec::new())
            .with_lock_timeout(short)
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect("taken over");
        assert_eq!(lock::owner::read(db).await.expect("owner"), None);

        // This very process, but not one of its runs (a reused pid): gone.
        write_owner(db, i64::from(std::process::id()), &host, None).await;
        hold_lock(db, short)
            .await
            .expect("taken over")
            .release()
            .await
            .expect("release");

        // A live process of this host that started at another time than the
        // row says (its pid was reused): gone, where the system tells (Linux).
        let mut live = Command::new("sleep").arg("30").spawn().expect("spawn");
        let live_pid = live.id();
        if let Some(ticks) = schema_diff::process::start_ticks(live_pid) {
            write_owner(db, i64::from(live_pid), &host, Some(ticks - 1)).await;
            hold_lock(db, short)
                .await
                .expect("taken over")
                .release()
                .await
                .expect("release");
        }

        // The same live process, as the row says: waited for, and named.
        let ticks = schema_diff::process::start_ticks(live_pid);
        write_owner(db, i64::from(live_pid), &host, ticks).await;
        let holder = lock_timeout_holder(hold_lock(db, short).await);
        assert!(
            holder.contains(&format!("db-migrate process {live_pid} on host"))
                && holder.contains("running migration m_data"),
            "{holder}"
        );
        let holder = lock::holder(db).await.expect("holder").expect("live");
        assert!(holder.contains(&live_pid.to_string()), "{holder}");
        live.kill().expect("kill");
        live.wait().expect("wait");
        hold_lock(db, short)
            .await
            .expect("gone now")
            .release()
            .await
            .expect("release");

        // Another host's row cannot be checked: it counts as live.
        write_owner(db, 1, "another-host.example", None).await;
        let holder = lock_timeout_holder(
            Runner::new(Vec::new())
                .with_lock_timeout(Duration::ZERO)
                .upgrade(db, &UpgradeTarget::Head, |_| {})
                .await,
        );
        assert!(holder.contains("another-host.example"), "{holder}");
        scratch.cleanup().await;
    });
}

/// Creates `items` with 300 rows.
struct CreateItems;

impl MigrationName for CreateItems {
    fn name(&self) -> &str {
        "m20981231_000000_create_items"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateItems {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_items(manager.get_connection(), 300, 100).await
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// The data migration, which first checks from a connection of its own that
/// the migration before it is committed.
struct FillSeeingCreate {
    url: String,
}

impl MigrationName for FillSeeingCreate {
    fn name(&self) -> &str {
        VERSION
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FillSeeingCreate {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let other = tests::backend::connect(&self.url).await?;
        let applied: Vec<String> = other
            .query_all_raw(sea_orm::Statement::from_string(
                other.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<_, _>>()?;
        let owner = lock::owner::read(&other).await?;
        other.close().await.ok();
        if applied != [CreateItems.name()] {
            return Err(DbErr::Custom(format!(
                "the migration before is not committed: {applied:?}"
            )));
        }
        match owner {
            Some(o) if o.version.as_deref() == Some(VERSION) => {}
            other => return Err(DbErr::Custom(format!("no owner row for it: {other:?}"))),
        }
        items_backfill(VERSION, 50)
            .run(manager.get_connection(), counting_update(None))
            .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// Indexes `items.total`, in the run's transaction again.
struct IndexTotal;

impl MigrationName for IndexTotal {
    fn name(&self) -> &str {
        "m20990102_000000_index_total"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IndexTotal {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX items_total ON items (total)")
            .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// A schema migration, a data migration and a schema migration in one run:
/// the first is committed (and reported) before the data migration starts,
/// the run takes its transaction again for the third, and the owner row is
/// gone at the end.
#[test]
fn the_run_commits_before_a_data_migration_and_goes_on_after_it() {
    let rt = runtime();
    rt.block_on(async {
        let scratch = Scratch::new(Backend::Sqlite, "data_lock_mixed")
            .await
            .expect("SQLite");
        let db = &scratch.db;
        let runner = Runner::new(vec![
            Box::new(CreateItems),
            Box::new(FillSeeingCreate {
                url: scratch.url.clone(),
            }),
            Box::new(IndexTotal),
        ]);
        let mut heard = Vec::new();
        let reports = runner
            .upgrade(db, &UpgradeTarget::Head, |r| heard.push(r.version.clone()))
            .await
            .expect("upgrade");
        let versions: Vec<String> = reports.into_iter().map(|r| r.version).collect();
        assert_eq!(versions, runner.versions());
        assert_eq!(heard, versions);
        let t = tally(db).await.expect("tally");
        assert_eq!((t.once, t.more, t.untouched), (300, 0, 0), "{t:?}");
        let status = runner.status(db).await.expect("status");
        assert_eq!(
            (status.pending.len(), status.dirty.len(), status.data.len()),
            (0, 0, 0),
            "{status:?}"
        );
        assert_eq!(lock::owner::read(db).await.expect("owner"), None);
        scratch.cleanup().await;
    });
}
