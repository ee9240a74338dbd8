//! SQLite's migration lock across a data migration. The runner commits its
//! write transaction before a migration whose `use_transaction()` is
//! `Some(false)` and holds the lock with an owner row (`db_migrate_lock`)
//! while the backfill commits batch by batch. While a run (a child process,
//! `src/bin/data_child.rs`) is between batches: status names it as in
//! progress, a backup (`hold_lock`) and a second upgrade wait for it, and the
//! second upgrade, once the first has finished, has nothing left to run (no
//! row is updated twice). An owner row whose process is gone is taken over;
//! one of a live process is not. A row of another host is waited for while its
//! heartbeat is fresh (or it has none), and taken over once the heartbeat is
//! older than the threshold; the heartbeat advances while a run is outside its
//! transaction, and a run whose row was taken over stops with "lock lost".

use std::process::Command;
use std::time::{Duration, Instant};

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

/// A SQLite scratch database holding `rows` items (made `batch` at a time).
fn sqlite_with_items(rt: &tokio::runtime::Runtime, name: &str, rows: i64, batch: i64) -> Scratch {
    let scratch = rt
        .block_on(Scratch::new(Backend::Sqlite, name))
        .expect("SQLite");
    rt.block_on(create_items(&scratch.db, rows, batch))
        .expect("items");
    scratch
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
    let scratch = sqlite_with_items(&rt, "data_lock_wait", ROWS, 500);
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
        // Its heartbeat advances (each batch refreshes it).
        let first = heartbeat(db).await;
        wait_for_heartbeat_after(db, first, Duration::from_secs(20)).await;
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

/// Starts the child (`runner` mode at `speed`) and waits for it to print
/// `line`.
fn spawn_until(url: &str, speed: &str, line: &str) -> Running {
    let mut child = Running::start(CHILD, &[url, "runner", speed]);
    child.wait_for_line(line);
    child
}

/// The owner row's heartbeat (the row must exist and have one).
async fn heartbeat(db: &impl ConnectionTrait) -> i64 {
    let owner = lock::owner::read(db).await.expect("owner").expect("a row");
    owner.heartbeat_at.expect("a heartbeat")
}

/// Polls the owner row until its heartbeat is later than `after`, for up to
/// `bound`.
async fn wait_for_heartbeat_after(db: &impl ConnectionTrait, after: i64, bound: Duration) {
    let deadline = Instant::now() + bound;
    loop {
        let now = heartbeat(db).await;
        if now > after {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the heartbeat stayed at {now} for {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes an owner row as a run would, for `pid` on `host`, in a table made
/// before heartbeats (no `heartbeat_at` column).
async fn write_owner(db: &impl ConnectionTrait, pid: i64, host: &str, start: Option<i64>) {
    db.execute_unprepared("DROP TABLE IF EXISTS db_migrate_lock")
        .await
        .expect("drop");
    db.execute_unprepared(
        "CREATE TABLE db_migrate_lock (id INTEGER NOT NULL PRIMARY KEY, \
         pid BIGINT NOT NULL, host VARCHAR(255) NOT NULL, process_start BIGINT NULL, \
         token VARCHAR(64) NOT NULL, started_at BIGINT NOT NULL, version VARCHAR(255) NULL)",
    )
    .await
    .expect("create");
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

        // Another host's row cannot be checked: without a heartbeat (here, a
        // table made before heartbeats) it counts as live.
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

/// Unix time in seconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Sets the owner row's host and heartbeat, as a run of another host would
/// have left it.
async fn move_owner(db: &impl ConnectionTrait, host: &str, heartbeat: Option<i64>) {
    let beat = heartbeat.map_or("NULL".to_owned(), |b| b.to_string());
    let done = db
        .execute_unprepared(&format!(
            "UPDATE db_migrate_lock SET host = '{host}', heartbeat_at = {beat}"
        ))
        .await
        .expect("update");
    assert_eq!(done.rows_affected(), 1);
}

/// A run of another host killed in the middle of a data migration (a replaced
/// container): its row is waited for while its heartbeat is fresh or absent,
/// and taken over once the heartbeat is older than the threshold; the data
/// migration then resumes from its checkpoint and no row is updated twice.
#[test]
fn another_hosts_row_is_taken_over_once_its_heartbeat_is_old() {
    let rt = runtime();
    let scratch = sqlite_with_items(&rt, "data_lock_heartbeat", ROWS, 500);
    spawn_until(&scratch.url, "crawl", "BATCH 3").kill();
    rt.block_on(async {
        let db = &scratch.db;
        let host = "pod-7f9c.example";
        let stale = lock::OWNER_STALE_AFTER.as_secs() as i64;
        let again =
            || Runner::new(vec![Box::new(Again)]).with_lock_timeout(Duration::from_millis(700));

        // A fresh heartbeat: waited for, and the message says when it beat
        // and when it will be taken over.
        move_owner(db, host, Some(now() - 2)).await;
        let owner = lock::owner::read(db).await.expect("owner").expect("a row");
        assert!(!owner.is_stale(), "{owner:?}");
        let holder = lock_timeout_holder(again().upgrade(db, &UpgradeTarget::Head, |_| {}).await);
        assert!(holder.contains(host), "{holder}");
        assert!(holder.contains("last heartbeat"), "{holder}");
        assert!(
            holder.contains(&format!("taken over once it is more than {stale} s old")),
            "{holder}"
        );
        let status = Runner::new(Vec::new()).status(db).await.expect("status");
        assert!(status.lock_holder.is_some_and(|h| h.contains(host)));
        let holder = lock_timeout_holder(hold_lock(db, Duration::ZERO).await);
        assert!(holder.contains(host), "{holder}");

        // No heartbeat: the rule without one, live.
        move_owner(db, host, None).await;
        let holder = lock_timeout_holder(again().upgrade(db, &UpgradeTarget::Head, |_| {}).await);
        assert!(
            holder.contains(host) && !holder.contains("heartbeat"),
            "{holder}"
        );

        // Just inside the threshold: still live.
        move_owner(db, host, Some(now() - stale + 5)).await;
        lock_timeout_holder(again().upgrade(db, &UpgradeTarget::Head, |_| {}).await);
        let t = tally(db).await.expect("tally");
        assert!(t.once > 0 && t.untouched > 0 && t.more == 0, "{t:?}");

        // Older than the threshold: taken over, and the data migration resumes.
        move_owner(db, host, Some(now() - stale - 5)).await;
        assert_eq!(lock::holder(db).await.expect("holder"), None);
        let reports = again()
            .upgrade(db, &UpgradeTarget::Head, |_| {})
            .await
            .expect("taken over");
        let versions: Vec<String> = reports.into_iter().map(|r| r.version).collect();
        assert_eq!(versions, [VERSION]);
        let t = tally(db).await.expect("tally");
        assert_eq!(
            (t.once, t.more, t.untouched, t.wrong_total),
            (ROWS, 0, 0, 0)
        );
        assert_eq!(lock::owner::read(db).await.expect("owner"), None);
        scratch.cleanup().await;
    });
}

/// While a data migration runs without batches (nothing refreshes the row but
/// the background heartbeat), the heartbeat advances past the one written when
/// the run stepped out; the run ends normally and removes its row.
#[test]
fn the_heartbeat_advances_while_a_data_migration_runs_without_batches() {
    let rt = runtime();
    let scratch = sqlite_with_items(&rt, "data_lock_beat", 200, 100);
    let child = spawn_until(&scratch.url, "idle", "IDLE");
    rt.block_on(async {
        let db = &scratch.db;
        let first = heartbeat(db).await;
        assert!((now() - first).abs() <= 5, "{first}");
        // Every HEARTBEAT_INTERVAL; the child idles for 8 s (two naps of 4 s)
        // before its first batch.
        let bound = lock::HEARTBEAT_INTERVAL + Duration::from_secs(2);
        wait_for_heartbeat_after(db, first, bound).await;
    });
    let (code, _, stderr) = child.finish();
    assert_eq!(code, Some(0), "{stderr}");
    rt.block_on(async {
        let db = &scratch.db;
        let t = tally(db).await.expect("tally");
        assert_eq!((t.once, t.more, t.untouched), (200, 0, 0), "{t:?}");
        assert_eq!(lock::owner::read(db).await.expect("owner"), None);
        scratch.cleanup().await;
    });
}

/// The worst case of a take-over of a run that is in fact alive (silent for
/// longer than the threshold): when the run comes back to its transaction it
/// finds its row naming another run, stops with "lock lost", and leaves the
/// other run's row alone.
#[test]
fn a_run_whose_row_was_taken_over_stops_with_lock_lost() {
    let rt = runtime();
    let scratch = sqlite_with_items(&rt, "data_lock_taken", 200, 100);
    let child = spawn_until(&scratch.url, "idle", "IDLE");
    rt.block_on(async {
        // What a taker of another host leaves: its own row, in one transaction.
        let done = scratch
            .db
            .execute_unprepared(&format!(
                "UPDATE db_migrate_lock SET token = 't-taker', host = 'pod-taker.example', \
                 pid = 7, heartbeat_at = {}",
                now()
            ))
            .await
            .expect("take over");
        assert_eq!(done.rows_affected(), 1);
    });
    let (code, _, stderr) = child.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the migration lock was lost") && stderr.contains("pod-taker.example"),
        "{stderr}"
    );
    rt.block_on(async {
        let db = &scratch.db;
        let owner = lock::owner::read(db).await.expect("owner").expect("a row");
        assert_eq!(owner.token, "t-taker", "{owner:?}");
        let t = tally(db).await.expect("tally");
        assert_eq!(t.more, 0, "{t:?}");
        scratch.cleanup().await;
    });
}
