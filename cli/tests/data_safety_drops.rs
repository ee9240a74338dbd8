//! Data safety, on every backend: `auto` writes a migration that drops a table or
//! column holding rows only after a `y` on a terminal or with `--allow-data-loss`;
//! `downgrade` likewise runs a `down` that drops them; `downgrade --dry-run` shows
//! the hazards with the SQL. Off a terminal without the flag they exit 3 and change
//! nothing.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::path::Path;

use backends::{Scratch, exec, on_every_backend, strings, tables};
use serde_json::Value;
use support::{Run, Sandbox};
use tokio::runtime::Runtime;

/// Upgrades, then adds by hand what the entities do not have and nothing
/// fills: an empty table `leftover` and a column `users.nickname`.
fn empty_extras(rt: &Runtime, sandbox: &Sandbox, scratch: &Scratch) {
    sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
    exec(
        rt,
        scratch,
        "CREATE TABLE leftover (id integer PRIMARY KEY)",
    );
    exec(
        rt,
        scratch,
        "ALTER TABLE users ADD COLUMN nickname varchar(20) NULL",
    );
}

/// [`empty_extras`], then rows in what the entities do not have: a table
/// `legacy` with 3 rows, and a value of `users.nickname` in one row.
fn extra_objects(rt: &Runtime, sandbox: &Sandbox, scratch: &Scratch) {
    empty_extras(rt, sandbox, scratch);
    exec(
        rt,
        scratch,
        "CREATE TABLE legacy (id integer PRIMARY KEY, note varchar(20))",
    );
    exec(
        rt,
        scratch,
        "INSERT INTO legacy (id, note) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    );
    exec(
        rt,
        scratch,
        "INSERT INTO users (email, display_name, role, nickname) \
         VALUES ('ada@example.com', 'Ada', 'member', 'ada'), \
         ('bob@example.com', 'Bob', 'member', NULL)",
    );
}

fn run(sandbox: &Sandbox, scratch: &Scratch, dir: &Path, args: &[&str]) -> Run {
    let dir = dir.display().to_string();
    let mut all = vec!["-u", &scratch.url, "--migration-dir", &dir];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

#[track_caller]
fn refused(run: &Run) -> &str {
    assert_eq!(run.code, Some(3), "expected exit 3: {run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    &run.stderr
}

fn module_count(dir: &Path) -> usize {
    support::files(dir)
        .iter()
        .filter(|f| *f != "lib.rs")
        .count()
}

#[test]
fn auto_refuses_to_drop_rows_off_a_terminal_without_the_flag() {
    on_every_backend("ds_auto", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        extra_objects(rt, &sandbox, scratch);

        for args in [&["auto", "cleanup"][..], &["--json", "auto", "cleanup"][..]] {
            let out = run(&sandbox, scratch, &dir, args);
            let err = refused(&out);
            assert!(err.contains("table legacy holds 3 rows"), "{err}");
            assert!(
                err.contains("column users.nickname holds a value in 1 row"),
                "{err}"
            );
            assert!(err.contains("--allow-data-loss"), "{err}");
            assert!(
                !err.contains("leftover"),
                "an empty table loses nothing: {err}"
            );
            assert_eq!(module_count(&dir), 0, "nothing may be written");
        }

        let json: Value = run(
            &sandbox,
            scratch,
            &dir,
            &["--json", "auto", "cleanup", "--allow-data-loss"],
        )
        .json();
        assert_eq!(module_count(&dir), 1);
        let losses = json["data_loss"].as_array().expect("data_loss").clone();
        assert_eq!(losses.len(), 2, "{json}");
        assert!(
            losses
                .iter()
                .any(|l| l["table"] == "legacy" && l["rows"] == 3),
            "{json}"
        );
        assert!(
            losses
                .iter()
                .any(|l| l["table"] == "users" && l["column"] == "nickname" && l["rows"] == 1),
            "{json}"
        );
        assert_eq!(
            strings(rt, scratch, "SELECT note FROM legacy ORDER BY id"),
            ["a", "b", "c"]
        );
    });
}

#[test]
fn auto_writes_drops_of_empty_tables_and_columns_without_asking() {
    on_every_backend("ds_empty", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        empty_extras(rt, &sandbox, scratch);
        exec(
            rt,
            scratch,
            "INSERT INTO users (email, display_name, role) VALUES ('a@b.c', 'A', 'member')",
        );
        let out = run(&sandbox, scratch, &dir, &["auto", "cleanup"]);
        let text = out.ok();
        assert!(
            text.contains("DL001 danger: dropping table leftover"),
            "{text}"
        );
        assert_eq!(module_count(&dir), 1);
    });
}

#[test]
fn on_a_terminal_auto_asks_with_the_row_counts() {
    on_every_backend("ds_prompt", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        extra_objects(rt, &sandbox, scratch);
        let args: Vec<String> = [
            "-u",
            &scratch.url,
            "--migration-dir",
            &dir.display().to_string(),
            "auto",
            "cleanup",
        ]
        .map(String::from)
        .to_vec();
        // Declining the rename question (if asked) and the data-loss question.
        let Some(no) = sandbox.run_in_terminal(&args, "n\nn\nn\n") else {
            return;
        };
        assert_eq!(no.code, Some(3), "{no:#?}");
        assert!(no.stdout.contains("table legacy holds 3 rows"), "{no:#?}");
        assert!(
            no.stdout.contains("Write the migration anyway? [y/N]"),
            "{no:#?}"
        );
        assert_eq!(module_count(&dir), 0);

        let yes = sandbox
            .run_in_terminal(&args, "y\ny\ny\n")
            .expect("script ran before");
        let out = yes.ok();
        assert!(out.contains("Write the migration anyway? [y/N]"), "{out}");
        assert_eq!(module_count(&dir), 1);
    });
}

