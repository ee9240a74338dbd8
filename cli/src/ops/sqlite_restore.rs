//! Restoring a SQLite backup in place, through SQLite's online backup API
//! (`sqlite3_backup_init/step/finish`, by `rusqlite`'s `backup` module).
//!
//! The database file is never renamed or unlinked and its `-wal`, `-shm` and
//! `-journal` files are left to SQLite: the backup writes the checked copy's
//! pages into the live file as ONE write transaction of the database, under
//! SQLite's own locks. Every connection that has the file open (the
//! application, `db-migrate serve`, an `upgrade` waiting for the lock) reads
//! the restored content afterwards, and what it writes afterwards lands in the
//! file. A failure, or a kill, before that transaction commits leaves the old
//! content: SQLite rolls a hot journal back, or ignores WAL frames that were
//! never committed. SIGINT/SIGTERM (the command's future dropped) stop the
//! copy between two steps without committing.
//!
//! On SQLite the migration lock is the database's write lock (`upgrade` runs
//! inside one `BEGIN IMMEDIATE` transaction). The backup's destination
//! transaction takes that same lock, waiting up to `--lock-timeout` for it
//! (through the destination connection's busy handler), and keeps it from the
//! "is the database empty" check to the commit, so no migration runs while
//! the database is replaced and none writes between the check and the copy.
//! A run in the middle of a data migration holds the lock with its owner row
//! (`db_migrate_lock`, see `schema_diff::runner::lock::owner`) rather than a
//! write transaction: while that row names a live process, the restore lets
//! the write lock go and waits, as `upgrade` does.
//! The lock cannot be taken with `hold_lock` first: `sqlite3_backup_init`
//! refuses a destination connection with an open transaction, and another
//! connection's write transaction would make the backup wait for it.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use schema_diff::runner::RunError;
use schema_diff::runner::lock::{OWNER_TABLE, Owner};

/// The tables the "is it empty" check counts: those of `list_tables`.
const TABLES_SQL: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' \
                          AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

