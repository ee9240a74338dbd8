//! The admin API: status, history, pending migrations, drift, health, backups and
//! the audit log as JSON, and operations (upgrade, downgrade, backup) with a
//! preview first, under the migration lock, one at a time, each recorded in the
//! audit table `db_migrate_audit` of the database. See docs/admin.md.
//!
//! `db-migrate serve` runs it with bearer tokens; an application can mount the
//! same [`router`] under a path of its own, behind its own authentication:
//!
//! ```no_run
//! use axum::extract::Request;
//! use axum::middleware::{self, Next};
//! use axum::response::Response;
//! use db_migrate::admin::{AdminConfig, AdminState, Auth, Caller, Role};
//!
//! # mod entity { pub fn all_entities(_: &sea_orm::Schema) -> Vec<schema_diff::desired::EntityStatements> { vec![] } }
//! # mod migration { pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] } }
//! /// The application's own check (here: a header set by its login proxy).
//! async fn app_auth(mut request: Request, next: Next) -> Response {
//!     let user = request.headers().get("x-app-user").and_then(|v| v.to_str().ok()).map(str::to_owned);
//!     if let Some(user) = user {
//!         request.extensions_mut().insert(Caller { actor: user, role: Role::Viewer });
//!     }
//!     next.run(request).await
//! }
//!
//! # async fn demo() -> anyhow::Result<()> {
//! let project = db_migrate::Project {
//!     entities: entity::all_entities,
//!     migrations: migration::migrations,
//!     migration_dir: "migration/src".into(),
//!     default_sqlite_path: "app.db".into(),
//! };
//! let config = AdminConfig {
//!     database_url: Some("postgres://app@127.0.0.1/app".into()),
//!     ..AdminConfig::new(Auth::Application)
//! };
//! let admin = db_migrate::admin::router(AdminState::new(project, config)?);
//! let app: axum::Router = axum::Router::new()
//!     .nest("/ops/migrations", admin)
//!     .layer(middleware::from_fn(app_auth));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

mod assets;
mod audit;
mod auth;
mod backups;
mod error;
mod migrations;
mod operations;
mod page;
mod reads;
mod registry;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

pub use auth::{
    Caller, FailureLimiter, MIN_TOKEN_LEN, OPERATOR_TOKEN_VAR, Role, Tokens, VIEWER_TOKEN_VAR,
};
pub use error::ApiError;

use crate::Project;
use crate::args::Global;
use crate::commands::Context;
use crate::settings::{CommandFlags, Settings};

/// Who may call the API.
#[derive(Debug)]
pub enum Auth {
    /// Bearer tokens (`Authorization: Bearer TOKEN`), checked by the router.
    Tokens(Tokens),
    /// The application authenticates: a middleware of its own puts a [`Caller`]
    /// into each request's extensions; a request without one gets 401.
    Application,
}

/// How to build an [`AdminState`].
#[derive(Debug)]
pub struct AdminConfig {
    /// The database URL; `None`: resolved as the CLI resolves it (`DATABASE_URL`,
    /// `.env`, db-migrate.toml, the embedded SQLite file).
    pub database_url: Option<String>,
    /// The configuration file (default: db-migrate.toml found as the CLI finds it).
    pub config_file: Option<PathBuf>,
    pub auth: Auth,
    /// Failed token attempts per client address and minute before 429.
    pub max_failed_auth: u32,
    /// How long operations wait for the migration lock, in seconds (default:
    /// `lock_timeout` in db-migrate.toml, else 60).
    pub lock_timeout: Option<u64>,
    /// Where backups are written and listed (default: `backup_dir` in
    /// db-migrate.toml, else `backups`).
    pub backup_dir: Option<PathBuf>,
}

impl AdminConfig {
    /// The defaults with `auth`: the CLI's database and configuration, 10 failed
    /// attempts a minute.
    pub fn new(auth: Auth) -> AdminConfig {
        AdminConfig {
            database_url: None,
            config_file: None,
            auth,
            max_failed_auth: 10,
            lock_timeout: None,
            backup_dir: None,
        }
    }
}

/// The API's shared state: the project, its settled configuration, the
/// authentication, and the operation in progress. Cheap to clone.
#[derive(Clone)]
pub struct AdminState {
    inner: Arc<Inner>,
}

struct Inner {
    project: Project,
    global: Global,
    settings: Settings,
    url: String,
    auth: Auth,
    limiter: FailureLimiter,
    operations: registry::Registry,
}

