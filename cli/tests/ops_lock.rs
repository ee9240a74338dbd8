//! The migration lock through the real binary, on SQLite, PostgreSQL and
//! MariaDB: eight `db-migrate upgrade` at once apply each migration exactly
//! once, and a held lock makes `upgrade`/`downgrade` and `backup` time out
//! naming the holder.

mod support;

use std::sync::Barrier;

use schema_diff::runner::companion::{self, MigrationState};
use sea_orm::{ConnectionTrait, Statement};
use support::{Run, Sandbox, versions};
use tests::backend::{Backend, Scratch};
use tests::migration_lock::HeldLock;
use tests::spawned::history;

const PROCESSES: usize = 8;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn concurrent_upgrades(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "ops_concurrent")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let barrier = Barrier::new(PROCESSES);
    let args = ["-u", scratch.url.as_str(), "upgrade"];
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PROCESSES)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    sandbox.run_raw(&args, &[])
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for run in &runs {
        run.ok();
    }
    // One process applied everything; the others found nothing left to do.
    let expected: Vec<String> = versions()
        .iter()
        .map(|v| format!("applied {v} ("))
        .collect();
    let appliers: Vec<&Run> = runs
        .iter()
        .filter(|r| r.stdout.starts_with("applied "))
        .collect();
    assert_eq!(appliers.len(), 1, "{runs:#?}");
    let lines: Vec<&str> = appliers[0].stdout.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{runs:#?}");
    for (line, prefix) in lines.iter().zip(&expected) {
        assert!(line.starts_with(prefix.as_str()), "{line} vs {prefix}");
    }
    let idle = runs
        .iter()
        .filter(|r| r.stdout == "nothing to apply: the database is up to date\n")
        .count();
    assert_eq!(idle, PROCESSES - 1, "{runs:#?}");

    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, versions());
        let rows = companion::read(&scratch.db).await.expect("companion");
        let companion_versions: Vec<String> = rows.iter().map(|r| r.version.clone()).collect();
        assert_eq!(companion_versions, versions());
        for row in &rows {
            assert_eq!(row.state, MigrationState::Applied, "{row:?}");
            assert_eq!(row.checksum.as_ref().map(String::len), Some(64), "{row:?}");
            assert_eq!(row.error, None);
        }
        scratch.cleanup().await;
    });
}

#[test]
fn eight_upgrades_at_once_apply_each_migration_once_sqlite() {
    concurrent_upgrades(Backend::Sqlite);
}

#[test]
fn eight_upgrades_at_once_apply_each_migration_once_postgres() {
    concurrent_upgrades(Backend::Postgres);
}

#[test]
fn eight_upgrades_at_once_apply_each_migration_once_mysql() {
    concurrent_upgrades(Backend::MySql);
}

fn held_lock_times_out(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "ops_held")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    let holder = rt.block_on(HeldLock::take(&scratch));
    let named = holder.named().to_owned();

    let started = std::time::Instant::now();
    let run = sandbox.run_raw(&["-u", &url, "upgrade", "--lock-timeout", "1"], &[]);
    let waited = started.elapsed();
    run.error(&[
        "timed out after 1 s waiting for the migration lock, held by",
        &named,
        "--lock-timeout",
    ]);
    assert!(
        waited >= std::time::Duration::from_millis(900),
        "{waited:?}"
    );
    sandbox
        .run_raw(&["-u", &url, "downgrade", "--lock-timeout", "0"], &[])
        .error(&[
            "the migration lock is taken (lock timeout 0: not waiting)",
            &named,
        ]);

    rt.block_on(async {
        holder.release().await;
        // Nothing ran while the lock was held.
        let exists = companion::exists(&scratch.db).await.expect("exists");
        assert!(
            !exists,
            "the companion table was created under someone else's lock"
        );
    });
    let applied = sandbox.run_raw(&["-u", &url, "upgrade", "--lock-timeout", "5"], &[]);
    assert!(applied.ok().starts_with("applied "), "{applied:#?}");
    rt.block_on(async {
        assert_eq!(history(&scratch.db).await, versions());
        scratch.cleanup().await;
    });
}

#[test]
fn a_held_lock_times_out_naming_the_holder_sqlite() {
    held_lock_times_out(Backend::Sqlite);
}

#[test]
fn a_held_lock_times_out_naming_the_holder_postgres() {
    held_lock_times_out(Backend::Postgres);
}