/// Puts the content of the SQLite backup `file` into the database file
/// `target`, in place (see the module documentation), and tells whether the
/// database had tables before (it was replaced).
///
/// `file` is first copied to a private temporary file next to `target` and
/// checked there (it opens as SQLite and passes `PRAGMA integrity_check`), so
/// a damaged backup never replaces anything. Then, holding the database's
/// write lock (waiting up to `lock_timeout`, else
/// [`RunError::LockTimeout`]), `allow` is given the target's tables: an error
/// from it ends the restore with nothing changed (`restore` without `--force`
/// refuses a database that is not empty). The file keeps its inode,
/// permissions and journal mode (rollback or WAL). `target` must exist (an
/// empty file is an empty database).
pub async fn restore_sqlite<F>(
    file: &Path,
    target: &Path,
    lock_timeout: Duration,
    allow: F,
) -> anyhow::Result<bool>
where
    F: FnOnce(&[String]) -> anyhow::Result<()> + Send + 'static,
{
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Created 0600, and removed when dropped: also when the command's future is
    // dropped on SIGINT/SIGTERM while the blocking part still runs (it keeps
    // reading the unlinked file; an interrupted backup commits nothing or all).
    let tmp = tempfile::Builder::new()
        .prefix(".dbm-restore-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    let mut copy_file = tmp
        .as_file()
        .try_clone()
        .with_context(|| format!("cannot open `{}`", tmp.path().display()))?;
    let (file, target, copy) = (file.to_owned(), target.to_owned(), tmp.path().to_owned());
    // Set when this future is dropped (SIGINT/SIGTERM): the blocking part then
    // stops at its next check and commits nothing.
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let stopped = Arc::clone(&stop.0);
    let replaced = tokio::task::spawn_blocking(move || {
        // The whole backup is read and written here, off the async runtime.
        let mut source = std::fs::File::open(&file)
            .with_context(|| format!("cannot open `{}`", file.display()))?;
        std::io::copy(&mut source, &mut copy_file)
            .and_then(|_| copy_file.sync_all())
            .with_context(|| format!("cannot copy `{}`", file.display()))?;
        drop(copy_file);
        let stopped = || stopped.load(Ordering::Relaxed);
        restore_blocking(&file, &copy, &target, lock_timeout, &stopped, allow)
    })
    .await
    .context("the restore task failed")?;
    drop(stop);
    drop(tmp);
    replaced
}

/// Raises its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Pages copied per `sqlite3_backup_step` call (4 MiB at 4 KiB pages); the
/// destination's write transaction stays open from the first call to the
/// last, so the copy is still one transaction, stoppable between calls.
const PAGES_PER_STEP: i32 = 1024;

/// How long one wait for the write lock lasts before the stop flag and the
/// deadline are checked again (SQLite's busy handler waits within it).
const LOCK_SLICE: Duration = Duration::from_millis(250);

/// The blocking part of [`restore_sqlite`]: `copy` is the private copy of `file`.
fn restore_blocking<F>(
    file: &Path,
    copy: &Path,
    target: &Path,
    lock_timeout: Duration,
    stopped: &dyn Fn() -> bool,
    allow: F,
) -> anyhow::Result<bool>
where
    F: FnOnce(&[String]) -> anyhow::Result<()>,
{
    let mut dest = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open `{}`", target.display()))?;
    // Reads the schema, so the journal mode is the file's, not the default.
    let (dest_wal, dest_page_size) = (|| -> rusqlite::Result<(bool, i64)> {
        let mode: String = dest.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let size: i64 = dest.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((mode.eq_ignore_ascii_case("wal"), size))
    })()
    .with_context(|| format!("`{}` is not a SQLite database", target.display()))?;

    let copy = prepare_copy(copy, dest_wal.then_some(dest_page_size))
        .with_context(|| format!("`{}` is not a sound SQLite database", file.display()))?;

    let interrupted = || anyhow::anyhow!("interrupted; `{}` was not changed", target.display());
    let replaced = {
        // Zero pages: only begins the destination's write transaction, which
        // waits for the write lock (the migration lock), up to `lock_timeout`
        // in slices, SQLite's busy handler waiting within each; a busy attempt
        // is dropped whole (sqlite3_backup_finish) before the next.
        let deadline = Instant::now() + lock_timeout;
        let (backup, tables) = loop {
            if stopped() {
                return Err(interrupted());
            }
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(LOCK_SLICE);
            dest.busy_timeout(slice)?;
            let backup = Backup::new(&copy, &mut dest)?;
            match backup.step(0) {
                Ok(StepResult::More) => {
                    // Nobody else can write now: what the check sees is what is
                    // replaced. A run in the middle of a data migration holds the
                    // migration lock with its owner row instead: wait for it too.
                    let (tables, owner) = read_under_lock(target)?;
                    match owner {
                        Some(owner) if !owner.is_stale() => {
                            drop(backup);
                            if Instant::now() >= deadline {
                                return Err(RunError::LockTimeout {
                                    waited: lock_timeout,
                                    holder: owner.describe(),
                                }
                                .into());
                            }
                            std::thread::sleep(slice);
                        }
                        _ => break (backup, tables),
                    }
                }
                Ok(StepResult::Busy | StepResult::Locked) if Instant::now() < deadline => {}
                Ok(StepResult::Busy | StepResult::Locked) => {
                    return Err(lock_timeout_error(target, lock_timeout));
                }
                Ok(other) => bail!("unexpected backup state {other:?} before copying"),
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot write to `{}`", target.display())));
                }
            }
        };
        allow(&tables)?;
        // One destination transaction from step(0) to Done: SQLite commits it
        // only when the last page is copied; dropping `backup` before that
        // (sqlite3_backup_finish) rolls it back.
        loop {
            if stopped() {
                return Err(interrupted());
            }
            match backup.step(PAGES_PER_STEP) {
                Ok(StepResult::Done) => break,
                Ok(StepResult::More) => {}
                Ok(other) => bail!(
                    "the backup into `{}` stopped before the end ({other:?}); nothing was \
                     changed",
                    target.display()
                ),
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "cannot copy the backup into `{}`; nothing was changed",
                        target.display()
                    )));
                }
            }
        }
        !tables.is_empty()
    };
    dest.close()
        .map_err(|(_, e)| e)
        .with_context(|| format!("cannot close `{}`", target.display()))?;
    copy.close().map_err(|(_, e)| e)?;
    Ok(replaced)
}

