//! `db-migrate serve`: the admin API on a loopback address (docs/admin.md).

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Context;
use crate::Project;
use crate::admin::{AdminState, Auth, Tokens};
use crate::args::ServeArgs;
use crate::settings::{CommandFlags, Settings};

/// Serves until interrupted (Ctrl-C, SIGTERM).
pub async fn run(ctx: &Context<'_>, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    check_bind(args.bind, args.allow_remote)?;
    let tokens = Tokens::from_env()?;
    // The state owns its copy of the settled configuration.
    let global = ctx.global.clone();
    let flags = CommandFlags {
        lock_timeout: args.lock.lock_timeout,
        ..CommandFlags::default()
    };
    let settings = Settings::resolve(&global, flags, &ctx.project.migration_dir)?;
    let project = Project {
        entities: ctx.project.entities,
        migrations: ctx.project.migrations,
        migration_dir: ctx.project.migration_dir.clone(),
        default_sqlite_path: ctx.project.default_sqlite_path.clone(),
    };
    let state = AdminState::from_parts(
        project,
        global,
        settings,
        ctx.url.clone(),
        Auth::Tokens(tokens),
        args.max_failed_auth,
    )?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let local = listener.local_addr().unwrap_or(args.bind);
    // The line scripts wait for (the port when --bind asked for port 0).
    outln!(
        "serving the admin API on http://{local}/ (database {})",
        state.database_shown()
    );
    tracing::info!(%local, "admin API listening");
    let app = crate::admin::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .await
        .context("the admin server stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses an address other than loopback without `--allow-remote`.
fn check_bind(bind: SocketAddr, allow_remote: bool) -> anyhow::Result<()> {
    if bind.ip().is_loopback() || allow_remote {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to listen on {bind}, which is not a loopback address: tokens would cross the \
         network in clear text; put a TLS proxy in front and pass --allow-remote, or bind \
         127.0.0.1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_allow_remote() {
        let v4: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let v6: SocketAddr = "[::1]:8790".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8790".parse().unwrap();
        assert!(check_bind(v4, false).is_ok());
        assert!(check_bind(v6, false).is_ok());
        assert!(check_bind(any, false).is_err());
        assert!(check_bind(any, true).is_ok());
    }
}
