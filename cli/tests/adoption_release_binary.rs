//! A release binary run outside its source tree: `auto` and `generate` find no
//! migration crate where they look, say which path that was and how to name the
//! right one (`--migration-dir`, `DB_MIGRATE_MIGRATION_DIR`), exit 1 and write
//! nothing, before they open any database.

mod support;

use std::process::ExitCode;

use sea_orm_migration::MigratorTrait;
use support::Sandbox;

const HINTS: &[&str] = &[
    "--migration-dir",
    "DB_MIGRATE_MIGRATION_DIR",
    "nothing was written",
];

fn with_hints(mut needles: Vec<&str>) -> Vec<&str> {
    needles.extend_from_slice(HINTS);
    needles
}

#[test]
fn auto_and_generate_name_the_missing_migration_dir_and_the_way_to_set_it() {
    let s = Sandbox::new();
    s.run(&["upgrade"]).ok();
    let missing = s.path().join("elsewhere").join("src");
    let missing_arg = missing.display().to_string();
    let lib = missing.join("lib.rs").display().to_string();
    // Up to date: `auto` used to print `No changes` and exit 0 without a crate to write to.
    for command in [&["auto", "x"][..], &["generate", "x"]] {
        let mut args = command.to_vec();
        args.extend(["--migration-dir", missing_arg.as_str()]);
        s.run(&args)
            .error(&with_hints(vec![lib.as_str(), "does not exist"]));
        // The same folder from the variable.
        s.run_raw(
            &[&["-u", &s.url()][..], command].concat(),
            &[("DB_MIGRATE_MIGRATION_DIR", &missing_arg)],
        )
        .error(&with_hints(vec![lib.as_str(), "does not exist"]));
    }
    assert!(!s.path().join("elsewhere").exists(), "nothing is created");

    // A folder that exists but is not a migration crate's src folder.
    let empty = s.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let empty_arg = empty.display().to_string();
    for command in ["auto", "generate"] {
        s.run(&[command, "x", "--migration-dir", &empty_arg])
            .error(&with_hints(vec!["empty/lib.rs", "has no lib.rs"]));
    }
    assert!(support::files(&empty).is_empty(), "nothing is written");
}

#[test]
fn without_a_database_either_the_migration_dir_is_named_first() {
    let s = Sandbox::new();
    let missing = s.path().join("nowhere").display().to_string();
    // No URL anywhere and outside the workspace: the migration folder is what
    // `auto` and `generate` cannot do without, so it is what they say.
    for command in ["auto", "generate"] {
        s.run_raw(&[command, "x", "--migration-dir", &missing], &[])
            .error(&with_hints(vec!["nowhere/lib.rs"]));
    }
    assert!(support::files(s.path()).is_empty(), "no database file");
}

#[test]
fn a_project_built_elsewhere_refuses_auto_before_comparing() {
    let s = Sandbox::new();
    s.run(&["upgrade"]).ok();
    let built_at = s.path().join("build-machine").join("migration").join("src");
    let project = || db_migrate::Project {
        entities: entity::all_entities,
        migrations: migration::Migrator::migrations,
        migration_dir: built_at.clone(),
        default_sqlite_path: s.path().join("build-machine").join("app.db"),
    };
    let url = s.url();
    for command in ["auto", "generate"] {
        let code = db_migrate::main_with_args(project(), ["db-migrate", "-u", &url, command, "x"]);
        assert_eq!(code, ExitCode::from(1), "{command}");
    }
    assert!(!s.path().join("build-machine").exists());
}
