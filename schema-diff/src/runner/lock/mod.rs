//! The migration lock: one runner at a time per database, so that many replicas
//! starting at once apply each migration exactly once.
//!
//! - **PostgreSQL**: the session-level advisory lock [`POSTGRES_LOCK_KEY`] on a
//!   connection taken out of the pool for the whole run. `lock_timeout` bounds
//!   the wait.
//! - **MySQL/MariaDB**: `GET_LOCK(name, timeout)` with the name of
//!   [`mysql_lock_name`], likewise on a connection of its own. The name includes
//!   the database because `GET_LOCK` names are server-wide: two databases on one
//!   server must not wait for each other.
//! - **SQLite**: `BEGIN IMMEDIATE` on the runner's own connection, with
//!   `busy_timeout` bounding the wait. The run happens inside that write
//!   transaction, each migration in a savepoint; a killed run's transaction
//!   ends with its process, and the database reads as before the run. A
//!   second connection cannot be used, since a writer on it would block the
//!   migrations themselves. A data migration (`use_transaction()` is
//!   `Some(false)`) commits batch by batch, so the run commits its transaction
//!   before it, runs it outside, and takes the transaction again after it;
//!   across that gap the lock is the owner row of [`OWNER_TABLE`] (see
//!   [`owner`]), written before the commit and removed when the run ends. A
//!   taker of the lock waits while that row's process lives, and takes over
//!   a row whose process is gone, or, for a row of another host, whose
//!   heartbeat is older than [`OWNER_STALE_AFTER`] (the interrupted data
//!   migration then resumes from its checkpoint).
//!
//! The PostgreSQL and MySQL lock connections are closed, not returned to the
//! pool, when the lock is released, so a lock can never stay behind in a pool;
//! a killed process's lock ends with its connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, MySql, Postgres};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbBackend, DbErr,
    RuntimeErr, Statement,
};

use super::RunError;

mod guard;
mod heartbeat;
mod holder;
pub mod owner;
mod sqlite;

pub use guard::{LockGuard, hold_lock};
pub use holder::holder;
use holder::{describe, mysql_holder, postgres_holder};
pub use owner::{HEARTBEAT_INTERVAL, OWNER_STALE_AFTER, OWNER_TABLE, Owner};
use sqlite::{restore_pragmas, sqlite};

/// How long `upgrade`, `downgrade`, `resolve` and `stamp` wait for the lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The PostgreSQL advisory lock key: FNV-1a (64 bit) of `db_migrate`. In
/// `pg_locks` it shows as `classid` = the high 32 bits, `objid` = the low 32
/// bits, `objsubid` = 1.
pub const POSTGRES_LOCK_KEY: i64 = fnv1a(b"db_migrate");

const fn fnv1a(bytes: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash as i64
}

/// The `GET_LOCK` name for `database`: `db_migrate:<database>`, or, when that
/// is longer than MySQL's 64 characters, `db_migrate:` and a hash of the name.
pub fn mysql_lock_name(database: &str) -> String {
    let name = format!("db_migrate:{database}");
    if name.chars().count() <= 64 {
        return name;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(database.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("db_migrate:{}", &hex[..40])
}

/// The PostgreSQL advisory lock key a migration's own transaction takes
/// (`pg_advisory_xact_lock`): FNV-1a of `db_migrate:run`. A run that got the
/// migration lock after another lost it waits here until that run's
/// migration has committed or rolled back, then sees its history row.
pub const POSTGRES_RUN_KEY: i64 = fnv1a(b"db_migrate:run");

/// The advisory lock keys `(lock, run)` of the PostgreSQL schema `schema` (the
/// session's `current_schema()`): [`POSTGRES_LOCK_KEY`] and [`POSTGRES_RUN_KEY`]
/// for `public` (or no schema), else FNV-1a of `db_migrate:<schema>` and
/// `db_migrate:run:<schema>`, so that two schemas of one database migrate
/// independently.
pub fn postgres_keys(schema: Option<&str>) -> (i64, i64) {
    match schema {
        None | Some("public") => (POSTGRES_LOCK_KEY, POSTGRES_RUN_KEY),
        Some(schema) => (
            fnv1a(format!("db_migrate:{schema}").as_bytes()),
            fnv1a(format!("db_migrate:run:{schema}").as_bytes()),
        ),
    }
}

/// The keys of the schema `db`'s session works in.
pub async fn session_keys<C: ConnectionTrait>(db: &C) -> Result<(i64, i64), DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema()::text",
        ))
        .await?;
    let schema: Option<String> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    Ok(postgres_keys(schema.as_deref()))
}

