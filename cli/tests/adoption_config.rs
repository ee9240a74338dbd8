//! `db-migrate.toml`: every key, precedence (flag > environment > file >
//! default), `db-migrate config` with its sources, unknown keys as errors with
//! file:line, and tables excluded by pattern from `auto`, `diff`, `check` and
//! `verify`. Driven through the real binary on SQLite.

mod support;

use support::Sandbox;

fn write_config(sandbox: &Sandbox, text: &str) {
    std::fs::write(sandbox.path().join("db-migrate.toml"), text).expect("write config");
}

#[test]
fn config_prints_every_value_with_its_source() {
    let sandbox = Sandbox::new();
    let nested = sandbox.path().join("sub").join("dir");
    std::fs::create_dir_all(&nested).expect("mkdir");
    write_config(
        &sandbox,
        &format!(
            "database_url = \"{}\"\nexclude_tables = [\"legacy_*\"]\ncompare_type = false\n\
             migration_dir = \"mig/src\"\nlock_timeout = 7\nbackup_dir = \"bk\"\n",
            sandbox.url()
        ),
    );
    let json = sandbox.run_raw(&["config", "--json"], &[]).json();
    let file = sandbox.path().join("db-migrate.toml");
    let from_file = format!("file {}", file.display());
    assert_eq!(json["config_file"], file.display().to_string());
    assert_eq!(json["database_url"]["value"], sandbox.url());
    assert_eq!(json["database_url"]["source"], from_file);
    assert_eq!(json["exclude_tables"][0]["value"], "legacy_*");
    assert_eq!(json["compare_type"]["value"], false);
    assert_eq!(json["compare_type"]["source"], from_file);
    assert_eq!(json["compare_server_default"]["source"], "default");
    assert_eq!(json["lock_timeout"]["value"], 7);
    assert_eq!(
        json["migration_dir"]["value"],
        sandbox.path().join("mig/src").display().to_string()
    );
    assert_eq!(
        json["backup_dir"]["value"],
        sandbox.path().join("bk").display().to_string()
    );
    assert_eq!(json["schema"], serde_json::Value::Null);

    // The environment beats the file, and a flag beats the environment.
    let other = sandbox.url_of("other.db");
    let json = sandbox
        .run_raw(
            &["config", "--json", "--migration-dir", "elsewhere"],
            &[
                ("DATABASE_URL", other.as_str()),
                ("DB_MIGRATE_MIGRATION_DIR", "from-env"),
            ],
        )
        .json();
    assert_eq!(json["database_url"]["value"], other);
    assert_eq!(json["database_url"]["source"], "env DATABASE_URL");
    assert_eq!(json["migration_dir"]["value"], "elsewhere");
    assert_eq!(json["migration_dir"]["source"], "flag --migration-dir");
    let json = sandbox
        .run_raw(
            &["-u", &sandbox.url(), "config", "--json"],
            &[("DATABASE_URL", other.as_str())],
        )
        .json();
    assert_eq!(json["database_url"]["source"], "flag --database-url");

    // Found from a folder below the file, as `.env` is; text output names sources.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_db-migrate"));
    let out = cmd
        .arg("config")
        .current_dir(&nested)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("lock_timeout:           7 s  (file "),
        "{text}"
    );
    assert!(
        text.contains("compare_server_default: true  (default)"),
        "{text}"
    );
}

#[test]
fn unknown_keys_and_bad_values_are_errors_naming_the_file_and_line() {
    let sandbox = Sandbox::new();
    write_config(&sandbox, "lock_timeout = 5\n\ndatabase_ulr = \"x\"\n");
    let run = sandbox.run(&["status"]);
    run.error(&["db-migrate.toml:3:", "unknown field `database_ulr`"]);
    write_config(&sandbox, "lock_timeout = \"soon\"\n");
    sandbox.run(&["status"]).error(&["db-migrate.toml:1:"]);
    write_config(&sandbox, "exclude_tables = [\"[\"]\n");
    sandbox
        .run(&["status"])
        .error(&["db-migrate.toml", "bad table pattern"]);
    let run = sandbox.run_raw(&["--config", "nope.toml", "status"], &[]);
    run.error(&["nope.toml", "does not exist"]);
}

