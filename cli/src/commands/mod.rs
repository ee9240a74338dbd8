//! The commands.

mod auto;
mod generate;
mod history;
mod migrate;
mod status;

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
        self.global
            .migration_dir
            .clone()
            .unwrap_or_else(|| self.project.migration_dir.clone())
    }

    /// A runner over the project's migrations.
    pub fn runner(&self) -> schema_diff::runner::Runner {
        schema_diff::runner::Runner::new((self.project.migrations)())
    }
}

/// Runs the parsed command line.
pub async fn run(project: &Project, cli: Cli) -> anyhow::Result<ExitCode> {
    let (url, source) = crate::config::resolve_url(
        cli.global.database_url.as_deref(),
        &project.default_sqlite_path,
    )?;
    tracing::info!(url = %crate::config::redact_url(&url), ?source, "database");
    let ctx = Context {
        project,
        global: &cli.global,
        url,
    };
    match &cli.command {
        Command::Status => status::run(&ctx).await,
        Command::History => history::run(&ctx).await,
        Command::Upgrade { target } => migrate::upgrade(&ctx, target).await,
        Command::Downgrade { target } => migrate::downgrade(&ctx, target).await,
        Command::Generate { description } => generate::run(&ctx, description).await,
        Command::Auto {
            description,
            compare,
        } => auto::run(&ctx, description, compare.options()).await,
    }
}