/// A connection that `&self` methods can borrow for one query at a time.
pub(super) struct Slot<T>(std::sync::Mutex<Option<T>>);

impl<T> Slot<T> {
    fn new(value: T) -> Self {
        Slot(std::sync::Mutex::new(Some(value)))
    }

    fn take(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn put(&self, value: T) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }

    fn into_inner(self) -> Option<T> {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// A held migration lock.
pub(super) enum Lock {
    /// The lock's connection and the advisory key it holds.
    Postgres(Slot<PoolConnection<Postgres>>, i64),
    MySql {
        conn: Slot<PoolConnection<MySql>>,
        name: String,
    },
    /// The run's write transaction (`None` while a data migration runs outside
    /// it), the `busy_timeout` to restore afterwards and the one to wait with,
    /// and the owner row once the run wrote one ([`owner`]).
    Sqlite {
        txn: Option<DatabaseTransaction>,
        db: DatabaseConnection,
        busy_timeout_ms: i64,
        wait_ms: i64,
        started_at: i64,
        owner: Option<(Owner, owner::Held)>,
        /// Refreshes the owner row's heartbeat while the run is outside.
        heartbeat: Option<heartbeat::Heartbeat>,
    },
    /// A mock connection: there is nothing to lock.
    Unlocked,
}

fn sqlx_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

impl Lock {
    /// Waits up to `timeout` for the lock; a timeout is [`RunError::LockTimeout`]
    /// naming the holder where the database can tell.
    pub(super) async fn acquire(
        db: &DatabaseConnection,
        timeout: Duration,
    ) -> Result<Lock, RunError> {
        if db.is_mock_connection() {
            return Ok(Lock::Unlocked);
        }
        let started = Instant::now();
        let lock = match db.get_database_backend() {
            DbBackend::Postgres => postgres(db, timeout).await?,
            DbBackend::MySql => mysql(db, timeout).await?,
            DbBackend::Sqlite => sqlite(db, timeout).await?,
            other => {
                return Err(DbErr::Custom(format!("no migration lock for {other:?}")).into());
            }
        };
        tracing::info!(
            waited_ms = started.elapsed().as_millis() as u64,
            "migration lock acquired"
        );
        Ok(lock)
    }

    /// Whether the run's work only becomes durable at [`Lock::release`] (SQLite).
    pub(super) fn defers_commit(&self) -> bool {
        matches!(self, Lock::Sqlite { .. })
    }

    /// Where the run's statements go: the pool, or SQLite's write transaction.
    pub(super) fn executor<'a>(&'a self, db: &'a DatabaseConnection) -> DatabaseExecutor<'a> {
        match self {
            Lock::Sqlite { txn: Some(txn), .. } => DatabaseExecutor::Transaction(txn),
            _ => DatabaseExecutor::Connection(db),
        }
    }

    /// Checks that this run still holds the lock, on the lock's own session:
    /// PostgreSQL asks `pg_locks` for the advisory lock of this backend,
    /// MySQL/MariaDB whether `IS_USED_LOCK` names this connection. A session
    /// that was terminated or timed out fails the query. `Err` is the cause,
    /// for [`RunError::LockLost`]. SQLite's lock is the run's own transaction,
    /// which every statement of the run uses, and once the run wrote an owner
    /// row, that row, which must still name this run.
    pub(super) async fn verify(&self) -> Result<(), String> {
        let held = match self {
            Lock::Postgres(slot, key) => {
                let Some(mut conn) = slot.take() else {
                    return Err("the lock's connection is gone".into());
                };
                let high = (*key as u64 >> 32) as i64;
                let low = (*key as u64 & 0xffff_ffff) as i64;
                let held = sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND granted AND pid = pg_backend_pid() AND classid::bigint = $1 \
                     AND objid::bigint = $2 AND objsubid = 1)",
                )
                .bind(high)
                .bind(low)
                .fetch_one(&mut *conn)
                .await;
                slot.put(conn);
                held
            }
            Lock::MySql { conn: slot, name } => {
                let Some(mut conn) = slot.take() else {
                    return Err("the lock's connection is gone".into());
                };
                let held = sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT CAST(IS_USED_LOCK(?) = CONNECTION_ID() AS SIGNED)",
                )
                .bind(name)
                .fetch_one(&mut *conn)
                .await
                .map(|held| held == Some(1));
                slot.put(conn);
                held
            }
            Lock::Sqlite {
                txn,
                db,
                owner: Some((owner, _)),
                ..
            } => {
                match txn {
                    Some(txn) => sqlite::still_owned(txn, &owner.token).await?,
                    None => sqlite::still_owned(db, &owner.token).await?,
                }
                Ok(true)
            }
            Lock::Sqlite { .. } | Lock::Unlocked => Ok(true),
        };
        match held {
            Ok(true) => Ok(()),
            Ok(false) => Err("the lock's session no longer holds it".into()),
            Err(e) => Err(format!(
                "the lock's connection failed (terminated, or timed out while idle): {e}"
            )),
        }
    }

    /// Releases the lock. On SQLite this commits the run's transaction, or rolls
    /// it back when `commit` is false.
    pub(super) async fn release(
        self,
        db: &DatabaseConnection,
        commit: bool,
    ) -> Result<(), RunError> {
        match self {
            Lock::Postgres(conn, key) => {
                let Some(mut conn) = conn.into_inner() else {
                    return Ok(());
                };
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut *conn)
                    .await;
                if let Err(e) = unlocked {
                    // Closing the connection releases it all the same.
                    tracing::warn!(error = %e, "pg_advisory_unlock failed");
                }
                if let Err(e) = conn.close().await {
                    tracing::debug!(error = %e, "closing the lock connection");
                }
            }
            Lock::MySql { conn, name } => {
                let Some(mut conn) = conn.into_inner() else {
                    return Ok(());
                };
                let released = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(&name)
                    .execute(&mut *conn)
                    .await;
                if let Err(e) = released {
                    tracing::warn!(error = %e, "RELEASE_LOCK failed");
                }
                if let Err(e) = conn.close().await {
                    tracing::debug!(error = %e, "closing the lock connection");
                }
            }
            Lock::Sqlite {
                txn,
                db: _,
                busy_timeout_ms,
                owner,
                heartbeat,
                ..
            } => {
                drop(heartbeat);
                let in_txn = commit && txn.is_some();
                let ended = match txn {
                    Some(txn) => {
                        let ended = async {
                            if let (true, Some((owner, _))) = (commit, &owner) {
                                owner::remove(&txn, &owner.token).await?;
                            }
                            if commit {
                                txn.commit().await
                            } else {
                                txn.rollback().await
                            }
                        }
                        .await;
                        let restored = restore_pragmas(db, busy_timeout_ms).await;
                        ended.and(restored)
                    }
                    // Outside the transaction the pragmas are the caller's already.
                    None => Ok(()),
                };
                if let Some((owner, held)) = owner {
                    let removed = if in_txn && ended.is_ok() {
                        Ok(())
                    } else {
                        owner::remove(db, &owner.token).await
                    };
                    drop(held);
                    if let Err(e) = removed {
                        tracing::warn!(
                            error = %e,
                            "cannot remove the lock's owner row; the next run takes it over \
                             once this process has ended"
                        );
                    }
                }
                ended?;
            }
            Lock::Unlocked => {}
        }
        tracing::info!("migration lock released");
        Ok(())
    }
}

