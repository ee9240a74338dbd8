//! PostgreSQL schemas other than `public` (`--schema`, `DATABASE_SCHEMA`,
//! `schema` in db-migrate.toml): the migrations, their history, the lock,
//! `auto`, `check`'s replay, `verify`, backup and restore all work in that
//! schema, and a `public` table of the same name is never touched. On SQLite and
//! MySQL/MariaDB a schema setting is an error.

#[path = "support/backends.rs"]
mod backends;
mod support;

use backends::{Backend, Scratch, runtime, strings};
use schema_diff::runner::lock::postgres_keys;
use sea_orm::ConnectionTrait;
use support::Sandbox;

fn postgres(label: &str) -> Option<(tokio::runtime::Runtime, Scratch)> {
    let rt = runtime();
    let scratch = rt.block_on(Scratch::new(Backend::Postgres, label))?;
    Some((rt, scratch))
}

fn public_users(rt: &tokio::runtime::Runtime, scratch: &Scratch) -> Vec<String> {
    let mut out = strings(
        rt,
        scratch,
        "SELECT attname::text FROM pg_attribute WHERE attrelid = 'public.users'::regclass \
         AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    );
    out.extend(strings(
        rt,
        scratch,
        "SELECT id::text || ':' || legacy_note FROM public.users ORDER BY id",
    ));
    out
}

fn tables_in(rt: &tokio::runtime::Runtime, scratch: &Scratch, schema: &str) -> Vec<String> {
    strings(
        rt,
        scratch,
        &format!("SELECT tablename::text FROM pg_tables WHERE schemaname = '{schema}' ORDER BY 1"),
    )
}

#[test]
fn the_migrations_run_in_schema_app_beside_an_untouched_public_table() {
    let Some((rt, scratch)) = postgres("adopt_schema") else {
        return;
    };
    rt.block_on(scratch.db.execute_unprepared(
        "CREATE TABLE public.users (id integer PRIMARY KEY, legacy_note text NOT NULL); \
         INSERT INTO public.users VALUES (1, 'untouched'), (2, 'also');",
    ))
    .expect("public table");
    let before = public_users(&rt, &scratch);
    let sandbox = Sandbox::new();
    let dir = sandbox.migration_dir();
    std::fs::write(
        sandbox.path().join("db-migrate.toml"),
        format!(
            "database_url = \"{}\"\nschema = \"app\"\nmigration_dir = \"{}\"\n",
            scratch.url,
            dir.display()
        ),
    )
    .expect("config");

    // The environment variable, the flag and the file all name the schema.
    sandbox
        .run_raw(&["upgrade"], &[("DATABASE_SCHEMA", "app")])
        .ok();
    let app = tables_in(&rt, &scratch, "app");
    for table in [
        "seaql_migrations",
        "db_migrate_history",
        "users",
        "documents",
    ] {
        assert!(app.contains(&table.to_owned()), "{table} not in {app:?}");
    }
    assert_eq!(tables_in(&rt, &scratch, "public"), vec!["users".to_owned()]);
    assert_eq!(public_users(&rt, &scratch), before);

    let out = sandbox.run_raw(&["--schema", "app", "auto", "noop"], &[]);
    assert!(out.ok().contains("No changes"), "{out:#?}");
    let check = sandbox.run_raw(&["check"], &[]);
    assert_eq!(check.code, Some(0), "{check:#?}");
    let verify = sandbox.run_raw(&["verify"], &[]);
    assert_eq!(verify.code, Some(0), "{verify:#?}");
    let status = sandbox.run_raw(&["--json", "status"], &[]).json();
    assert_eq!(status["pending"], serde_json::json!([]));
    assert_eq!(support::files(&dir), vec!["lib.rs".to_owned()]);

    // Backup and restore cover that schema only.
    let file = sandbox.path().join("app.sql");
    let file_arg = file.display().to_string();
    sandbox.run_raw(&["backup", "-o", &file_arg], &[]).ok();
    let dump = std::fs::read_to_string(&file).expect("dump");
    assert!(dump.contains("CREATE SCHEMA app;"), "no CREATE SCHEMA");
    assert!(!dump.contains("legacy_note"), "the public table was dumped");
    sandbox
        .run_raw(&["restore", "--force", &file_arg], &[])
        .ok();
    assert!(tables_in(&rt, &scratch, "app").contains(&"users".to_owned()));

    sandbox
        .run_raw(&["downgrade", "base", "--allow-data-loss"], &[])
        .ok();
    let left = tables_in(&rt, &scratch, "app");
    assert!(!left.contains(&"users".to_owned()), "{left:?}");
    assert_eq!(public_users(&rt, &scratch), before);
    rt.block_on(scratch.cleanup());
}

#[test]
fn two_schemas_lock_independently() {
    let Some((rt, scratch)) = postgres("adopt_schema_lock") else {
        return;
    };
    let sandbox = Sandbox::new();
    let hold = |key: i64| {
        let db = rt
            .block_on(tests::backend::connect(&scratch.url))
            .expect("connect");
        rt.block_on(db.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_lock($1)",
            [key.into()],
        )))
        .expect("lock");
        db
    };
    // Another run holds `public`'s lock: `app` migrates all the same.
    let public = hold(postgres_keys(None).0);
    let url = scratch.url.clone();
    let args = [
        "-u",
        url.as_str(),
        "--schema",
        "app",
        "upgrade",
        "--lock-timeout",
        "0",
    ];
    sandbox.run_raw(&args, &[]).ok();
    rt.block_on(public.close()).ok();
    // Another run holds `app`'s lock: `app` waits for it.
    // The wait comes from db-migrate.toml's `lock_timeout` here.
    let app = hold(postgres_keys(Some("app")).0);
    std::fs::write(
        sandbox.path().join("db-migrate.toml"),
        "lock_timeout = 0\nschema = \"app\"\n",
    )
    .expect("config");
    let args = ["-u", url.as_str(), "downgrade", "-1"];
    let run = sandbox.run_raw(&args, &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stderr.contains("lock"), "{run:#?}");
    rt.block_on(app.close()).ok();
    rt.block_on(scratch.cleanup());
}

#[test]
fn a_schema_is_an_error_on_sqlite_and_mysql() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&["--schema", "app", "status"])
        .error(&["schema", "`app`", "not PostgreSQL"]);
    let run = sandbox.run_raw(
        &["-u", "mysql://root@127.0.0.1:1/x", "status"],
        &[("DATABASE_SCHEMA", "app")],
    );
    run.error(&["`app`", "env DATABASE_SCHEMA", "not PostgreSQL"]);
    assert!(!sandbox.path().join("app.db").exists());
}