#[test]
fn database_url_env_names_the_variable_and_passwords_stay_hidden() {
    let sandbox = Sandbox::new();
    write_config(&sandbox, "database_url_env = \"APP_DB_URL\"\n");
    sandbox
        .run_raw(&["status"], &[])
        .error(&["APP_DB_URL", "database_url_env", "not set"]);
    let secret = "postgres://app:Sup3rSecretPw@127.0.0.1:1/app";
    let run = sandbox.run_raw(&["config"], &[("APP_DB_URL", secret)]);
    let text = run.ok();
    assert!(text.contains("env APP_DB_URL"), "{text}");
    assert!(!run.stdout.contains("Sup3rSecretPw"), "{run:?}");
    assert!(!run.stderr.contains("Sup3rSecretPw"), "{run:?}");
    assert!(text.contains("app:***@127.0.0.1"), "{text}");
    let url = sandbox.url();
    sandbox
        .run_raw(&["upgrade"], &[("APP_DB_URL", url.as_str())])
        .ok();
}

#[test]
fn migration_dir_comes_from_the_file() {
    let sandbox = Sandbox::new();
    let dir = sandbox.migration_dir();
    let relative = dir.strip_prefix(sandbox.path()).expect("inside");
    write_config(
        &sandbox,
        &format!("migration_dir = \"{}\"\n", relative.display()),
    );
    let json = sandbox.run(&["--json", "generate", "by config"]).json();
    let file = json["file"].as_str().unwrap_or_default().to_owned();
    assert!(
        std::path::Path::new(&file).starts_with(&dir) || file.contains("mig/src"),
        "{file}"
    );
    assert_eq!(support::files(&dir).len(), 2);
}

#[test]
fn excluded_tables_are_neither_reported_created_nor_dropped() {
    let sandbox = Sandbox::new();
    sandbox.run(&["upgrade"]).ok();
    sandbox.sql(
        "CREATE TABLE legacy_audit (id integer PRIMARY KEY, note text); \
         INSERT INTO legacy_audit (note) VALUES ('kept');",
    );
    // Without the exclusion the foreign table is reported as a drop.
    let run = sandbox.run(&["diff"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stdout.contains("legacy_audit"), "{run:#?}");

    // With the flag, every comparison leaves it out.
    for command in [&["diff"][..], &["check"], &["verify"]] {
        let mut args = command.to_vec();
        args.extend(["--exclude-table", "legacy_*"]);
        let run = sandbox.run(&args);
        assert_eq!(run.code, Some(0), "{command:?}: {run:#?}");
    }
    let dir = sandbox.migration_dir();
    let dir_arg = dir.display().to_string();
    let out = sandbox
        .run(&[
            "--migration-dir",
            &dir_arg,
            "auto",
            "nothing",
            "--exclude-table",
            "legacy_*",
        ])
        .ok()
        .to_owned();
    assert!(out.contains("No changes"), "{out}");

    // From the file too; an entity table that is excluded is not created either.
    sandbox.sql("DROP TABLE document_tags;");
    let run = sandbox.run(&["diff", "--exclude-table", "legacy_*"]);
    assert!(run.stdout.contains("document_tags"), "{run:#?}");
    write_config(
        &sandbox,
        "exclude_tables = [\"legacy_*\", \"document_?ags\"]\n",
    );
    let out = sandbox
        .run(&["--migration-dir", &dir_arg, "auto", "nothing"])
        .ok()
        .to_owned();
    assert!(out.contains("No changes"), "{out}");
    assert_eq!(
        sandbox.strings_on("app.db", "SELECT note FROM legacy_audit"),
        vec!["kept".to_owned()]
    );
}

#[test]
fn backups_go_to_the_configured_folder() {
    let sandbox = Sandbox::new();
    sandbox.run(&["upgrade"]).ok();
    write_config(&sandbox, "backup_dir = \"saved/here\"\n");
    std::fs::create_dir_all(sandbox.path().join("saved/here")).expect("mkdir");
    let json = sandbox.run(&["--json", "backup"]).json();
    let file = json["file"].as_str().unwrap_or_default().to_owned();
    assert!(
        sandbox
            .path()
            .join(&file)
            .starts_with(sandbox.path().join("saved/here")),
        "{file}"
    );
    assert!(sandbox.path().join(&file).is_file(), "{file}");
    assert!(!sandbox.path().join("backups").exists());
}