#[test]
fn a_held_lock_times_out_naming_the_holder_mysql() {
    held_lock_times_out(Backend::MySql);
}

#[test]
fn the_lock_timeout_must_be_a_number_of_seconds() {
    let s = Sandbox::new();
    let run = s.run(&["upgrade", "--lock-timeout", "soon"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("--lock-timeout"), "{run:#?}");
}

/// `status` while a run holds the lock: a `started` row is that run's
/// migration in progress (where the database can name the holder).
fn status_names_the_running_holder(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "ops_status_held")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    sandbox.run_raw(&["-u", &url, "upgrade"], &[]).ok();
    let head = versions().last().cloned().expect("migrations");
    rt.block_on(async {
        for sql in [
            format!("DELETE FROM seaql_migrations WHERE version = '{head}'"),
            format!("UPDATE db_migrate_history SET state = 'started' WHERE version = '{head}'"),
        ] {
            scratch.db.execute_unprepared(&sql).await.expect("sql");
        }
    });
    let holder = rt.block_on(HeldLock::take(&scratch));
    let named = holder.named().to_owned();
    let text = sandbox
        .run_raw(&["-u", &url, "status"], &[])
        .ok()
        .to_owned();
    if backend == Backend::Sqlite {
        // SQLite cannot tell who holds it without taking it: the row is dirty.
        assert!(
            text.contains(&format!("  migration {head} was interrupted at ")),
            "{text}"
        );
        assert!(!text.contains("in progress"), "{text}");
    } else {
        // A `started` row under a live lock is that run's migration in progress.
        assert!(
            text.contains(&format!(
                "in progress: migration {head} is being applied (in progress since "
            )) && text.contains(&format!("the migration lock is held by {named}")),
            "{text}"
        );
        assert!(!text.contains("dirty"), "{text}");
        assert!(!text.contains("resolve"), "{text}");
    }
    rt.block_on(async {
        holder.release().await;
        scratch.cleanup().await;
    });
}

#[test]
fn status_names_the_running_holder_sqlite() {
    status_names_the_running_holder(Backend::Sqlite);
}

#[test]
fn status_names_the_running_holder_postgres() {
    status_names_the_running_holder(Backend::Postgres);
}

#[test]
fn status_names_the_running_holder_mysql() {
    status_names_the_running_holder(Backend::MySql);
}

/// `backup` takes the migration lock as `upgrade` does: a held lock makes it
/// time out with `upgrade`'s message and exit code, writing no file; once the
/// lock is free it backs up.
fn backup_waits_for_the_lock(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "ops_backup_held")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    sandbox.run_raw(&["-u", &url, "upgrade"], &[]).ok();
    let holder = rt.block_on(HeldLock::take(&scratch));
    let named = holder.named().to_owned();
    let file = sandbox.path().join("held.backup");
    let file_arg = file.to_string_lossy().into_owned();

    let started = std::time::Instant::now();
    sandbox
        .run_raw(
            &["-u", &url, "backup", "-o", &file_arg, "--lock-timeout", "1"],
            &[],
        )
        .error(&[
            "timed out after 1 s waiting for the migration lock, held by",
            &named,
            "--lock-timeout",
        ]);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(900),
        "{waited:?}"
    );
    assert!(!file.exists(), "a backup was written under another's lock");
    sandbox
        .run_raw(
            &["-u", &url, "backup", "-o", &file_arg, "--lock-timeout", "0"],
            &[],
        )
        .error(&[
            "the migration lock is taken (lock timeout 0: not waiting)",
            &named,
        ]);

    rt.block_on(holder.release());
    let done = sandbox.run_raw(
        &["-u", &url, "backup", "-o", &file_arg, "--lock-timeout", "5"],
        &[],
    );
    assert!(done.ok().starts_with("backup: "), "{done:#?}");
    assert!(file.is_file());

    // A restore waits for the lock too, on every backend (on SQLite the lock is
    // the write lock its backup API takes), and changes nothing when it times out.
    let later = "INSERT INTO tags (name) VALUES ('after the backup')";
    rt.block_on(scratch.db.execute_unprepared(later))
        .expect("insert");
    let tags = || {
        rt.block_on(scratch.db.query_all_raw(Statement::from_string(
            scratch.db.get_database_backend(),
            "SELECT name FROM tags ORDER BY name",
        )))
        .expect("tags")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("name"))
        .collect::<Vec<_>>()
    };
    let holder = rt.block_on(HeldLock::take(&scratch));
    let named = holder.named().to_owned();
    let restore = [
        "-u",
        &url,
        "restore",
        &file_arg,
        "--force",
        "--lock-timeout",
        "1",
    ];
    let started = std::time::Instant::now();
    sandbox.run_raw(&restore, &[]).error(&[
        "timed out after 1 s waiting for the migration lock, held by",
        &named,
    ]);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    rt.block_on(holder.release());
    assert_eq!(
        tags(),
        ["after the backup"],
        "a timed-out restore changed the data"
    );
    let restored = sandbox.run_raw(&restore, &[]);
    assert!(
        restored.ok().contains("\nrestored ") || restored.ok().starts_with("restored "),
        "{restored:#?}"
    );
    // Read on the test's connection, open all along: the restored content.
    assert_eq!(tags(), Vec::<String>::new());
    rt.block_on(scratch.cleanup());
}