/// The lock takes a connection for the whole run; the migrations need another.
fn check_pool_size(max_connections: u32) -> Result<(), RunError> {
    if max_connections < 2 {
        return Err(DbErr::Custom(
            "the migration lock holds a connection of its own for the whole run, and the \
             migrations need another: give the connection pool at least 2 connections"
                .into(),
        )
        .into());
    }
    Ok(())
}

async fn postgres(db: &DatabaseConnection, timeout: Duration) -> Result<Lock, RunError> {
    let pool = db.get_postgres_connection_pool();
    check_pool_size(pool.options().get_max_connections())?;
    let mut conn = pool.acquire().await.map_err(sqlx_err)?;
    conn.close_on_drop();
    // So that whoever waits can see who holds it (pg_stat_activity).
    sqlx::query(
        "SELECT set_config('application_name', $1, false) \
         WHERE current_setting('application_name') = ''",
    )
    .bind(format!("db-migrate (pid {})", std::process::id()))
    .execute(&mut *conn)
    .await
    .map_err(sqlx_err)?;
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    let (key, _) = postgres_keys(schema.as_deref());
    let got = if timeout.is_zero() {
        sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(sqlx_err)?
    } else {
        sqlx::query("SELECT set_config('lock_timeout', $1, false)")
            .bind(format!("{}ms", timeout.as_millis().max(1)))
            .execute(&mut *conn)
            .await
            .map_err(sqlx_err)?;
        let locked = sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut *conn)
            .await;
        match locked {
            Ok(_) => {
                sqlx::query("SELECT set_config('lock_timeout', '0', false)")
                    .execute(&mut *conn)
                    .await
                    .map_err(sqlx_err)?;
                true
            }
            // lock_not_available: lock_timeout expired.
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => {
                false
            }
            Err(e) => return Err(sqlx_err(e).into()),
        }
    };
    if got {
        // Exempt from idle timeouts (idle_session_timeout exists from PostgreSQL
        // 14): the lock's session sits idle while the migrations run.
        sqlx::query(
            "SELECT set_config(name, '0', false) FROM pg_settings \
             WHERE name IN ('idle_session_timeout', 'idle_in_transaction_session_timeout')",
        )
        .execute(&mut *conn)
        .await
        .map_err(sqlx_err)?;
        return Ok(Lock::Postgres(Slot::new(conn), key));
    }
    drop(conn);
    Err(RunError::LockTimeout {
        waited: timeout,
        holder: describe(postgres_holder(db).await),
    })
}

