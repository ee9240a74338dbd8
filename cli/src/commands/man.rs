//! `db-migrate man`: one roff man page, generated from the command line's own
//! definition ([`crate::args::Cli`]): the top-level synopsis and options, then a
//! COMMANDS section giving each command its usage, description, options and
//! examples (the `--help` ones), so `man` and `--help` never disagree.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

use super::shell::BIN;

/// Prints the man page on stdout.
pub fn run() -> anyhow::Result<ExitCode> {
    out!("{}", man_page()?);
    Ok(ExitCode::SUCCESS)
}

/// The whole man page, as roff source starting with `.TH`.
pub fn man_page() -> anyhow::Result<String> {
    let mut command = crate::args::Cli::command().disable_help_subcommand(true);
    command.build();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page))
        .context("cannot render the man page")?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(&mut roff, sub);
    }
    roff.to_writer(&mut page)
        .and_then(|()| man.render_version_section(&mut page))
        .context("cannot render the man page")?;
    let page = String::from_utf8(page).context("the man page is not UTF-8")?;
    Ok(title_first(&page))
}

/// `page` with `.TH` as its first line: each section rendered on its own starts
/// with roff's two-line definition of the `Aq` string, kept once, after `.TH`.
fn title_first(page: &str) -> String {
    const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];
    let mut out = String::with_capacity(page.len());
    for line in page.lines().filter(|l| !PREAMBLE.contains(l)) {
        out.push_str(line);
        out.push('\n');
        if line.starts_with(".TH ") {
            for preamble in PREAMBLE {
                out.push_str(preamble);
                out.push('\n');
            }
        }
    }
    out
}

/// One command: a subsection with its usage, description, own options (the global
/// ones are in OPTIONS) and examples.
fn command_section(roff: &mut Roff, sub: &clap::Command) {
    let name = format!("{BIN} {}", sub.get_name());
    roff.control("SS", [name.as_str()]);
    let usage = sub.clone().bin_name(&name).render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_owned();
    roff.text([bold(usage)]);
    if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
        roff.control("PP", []);
        for line in about.to_string().lines() {
            roff.text([roman(line)]);
        }
    }
    for arg in sub.get_arguments() {
        if arg.is_hide_set() || arg.is_global_set() || is_builtin(arg) {
            continue;
        }
        roff.control("TP", []);
        roff.text([bold(arg_spec(arg))]);
        if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
            for line in help.to_string().lines() {
                roff.text([roman(line)]);
            }
        }
    }
    if let Some(after) = sub.get_after_long_help().or_else(|| sub.get_after_help()) {
        roff.control("PP", []);
        roff.control("nf", []);
        for line in after.to_string().lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
    }
}

/// `--help` and `--version`, which every command has.
fn is_builtin(arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// How an argument is written: `-o, --output FILE`, `--force`, `TARGET`.
fn arg_spec(arg: &clap::Arg) -> String {
    let values = arg
        .get_value_names()
        .map(|names| names.iter().map(ToString::to_string).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut spec = match (arg.get_short(), arg.get_long()) {
        (Some(s), Some(l)) => format!("-{s}, --{l}"),
        (Some(s), None) => format!("-{s}"),
        (None, Some(l)) => format!("--{l}"),
        (None, None) if values.is_empty() => return arg.get_id().as_str().to_uppercase(),
        (None, None) => return values.join(" "),
    };
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    if takes_value && !values.is_empty() {
        spec.push(' ');
        spec.push_str(&values.join(" "));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_leaves_the_page_as_it_is() {
        let page = man_page().expect("man page");
        assert_eq!(crate::redact::redact(&page), page);
    }
}
