//! Shell completions, the man page and the examples of `--help`, from the real
//! binary, outside any workspace and without a database.

mod support;

use support::Sandbox;

/// Commands every completion script and the man page must know.
const COMMANDS: &[&str] = &[
    "upgrade",
    "downgrade",
    "auto",
    "check",
    "diff",
    "backup",
    "restore",
    "start",
    "entities",
    "completions",
];

#[test]
fn completions_for_every_shell_name_the_commands() {
    let s = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = s.run_raw(&["completions", shell], &[]).ok().to_owned();
        assert!(script.len() > 1000, "{shell}: {script}");
        assert!(script.contains("db-migrate"), "{shell}");
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
        // Options too, e.g. --migration-dir.
        assert!(script.contains("migration-dir"), "{shell}");
    }
    assert!(support::files(s.path()).is_empty(), "nothing is written");
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let s = Sandbox::new();
    let run = s.run_raw(&["completions", "tcsh"], &[]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("possible values"), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
}

#[test]
fn man_prints_a_roff_page_with_every_command_and_its_examples() {
    let s = Sandbox::new();
    for name in ["man", "man-page"] {
        let page = s.run_raw(&[name], &[]).ok().to_owned();
        assert!(page.starts_with(".TH db-migrate 1"), "{page}");
        for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS"] {
            assert!(page.contains(section), "no {section}");
        }
        for command in COMMANDS {
            assert!(
                page.contains(&format!(".SS \"db-migrate {command}\"")),
                "no section for {command}"
            );
        }
        assert!(page.contains("\\-\\-migration\\-dir"), "global options");
        assert!(page.contains("Examples:"), "examples");
        // Every line is text or a roff request (`.XX`), and the no-fill blocks close.
        assert_eq!(
            page.matches("\n.nf\n").count(),
            page.matches("\n.fi\n").count()
        );
    }
    // groff, when installed, reads it without a warning.
    let path = s.path().join("db-migrate.1");
    std::fs::write(&path, s.run_raw(&["man"], &[]).ok()).expect("write");
    if let Ok(out) = std::process::Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .arg(&path)
        .output()
    {
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
    }
}

#[test]
fn help_of_the_main_commands_shows_examples() {
    let s = Sandbox::new();
    for command in [
        "upgrade",
        "downgrade",
        "auto",
        "check",
        "diff",
        "backup",
        "restore",
        "start",
    ] {
        for flag in ["-h", "--help"] {
            let help = s.run_raw(&[command, flag], &[]).ok().to_owned();
            let examples = help
                .split_once("Examples:\n")
                .map(|(_, e)| e)
                .unwrap_or_else(|| panic!("`{command} {flag}` has no examples: {help}"));
            let lines: Vec<&str> = examples.lines().collect();
            assert!(lines.len() >= 2, "{command}: {examples}");
            for line in lines {
                assert!(
                    line.trim_start().starts_with("db-migrate "),
                    "{command}: `{line}`"
                );
            }
            assert!(
                examples.contains(&format!(" {command}")),
                "{command}: {examples}"
            );
        }
    }
}
