//! Renames in `auto` on every backend: `--rename` answers in advance and keeps the
//! data; without it a rename is a drop + add with the RN001 and DL002 hazards; on
//! a terminal `auto` asks.
//!
//! Each case renames something in the database by hand, so that the entities (which
//! keep the old name) look renamed relative to it.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::path::Path;

use backends::{Scratch, exec, on_every_backend, strings};
use schema_diff::Change;
use sea_orm_migration::SchemaManager;
use serde_json::{Value, json};
use support::{Run, Sandbox};
use tokio::runtime::Runtime;

/// Upgrades, renames `users.display_name` to `name` in the database and adds a user.
fn renamed_column(rt: &Runtime, sandbox: &Sandbox, scratch: &Scratch) {
    sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
    exec(
        rt,
        scratch,
        "ALTER TABLE users RENAME COLUMN display_name TO name",
    );
    exec(
        rt,
        scratch,
        "INSERT INTO users (email, name, role) VALUES ('ada@example.com', 'Ada', 'member')",
    );
}

fn auto(sandbox: &Sandbox, scratch: &Scratch, dir: &Path, args: &[&str]) -> Run {
    let dir = dir.display().to_string();
    let mut all = vec!["-u", &scratch.url, "--migration-dir", &dir];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

/// The changes of a JSON document, with every `rebuild_table` replaced by its changes.
fn flat_changes(json: &Value) -> Vec<Change> {
    let changes: Vec<Change> =
        serde_json::from_value(json["changes"].clone()).expect("changes deserialize");
    changes
        .into_iter()
        .flat_map(|change| match change {
            Change::RebuildTable { changes, .. } => changes,
            other => vec![other],
        })
        .collect()
}

fn codes(json: &Value) -> Vec<String> {
    json["hazards"]
        .as_array()
        .expect("hazards")
        .iter()
        .map(|h| h["code"].as_str().expect("code").to_owned())
        .collect()
}

/// Runs `changes` on the scratch database, as the generated module would.
fn apply(rt: &Runtime, scratch: &Scratch, changes: &[Change]) {
    rt.block_on(async {
        let manager = SchemaManager::new(&scratch.db);
        schema_diff::statements::apply(&manager, changes)
            .await
            .expect("apply the changes");
    });
}

#[test]
fn rename_flag_renames_the_column_and_keeps_its_data() {
    on_every_backend("rn_flag", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        renamed_column(rt, &sandbox, scratch);

        let run = auto(
            &sandbox,
            scratch,
            &dir,
            &[
                "--json",
                "auto",
                "rename",
                "--rename",
                "users.name=display_name",
            ],
        );
        let json = run.json();
        assert_eq!(
            json["changes"],
            json!([{"op": "rename_column", "table": "users", "from": "name", "to": "display_name"}])
        );
        assert_eq!(codes(&json), Vec::<String>::new());
        let file = json["file"].as_str().expect("a file was written");
        let text = std::fs::read_to_string(sandbox.path().join(file)).expect("module");
        assert!(
            text.contains(".rename_column(Users::Name, Users::DisplayName)"),
            "{text}"
        );

        apply(rt, scratch, &flat_changes(&json));
        assert_eq!(
            strings(rt, scratch, "SELECT display_name FROM users"),
            vec!["Ada".to_owned()]
        );
        sandbox.run_raw(&["-u", &scratch.url, "diff"], &[]).ok();
    });
}