/// Opens the private copy, checks it, and readies it as a backup source:
/// rollback-journal mode (so a rollback-mode target stays one; SQLite marks a
/// WAL target WAL again), and, for a WAL target, the target's page size (the
/// backup API cannot change the page size of a WAL database).
fn prepare_copy(path: &Path, page_size: Option<i64>) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        bail!("cannot take the copy out of `{mode}` journal mode");
    }
    let problems: Vec<String> = {
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .context("integrity_check failed")?
            .into_iter()
            .filter(|m| m != "ok")
            .collect()
    };
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        bail!("integrity_check: {}", shown.join("; "));
    }
    if let Some(size) = page_size {
        let current: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        if current != size {
            // Rewrites the copy with the new page size (rollback mode allows it).
            conn.execute_batch(&format!("PRAGMA page_size = {size}; VACUUM;"))?;
        }
    }
    Ok(conn)
}

/// The tables of `target`, and the owner row of the migration lock if it has
/// one ([`OWNER_TABLE`]), while the backup's connection holds its write
/// lock, read on a connection of their own. In WAL mode a reader is not
/// blocked by the writer. In rollback-journal mode the writer holds an
/// EXCLUSIVE lock that keeps readers out, and it has written nothing yet
/// (after rolling back any hot journal), so the file on disk is the last
/// committed database: it is read with `immutable=1`, which takes no locks.
fn read_under_lock(target: &Path) -> anyhow::Result<(Vec<String>, Option<Owner>)> {
    let mut header = [0u8; 100];
    let n = std::fs::File::open(target)
        .and_then(|mut f| read_up_to(&mut f, &mut header))
        .with_context(|| format!("cannot read `{}`", target.display()))?;
    if n == 0 {
        // A new, empty file: an empty database.
        return Ok((Vec::new(), None));
    }
    // Bytes 18 and 19: the file format's write and read versions, 2 in WAL mode.
    let wal = n == header.len() && header[18] == 2;
    let reader = if wal {
        let conn = Connection::open_with_flags(
            target,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn
    } else {
        Connection::open_with_flags(
            immutable_uri(target)?,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?
    };
    let tables = {
        let mut stmt = reader.prepare(TABLES_SQL)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    }
    .with_context(|| format!("cannot list the tables of `{}`", target.display()))?;
    let owner = if tables.iter().any(|t| t == OWNER_TABLE) {
        read_owner(&reader).with_context(|| {
            format!(
                "cannot read the migration lock's owner row ({OWNER_TABLE}) of `{}`",
                target.display()
            )
        })?
    } else {
        None
    };
    reader.close().map_err(|(_, e)| e)?;
    Ok((tables, owner))
}

/// The row of [`OWNER_TABLE`], if there is one.
fn read_owner(reader: &Connection) -> rusqlite::Result<Option<Owner>> {
    // Every column: a table made before heartbeats has no `heartbeat_at`.
    let sql = format!("SELECT * FROM {OWNER_TABLE} LIMIT 1");
    let mut stmt = reader.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(Owner {
        pid: row.get("pid")?,
        host: row.get("host")?,
        process_start: row.get("process_start")?,
        token: row.get("token")?,
        started_at: row.get("started_at")?,
        version: row.get("version")?,
        // Missing or not a number: no heartbeat, the rule without one.
        heartbeat_at: row.get::<_, Option<i64>>("heartbeat_at").ok().flatten(),
    }))
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// `file:PATH?immutable=1`, with the path percent-encoded for SQLite's URI parser.
fn immutable_uri(path: &Path) -> anyhow::Result<String> {
    use std::os::unix::ffi::OsStrExt as _;
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'-')
        .remove(b'_');
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        bail!("the file name `{}` holds a NUL byte", path.display());
    }
    Ok(format!(
        "file:{}?immutable=1",
        percent_encoding::percent_encode(bytes, KEEP)
    ))
}