#[test]
fn backup_waits_for_the_migration_lock_sqlite() {
    backup_waits_for_the_lock(Backend::Sqlite);
}

#[test]
fn backup_waits_for_the_migration_lock_postgres() {
    backup_waits_for_the_lock(Backend::Postgres);
}

#[test]
fn backup_waits_for_the_migration_lock_mysql() {
    backup_waits_for_the_lock(Backend::MySql);
}

/// The engine's `hold_lock` (what a backup holds) keeps `upgrade` out until it
/// is released. On SQLite, a second connection reads under it: `VACUUM INTO`,
/// the backup's dump, works while the lock's write transaction is open.
fn hold_lock_keeps_upgrades_out(backend: Backend) {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(backend, "ops_hold_lock")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = scratch.url.clone();
    let guard = rt
        .block_on(schema_diff::runner::hold_lock(
            &scratch.db,
            std::time::Duration::ZERO,
        ))
        .expect("hold the lock");
    sandbox
        .run_raw(&["-u", &url, "upgrade", "--lock-timeout", "1"], &[])
        .error(&["timed out after 1 s waiting for the migration lock"]);
    if backend == Backend::Sqlite {
        let copy = sandbox.path().join("copy.sqlite");
        rt.block_on(async {
            let reader = sea_orm::Database::connect(url.as_str())
                .await
                .expect("second connection");
            let quoted = copy.to_string_lossy().replace('\'', "''");
            reader
                .execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
                .await
                .expect("VACUUM INTO under the lock");
            reader.close().await.expect("close");
        });
        assert!(copy.is_file());
    }
    rt.block_on(guard.release()).expect("release");
    let applied = sandbox.run_raw(&["-u", &url, "upgrade", "--lock-timeout", "5"], &[]);
    assert!(applied.ok().starts_with("applied "), "{applied:#?}");
    rt.block_on(scratch.cleanup());
}

#[test]
fn hold_lock_keeps_upgrades_out_sqlite() {
    hold_lock_keeps_upgrades_out(Backend::Sqlite);
}

#[test]
fn hold_lock_keeps_upgrades_out_postgres() {
    hold_lock_keeps_upgrades_out(Backend::Postgres);
}

#[test]
fn hold_lock_keeps_upgrades_out_mysql() {
    hold_lock_keeps_upgrades_out(Backend::MySql);
}

/// A SQLite scratch database brought to head, a sandbox, and the path of a
/// backup of it taken there (`before.backup`).
fn sqlite_at_head_with_backup(
    rt: &tokio::runtime::Runtime,
    name: &str,
) -> (Scratch, Sandbox, String) {
    let scratch = rt
        .block_on(Scratch::new(Backend::Sqlite, name))
        .expect("SQLite");
    let sandbox = Sandbox::new();
    sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
    let file_arg = sandbox
        .path()
        .join("before.backup")
        .to_string_lossy()
        .into_owned();
    sandbox
        .run_raw(&["-u", &scratch.url, "backup", "-o", &file_arg], &[])
        .ok();
    (scratch, sandbox, file_arg)
}

