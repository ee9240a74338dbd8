//! The migration lock held from a test as another `db-migrate` run holds it,
//! on a connection of its own: PostgreSQL's advisory lock
//! [`POSTGRES_LOCK_KEY`], MySQL's `GET_LOCK` on [`mysql_lock_name`], and on
//! SQLite a `BEGIN IMMEDIATE` transaction (the write lock a run takes).

use schema_diff::runner::lock::{POSTGRES_LOCK_KEY, mysql_lock_name};
use sea_orm::sqlx;
use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::{Backend, Scratch};

/// The migration lock of a scratch database, held until [`HeldLock::release`].
pub struct HeldLock {
    holder: Holder,
    named: String,
}

/// What holds the lock on each backend.
enum Holder {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    Sqlite(DatabaseTransaction),
}

impl HeldLock {
    /// Takes the migration lock of `scratch`'s database; panics when it is
    /// taken already.
    pub async fn take(scratch: &Scratch) -> HeldLock {
        let (holder, named) = match scratch.backend {
            Backend::Postgres => {
                let mut conn = scratch
                    .db
                    .get_postgres_connection_pool()
                    .acquire()
                    .await
                    .expect("connection");
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await
                    .expect("pid");
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(POSTGRES_LOCK_KEY)
                    .execute(&mut *conn)
                    .await
                    .expect("lock");
                (
                    Holder::Postgres(conn),
                    format!("PostgreSQL backend pid {pid} ("),
                )
            }
            Backend::MySql => {
                let mut conn = scratch
                    .db
                    .get_mysql_connection_pool()
                    .acquire()
                    .await
                    .expect("connection");
                let (id, database): (i64, String) =
                    sqlx::query_as("SELECT CAST(CONNECTION_ID() AS SIGNED), DATABASE()")
                        .fetch_one(&mut *conn)
                        .await
                        .expect("id");
                let got: i64 = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)")
                    .bind(mysql_lock_name(&database))
                    .fetch_one(&mut *conn)
                    .await
                    .expect("lock");
                assert_eq!(got, 1, "the migration lock is taken already");
                (
                    Holder::MySql(conn),
                    format!("MySQL/MariaDB connection {id} (user root"),
                )
            }
            Backend::Sqlite => {
                let txn = scratch
                    .db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
                    .expect("BEGIN IMMEDIATE");
                (
                    Holder::Sqlite(txn),
                    "SQLite cannot say which process".to_owned(),
                )
            }
        };
        HeldLock { holder, named }
    }

    /// What a lock-timeout message must say about this holder: the
    /// PostgreSQL backend pid, the MySQL connection id, or on SQLite that it
    /// cannot tell.
    pub fn named(&self) -> &str {
        &self.named
    }

    /// Releases the lock (closes its connection, or rolls back on SQLite).
    pub async fn release(self) {
        match self.holder {
            Holder::Postgres(conn) => conn.close().await.expect("close"),
            Holder::MySql(conn) => conn.close().await.expect("close"),
            Holder::Sqlite(txn) => txn.rollback().await.expect("rollback"),
        }
    }
}