/// `upgrade`'s lock-timeout error, for a write lock the backup could not get.
fn lock_timeout_error(target: &Path, waited: Duration) -> anyhow::Error {
    RunError::LockTimeout {
        waited,
        holder: format!(
            "another connection writing to `{}` (SQLite cannot say which process: look for \
             another db-migrate run or an application writing to the file; in \
             rollback-journal mode a long read also keeps the restore out)",
            target.display()
        ),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    use super::*;

    fn db(path: &Path, sql: &str) {
        Connection::open(path)
            .and_then(|c| c.execute_batch(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn texts(path: &Path, sql: &str) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn.prepare(sql).expect("prepare");
        stmt.query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[tokio::test]
    async fn a_damaged_backup_or_a_refusal_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (src, dst) = (dir.path().join("b.sqlite"), dir.path().join("app.db"));
        db(
            &dst,
            "CREATE TABLE t (a text); INSERT INTO t VALUES ('old')",
        );
        let before = std::fs::read(&dst).expect("read");
        std::fs::write(&src, b"SQLite format 3\0 but cut off").expect("write");
        let err = restore_sqlite(&src, &dst, Duration::ZERO, |_| Ok(()))
            .await
            .expect_err("not sound");
        assert!(
            format!("{err:#}").contains("not a sound SQLite database"),
            "{err:#}"
        );
        assert_eq!(std::fs::read(&dst).expect("read"), before);

        std::fs::remove_file(&src).expect("rm");
        db(
            &src,
            "CREATE TABLE t (a text); INSERT INTO t VALUES ('new')",
        );
        let err = restore_sqlite(&src, &dst, Duration::ZERO, |tables| {
            assert_eq!(tables, ["t"]);
            bail!("refused")
        })
        .await
        .expect_err("refused");
        assert_eq!(format!("{err:#}"), "refused");
        assert_eq!(texts(&dst, "SELECT a FROM t"), ["old"]);
        // No temporary file or journal left behind.
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["app.db", "b.sqlite"]);
    }

    #[tokio::test]
    async fn the_target_keeps_its_inode_mode_and_journal_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (wal, src_page, dst_page) in
            [(false, 8192, 4096), (true, 8192, 4096), (true, 1024, 1024)]
        {
            let (src, dst) = (dir.path().join("b.sqlite"), dir.path().join("app.db"));
            for f in [&src, &dst] {
                std::fs::remove_file(f).ok();
            }
            // A backup whose header says WAL, and whose page size differs.
            db(
                &src,
                &format!(
                    "PRAGMA page_size = {src_page}; PRAGMA journal_mode = WAL; \
                     CREATE TABLE t (a text); INSERT INTO t VALUES ('new');"
                ),
            );
            let mode = if wal { "wal" } else { "delete" };
            db(
                &dst,
                &format!(
                    "PRAGMA page_size = {dst_page}; PRAGMA journal_mode = {mode}; \
                     CREATE TABLE old (a text); INSERT INTO old VALUES ('x');"
                ),
            );
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o640)).expect("chmod");
            let inode = std::fs::metadata(&dst).expect("meta").ino();
            let replaced = restore_sqlite(&src, &dst, Duration::ZERO, |_| Ok(()))
                .await
                .unwrap_or_else(|e| panic!("{wal}: {e:#}"));
            assert!(replaced);
            let meta = std::fs::metadata(&dst).expect("meta");
            assert_eq!(meta.ino(), inode);
            assert_eq!(meta.permissions().mode() & 0o777, 0o640);
            assert_eq!(texts(&dst, "SELECT a FROM t"), ["new"]);
            assert_eq!(
                texts(&dst, "SELECT name FROM sqlite_schema WHERE type = 'table'"),
                ["t"]
            );
            assert_eq!(texts(&dst, "PRAGMA journal_mode"), [mode]);
            assert_eq!(texts(&dst, "PRAGMA integrity_check"), ["ok"]);
            let page: i64 = Connection::open(&dst)
                .and_then(|c| c.query_row("PRAGMA page_size", [], |r| r.get(0)))
                .expect("page size");
            // A rollback-mode file takes the backup's page size; a WAL one keeps its own.
            assert_eq!(page, if wal { dst_page } else { src_page });
        }
    }
}
