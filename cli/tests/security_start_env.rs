//! Security: `start` hands the application exactly the environment it was
//! given. `.env` (its `DATABASE_URL` with a password, and any other secret in
//! it) and `-u` reach the application only with `--export-database-url`.

mod support;

use std::collections::BTreeMap;

use support::{Run, Sandbox};

/// Variables the sandbox removes from every run (support/mod.rs).
const CLEARED: &[&str] = &[
    "DATABASE_URL",
    "POSTGRES_SERVER",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "POSTGRES_PORT",
    "DB_MIGRATE_MIGRATION_DIR",
    "RUST_LOG",
];

/// A `.env` with the database URL, an application secret and a database password.
fn write_dotenv(s: &Sandbox) -> String {
    let url = s.url_of("dotenv.db");
    std::fs::write(
        s.path().join(".env"),
        format!(
            "DATABASE_URL={url}\nAPP_SECRET=Dot-App-Secret-62\nPOSTGRES_PASSWORD=Dot-Pg-Secret-63\n"
        ),
    )
    .expect("write .env");
    url
}

/// `db-migrate ARGS start [START_FLAGS] -- env -0` with `env` added to the
/// sandbox's environment: the application's environment, as a map.
fn app_env(
    s: &Sandbox,
    args: &[&str],
    start_flags: &[&str],
    env: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut all: Vec<&str> = args.to_vec();
    all.push("start");
    all.extend_from_slice(start_flags);
    all.extend_from_slice(&["--", "env", "-0"]);
    let run: Run = s.run_raw(&all, env);
    assert_eq!(run.code, Some(0), "{run:#?}");
    run.stdout
        .split('\0')
        .filter(|kv| !kv.is_empty())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The environment the sandbox gives `db-migrate` with `env` added.
fn given(env: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| !CLEARED.contains(&k.as_str()))
        .collect();
    vars.insert("RUST_BACKTRACE".into(), "1".into());
    for (k, v) in env {
        vars.insert((*k).into(), (*v).into());
    }
    vars
}

#[test]
fn the_application_gets_exactly_the_environment_start_was_given() {
    let s = Sandbox::new();
    write_dotenv(&s);
    let env = [("DBM_APP_SETTING", "kept")];
    // With -u, and with the URL taken from .env.
    let flag = s.url();
    for args in [vec!["-u", flag.as_str()], vec![]] {
        let got = app_env(&s, &args, &[], &env);
        assert_eq!(got, given(&env), "args {args:?}");
        for name in ["DATABASE_URL", "APP_SECRET", "POSTGRES_PASSWORD"] {
            assert!(!got.contains_key(name), "{name} leaked: {got:?}");
        }
    }
    // The parent's own DATABASE_URL is the application's, whatever -u says.
    let env = [("DATABASE_URL", "postgres://app@127.0.0.1:1/app")];
    let got = app_env(&s, &["-u", &flag], &[], &env);
    assert_eq!(got, given(&env));
}

#[test]
fn export_database_url_hands_over_the_url_start_used() {
    let s = Sandbox::new();
    let dotenv_url = write_dotenv(&s);
    let flag = s.url();
    let export = ["--export-database-url"];
    let got = app_env(&s, &["-u", &flag], &export, &[]);
    assert_eq!(got.get("DATABASE_URL"), Some(&flag));
    let mut expected = given(&[]);
    expected.insert("DATABASE_URL".into(), flag.clone());
    assert_eq!(got, expected, "nothing else from .env");

    let got = app_env(&s, &[], &export, &[]);
    assert_eq!(got.get("DATABASE_URL"), Some(&dotenv_url));
    assert!(!got.contains_key("APP_SECRET"), "{got:?}");

    // Over the parent's own DATABASE_URL too: the flag asks for the URL used.
    let got = app_env(
        &s,
        &["-u", &flag],
        &export,
        &[("DATABASE_URL", "postgres://app@127.0.0.1:1/app")],
    );
    assert_eq!(got.get("DATABASE_URL"), Some(&flag));
}

/// Item 8 of the reliability issue: a `.env` that does not parse is an error
/// naming the file and line (never its content), not a fallback to the embedded
/// SQLite file.
#[test]
fn an_unparsable_dotenv_is_an_error() {
    let s = Sandbox::new();
    std::fs::write(
        s.path().join(".env"),
        "# settings\nAPP=1\nDATABASE_URL postgres://app:Bad-Line-Secret-64@db/app\n",
    )
    .expect("write .env");
    for args in [
        &["status"][..],
        &["upgrade"],
        &["--json", "health"],
        &["start", "--", "true"],
    ] {
        let run = s.run_raw(args, &[]);
        let line = run.error(&[".env`: line 3 is not KEY=VALUE"]);
        assert!(!line.contains("Bad-Line-Secret-64"), "{run:#?}");
    }
    // An explicit -u does not need .env and is not stopped by it.
    s.run(&["status"]).ok();
}
