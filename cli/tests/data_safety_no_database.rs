//! Data safety: a binary run outside its source workspace with no database
//! configured never invents one (no SQLite file at the build machine's path, no
//! migrations applied, no application started); every command that needs a
//! database fails with one clear error.

mod support;

use std::path::Path;

use support::Sandbox;

/// The embedded default the binary was built with: `app.db` at the workspace root.
fn workspace_default() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("app.db")
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[test]
fn outside_the_workspace_without_a_url_every_command_fails_and_creates_nothing() {
    let sandbox = Sandbox::new();
    let default = workspace_default();
    let before = modified(&default);
    let marker = sandbox.path().join("app-started");
    let marker_arg = marker.display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["history"],
        vec!["upgrade"],
        vec!["upgrade", "--dry-run"],
        vec!["downgrade"],
        vec!["stamp", "head"],
        vec!["resolve", "m2020", "--applied"],
        vec!["auto", "x"],
        vec!["diff"],
        vec!["check"],
        vec!["verify"],
        vec!["backup"],
        vec!["restore", "nothing.sql"],
        vec!["wait", "--timeout", "1"],
        vec!["health", "--timeout", "1"],
        vec!["sql"],
        vec!["start", "--", "touch", &marker_arg],
    ];
    for args in &commands {
        let run = sandbox.run_raw(args, &[]);
        run.error(&["no database configured", "-u URL", "DATABASE_URL"]);
    }
    assert!(!marker.exists(), "start launched the application");
    assert_eq!(
        modified(&default),
        before,
        "the workspace default was touched"
    );
    let files = support::files(sandbox.path());
    assert!(
        files.is_empty(),
        "files created in the current directory: {files:?}"
    );
}

#[test]
fn commands_that_need_no_database_still_run_outside_the_workspace() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .run_raw(&["sql", "--backend", "sqlite"], &[])
        .ok()
        .to_owned();
    assert!(out.contains("CREATE TABLE"), "{out}");
    let dir = sandbox.migration_dir().display().to_string();
    sandbox
        .run_raw(&["--migration-dir", &dir, "generate", "by hand"], &[])
        .ok();
}

#[test]
fn a_configured_url_works_outside_the_workspace() {
    let sandbox = Sandbox::new();
    sandbox
        .run_raw(&["upgrade"], &[("DATABASE_URL", &sandbox.url())])
        .ok();
    assert!(sandbox.path().join("app.db").exists());
}
