//! Data safety, on every backend: a project whose entity list is empty (a layout
//! the discovery missed, a hand-written list left empty) is an error for every
//! command that compares with the entities, instead of a migration dropping every
//! table. The CLI is driven in-process over such a project.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::process::ExitCode;

use backends::{on_every_backend, tables};
use sea_orm_migration::MigratorTrait;
use support::Sandbox;

fn project(sandbox: &Sandbox) -> db_migrate::Project {
    db_migrate::Project {
        entities: |_| Vec::new(),
        migrations: migration::Migrator::migrations,
        migration_dir: sandbox.migration_dir(),
        default_sqlite_path: sandbox.path().join("app.db"),
    }
}

#[test]
fn no_entities_is_an_error_for_auto_diff_check_and_verify() {
    on_every_backend("ds_noent", |rt, scratch| {
        let sandbox = Sandbox::new();
        sandbox.run_raw(&["-u", &scratch.url, "upgrade"], &[]).ok();
        let before = tables(rt, scratch);
        for command in [&["auto", "oops"][..], &["diff"], &["check"], &["verify"]] {
            let mut args = vec!["db-migrate", "-u", &scratch.url];
            args.extend_from_slice(command);
            let code = db_migrate::main_with_args(project(&sandbox), args);
            assert_eq!(code, ExitCode::from(1), "{command:?}");
        }
        assert_eq!(tables(rt, scratch), before);
        assert_eq!(
            support::files(&sandbox.migration_dir()),
            vec!["lib.rs".to_owned()]
        );
        // The library entry points refuse too.
        let empty = schema_diff::Schema::default();
        let check = rt.block_on(db_migrate::check_report(
            &scratch.url,
            migration::Migrator::migrations,
            empty.clone(),
            &db_migrate::CheckOptions::default(),
        ));
        let error = check.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("no entities"), "{error}");
        let verify = rt.block_on(db_migrate::verify_report(
            &scratch.url,
            migration::Migrator::migrations,
            empty,
        ));
        assert!(verify.is_err());
    });
}
