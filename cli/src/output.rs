//! Logging set-up and the printing of results and errors. Every byte this CLI
//! prints passes through [`crate::redact::redact`]: logs (those of dependencies
//! too) through [`RedactingStderr`], errors through [`fail`], JSON through
//! [`json`], and text lines through `outln!`, `out!` and `errln!`.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use crate::redact::{RedactingStderr, redact, redact_json};

/// `println!` with credentials redacted and control characters made visible (see
/// [`crate::terminal`]): the CLI's only way to print a line on stdout.
macro_rules! outln {
    () => { $crate::output::write_stdout("\n") };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&::std::format!(
            "{}\n",
            $crate::terminal::visible_line(&$crate::redact::redact(&::std::format!($($arg)*)))
        ))
    };
}

/// `eprintln!` with credentials redacted and control characters made visible: the
/// CLI's only way to print a line on stderr.
macro_rules! errln {
    () => { $crate::output::write_stderr("\n") };
    ($($arg:tt)*) => {
        $crate::output::write_stderr(&::std::format!(
            "{}\n",
            $crate::terminal::visible_line(&$crate::redact::redact(&::std::format!($($arg)*)))
        ))
    };
}

/// `print!` with credentials redacted, for text that carries its own newlines and
/// has already been made visible line by line ([`crate::terminal::visible_lines`]).
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(&$crate::redact::redact(&::std::format!($($arg)*))) };
}

/// What a command printed while [`capture`] ran it: its stdout and its stderr.
#[derive(Debug, Default)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
}

tokio::task_local! {
    /// The buffer of the command running under [`capture`], if any.
    static CAPTURE: std::cell::RefCell<Captured>;
}

/// Runs `work` with everything it prints through `outln!`, `out!`, `errln!` and
/// [`json`] kept in a buffer instead of written, so that commands run side by
/// side (`db-migrate -u A -u B ...`) do not interleave their output. Logs
/// (`tracing`) are not captured.
pub async fn capture<F: std::future::Future>(work: F) -> (F::Output, Captured) {
    CAPTURE
        .scope(std::cell::RefCell::new(Captured::default()), async move {
            let output = work.await;
            let captured = CAPTURE.with(|c| std::mem::take(&mut *c.borrow_mut()));
            (output, captured)
        })
        .await
}

/// Writes `text` (already redacted and made visible) on stdout, or into the
/// buffer of [`capture`].
pub fn write_stdout(text: &str) {
    let kept = CAPTURE.try_with(|c| c.borrow_mut().stdout.push_str(text));
    if kept.is_err() {
        print!("{text}");
    }
}

/// Writes `text` (already redacted and made visible) on stderr, or into the
/// buffer of [`capture`].
pub fn write_stderr(text: &str) {
    let kept = CAPTURE.try_with(|c| c.borrow_mut().stderr.push_str(text));
    if kept.is_err() {
        eprint!("{text}");
    }
}

/// Logs go to stderr, credentials redacted: `RUST_LOG` if set, else `-v` (info)
/// or `-vv` (debug, with SQL). Data-migration progress (target
/// `db_migrate::data`) is logged at info by default.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,sqlx=off,db_migrate::data=info",
        1 => "info,sqlx=warn",
        _ => "debug,sqlx=info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Prints `error: ...` (the whole context chain on one line, passwords redacted) and returns 1.
pub fn fail(error: &anyhow::Error) -> ExitCode {
    errln!("error: {}", error_line(error));
    if error
        .downcast_ref::<crate::commands::data_loss::Refused>()
        .is_some()
    {
        return ExitCode::from(crate::commands::data_loss::REFUSED_EXIT);
    }
    ExitCode::from(1)
}

/// The context chain joined with `: `, without a cause that merely repeats the
/// message before it (drivers often print their source inside their own message)
/// and without PostgreSQL's server-source ` at line N`, on a single line,
/// passwords redacted.
pub(crate) fn error_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = schema_diff::error::without_server_source_line(&cause.to_string());
        if !parts
            .last()
            .is_some_and(|prev| prev.contains(text.as_str()))
        {
            parts.push(text);
        }
    }
    let joined = parts.join(": ");
    let flat: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    redact(&flat.join(" "))
}

/// Prints clap's message for a command line it cannot parse (or `--help`,
/// `--version`), redacted: a misplaced URL is echoed in it. Returns clap's code.
pub fn usage_error(error: &clap::Error) -> ExitCode {
    let text = redact(&error.to_string());
    if error.use_stderr() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Prints one JSON document on stdout, every string in it redacted.
pub fn json(value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&redact_json(value))?;
    write_stdout(&format!("{text}\n"));
    Ok(())
}

/// `path` relative to the current directory when it is inside it.
pub fn relative(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_causes_and_newlines_are_dropped() {
        let inner = anyhow::anyhow!("pool timed out");
        let error = inner
            .context("Connection Error: pool timed out")
            .context("cannot connect\nto `x`");
        assert_eq!(
            error_line(&error),
            "cannot connect to `x`: Connection Error: pool timed out"
        );
    }
}
