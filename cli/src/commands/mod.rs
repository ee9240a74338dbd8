//! The commands.

pub(crate) mod auto;
pub(crate) mod backup;
pub(crate) mod check;
mod config;
pub(crate) mod data_loss;
pub(crate) mod data_template;
pub(crate) mod diff;
pub(crate) mod diff_html;
pub(crate) mod down_hazards;
pub(crate) mod dry_run;
mod entities;
mod generate;
pub(crate) mod health;
mod history;
mod init;
mod man;
mod migrate;
mod pull;
mod repair;
mod restore;
pub(crate) mod scratch;
mod serve;
mod shell;
mod sql;
mod start;
pub(crate) mod status;
pub(crate) mod verify;
mod wait;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Project;
use crate::args::{Cli, Command, Global};
use crate::settings::{CommandFlags, Origin, Settings};

/// Everything a command needs: the project, the global options, the settled
/// configuration and the resolved URL.
pub struct Context<'a> {
    pub project: &'a Project,
    pub global: &'a Global,
    pub settings: &'a Settings,
    pub url: String,
    /// Where the URL came from (`None`: it could not be resolved).
    pub url_source: Option<Origin>,
}

impl Context<'_> {
    /// Connects to the configured database (in the configured PostgreSQL schema).
    pub async fn connect(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        crate::connect::connect(&self.url).await
    }

    /// [`Context::connect`] with one connection at most, for commands that only
    /// read and never take the migration lock (see
    /// [`crate::connect::connect_for_reading`]).
    pub async fn connect_for_reading(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        crate::connect::connect_for_reading(&self.url).await
    }

    /// The migration crate's `src` folder.
    pub fn migration_dir(&self) -> PathBuf {
        self.settings.migration_dir.value.clone()
    }

    /// How long to wait for the migration lock.
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.settings.lock_timeout.value)
    }

    /// A runner over the project's migrations.
    pub fn runner(&self) -> schema_diff::runner::Runner {
        schema_diff::runner::Runner::new((self.project.migrations)())
    }
}

/// Runs the parsed command line.
pub async fn run(project: &Project, cli: Cli) -> anyhow::Result<ExitCode> {
    // `init` works on a workspace that has no configuration yet.
    if let Command::Init {
        dir,
        name,
        source,
        force,
    } = &cli.command
    {
        return init::run(&init::InitOptions {
            dir,
            name,
            source: source.as_deref(),
            force: *force,
        });
    }
    let settings = Settings::resolve(
        &cli.global,
        command_flags(&cli.command),
        &project.migration_dir,
    )?;
    // `generate` and `auto` write into the migration crate: one that is not there
    // (a release binary run outside its source tree) is said before anything else.
    if matches!(cli.command, Command::Generate { .. } | Command::Auto { .. }) {
        let dir = &settings.migration_dir;
        let given = !matches!(dir.source, crate::settings::Origin::Default);
        generate::require_migration_crate(&dir.value, given)?;
    }
    if crate::fleet::requested(&cli.global) {
        return crate::fleet::run(project, &cli, settings).await;
    }
    let resolved = crate::config::resolve_url(
        cli.global.single_url(),
        &settings,
        &project.default_sqlite_path,
    );
    let (url, url_source) = match resolved {
        Ok((url, source)) => {
            tracing::info!(url = %crate::redact::redact_url(&url), %source, "database");
            (url, Some(source))
        }
        // `generate`, `sql --backend` and `config` never open a database.
        Err(e) if needs_database(&cli.command) => return Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "no database URL");
            (String::new(), None)
        }
    };
    run_on(
        project,
        &cli.global,
        &cli.command,
        settings,
        url,
        url_source,
    )
    .await
}

/// Runs `command` on the database `url`, in the PostgreSQL schema of `settings`.
pub(crate) async fn run_on(
    project: &Project,
    global: &Global,
    command: &Command,
    settings: Settings,
    url: String,
    url_source: Option<Origin>,
) -> anyhow::Result<ExitCode> {
    if let Some(schema) = &settings.schema
        && !url.is_empty()
        && !url.starts_with("postgres")
        && !matches!(command, Command::Config)
    {
        anyhow::bail!(
            "a schema (`{}`, from {}) is a PostgreSQL setting, and the database is not \
             PostgreSQL: on MySQL/MariaDB name the database in the URL instead, on SQLite \
             use another file; remove the schema setting for this database",
            schema_diff::display::visible(&schema.value),
            schema.source
        );
    }
    let schema = settings.schema.as_ref().map(|s| s.value.clone());
    let ctx = Context {
        project,
        global,
        settings: &settings,
        url,
        url_source,
    };
    crate::connect::in_schema(schema, dispatch(&ctx, command)).await
}

