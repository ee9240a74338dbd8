//! `db-migrate completions SHELL`: the shell completion script, generated from the
//! command line's own definition ([`crate::args::Cli`]), so it never falls behind it.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_complete::Shell;

/// The name the scripts complete.
pub(crate) const BIN: &str = "db-migrate";

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: Shell) -> anyhow::Result<ExitCode> {
    out!("{}", completion_script(shell)?);
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> anyhow::Result<String> {
    let mut command = crate::args::Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut buffer);
    String::from_utf8(buffer).context("the completion script is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_leaves_the_generated_text_as_it_is() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ] {
            let script = completion_script(shell).expect("script");
            assert_eq!(crate::redact::redact(&script), script, "{shell}");
        }
    }
}
