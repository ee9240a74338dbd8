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
//!   `busy_timeout` bounding the wait. The whole run happens inside that write
//!   transaction, each migration in a savepoint. A second connection cannot be
//!   used, since a writer on it would block the migrations themselves; a lock row
//!   would outlive a killed process. SQLite's write lock ends with the process,
//!   and the database reads as before the run when it dies.
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
    RuntimeErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use super::RunError;

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

/// A held migration lock.
pub(super) enum Lock {
    Postgres(PoolConnection<Postgres>),
    MySql {
        conn: PoolConnection<MySql>,
        name: String,
    },
    /// The run's write transaction, and the `busy_timeout` to restore afterwards.
    Sqlite {
        txn: DatabaseTransaction,
        busy_timeout_ms: i64,
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
            Lock::Sqlite { txn, .. } => DatabaseExecutor::Transaction(txn),
            _ => DatabaseExecutor::Connection(db),
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
            Lock::Postgres(mut conn) => {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(POSTGRES_LOCK_KEY)
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
            Lock::MySql { mut conn, name } => {
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
                busy_timeout_ms,
            } => {
                let ended = if commit {
                    txn.commit().await
                } else {
                    txn.rollback().await
                };
                let restored = async {
                    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
                    db.execute_unprepared(&format!("PRAGMA busy_timeout = {busy_timeout_ms}"))
                        .await
                }
                .await;
                ended?;
                restored?;
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
    let got = if timeout.is_zero() {
        sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(POSTGRES_LOCK_KEY)
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
            .bind(POSTGRES_LOCK_KEY)
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
        return Ok(Lock::Postgres(conn));
    }
    drop(conn);
    Err(RunError::LockTimeout {
        waited: timeout,
        holder: describe(postgres_holder(db).await),
    })
}

/// Who holds the PostgreSQL lock, from `pg_locks` and `pg_stat_activity`.
async fn postgres_holder(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let sql = "SELECT a.pid, COALESCE(a.application_name, '') AS app, \
               COALESCE(host(a.client_addr), 'a local socket') AS client, \
               COALESCE(a.usename::text, '') AS usr, \
               COALESCE(EXTRACT(EPOCH FROM now() - a.backend_start)::bigint, 0) AS age \
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
               WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1";
    let high = (POSTGRES_LOCK_KEY as u64 >> 32) as i64;
    let low = (POSTGRES_LOCK_KEY as u64 & 0xffff_ffff) as i64;
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [high.into(), low.into()]);
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let pid: i32 = row.try_get("", "pid")?;
    let app: String = row.try_get("", "app")?;
    let client: String = row.try_get("", "client")?;
    let user: String = row.try_get("", "usr")?;
    let age: i64 = row.try_get("", "age")?;
    let app = if app.is_empty() {
        String::new()
    } else {
        format!("application `{app}`, ")
    };
    Ok(Some(format!(
        "PostgreSQL backend pid {pid} ({app}client {client}, user {user}, connected {age} s ago)"
    )))
}

/// The holder for a timeout message: named, or why it cannot be.
fn describe(holder: Result<Option<String>, DbErr>) -> String {
    match holder {
        Ok(Some(who)) => who,
        Ok(None) => "another session that released it just now (try again)".into(),
        Err(e) => format!("another session (it could not be named: {e})"),
    }
}

/// Who holds the migration lock right now, where the database can tell:
/// PostgreSQL and MySQL/MariaDB name the session; SQLite cannot say without
/// taking the lock, so it answers `None`.
pub async fn holder(db: &DatabaseConnection) -> Result<Option<String>, RunError> {
    if db.is_mock_connection() {
        return Ok(None);
    }
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => postgres_holder(db).await?,
        DbBackend::MySql => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::MySql,
                    "SELECT CAST(DATABASE() AS CHAR) AS db",
                ))
                .await?;
            let database: Option<String> = match row {
                Some(row) => row.try_get("", "db")?,
                None => None,
            };
            mysql_holder(db, &mysql_lock_name(database.as_deref().unwrap_or(""))).await?
        }
        _ => None,
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
        Some(1) => Ok(Lock::MySql { conn, name }),
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

/// Who holds the MySQL lock: `IS_USED_LOCK` and the process list.
async fn mysql_holder(db: &DatabaseConnection, name: &str) -> Result<Option<String>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT CAST(IS_USED_LOCK(?) AS SIGNED) AS id",
        [name.into()],
    );
    let id: Option<i64> = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "id")?,
        None => None,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    let stmt = Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT CAST(USER AS CHAR) AS usr, CAST(HOST AS CHAR) AS host, \
         CAST(TIME AS SIGNED) AS secs FROM information_schema.PROCESSLIST WHERE ID = ?",
        [id.into()],
    );
    Ok(Some(match db.query_one_raw(stmt).await? {
        Some(row) => {
            let user: String = row.try_get("", "usr")?;
            let host: String = row.try_get("", "host")?;
            let secs: i64 = row.try_get("", "secs")?;
            format!(
                "MySQL/MariaDB connection {id} (user {user}, host {host}, \
                 in its current state for {secs} s)"
            )
        }
        None => format!(
            "MySQL/MariaDB connection {id} (not visible in the process list: \
             the PROCESS privilege shows other users' connections)"
        ),
    }))
}

async fn sqlite(db: &DatabaseConnection, timeout: Duration) -> Result<Lock, RunError> {
    let busy_timeout_ms: i64 = match db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA busy_timeout",
        ))
        .await?
    {
        Some(row) => row.try_get_by_index(0)?,
        None => 5000,
    };
    // Must precede BEGIN: the pragma is a no-op inside a transaction. Off so that
    // table rebuilds keep child rows; each migration checks the keys before it ends.
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    let wait_ms = timeout.as_millis().min(i32::MAX as u128);
    db.execute_unprepared(&format!("PRAGMA busy_timeout = {wait_ms}"))
        .await?;
    let begun = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await;
    match begun {
        Ok(txn) => Ok(Lock::Sqlite {
            txn,
            busy_timeout_ms,
        }),
        Err(e) => {
            let restore = format!("PRAGMA busy_timeout = {busy_timeout_ms}");
            let _ = db.execute_unprepared(&restore).await;
            let _ = db.execute_unprepared("PRAGMA foreign_keys = ON").await;
            if e.to_string().contains("database is locked") {
                Err(RunError::LockTimeout {
                    waited: timeout,
                    holder: sqlite_holder(db).await,
                })
            } else {
                Err(e.into())
            }
        }
    }
}

/// SQLite cannot say who writes; name the file at least.
async fn sqlite_holder(db: &DatabaseConnection) -> String {
    let file = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await
        .ok()
        .and_then(|rows| {
            rows.first()
                .and_then(|r| r.try_get_by_index::<String>(0).ok())
        })
        .filter(|f| !f.is_empty());
    match file {
        Some(file) => format!(
            "another connection writing to `{file}` (SQLite cannot say which process: \
             look for another db-migrate run or an application writing to the file)"
        ),
        None => "another connection writing to the database (SQLite cannot say which)".into(),
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
    fn mysql_lock_names_fit_in_64_characters() {
        assert_eq!(mysql_lock_name("app"), "db_migrate:app");
        let long = "x".repeat(64);
        let name = mysql_lock_name(&long);
        assert_eq!(name.len(), 11 + 40);
        assert_ne!(name, mysql_lock_name(&"y".repeat(64)));
    }
}
