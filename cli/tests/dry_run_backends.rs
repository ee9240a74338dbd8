//! `upgrade --dry-run` and `downgrade --dry-run` on every backend: the SQL of the
//! migrations that would run, and not one change to the database.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, on_every_backend, quoted, strings, tables};
use support::{Sandbox, versions};

fn initial() -> String {
    versions()[0].clone()
}

#[test]
fn upgrade_dry_run_on_a_fresh_database_prints_the_initial_sql_and_creates_nothing() {
    on_every_backend("dry_up", |rt, scratch| {
        let sandbox = Sandbox::new();
        assert_eq!(tables(rt, scratch), Vec::<String>::new());

        let run = sandbox.run_raw(&["-u", &scratch.url, "upgrade", "--dry-run"], &[]);
        let out = run.ok();
        assert!(
            out.starts_with(&format!("-- {} (up)\n", initial())),
            "{out}"
        );
        for table in ["users", "api_keys", "documents", "tags", "document_tags"] {
            let create = format!("CREATE TABLE {} (", quoted(scratch.backend, table));
            assert!(out.contains(&create), "no `{create}` in:\n{out}");
        }
        assert!(
            out.contains(&format!(
                "CREATE INDEX {} ON {}",
                quoted(scratch.backend, "idx-documents-owner_id"),
                quoted(scratch.backend, "documents")
            )),
            "{out}"
        );
        if scratch.backend == Backend::Postgres {
            assert!(out.contains("CREATE TYPE \"user_role\" AS ENUM"), "{out}");
        }
        assert!(
            out.lines()
                .filter(|l| !l.starts_with("--") && !l.is_empty())
                .all(|l| l.ends_with(';')),
            "{out}"
        );
        assert_eq!(tables(rt, scratch), Vec::<String>::new());

        let json = sandbox
            .run_raw(
                &["-u", &scratch.url, "--json", "upgrade", "--dry-run", "head"],
                &[],
            )
            .json();
        let migrations = json["migrations"].as_array().expect("migrations");
        assert_eq!(migrations.len(), 1, "{json}");
        assert_eq!(migrations[0]["version"], initial().as_str());
        assert_eq!(migrations[0]["direction"], "up");
        let sql: Vec<&str> = migrations[0]["sql"]
            .as_array()
            .expect("sql")
            .iter()
            .map(|s| s.as_str().expect("a statement"))
            .collect();
        let create_users = format!("CREATE TABLE {} (", quoted(scratch.backend, "users"));
        assert!(sql.iter().any(|s| s.starts_with(&create_users)), "{sql:#?}");
        assert_eq!(tables(rt, scratch), Vec::<String>::new());
    });
}

#[test]
fn dry_runs_at_head_change_nothing() {
    on_every_backend("dry_head", |rt, scratch| {
        let sandbox = Sandbox::new();
        let url = scratch.url.as_str();
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
        let before = tables(rt, scratch);
        assert!(
            before.contains(&"seaql_migrations".to_owned()),
            "{before:?}"
        );
        assert!(before.contains(&"users".to_owned()), "{before:?}");
        let history = || strings(rt, scratch, "SELECT version FROM seaql_migrations");
        assert_eq!(history(), vec![initial()]);

        let up = sandbox.run_raw(&["-u", url, "upgrade", "--dry-run"], &[]);
        assert_eq!(up.ok(), "-- nothing to apply: the database is up to date\n");

        let down = sandbox.run_raw(&["-u", url, "downgrade", "--dry-run"], &[]);
        let out = down.ok();
        assert!(
            out.starts_with(&format!("-- {} (down)\n", initial())),
            "{out}"
        );
        let drop_users = format!("DROP TABLE {}", quoted(scratch.backend, "users"));
        let drop_tags = format!("DROP TABLE {}", quoted(scratch.backend, "document_tags"));
        let (users_at, tags_at) = (out.find(&drop_users), out.find(&drop_tags));
        assert!(
            matches!((tags_at, users_at), (Some(t), Some(u)) if t < u),
            "child tables are dropped first:\n{out}"
        );

        let json = sandbox
            .run_raw(
                &["-u", url, "--json", "downgrade", "--dry-run", "base"],
                &[],
            )
            .json();
        assert_eq!(json["migrations"][0]["direction"], "down", "{json}");
        assert_eq!(json["migrations"][0]["version"], initial().as_str());

        assert_eq!(tables(rt, scratch), before);
        assert_eq!(history(), vec![initial()]);
        let status = sandbox
            .run_raw(&["-u", url, "--json", "status"], &[])
            .json();
        assert_eq!(status["current"], initial().as_str());
    });
}

#[test]
fn dry_run_targets_are_checked_like_the_real_command() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&["upgrade", "--dry-run", "m2099"])
        .error(&["unknown migration `m2099`"]);
    sandbox
        .run(&["upgrade", "--dry-run", "-1"])
        .error(&["invalid target `-1`"]);
    sandbox
        .run(&["downgrade", "--dry-run", "+1"])
        .error(&["invalid target `+1`"]);
    // Nothing applied: nothing to roll back, and still no table at all.
    assert_eq!(
        sandbox.run(&["downgrade", "--dry-run", "base"]).ok(),
        "-- nothing to roll back\n"
    );
    assert_eq!(sandbox.tables(), Vec::<String>::new());
}