#[test]
fn without_the_flag_a_rename_is_a_drop_and_an_add_with_hazards() {
    on_every_backend("rn_none", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        renamed_column(rt, &sandbox, scratch);

        let json = auto(
            &sandbox,
            scratch,
            &dir,
            &["--json", "auto", "no rename", "--allow-data-loss"],
        )
        .json();
        let changes = flat_changes(&json);
        assert!(
            changes.iter().any(
                |c| matches!(c, Change::DropColumn { table, column } if table == "users" && column.name == "name")
            ),
            "{changes:#?}"
        );
        assert!(
            changes.iter().any(
                |c| matches!(c, Change::AddColumn { table, column } if table == "users" && column.name == "display_name")
            ),
            "{changes:#?}"
        );
        assert!(
            !changes
                .iter()
                .any(|c| matches!(c, Change::RenameColumn { .. })),
            "{changes:#?}"
        );
        let codes = codes(&json);
        assert!(codes.contains(&"RN001".to_owned()), "{json}");
        assert!(codes.contains(&"DL002".to_owned()), "{json}");

        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        let refused = auto(&sandbox, scratch, &dir, &["auto", "no rename"]);
        assert_eq!(
            refused.code,
            Some(3),
            "the drop loses Ada's name: {refused:#?}"
        );
        assert!(
            refused
                .stderr
                .contains("column users.name holds a value in 1 row"),
            "{refused:#?}"
        );
        assert_eq!(support::files(&dir), vec!["lib.rs".to_owned()]);
        let run = auto(
            &sandbox,
            scratch,
            &dir,
            &["auto", "no rename", "--allow-data-loss"],
        );
        let out = run.ok();
        assert!(
            out.contains("RN001 warning: dropping users.name and adding users.display_name"),
            "{out}"
        );
        assert!(
            out.contains("DL002 danger: dropping column users.name"),
            "{out}"
        );
        assert!(
            out.contains("run again with --rename users.name=display_name"),
            "{out}"
        );
        assert!(
            !out.contains("Did you rename"),
            "no prompt off a terminal: {out}"
        );
    });
}

#[test]
fn a_table_rename_flag_renames_the_table() {
    on_every_backend("rn_table", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
        exec(rt, scratch, "ALTER TABLE tags RENAME TO labels");
        exec(rt, scratch, "INSERT INTO labels (name) VALUES ('rust')");

        let run = auto(
            &sandbox,
            scratch,
            &dir,
            &["--json", "auto", "rename tags", "--rename", "labels=tags"],
        );
        let json = run.json();
        assert_eq!(
            json["changes"],
            json!([{"op": "rename_table", "from": "labels", "to": "tags"}])
        );
        apply(rt, scratch, &flat_changes(&json));
        assert_eq!(
            strings(rt, scratch, "SELECT name FROM tags"),
            vec!["rust".to_owned()]
        );
    });
}

#[test]
fn rename_flags_naming_nothing_are_refused() {
    let sandbox = Sandbox::new();
    let dir = sandbox.migration_dir().display().to_string();
    sandbox.run(&["upgrade"]).ok();
    let auto = |flag: &str| sandbox.run(&["--migration-dir", &dir, "auto", "x", "--rename", flag]);
    auto("users.nope=display_name")
        .error(&["--rename users.nope=display_name: the database has no column users.nope"]);
    auto("users.email=nope").error(&["the entities have no column users.nope"]);
    auto("nope=users").error(&["the database has no table nope"]);
    auto("users").error(&["invalid --rename `users`", "TABLE.OLD=NEW"]);
    assert_eq!(support::files(Path::new(&dir)), vec!["lib.rs".to_owned()]);
}

#[test]
fn on_a_terminal_auto_asks_and_a_yes_is_a_rename() {
    on_every_backend("rn_prompt", |rt, scratch| {
        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        renamed_column(rt, &sandbox, scratch);
        let args: Vec<String> = [
            "-u",
            &scratch.url,
            "--migration-dir",
            &dir.display().to_string(),
            "auto",
            "asked",
        ]
        .map(String::from)
        .to_vec();

        // No rename; then yes to writing the drop of users.name (it holds a value).
        let Some(no) = sandbox.run_in_terminal(&args, "n\ny\n") else {
            return;
        };
        let out = no.ok();
        assert!(
            out.contains("Did you rename users.name to users.display_name? [y/N]"),
            "{out}"
        );
        assert!(out.contains("RN001 warning"), "{out}");
        let written = support::files(&dir);
        assert_eq!(written.len(), 2, "{written:?}");

        let sandbox = Sandbox::new();
        let dir = sandbox.migration_dir();
        let mut args = args;
        args[3] = dir.display().to_string();
        let yes = sandbox
            .run_in_terminal(&args, "y\n")
            .expect("script ran before");
        let out = yes.ok();
        assert!(
            out.contains("Did you rename users.name to users.display_name? [y/N]"),
            "{out}"
        );
        assert!(
            out.contains("1 change(s):\n  ~ column renamed users.name -> display_name\n"),
            "{out}"
        );
        assert!(!out.contains("RN001"), "{out}");
        let module = support::files(&dir)
            .into_iter()
            .find(|f| f != "lib.rs")
            .expect("a module");
        let text = std::fs::read_to_string(dir.join(module)).expect("module");
        assert!(
            text.contains(".rename_column(Users::Name, Users::DisplayName)"),
            "{text}"
        );
    });
}
