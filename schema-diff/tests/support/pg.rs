//! Scratch PostgreSQL databases for the tests: each test creates its own
//! database (`dbm_pg_<label>_<pid>_<n>_<nanos>`) and drops it when the guard
//! goes out of scope, even when the test panics, so tests run in parallel.
//!
//! The server is `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`,
//! no database part). With `CI=true` an unreachable server fails the test;
//! otherwise the test prints that it was skipped and returns.

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// One test's own database, dropped with the guard.
pub struct PgScratch {
    /// A connection to the scratch database.
    pub db: DatabaseConnection,
    /// The scratch database's URL.
    #[allow(dead_code)]
    pub url: String,
    server: String,
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
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

impl PgScratch {
    /// A new empty database, or `None` (after printing that the test is
    /// skipped) when the server is unreachable outside CI. Panics in CI.
    pub async fn new(label: &str) -> Option<PgScratch> {
        let server = server();
        let admin = match connect(&format!("{server}/postgres")).await {
            Ok(db) => db,
            Err(e) => {
                if in_ci() {
                    panic!("PostgreSQL is unreachable at {server} in CI: {e}");
                }
                eprintln!("SKIPPED: PostgreSQL is unreachable at {server} ({e})");
                return None;
            }
        };
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let label = label.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        let name = format!("dbm_pg_{label}_{}_{n}_{nanos}", std::process::id());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        admin.close().await.ok();
        let url = format!("{server}/{name}");
        let db = connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
        Some(PgScratch {
            db,
            url,
            server,
            name,
        })
    }

    /// Runs `sql`, panicking with the statement in the message.
    #[allow(dead_code)]
    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime: drop the database from a
        // thread of its own. `WITH (FORCE)` ends this guard's open connections.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = connect(&format!("{server}/postgres"))
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop scratch database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop scratch database {}", self.name),
        }
    }
}
