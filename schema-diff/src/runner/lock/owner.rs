//! SQLite: the owner row of the migration lock, table [`OWNER_TABLE`].
//!
//! SQLite's migration lock is the run's write transaction (`BEGIN IMMEDIATE`).
//! A data migration (`use_transaction()` is `Some(false)`) must commit batch
//! by batch, so the run commits its transaction before it and takes it again
//! after it. Across that gap the lock is this row: it names the process that
//! holds the lock (pid, host, process start time) and the migration it runs,
//! and every taker of the lock (`upgrade`, `downgrade`, `resolve`, `stamp`, a
//! backup, a restore) reads it once its own `BEGIN IMMEDIATE` succeeds, and
//! waits while its owner lives.
//!
//! An owner is gone when it ran on this host and its pid is no longer a
//! process, or is a process that started at another time (a reused pid), or
//! is this process but not one of its runs.
//!
//! A row of another host cannot be checked that way, so the owning run keeps
//! a **heartbeat** in it (`heartbeat_at`, Unix seconds): every Backfill batch
//! refreshes it in its own transaction, just before it commits, and a
//! background task refreshes it every [`HEARTBEAT_INTERVAL`] while the run is
//! outside its write transaction (on a connection of its own, in a short
//! `BEGIN IMMEDIATE` transaction). A row of another host whose heartbeat is
//! older than [`OWNER_STALE_AFTER`], by the taker's clock, is stale and taken
//! over like a row whose process is gone. A row of this host is judged by its
//! process only (exact, and immune to clock skew and to a run busy in one
//! long write). A row without a heartbeat (no column, or NULL) of another
//! host counts as live, as before heartbeats existed.
//!
//! Clocks: the owner writes its own clock, the taker compares with its own,
//! so hosts whose clocks differ by a good part of [`OWNER_STALE_AFTER`] could
//! take over a live run's row; keep them in sync (NTP). A heartbeat in the
//! future counts as fresh.
//!
//! A wrong take-over (the owner alive but silent for longer than the
//! threshold, for example one write statement of its own running longer,
//! which also keeps its heartbeat out) is contained: the taker cannot begin
//! while that write holds the database's write lock; afterwards each Backfill
//! batch of the old run fails on its compare-and-set checkpoint instead of
//! applying a batch twice, and the old run's check before it records the
//! migration (or its return to its transaction) finds the row naming another
//! run and stops with `LockLost`, leaving that run's row alone.

use std::sync::Mutex;
use std::time::Duration;

use sea_orm::sea_query::{Alias, ColumnDef, Expr, ExprTrait, Query, Table};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::process;
use crate::runner::history;

/// The owner row's table (SQLite only): at most one row, while a run holds
/// the lock across a data migration.
pub const OWNER_TABLE: &str = "db_migrate_lock";

/// How long a row of another host may go without a heartbeat before a taker
/// counts it as stale and takes the lock over (by the taker's clock).
pub const OWNER_STALE_AFTER: Duration = Duration::from_secs(60);

/// How often a run refreshes its owner row's heartbeat while it is outside its
/// write transaction (each Backfill batch refreshes it too).
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// The runs of this process that own the lock now, by token.
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<String>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// Who holds the SQLite migration lock across a data migration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Owner {
    pub pid: i64,
    pub host: String,
    /// The process's start time in clock ticks since boot (Linux), which tells
    /// a reused pid apart.
    pub process_start: Option<i64>,
    /// Unique to the run.
    pub token: String,
    /// Unix time in seconds when the run took the lock.
    pub started_at: i64,
    /// The migration it runs outside the write transaction.
    pub version: Option<String>,
    /// Unix time in seconds of the run's last heartbeat; `None` for a row
    /// written without one (the table has no such column, or NULL).
    pub heartbeat_at: Option<i64>,
}

impl Owner {
    /// This process, for a run that started at `started_at`.
    pub(crate) fn this_run(started_at: i64) -> Owner {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Owner {
            pid: i64::from(pid),
            host: process::host_name(),
            process_start: process::start_ticks(pid),
            token: format!("{pid}-{nanos}-{n}"),
            started_at,
            version: None,
            heartbeat_at: None,
        }
    }