async fn mysql(db: &DatabaseConnection, timeout: Duration) -> Result<Lock, RunError> {
    let pool = db.get_mysql_connection_pool();
    check_pool_size(pool.options().get_max_connections())?;
    let mut conn = pool.acquire().await.map_err(sqlx_err)?;
    conn.close_on_drop();
    let database: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
        .fetch_one(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    let name = mysql_lock_name(database.as_deref().unwrap_or(""));
    // Whole seconds: GET_LOCK's timeout; 0 means "do not wait".
    let seconds = timeout.as_secs_f64().ceil() as i64;
    let got: Option<i64> = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, ?) AS SIGNED)")
        .bind(&name)
        .bind(seconds)
        .fetch_one(&mut *conn)
        .await
        .map_err(sqlx_err)?;
    match got {
        Some(1) => {
            // The lock's session sits idle while the migrations run: a year
            // (MariaDB's maximum) instead of the server's wait_timeout.
            sqlx::query("SET SESSION wait_timeout = 31536000")
                .execute(&mut *conn)
                .await
                .map_err(sqlx_err)?;
            Ok(Lock::MySql {
                conn: Slot::new(conn),
                name,
            })
        }
        Some(_) => {
            drop(conn);
            Err(RunError::LockTimeout {
                waited: timeout,
                holder: describe(mysql_holder(db, &name).await),
            })
        }
        None => Err(DbErr::Custom(format!("GET_LOCK('{name}') failed")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_key_is_fixed() {
        assert_eq!(POSTGRES_LOCK_KEY, fnv1a(b"db_migrate"));
        assert_eq!(POSTGRES_LOCK_KEY, -3_518_130_867_469_856_887_i64);
    }

    #[test]
    fn postgres_keys_differ_per_schema() {
        assert_eq!(
            postgres_keys(Some("public")),
            (POSTGRES_LOCK_KEY, POSTGRES_RUN_KEY)
        );
        assert_eq!(postgres_keys(None), postgres_keys(Some("public")));
        let (lock, run) = postgres_keys(Some("app"));
        assert_ne!(lock, POSTGRES_LOCK_KEY);
        assert_ne!(run, POSTGRES_RUN_KEY);
        assert_ne!(lock, postgres_keys(Some("app2")).0);
    }

    #[test]
    fn mysql_lock_names_fit_in_64_characters() {
        assert_eq!(mysql_lock_name("app"), "db_migrate:app");
        let long = "x".repeat(64);
        let name = mysql_lock_name(&long);
        assert_eq!(name.len(), 11 + 40);
        assert_ne!(name, mysql_lock_name(&"y".repeat(64)));
    }
}
