//! The owner row's heartbeat: which rows are stale, a table made before
//! heartbeats, and the refresh in each Backfill batch.

use sea_orm::sea_query::Alias;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use super::*;

fn row(host: &str, heartbeat_at: Option<i64>) -> Owner {
    Owner {
        pid: 1,
        host: host.into(),
        process_start: None,
        token: "t-1".into(),
        started_at: 0,
        version: Some("m1".into()),
        heartbeat_at,
    }
}

#[test]
fn another_hosts_row_is_stale_once_its_heartbeat_is_old() {
    let now = history::now();
    let limit = OWNER_STALE_AFTER.as_secs() as i64;
    let other = "another-host.example";
    assert!(!row(other, None).is_stale(), "no heartbeat: live");
    assert!(!row(other, Some(now)).is_stale());
    assert!(!row(other, Some(now - limit + 5)).is_stale());
    assert!(row(other, Some(now - limit - 5)).is_stale());
    assert!(
        !row(other, Some(now + 3600)).is_stale(),
        "in the future: fresh"
    );
    assert_eq!(row(other, Some(now + 3600)).heartbeat_age(now), Some(0));
    let message = row(other, Some(now - 7)).describe();
    assert!(
        message.contains("last heartbeat 7 s ago")
            && message.contains(&format!("taken over once it is more than {limit} s old")),
        "{message}"
    );
    assert!(!row(other, None).describe().contains("heartbeat"));
}

#[test]
fn this_hosts_row_is_judged_by_its_process_only() {
    // A pid that is no process (above Linux's maximum): gone, fresh heartbeat or not.
    let mut gone = row(&process::host_name(), Some(history::now()));
    gone.pid = 1 << 30;
    assert!(gone.is_stale());
    // This process, as one of its runs: live however old its heartbeat.
    let mut me = Owner::this_run(0);
    me.heartbeat_at = Some(0);
    held().push(me.token.clone());
    let live = !me.is_stale();
    held().retain(|t| t != &me.token);
    assert!(live);
    assert!(me.is_stale(), "no longer one of its runs");
}

async fn memory() -> DatabaseConnection {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).min_connections(1);
    Database::connect(options).await.expect("SQLite in memory")
}

async fn heartbeat_of(db: &DatabaseConnection) -> Option<i64> {
    read(db).await.expect("read").expect("a row").heartbeat_at
}

#[tokio::test]
async fn a_table_made_before_heartbeats_is_read_and_upgraded() {
    let db = memory().await;
    db.execute_unprepared(
        "CREATE TABLE db_migrate_lock (id INTEGER NOT NULL PRIMARY KEY, \
         pid BIGINT NOT NULL, host VARCHAR(255) NOT NULL, process_start BIGINT NULL, \
         token VARCHAR(64) NOT NULL, started_at BIGINT NOT NULL, version VARCHAR(255) NULL); \
         INSERT INTO db_migrate_lock VALUES (1, 1, 'h', NULL, 't-old', 0, 'm1')",
    )
    .await
    .expect("old table");
    assert_eq!(heartbeat_of(&db).await, None);
    let me = Owner::this_run(0);
    let held = claim(&db, &me).await.expect("claim");
    let owner = read(&db).await.expect("read").expect("a row");
    assert_eq!(owner.token, me.token);
    let first = owner.heartbeat_at.expect("a heartbeat");
    assert!((history::now() - first).abs() <= 5, "{first}");
    // Refreshed for the runs of this process only while they hold the lock.
    db.execute_unprepared("UPDATE db_migrate_lock SET heartbeat_at = 5")
        .await
        .expect("age");
    drop(held);
    beat_held(&db).await;
    assert_eq!(heartbeat_of(&db).await, Some(5));
}

#[tokio::test]
async fn each_backfill_batch_refreshes_the_heartbeat() {
    let db = memory().await;
    db.execute_unprepared(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0); \
         INSERT INTO items (id) VALUES (1), (2), (3)",
    )
    .await
    .expect("items");
    let held = claim(&db, &Owner::this_run(0)).await.expect("claim");
    db.execute_unprepared("UPDATE db_migrate_lock SET heartbeat_at = 5")
        .await
        .expect("age");
    let report = crate::data::Backfill::new("m1", "v")
        .table(Alias::new("items"))
        .key(Alias::new("id"))
        .batch_size(2)
        .run(&db, |update| {
            update.value(Alias::new("v"), 1);
        })
        .await
        .expect("backfill");
    assert_eq!(report.batches, 2);
    let beat = heartbeat_of(&db).await.expect("a heartbeat");
    assert!((history::now() - beat).abs() <= 5, "{beat}");
    drop(held);
}