/// The shared settings a command's own flags carry.
fn command_flags(command: &Command) -> CommandFlags<'_> {
    let mut flags = CommandFlags::default();
    match command {
        Command::Auto {
            compare,
            exclude,
            backends,
            ..
        } => {
            flags.exclude_tables = &exclude.exclude_tables;
            flags.backends = backends;
            flags.no_compare_type = compare.no_compare_type;
            flags.no_compare_server_default = compare.no_compare_server_default;
        }
        Command::Diff {
            compare, exclude, ..
        } => {
            flags.exclude_tables = &exclude.exclude_tables;
            flags.no_compare_type = compare.no_compare_type;
            flags.no_compare_server_default = compare.no_compare_server_default;
        }
        Command::Check { exclude, .. } | Command::Verify { exclude } => {
            flags.exclude_tables = &exclude.exclude_tables;
        }
        Command::Upgrade { lock, .. }
        | Command::Downgrade { lock, .. }
        | Command::Resolve { lock, .. }
        | Command::Stamp { lock, .. } => flags.lock_timeout = lock.lock_timeout,
        Command::Start(args) => flags.lock_timeout = args.lock.lock_timeout,
        Command::Serve(args) => flags.lock_timeout = args.lock.lock_timeout,
        Command::Backup(args) => flags.lock_timeout = args.lock.lock_timeout,
        Command::Restore { lock, .. } => flags.lock_timeout = lock.lock_timeout,
        _ => {}
    }
    flags
}

async fn dispatch(ctx: &Context<'_>, command: &Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Status => status::run(ctx).await,
        Command::History => history::run(ctx).await,
        Command::Upgrade {
            target,
            dry_run: true,
            ..
        } => dry_run::upgrade(ctx, target).await,
        Command::Downgrade {
            target,
            dry_run: true,
            ..
        } => dry_run::downgrade(ctx, target).await,
        Command::Upgrade { target, backup, .. } => {
            if *backup {
                backup::before_upgrade(ctx).await?;
            }
            migrate::upgrade(ctx, target).await
        }
        Command::Downgrade {
            target,
            allow_data_loss,
            ..
        } => migrate::downgrade(ctx, target, *allow_data_loss).await,
        Command::Resolve {
            migration, applied, ..
        } => repair::resolve(ctx, migration, *applied).await,
        Command::Stamp { target, .. } => repair::stamp(ctx, target).await,
        Command::Generate { description, data } => generate::run(ctx, description, *data).await,
        Command::Auto {
            description,
            renames,
            allow_data_loss,
            ..
        } => auto::run(ctx, description, renames, *allow_data_loss).await,
        Command::Sql { range, backend } => sql::run(ctx, range, backend.as_deref()).await,
        Command::Diff { from, to, html, .. } => {
            diff::run(ctx, from.as_deref(), to.as_deref(), html.as_deref()).await
        }
        Command::Check {
            fail_on_pending,
            deny,
            ..
        } => {
            let options = check::CheckOptions {
                fail_on_pending: *fail_on_pending,
                deny: *deny,
            };
            check::run(ctx, options).await
        }
        Command::Verify { .. } => verify::run(ctx).await,
        Command::Config => config::run(ctx),
        Command::Pull { out, force } => pull::run(ctx, out, *force).await,
        Command::Backup(args) => backup::run(ctx, args).await,
        Command::Restore { file, force, .. } => restore::run(ctx, file, *force).await,
        Command::Wait { timeout } => wait::run(ctx, *timeout).await,
        Command::Start(args) => start::run(ctx, args).await,
        Command::Health { timeout } => health::run(ctx, *timeout).await,
        Command::Entities => entities::run(ctx).await,
        Command::Init { .. } => bail_init(),
        Command::Completions { shell } => shell::completions(*shell),
        Command::Man => man::run(),
        Command::Serve(args) => serve::run(ctx, args).await,
    }
}

/// Whether `command` opens (or names) the configured database: all but `generate`,
/// `config`, `sql --backend BACKEND`, `entities`, `completions` and `man`.
fn needs_database(command: &Command) -> bool {
    !matches!(
        command,
        Command::Generate { .. }
            | Command::Config
            | Command::Entities
            | Command::Init { .. }
            | Command::Completions { .. }
            | Command::Man
            | Command::Sql {
                backend: Some(_),
                ..
            }
    )
}

/// `init` is run before any configuration is read (see [`run`]).
fn bail_init() -> anyhow::Result<ExitCode> {
    anyhow::bail!("internal: `init` is dispatched before the configuration is read")
}
