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
//! is this process but not one of its runs. A row of another host cannot be
//! checked and counts as live.

use std::sync::Mutex;

use sea_orm::sea_query::{Alias, ColumnDef, Expr, ExprTrait, Query, Table};
use sea_orm::{ConnectionTrait, DbErr};

use crate::process;
use crate::runner::history;

/// The owner row's table (SQLite only): at most one row, while a run holds
/// the lock across a data migration.
pub const OWNER_TABLE: &str = "db_migrate_lock";

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
        }
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
        format!(
            "db-migrate process {} on host `{}` (holding the lock since {}{running})",
            self.pid,
            crate::display::visible(&self.host),
            crate::runner::format_unix(self.started_at)
        )
    }
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 7] = [
    "id",
    "pid",
    "host",
    "process_start",
    "token",
    "started_at",
    "version",
];

/// Creates the table if it does not exist.
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
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// The owner row, if the table and a row exist.
pub async fn read(db: &impl ConnectionTrait) -> Result<Option<Owner>, DbErr> {
    if !history::table_exists(db, OWNER_TABLE).await? {
        return Ok(None);
    }
    let query = Query::select()
        .columns(COLUMNS[1..].iter().map(|c| col(c)))
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
        ])
        .to_owned();
    db.execute(&stmt).await?;
    let mut held = held();
    if !held.contains(&owner.token) {
        held.push(owner.token.clone());
    }
    Ok(Held(owner.token.clone()))
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