#[test]
fn downgrade_refuses_to_drop_rows_without_the_flag_and_dry_run_shows_them() {
    on_every_backend("ds_down", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
        exec(
            rt,
            scratch,
            "INSERT INTO users (email, display_name, role) VALUES ('a@b.c', 'A', 'member')",
        );
        let before = tables(rt, scratch);

        let dry = run(&sandbox, scratch, &dir, &["downgrade", "--dry-run", "base"]);
        let sql = dry.ok();
        assert!(
            sql.contains("-- hazard DL001 danger: table users holds 1 row: dropping it loses them"),
            "{sql}"
        );
        assert!(
            sql.contains("-- hazard DL001 danger: dropping table tags"),
            "{sql}"
        );
        let json: Value = run(
            &sandbox,
            scratch,
            &dir,
            &["--json", "downgrade", "--dry-run", "base"],
        )
        .json();
        let hazards = json["migrations"][0]["hazards"]
            .as_array()
            .expect("hazards")
            .clone();
        assert!(
            hazards
                .iter()
                .any(|h| h["code"] == "DL001" && h["table"] == "users"),
            "{json}"
        );

        let out = run(&sandbox, scratch, &dir, &["downgrade", "base"]);
        let err = refused(&out);
        assert!(err.contains("table users holds 1 row"), "{err}");
        assert!(err.contains("--allow-data-loss"), "{err}");
        assert_eq!(tables(rt, scratch), before, "nothing may be rolled back");

        run(
            &sandbox,
            scratch,
            &dir,
            &["downgrade", "base", "--allow-data-loss"],
        )
        .ok();
        assert!(!tables(rt, scratch).contains(&"users".to_owned()));
    });
}

#[test]
fn downgrade_of_empty_tables_needs_no_flag() {
    on_every_backend("ds_down_empty", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
        run(&sandbox, scratch, &dir, &["downgrade", "base"]).ok();
        assert!(!tables(rt, scratch).contains(&"users".to_owned()));
    });
}
