//! The commands.

mod auto;
mod backup;
pub(crate) mod check;
pub(crate) mod data_loss;
mod diff;
mod down_hazards;
mod dry_run;
mod entities;
mod generate;
mod health;
mod history;
mod man;
mod migrate;
mod repair;
mod restore;
pub(crate) mod scratch;
mod shell;
mod sql;
mod start;
mod status;
pub(crate) mod verify;
mod wait;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Project;
use crate::args::{Cli, Command, Global};

/// Everything a command needs: the project, the global options and the resolved URL.
pub struct Context<'a> {
    pub project: &'a Project,
    pub global: &'a Global,
    pub url: String,
}

impl Context<'_> {
    /// Connects to the configured database.
    pub async fn connect(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        crate::connect::connect(&self.url).await
    }

    /// The migration crate's `src` folder.
    pub fn migration_dir(&self) -> PathBuf {
        migration_dir(self.project, self.global)
    }

    /// A runner over the project's migrations.
    pub fn runner(&self) -> schema_diff::runner::Runner {
        schema_diff::runner::Runner::new((self.project.migrations)())
    }
}

/// Runs the parsed command line.
pub async fn run(project: &Project, cli: Cli) -> anyhow::Result<ExitCode> {
    // `generate` and `auto` write into the migration crate: one that is not there
    // (a release binary run outside its source tree) is said before anything else.
    if matches!(cli.command, Command::Generate { .. } | Command::Auto { .. }) {
        let dir = migration_dir(project, &cli.global);
        generate::require_migration_crate(&dir, cli.global.migration_dir.is_some())?;
    }
    let resolved = crate::config::resolve_url(
        cli.global.database_url.as_deref(),
        &project.default_sqlite_path,
    );
    let url = match resolved {
        Ok((url, source)) => {
            tracing::info!(url = %crate::redact::redact_url(&url), ?source, "database");
            url
        }
        // `generate` and `sql --backend` never open a database.
        Err(e) if needs_database(&cli.command) => return Err(e),
        Err(_) => String::new(),
    };
    let ctx = Context {
        project,
        global: &cli.global,
        url,
    };
    match &cli.command {
        Command::Status => status::run(&ctx).await,
        Command::History => history::run(&ctx).await,
        Command::Upgrade {
            target,
            dry_run: true,
            ..
        } => dry_run::upgrade(&ctx, target).await,
        Command::Downgrade {
            target,
            dry_run: true,
            ..
        } => dry_run::downgrade(&ctx, target).await,
        Command::Upgrade {
            target,
            lock,
            backup,
            ..
        } => {
            if *backup {
                backup::before_upgrade(&ctx).await?;
            }
            migrate::upgrade(&ctx, target, *lock).await
        }
        Command::Downgrade {
            target,
            lock,
            allow_data_loss,
            ..
        } => migrate::downgrade(&ctx, target, *lock, *allow_data_loss).await,
        Command::Resolve {
            migration,
            applied,
            lock,
            ..
        } => repair::resolve(&ctx, migration, *applied, *lock).await,
        Command::Stamp { target, lock } => repair::stamp(&ctx, target, *lock).await,
        Command::Generate { description } => generate::run(&ctx, description).await,
        Command::Auto {
            description,
            compare,
            renames,
            allow_data_loss,
        } => {
            auto::run(
                &ctx,
                description,
                compare.options(),
                renames,
                *allow_data_loss,
            )
            .await
        }
        Command::Sql { range, backend } => sql::run(&ctx, range, backend.as_deref()).await,
        Command::Diff { from, to, compare } => {
            diff::run(&ctx, from.as_deref(), to.as_deref(), compare.options()).await
        }
        Command::Check {
            fail_on_pending,
            deny,
        } => {
            let options = check::CheckOptions {
                fail_on_pending: *fail_on_pending,
                deny: *deny,
            };
            check::run(&ctx, options).await
        }
        Command::Verify => verify::run(&ctx).await,
        Command::Backup(args) => backup::run(&ctx, args).await,
        Command::Restore { file, force } => restore::run(&ctx, file, *force).await,
        Command::Wait { timeout } => wait::run(&ctx, *timeout).await,
        Command::Start(args) => start::run(&ctx, args).await,
        Command::Health { timeout } => health::run(&ctx, *timeout).await,
        Command::Entities => entities::run(&ctx).await,
        Command::Completions { shell } => shell::completions(*shell),
        Command::Man => man::run(),
    }
}

/// The migration crate's `src` folder: `--migration-dir` (or its variable), else
/// the project's.
fn migration_dir(project: &Project, global: &Global) -> PathBuf {
    global
        .migration_dir
        .clone()
        .unwrap_or_else(|| project.migration_dir.clone())
}

/// Whether `command` opens (or names) the configured database: all but `generate`,
/// `sql --backend BACKEND`, `entities`, `completions` and `man`.
fn needs_database(command: &Command) -> bool {
    !matches!(
        command,
        Command::Generate { .. }
            | Command::Entities
            | Command::Completions { .. }
            | Command::Man
            | Command::Sql {
                backend: Some(_),
                ..
            }
    )
}
