//! `db-migrate sql`: the SQL of a range of migrations for a backend, without any
//! database (it must not even try to connect).

mod support;

use std::time::{Duration, Instant};

use support::{Sandbox, versions};

/// A URL whose server does not exist; connecting to it would take the 10 s timeout.
const UNREACHABLE: &str = "postgres://app:s3cret@127.0.0.1:1/db";

fn sql(args: &[&str]) -> String {
    let mut all = vec!["sql"];
    all.extend_from_slice(args);
    Sandbox::new().run_raw(&all, &[]).ok().to_owned()
}

#[test]
fn each_backend_gets_its_own_quoting_and_types() {
    let header = format!("-- {} (up)\n", versions()[0]);

    let pg = sql(&["--backend", "postgres"]);
    assert!(pg.starts_with(&header), "{pg}");
    assert!(pg.contains("CREATE TABLE \"users\" ("), "{pg}");
    assert!(pg.contains("timestamp with time zone"), "{pg}");
    assert!(
        pg.contains("CREATE TYPE \"user_role\" AS ENUM ('admin', 'member', 'guest');"),
        "{pg}"
    );
    assert!(!pg.contains('`'), "{pg}");

    let my = sql(&["--backend", "mysql", "base:head"]);
    assert!(my.starts_with(&header), "{my}");
    assert!(my.contains("CREATE TABLE `users` ("), "{my}");
    assert!(
        my.contains("`role` ENUM('admin', 'member', 'guest')"),
        "{my}"
    );
    assert!(my.contains("AUTO_INCREMENT"), "{my}");
    assert!(!my.contains("CREATE TYPE"), "{my}");

    let lite = sql(&["--backend", "sqlite", ":"]);
    assert!(lite.starts_with(&header), "{lite}");
    assert!(lite.contains("CREATE TABLE \"users\" ("), "{lite}");
    assert!(lite.contains("AUTOINCREMENT"), "{lite}");
    assert!(!lite.contains("timestamp with time zone"), "{lite}");
}

#[test]
fn it_never_connects_even_with_an_unreachable_database_configured() {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let run = sandbox.run_raw(
        &["sql", "--backend", "mysql"],
        &[("DATABASE_URL", UNREACHABLE)],
    );
    assert!(run.ok().contains("CREATE TABLE `users` ("), "{run:#?}");
    // Without --backend, the backend is the configured URL's scheme.
    let run = sandbox.run_raw(&["sql"], &[("DATABASE_URL", UNREACHABLE)]);
    assert!(run.ok().contains("timestamp with time zone"), "{run:#?}");
    let run = sandbox.run_raw(&["-u", UNREACHABLE, "--json", "sql"], &[]);
    assert_eq!(run.json()["migrations"][0]["direction"], "up");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}: did it try to connect?",
        started.elapsed()
    );
}

#[test]
fn a_reversed_range_prints_the_down_sql_newest_first() {
    let out = sql(&["--backend", "postgres", "head:base"]);
    assert!(
        out.starts_with(&format!("-- {} (down)\n", versions()[0])),
        "{out}"
    );
    let users = out.find("DROP TABLE \"users\";").expect("drops users");
    let tags = out
        .find("DROP TABLE \"document_tags\";")
        .expect("drops links");
    assert!(tags < users, "{out}");
    assert!(!out.contains("CREATE TABLE"), "{out}");
}

#[test]
fn json_lists_each_migration_with_its_statements() {
    let first = &versions()[0];
    let prefix = &first[..10];
    let run = Sandbox::new().run_raw(
        &[
            "--json",
            "sql",
            &format!("base:{prefix}"),
            "--backend",
            "sqlite",
        ],
        &[],
    );
    let json = run.json();
    let migrations = json["migrations"].as_array().expect("migrations");
    assert_eq!(migrations.len(), 1, "{json}");
    assert_eq!(migrations[0]["version"], first.as_str());
    assert_eq!(migrations[0]["direction"], "up");
    let statements = migrations[0]["sql"].as_array().expect("sql");
    assert!(
        statements.iter().any(|s| s
            .as_str()
            .is_some_and(|s| s.starts_with("CREATE TABLE \"users\" ("))),
        "{json}"
    );

    let empty = Sandbox::new()
        .run_raw(&["--json", "sql", "head:head", "--backend", "sqlite"], &[])
        .json();
    assert_eq!(empty, serde_json::json!({ "migrations": [] }));
    let text = sql(&["--backend", "sqlite", "head:head"]);
    assert_eq!(text, "-- no migrations in `head:head`\n");
}

#[test]
fn bad_backends_and_ranges_are_one_line_errors() {
    let sandbox = Sandbox::new();
    sandbox
        .run_raw(&["sql", "--backend", "oracle"], &[])
        .error(&["unknown backend `oracle`", "postgres, mysql or sqlite"]);
    sandbox
        .run_raw(&["sql", "m2099:head", "--backend", "sqlite"], &[])
        .error(&["unknown migration `m2099`"]);
    sandbox
        .run_raw(&["sql", "base", "--backend", "sqlite"], &[])
        .error(&["`base` is no migration"]);
    let line = sandbox
        .run_raw(&["sql"], &[("DATABASE_URL", "oracle://u:s3cret@h/db")])
        .error(&["cannot tell the backend", "--backend"])
        .to_owned();
    assert!(!line.contains("s3cret"), "{line}");
}