    /// Whether the row can be taken over: a row of this host when its process
    /// is gone ([`Owner::is_gone`]); a row of another host when its heartbeat
    /// is older than [`OWNER_STALE_AFTER`] by this host's clock. A row of
    /// another host without a heartbeat never is.
    pub fn is_stale(&self) -> bool {
        if self.host == process::host_name() {
            return self.is_gone();
        }
        self.heartbeat_age(history::now())
            .is_some_and(|age| age > OWNER_STALE_AFTER.as_secs() as i64)
    }

    /// Seconds since the last heartbeat at `now` (never negative: a heartbeat
    /// in the future is fresh), `None` without a heartbeat.
    pub fn heartbeat_age(&self, now: i64) -> Option<i64> {
        self.heartbeat_at
            .map(|at| Ord::max(now.saturating_sub(at), 0))
    }

    /// Whether the process that wrote the row is gone, so that the row can be
    /// taken over. Only a row of this host can be gone.
    pub fn is_gone(&self) -> bool {
        if self.host != process::host_name() {
            return false;
        }
        if self.pid == i64::from(std::process::id()) {
            return !held().contains(&self.token);
        }
        let Ok(pid) = i32::try_from(self.pid) else {
            return false;
        };
        if !process::alive(pid) {
            return true;
        }
        match (self.process_start, process::start_ticks(pid as u32)) {
            (Some(then), Some(now)) => then != now,
            _ => false,
        }
    }

    /// "db-migrate process 41 on host `web1` (holding the lock since ...,
    /// running migration m1)", for messages.
    pub fn describe(&self) -> String {
        let running = match &self.version {
            Some(v) => format!(", running migration {}", crate::display::visible(v)),
            None => String::new(),
        };
        let beat = match self.heartbeat_age(history::now()) {
            Some(age) if self.host != process::host_name() => format!(
                "; last heartbeat {age} s ago, taken over once it is more than {} s old",
                OWNER_STALE_AFTER.as_secs()
            ),
            _ => String::new(),
        };
        format!(
            "db-migrate process {} on host `{}` (holding the lock since {}{running}{beat})",
            self.pid,
            crate::display::visible(&self.host),
            crate::runner::format_unix(self.started_at)
        )
    }
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 8] = [
    "id",
    "pid",
    "host",
    "process_start",
    "token",
    "started_at",
    "version",
    "heartbeat_at",
];

/// Creates the table if it does not exist, and adds `heartbeat_at` to a table
/// made without it.
pub(crate) async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let stmt = Table::create()
        .table(col(OWNER_TABLE))
        .if_not_exists()
        .col(ColumnDef::new(col("id")).integer().not_null().primary_key())
        .col(ColumnDef::new(col("pid")).big_integer().not_null())
        .col(ColumnDef::new(col("host")).string_len(255).not_null())
        .col(ColumnDef::new(col("process_start")).big_integer().null())
        .col(ColumnDef::new(col("token")).string_len(64).not_null())
        .col(ColumnDef::new(col("started_at")).big_integer().not_null())
        .col(ColumnDef::new(col("version")).string_len(255).null())
        .col(ColumnDef::new(col("heartbeat_at")).big_integer().null())
        .to_owned();
    db.execute(&stmt).await?;
    if !has_heartbeat(db).await? {
        let stmt = Table::alter()
            .table(col(OWNER_TABLE))
            .add_column(ColumnDef::new(col("heartbeat_at")).big_integer().null())
            .to_owned();
        db.execute(&stmt).await?;
    }
    Ok(())
}

/// Whether the table has the `heartbeat_at` column (a table made before
/// heartbeats has not).
async fn has_heartbeat(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'heartbeat_at'",
            [OWNER_TABLE.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<i64>(0)? > 0,
        None => false,
    })
}