impl AdminState {
    /// Settles the configuration as the CLI does (configuration file, `.env`,
    /// environment) and the database URL.
    pub fn new(project: Project, config: AdminConfig) -> anyhow::Result<AdminState> {
        let global = Global {
            database_url: config.database_url.into_iter().collect(),
            json: true,
            verbose: 0,
            migration_dir: None,
            config: config.config_file,
            schema: None,
            fleet: crate::args::FleetFlags::default(),
        };
        let flags = CommandFlags {
            lock_timeout: config.lock_timeout,
            ..CommandFlags::default()
        };
        let mut settings = Settings::resolve(&global, flags, &project.migration_dir)?;
        if let Some(dir) = config.backup_dir {
            settings.backup_dir.value = dir;
            settings.backup_dir.source = crate::settings::Origin::Flag("AdminConfig::backup_dir");
        }
        let (url, _) = crate::config::resolve_url(
            global.single_url(),
            &settings,
            &project.default_sqlite_path,
        )?;
        Self::from_parts(
            project,
            global,
            settings,
            url,
            config.auth,
            config.max_failed_auth,
        )
    }

    /// The state of settled parts (`db-migrate serve`).
    pub(crate) fn from_parts(
        project: Project,
        global: Global,
        settings: Settings,
        url: String,
        auth: Auth,
        max_failed_auth: u32,
    ) -> anyhow::Result<AdminState> {
        crate::config::validate_url(&url)?;
        if settings.schema.is_some() && !url.starts_with("postgres") {
            anyhow::bail!("a schema is a PostgreSQL setting, and the database is not PostgreSQL");
        }
        if let Auth::Tokens(tokens) = &auth
            && tokens.is_empty()
        {
            anyhow::bail!(
                "no token configured: set {OPERATOR_TOKEN_VAR} and/or {VIEWER_TOKEN_VAR} \
                 (comma-separated, at least {MIN_TOKEN_LEN} characters each)"
            );
        }
        Ok(AdminState {
            inner: Arc::new(Inner {
                project,
                global,
                settings,
                url,
                auth,
                limiter: FailureLimiter::new(max_failed_auth),
                operations: registry::Registry::default(),
            }),
        })
    }

    /// The database URL with its password hidden.
    pub fn database_shown(&self) -> String {
        crate::redact::redact_url(&self.inner.url)
    }

    /// A command context over this state, as the CLI's commands take it.
    fn context(&self) -> Context<'_> {
        Context {
            project: &self.inner.project,
            global: &self.inner.global,
            settings: &self.inner.settings,
            url: self.inner.url.clone(),
            url_source: None,
        }
    }

    /// The configured PostgreSQL schema, which every connection works in.
    fn schema(&self) -> Option<String> {
        self.inner.settings.schema.as_ref().map(|s| s.value.clone())
    }

    /// Runs `work` with the configured PostgreSQL schema (see `connect::in_schema`).
    async fn scoped<F: std::future::Future>(&self, work: F) -> F::Output {
        crate::connect::in_schema(self.schema(), work).await
    }

    /// A connection to the database; an unreachable one is a 503.
    async fn connect(&self) -> Result<sea_orm::DatabaseConnection, ApiError> {
        crate::connect::connect(&self.inner.url)
            .await
            .map_err(|e| ApiError::from_anyhow("connect to the database", &e))
    }

    /// Runs `work` on a connection of its own, which is closed afterwards
    /// whatever `work` returned; an unreachable database is a 503. Callers run
    /// it within [`AdminState::scoped`].
    async fn on_database<T>(
        &self,
        work: impl AsyncFnOnce(&sea_orm::DatabaseConnection) -> T,
    ) -> Result<T, ApiError> {
        let db = self.connect().await?;
        let result = work(&db).await;
        db.close().await.ok();
        Ok(result)
    }
}

/// The API and the dashboard: `GET /`, its embedded files under `/assets/` and
/// `/api/...` (docs/admin.md). Mount
/// it with `Router::nest`; with [`Auth::Tokens`], serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that failed
/// attempts are counted per client address (else all count as one).
pub fn router(state: AdminState) -> Router {
    let api = Router::new()
        .route("/me", get(reads::me))
        .route("/status", get(reads::status))
        .route("/history", get(reads::history))
        .route("/pending", get(reads::pending))
        .route("/drift", get(reads::drift))
        .route("/drift/report", get(reads::drift_report))
        .route("/health", get(reads::health))
        .route("/backups", get(backups::list))
        .route("/audit", get(reads::audit))
        .route("/operations/{id}", get(operations::operation))
        .route("/upgrade/preview", post(migrations::upgrade_preview))
        .route("/downgrade/preview", post(migrations::downgrade_preview))
        .route("/backup/preview", post(backups::preview))
        .route("/upgrade", post(migrations::upgrade))
        .route("/downgrade", post(migrations::downgrade))
        .route("/backup", post(backups::create))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/", get(page::index))
        .route("/assets/{name}", get(assets::asset))
        .nest("/api", api)
        .fallback(page::not_found)
        .method_not_allowed_fallback(page::method_not_allowed)
        .layer(middleware::from_fn(page::security_headers))
        .with_state(state)
}
