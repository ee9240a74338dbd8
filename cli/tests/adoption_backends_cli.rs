//! `backends` in db-migrate.toml (and `--backend`): `auto` writes a module for the
//! configured backends only, and refuses to write one the connected database would
//! refuse to run.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, exec, runtime};
use support::Sandbox;

#[test]
fn backends_postgres_writes_a_postgres_only_module() {
    let rt = runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "backends_cli")) else {
        return;
    };
    let sandbox = Sandbox::new();
    let dir = sandbox.migration_dir();
    std::fs::write(
        sandbox.path().join("db-migrate.toml"),
        format!(
            "database_url = \"{}\"\nmigration_dir = \"{}\"\nbackends = [\"postgres\"]\n",
            scratch.url,
            dir.display()
        ),
    )
    .expect("config");
    let config = sandbox.run_raw(&["config", "--json"], &[]).json();
    assert_eq!(config["backends"]["value"], serde_json::json!(["postgres"]));

    sandbox.run_raw(&["upgrade"], &[]).ok();
    // A column the entities declare `varchar` becomes `text` by hand: `auto` alters
    // it back, a change that renders a PostgreSQL and a MySQL branch by default.
    exec(
        &rt,
        &scratch,
        "ALTER TABLE users ALTER COLUMN display_name TYPE text",
    );
    let out = sandbox.run_raw(&["auto", "restore display name"], &[]);
    let out = out.ok().to_owned();
    assert!(out.contains("wrote"), "{out}");
    let module = support::files(&dir)
        .into_iter()
        .find(|f| f != "lib.rs")
        .expect("a module was written");
    let code = std::fs::read_to_string(dir.join(&module)).expect("read module");
    for absent in [
        "DbBackend::Sqlite",
        "DbBackend::MySql",
        "== DbBackend",
        "rebuild_sqlite",
    ] {
        assert!(!code.contains(absent), "{absent} in:\n{code}");
    }
    assert!(code.contains("rendered for PostgreSQL only"), "{code}");
    assert!(code.contains("display_name"), "{code}");

    // A flag replaces the file's list; a backend left out is refused before anything
    // is written.
    std::fs::remove_file(dir.join(&module)).expect("remove module");
    let run = sandbox.run_raw(&["auto", "again", "--backend", "mysql"], &[]);
    run.error(&["PostgreSQL", "[\"mysql\"]", "flag --backend"]);
    assert_eq!(support::files(&dir), vec!["lib.rs".to_owned()]);
    let run = sandbox.run_raw(&["auto", "again", "--backend", "oracle"], &[]);
    run.error(&["unknown backend `oracle`"]);

    rt.block_on(scratch.cleanup());
}

#[test]
fn a_bad_backends_list_names_the_file() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path().join("db-migrate.toml"), "backends = []\n").expect("config");
    let run = sandbox.run(&["config"]);
    run.error(&["db-migrate.toml", "backends", "at least one backend"]);
    std::fs::write(
        sandbox.path().join("db-migrate.toml"),
        "backends = [\"postgres\", \"db2\"]\n",
    )
    .expect("config");
    let run = sandbox.run(&["config"]);
    run.error(&["db-migrate.toml", "unknown backend `db2`"]);
}