/// SQLite: while a run owns the lock across a data migration (its owner row in
/// `db_migrate_lock` names a live process of this host), `backup` and
/// `restore` wait for it and name it; once that process is gone, both go on.
#[test]
fn backup_and_restore_wait_for_a_sqlite_data_migration() {
    let rt = runtime();
    let (scratch, sandbox, file_arg) = sqlite_at_head_with_backup(&rt, "ops_sqlite_owner");
    let url = scratch.url.clone();

    let mut running = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn");
    let pid = running.id();
    let start = schema_diff::process::start_ticks(pid).map_or("NULL".into(), |t| t.to_string());
    let host = schema_diff::process::host_name().replace('\'', "''");
    rt.block_on(async {
        for sql in [
            "CREATE TABLE db_migrate_lock (id INTEGER NOT NULL PRIMARY KEY, pid BIGINT NOT NULL, \
             host VARCHAR(255) NOT NULL, process_start BIGINT NULL, token VARCHAR(64) NOT NULL, \
             started_at BIGINT NOT NULL, version VARCHAR(255) NULL)"
                .to_owned(),
            format!(
                "INSERT INTO db_migrate_lock VALUES (1, {pid}, '{host}', {start}, 't', 0, \
                 'm20990101_000000_fill')"
            ),
        ] {
            scratch.db.execute_unprepared(&sql).await.expect("sql");
        }
    });
    let named = format!("db-migrate process {pid} on host");
    let other = sandbox.path().join("during.backup");
    let other_arg = other.to_string_lossy().into_owned();
    sandbox
        .run_raw(
            &[
                "-u",
                &url,
                "backup",
                "-o",
                &other_arg,
                "--lock-timeout",
                "1",
            ],
            &[],
        )
        .error(&[
            "timed out after 1 s waiting for the migration lock, held by",
            &named,
            "running migration m20990101_000000_fill",
        ]);
    assert!(!other.exists(), "a backup was written during a migration");
    sandbox
        .run_raw(
            &[
                "-u",
                &url,
                "restore",
                &file_arg,
                "--force",
                "--lock-timeout",
                "1",
            ],
            &[],
        )
        .error(&["timed out after 1 s waiting for the migration lock", &named]);
    let tables = rt.block_on(async {
        schema_diff::runner::table_exists(&scratch.db, "db_migrate_lock")
            .await
            .expect("tables")
    });
    assert!(tables, "the database was replaced during a migration");

    running.kill().expect("kill");
    running.wait().expect("wait");
    sandbox
        .run_raw(
            &[
                "-u",
                &url,
                "restore",
                &file_arg,
                "--force",
                "--lock-timeout",
                "5",
            ],
            &[],
        )
        .ok();
    rt.block_on(scratch.cleanup());
}

/// SQLite: an owner row of another host (a run in a pod that restarted since)
/// holds `restore` off while its heartbeat is fresh, and the message says when
/// it last beat; once the heartbeat is older than the threshold, `restore`
/// takes the lock.
#[test]
fn restore_takes_over_another_hosts_row_once_its_heartbeat_is_old() {
    let rt = runtime();
    let (scratch, sandbox, file_arg) = sqlite_at_head_with_backup(&rt, "ops_sqlite_heartbeat");
    let url = scratch.url.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let stale = schema_diff::runner::lock::OWNER_STALE_AFTER.as_secs() as i64;
    let write_row = |heartbeat: i64| {
        rt.block_on(async {
            for sql in [
                "DROP TABLE IF EXISTS db_migrate_lock".to_owned(),
                "CREATE TABLE db_migrate_lock (id INTEGER NOT NULL PRIMARY KEY, pid BIGINT NOT \
                 NULL, host VARCHAR(255) NOT NULL, process_start BIGINT NULL, token VARCHAR(64) \
                 NOT NULL, started_at BIGINT NOT NULL, version VARCHAR(255) NULL, heartbeat_at \
                 BIGINT NULL)"
                    .to_owned(),
                format!(
                    "INSERT INTO db_migrate_lock VALUES (1, 1, 'pod-0a1b.example', NULL, 't', 0, \
                     'm20990101_000000_fill', {heartbeat})"
                ),
            ] {
                scratch.db.execute_unprepared(&sql).await.expect("sql");
            }
        })
    };
    let restore = |timeout: &str| {
        sandbox.run_raw(
            &[
                "-u",
                &url,
                "restore",
                &file_arg,
                "--force",
                "--lock-timeout",
                timeout,
            ],
            &[],
        )
    };
    write_row(now - 3);
    restore("1").error(&[
        "timed out after 1 s waiting for the migration lock",
        "on host `pod-0a1b.example`",
        "last heartbeat",
        &format!("taken over once it is more than {stale} s old"),
    ]);
    write_row(now - stale - 10);
    restore("5").ok();
    rt.block_on(scratch.cleanup());
}
