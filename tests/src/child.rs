//! Start-up scaffolding shared by the child-process binaries in `src/bin/`
//! (`faults_child`, `runner_child`, `data_child`): reading arguments, running
//! async work on a runtime, turning its outcome into an exit code, and the
//! stdout markers and waits the parent tests look for.
//!
//! Contract with the parent tests: a usage error prints `usage: ...` on stderr
//! and exits 2; a failure prints `error: ...` on stderr and exits 1; a marker
//! is one line on stdout, flushed at once.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use schema_diff::runner::{Runner, UpgradeTarget};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend};

/// The command-line arguments after the program name.
pub fn args() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// Prints `usage: USAGE` on stderr and returns exit code 2.
pub fn usage(usage: &str) -> ExitCode {
    eprintln!("usage: {usage}");
    ExitCode::from(2)
}

/// Runs `work` to completion on a two-worker runtime. Success exits 0; an
/// error (or a runtime that cannot start) prints `error: ...` on stderr and
/// exits 1.
pub fn run<F>(work: F) -> ExitCode
where
    F: Future<Output = anyhow::Result<()>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return failed(&e),
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failed(&e),
    }
}

/// Prints `error: ERROR` on stderr and returns exit code 1.
fn failed(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

/// Prints `line` on stdout and flushes at once, so that a parent reading the
/// pipe sees it before the child goes on (or blocks).
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").ok();
    out.flush().ok();
}

/// Upgrades `db` to the head of `runner`, printing `applied VERSION` for each
/// migration it applies.
pub async fn upgrade_printing(runner: &Runner, db: &DatabaseConnection) -> anyhow::Result<()> {
    runner
        .upgrade(db, &UpgradeTarget::Head, |r| {
            say(&format!("applied {}", r.version));
        })
        .await?;
    Ok(())
}

/// Whether `db` is the mock connection the runner uses to capture a
/// migration's SQL for its checksum; a migration must not wait there.
pub fn capturing(db: &DatabaseExecutor<'_>) -> bool {
    matches!(db, DatabaseExecutor::Connection(c) if c.is_mock_connection())
}

/// SQL that blocks until the parent test releases the lock it holds: on
/// PostgreSQL advisory lock 424242, elsewhere MySQL's
/// `GET_LOCK('dbm_block:<database>')` (for at most 600 s).
pub fn block_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "SELECT pg_advisory_lock(424242)",
        _ => "SELECT GET_LOCK(CONCAT('dbm_block:', DATABASE()), 600)",
    }
}
