//! Scratch databases: a temp file on SQLite, a fresh database on PostgreSQL and
//! MariaDB, each test its own, so tests run in parallel.
//!
//! With `CI=true` an unreachable server fails the test; locally it is skipped
//! with a message saying so.

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// A backend the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    /// The backends the convergence suite covers.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    fn server_url(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            ),
            Backend::MySql => Some(
                std::env::var("TEST_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
            ),
        }
    }
}

/// One test's own database; dropped (file removed, database dropped) at the end
/// of [`Scratch::cleanup`].
pub struct Scratch {
    pub backend: Backend,
    pub url: String,
    pub db: DatabaseConnection,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Connects to `url` the way the CLI does (one connection on SQLite).
pub async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // After DDL a cached statement can keep a stale column list, which makes
        // sqlx's SQLite worker panic; migrations run DDL, so no cache.
        options
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| o.statement_cache_capacity(0));
    } else {
        options
            .max_connections(2)
            .map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0))
            .map_sqlx_mysql_opts(|o| o.statement_cache_capacity(0));
    }
    Database::connect(options).await
}

impl Scratch {
    /// A new empty database, or `None` (with a message) when the backend's server
    /// is unreachable outside CI. Panics in CI when it is unreachable.
    pub async fn new(backend: Backend, label: &str) -> Option<Scratch> {
        let name = unique_name(&format!(
            "dbm_{}",
            label
                .chars()
                .take(24)
                .collect::<String>()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let db = connect(&url).await.expect("open SQLite file");
                Some(Scratch {
                    backend,
                    url,
                    db,
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres | Backend::MySql => {
                let server = backend.server_url()?;
                let admin_url = match backend {
                    Backend::Postgres => format!("{server}/postgres"),
                    _ => format!("{server}/mysql"),
                };
                let admin = match connect(&admin_url).await {
                    Ok(db) => db,
                    Err(e) => {
                        if in_ci() {
                            panic!("{backend:?} is unreachable at {server} in CI: {e}");
                        }
                        eprintln!("SKIPPED on {backend:?}: server unreachable at {server} ({e})");
                        return None;
                    }
                };
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create scratch database");
                admin.close().await.ok();
                let url = format!("{server}/{name}");
                let db = connect(&url).await.expect("connect to scratch database");
                Some(Scratch {
                    backend,
                    url,
                    db,
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// Closes the connection and drops the scratch database.
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        if let Some(server) = self.backend.server_url() {
            let admin_url = match self.backend {
                Backend::Postgres => format!("{server}/postgres"),
                _ => format!("{server}/mysql"),
            };
            if let Ok(admin) = connect(&admin_url).await {
                let sql = match self.backend {
                    Backend::Postgres => {
                        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)
                    }
                    _ => format!("DROP DATABASE IF EXISTS {}", self.name),
                };
                admin.execute_unprepared(&sql).await.ok();
                admin.close().await.ok();
            }
        }
    }
}

/// Many empty databases on one server, made and dropped through a single admin
/// connection, with no connection kept open to any of them (so that a hundred
/// fit in the server's connection limit): the targets of fleet runs.
pub struct ScratchDatabases {
    pub backend: Backend,
    /// `SERVER/NAME` for each database, in order.
    pub urls: Vec<String>,
    names: Vec<String>,
    server: String,
}

impl ScratchDatabases {
    /// `count` new empty databases on PostgreSQL or MariaDB, or `None` (with a
    /// message) when the server is unreachable outside CI. Panics in CI when it
    /// is unreachable, and for SQLite (use files in a temp folder).
    pub async fn new(backend: Backend, label: &str, count: usize) -> Option<ScratchDatabases> {
        let server = backend
            .server_url()
            .expect("ScratchDatabases is for PostgreSQL and MariaDB");
        let admin = admin(backend, &server).await?;
        let prefix = unique_name(&format!("dbm_{label}"));
        let mut set = ScratchDatabases {
            backend,
            urls: Vec::new(),
            names: Vec::new(),
            server,
        };
        for i in 0..count {
            let name = format!("{prefix}_{i}");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create scratch database");
            set.urls.push(format!("{}/{name}", set.server));
            set.names.push(name);
        }
        admin.close().await.ok();
        Some(set)
    }

    /// Drops every database of the set.
    pub async fn cleanup(self) {
        let Some(admin) = admin(self.backend, &self.server).await else {
            return;
        };
        for name in &self.names {
            let sql = match self.backend {
                Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                _ => format!("DROP DATABASE IF EXISTS {name}"),
            };
            admin.execute_unprepared(&sql).await.ok();
        }
        admin.close().await.ok();
    }
}

/// The server's admin connection, `None` (with a message) when unreachable
/// outside CI; panics in CI.
async fn admin(backend: Backend, server: &str) -> Option<DatabaseConnection> {
    let admin_url = match backend {
        Backend::Postgres => format!("{server}/postgres"),
        _ => format!("{server}/mysql"),
    };
    match connect(&admin_url).await {
        Ok(db) => Some(db),
        Err(e) => {
            if in_ci() {
                panic!("{backend:?} is unreachable at {server} in CI: {e}");
            }
            eprintln!("SKIPPED on {backend:?}: server unreachable at {server} ({e})");
            None
        }
    }
}

/// Runs `run` on each of `backends` in turn. `run` returns `false` when it
/// did nothing because [`Scratch::new`] found its backend's server
/// unreachable (possible outside CI only; with `CI=true` that fails the test);
/// the backends skipped so are named on stderr at the end.
pub async fn for_each_backend<F, Fut>(backends: impl IntoIterator<Item = Backend>, mut run: F)
where
    F: FnMut(Backend) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut skipped = Vec::new();
    for backend in backends {
        if !run(backend).await {
            skipped.push(backend);
        }
    }
    if !skipped.is_empty() {
        eprintln!("SKIPPED on {skipped:?}: server unreachable");
    }
}
