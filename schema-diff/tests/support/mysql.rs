//! Scratch MySQL/MariaDB databases: each test its own `dbm_my_*` database, so
//! tests run in parallel, dropped when the guard goes out of scope (also when
//! the test panics).
//!
//! The server is `TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`). With
//! `CI=true` an unreachable server fails the test; otherwise the test prints
//! that it was skipped and returns.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// The server URL without a database path.
pub fn server_url() -> String {
    let url =
        std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url,
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .max_connections(2)
        .connect_timeout(std::time::Duration::from_secs(5));
    Database::connect(options).await
}

/// One test's own database; dropped with the guard.
pub struct ScratchDb {
    pub db: DatabaseConnection,
    pub name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new empty database called `dbm_my_<tag>_<pid>_<n>`, or `None` (after
/// printing why) when the server is unreachable outside CI.
pub async fn scratch(tag: &str) -> Option<ScratchDb> {
    let server = server_url();
    let admin = match connect(&server).await {
        Ok(db) => db,
        Err(e) => {
            if in_ci() {
                panic!("MySQL/MariaDB is unreachable at {server} with CI=true: {e}");
            }
            eprintln!("SKIPPED: MySQL/MariaDB unreachable at {server} ({e}); set CI=true to fail");
            return None;
        }
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("dbm_my_{tag}_{}_{n}", std::process::id());
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS `{name}`; \
             CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .await
        .unwrap_or_else(|e| panic!("create scratch database {name}: {e}"));
    admin.close().await.ok();
    let db = connect(&format!("{server}/{name}"))
        .await
        .unwrap_or_else(|e| panic!("connect to scratch database {name}: {e}"));
    Some(ScratchDb { db, name })
}

impl ScratchDb {
    /// Runs `sql` (one or more statements), panicking with the SQL on error.
    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        // The test's runtime may be unwinding: drop the database from a thread
        // with its own runtime and connection.
        let name = self.name.clone();
        let server = server_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = connect(&server).await.map_err(|e| e.to_string())?;
                let result = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map_err(|e| e.to_string());
                admin.close().await.ok();
                result.map(|_| ())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop scratch database {}: {dropped:?}", self.name);
        }
    }
}
