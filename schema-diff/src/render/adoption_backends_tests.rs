//! Modules rendered for a subset of the backends (`backends` in db-migrate.toml).

use super::tests::realistic_changes;
use super::{RenderOptions, render_migration};
use crate::{Backends, Dialect};

fn render_for(dialects: &[Dialect]) -> String {
    let options = RenderOptions {
        description: "add posts and user login counts".into(),
        backends: Backends::of(dialects).expect("non-empty"),
        ..Default::default()
    };
    render_migration(&realistic_changes(), &options).expect("renders")
}

/// The `if manager.get_database_backend() == ...` branches of `code`.
fn branches(code: &str) -> Vec<&str> {
    code.lines()
        .filter(|l| l.contains("get_database_backend() == "))
        .collect()
}

#[test]
fn postgres_only() {
    let code = render_for(&[Dialect::Postgres]);
    assert!(!code.contains("DbBackend::Sqlite"), "{code}");
    assert!(!code.contains("DbBackend::MySql"), "{code}");
    assert!(!code.contains("rebuild_sqlite_table"), "{code}");
    assert!(!code.contains("SQLite cannot ALTER"), "{code}");
    // The only condition left is the guard, first in `up` and in `down`.
    let guards = code
        .lines()
        .filter(|l| l.contains("manager.get_database_backend() != DbBackend::Postgres"))
        .count();
    assert_eq!(guards, 2, "{code}");
    assert!(branches(&code).is_empty(), "{code}");
    assert!(code.contains("rendered for PostgreSQL only"), "{code}");
    insta::assert_snapshot!(code);
}

#[test]
fn sqlite_only() {
    let code = render_for(&[Dialect::Sqlite]);
    assert!(!code.contains("DbBackend::Postgres"), "{code}");
    assert!(!code.contains("DbBackend::MySql"), "{code}");
    assert!(!code.contains("Type::create"), "{code}");
    assert!(code.contains("rebuild_sqlite_table"), "{code}");
    insta::assert_snapshot!(code);
}

#[test]
fn mysql_only() {
    let code = render_for(&[Dialect::MySql]);
    assert!(!code.contains("DbBackend::Postgres"), "{code}");
    assert!(!code.contains("DbBackend::Sqlite"), "{code}");
    assert!(!code.contains("COMMENT ON"), "{code}");
    insta::assert_snapshot!(code);
}

#[test]
fn postgres_and_mysql() {
    let code = render_for(&[Dialect::Postgres, Dialect::MySql]);
    assert!(!code.contains("DbBackend::Sqlite"), "{code}");
    assert!(!code.contains("rebuild_sqlite_table"), "{code}");
    assert!(
        code.contains("manager.get_database_backend(), DbBackend::Postgres | DbBackend::MySql"),
        "{code}"
    );
    // Where PostgreSQL and MySQL differ, one condition remains.
    assert!(!branches(&code).is_empty(), "{code}");
    insta::assert_snapshot!(code);
}

#[test]
fn all_three_is_the_default() {
    let all = render_for(&[Dialect::Sqlite, Dialect::Postgres, Dialect::MySql]);
    let default = render_migration(
        &realistic_changes(),
        &RenderOptions {
            description: "add posts and user login counts".into(),
            ..Default::default()
        },
    )
    .expect("renders");
    assert_eq!(all, default);
    assert!(!all.contains("rendered for"), "{all}");
}

#[test]
fn a_failure_for_the_only_backend_ends_the_function() {
    let options = RenderOptions {
        backends: Backends::of(&[Dialect::Sqlite]).expect("non-empty"),
        ..Default::default()
    };
    let change = crate::Change::AddForeignKey {
        table: "posts".into(),
        foreign_key: super::tests::user_fk(),
    };
    let code = render_migration(&[change], &options).expect("renders");
    assert!(code.contains("SQLite cannot add a foreign key"), "{code}");
    // Nothing after the failure: no unreachable statement.
    assert!(!code.contains("create_foreign_key"), "{code}");
    assert!(!code.contains("drop_foreign_key"), "{code}");
}