/// The owner row, if the table and a row exist.
pub async fn read(db: &impl ConnectionTrait) -> Result<Option<Owner>, DbErr> {
    if !history::table_exists(db, OWNER_TABLE).await? {
        return Ok(None);
    }
    // Named columns, not `*`: a statement cached before `install` added the
    // column must keep its shape.
    let with_heartbeat = has_heartbeat(db).await?;
    let columns = if with_heartbeat {
        &COLUMNS[1..]
    } else {
        &COLUMNS[1..COLUMNS.len() - 1]
    };
    let query = Query::select()
        .columns(columns.iter().map(|c| col(c)))
        .from(col(OWNER_TABLE))
        .limit(1)
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    Ok(Some(Owner {
        pid: row.try_get("", "pid")?,
        host: row.try_get("", "host")?,
        process_start: row.try_get("", "process_start")?,
        token: row.try_get("", "token")?,
        started_at: row.try_get("", "started_at")?,
        version: row.try_get("", "version")?,
        // Not a number: no heartbeat, the rule without one.
        heartbeat_at: match with_heartbeat {
            true => row
                .try_get::<Option<i64>>("", "heartbeat_at")
                .ok()
                .flatten(),
            false => None,
        },
    }))
}

/// This process counts a run among its live ones while this lives: dropped
/// (the run ended, or its future was dropped), a row of the run left behind is
/// gone ([`Owner::is_gone`]).
pub(crate) struct Held(String);

impl Drop for Held {
    fn drop(&mut self) {
        held().retain(|t| t != &self.0);
    }
}

/// Writes `owner` as the only row (inside the lock's write transaction), and
/// counts its run among this process's live ones until the [`Held`] returned
/// is dropped.
pub(crate) async fn claim(db: &impl ConnectionTrait, owner: &Owner) -> Result<Held, DbErr> {
    install(db).await?;
    clear(db).await?;
    let stmt = Query::insert()
        .into_table(col(OWNER_TABLE))
        .columns(COLUMNS.map(col))
        .values_panic([
            1i32.into(),
            owner.pid.into(),
            owner.host.clone().into(),
            owner.process_start.into(),
            owner.token.clone().into(),
            owner.started_at.into(),
            owner.version.clone().into(),
            history::now().into(),
        ])
        .to_owned();
    db.execute(&stmt).await?;
    let mut held = held();
    if !held.contains(&owner.token) {
        held.push(owner.token.clone());
    }
    Ok(Held(owner.token.clone()))
}

/// Sets the heartbeat of the rows of `tokens` to `now`; the number of rows
/// changed.
pub(crate) async fn beat(
    db: &impl ConnectionTrait,
    tokens: &[String],
    now: i64,
) -> Result<u64, DbErr> {
    let stmt = Query::update()
        .table(col(OWNER_TABLE))
        .value(col("heartbeat_at"), now)
        .and_where(Expr::col(col("token")).is_in(tokens.iter().cloned()))
        .to_owned();
    Ok(db.execute(&stmt).await?.rows_affected())
}

/// On SQLite, refreshes the heartbeat of the owner rows of this process's live
/// runs, inside the caller's transaction (a Backfill batch, just before it
/// commits): the row is fresh whenever the batch releases the write lock.
/// Nothing to do when this process holds no lock, or the table is absent or
/// made before heartbeats. A failure is logged, never the batch's.
pub async fn beat_held(db: &impl ConnectionTrait) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let tokens = held().clone();
    if tokens.is_empty() {
        return;
    }
    let done = match has_heartbeat(db).await {
        Ok(true) => beat(db, &tokens, history::now()).await.map(drop),
        Ok(false) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot refresh the owner row's heartbeat");
    }
}

/// Removes every row (a stale one, before taking over).
pub(crate) async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let stmt = Query::delete().from_table(col(OWNER_TABLE)).to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Removes the row of the run `token`, if it is still there.
pub(crate) async fn remove(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    if !history::table_exists(db, OWNER_TABLE).await? {
        return Ok(());
    }
    let stmt = Query::delete()
        .from_table(col(OWNER_TABLE))
        .and_where(Expr::col(col("token")).eq(token))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

#[cfg(test)]
#[path = "owner_tests.rs"]
mod tests;
