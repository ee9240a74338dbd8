//! `pull` on a database made from public-sample-style DDL (`tests::sample_ddl`), on
//! every backend: the generated entity modules are the checked-in fixtures under
//! `tests/fixtures/pulled/<backend>/`, those fixtures are compiled into this test,
//! and the schema SeaORM builds from them diffs to nothing against the database.
//!
//! Regenerate the fixtures with
//! `UPDATE_FIXTURES=1 cargo test -p tests --test adoption_pull`.

use schema_diff::desired::{EntityStatements, schema_from_entities};
use schema_diff::pull::pull_entities;
use schema_diff::{Dialect, DiffOptions};
use sea_orm::{ConnectionTrait, DbBackend};
use tests::sample_ddl::sample_ddl;
use tests::{Backend, Scratch};

#[allow(unused_imports)]
#[rustfmt::skip]
#[path = "../fixtures/pulled/mysql/mod.rs"]
mod pulled_mysql;
#[allow(unused_imports)]
#[rustfmt::skip]
#[path = "../fixtures/pulled/postgres/mod.rs"]
mod pulled_postgres;
#[allow(unused_imports)]
#[rustfmt::skip]
#[path = "../fixtures/pulled/sqlite/mod.rs"]
mod pulled_sqlite;

/// The statements SeaORM builds from one pulled module (as `all_entities` does).
macro_rules! statements {
    ($m:ident: $($e:ident),*) => {{
        let schema = sea_orm::Schema::new(DbBackend::Sqlite);
        let v: Vec<EntityStatements> = vec![$((
            schema.create_table_from_entity($m::$e::Entity),
            schema.create_index_from_entity($m::$e::Entity),
            schema.create_enum_from_entity($m::$e::Entity),
        )),*];
        v
    }};
}

fn fixture_dir(backend: Backend) -> std::path::PathBuf {
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    };
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pulled")
        .join(name)
}

/// Loads the sample on `backend`, pulls it, checks the fixture is the current
/// output, and diffs the compiled fixture's schema against the database.
async fn pull_round_trip(backend: Backend, compiled: fn() -> Vec<EntityStatements>) {
    let Some(scratch) = Scratch::new(backend, "adoption_pull").await else {
        return;
    };
    for sql in sample_ddl(backend) {
        scratch.db.execute_unprepared(sql).await.expect(sql);
    }
    let actual = schema_diff::introspect::introspect(&scratch.db)
        .await
        .expect("introspect");
    let pulled = pull_entities(&actual).expect("pull");
    let dir = fixture_dir(backend);
    if std::env::var("UPDATE_FIXTURES").is_ok() {
        std::fs::create_dir_all(&dir).expect("fixture dir");
        for f in &pulled.files {
            std::fs::write(dir.join(&f.name), &f.contents).expect("write fixture");
        }
    }
    for f in &pulled.files {
        let on_disk = std::fs::read_to_string(dir.join(&f.name)).unwrap_or_default();
        assert!(
            on_disk == f.contents,
            "{} is stale: regenerate with UPDATE_FIXTURES=1 cargo test -p tests --test adoption_pull\n{}",
            f.name,
            f.contents
        );
    }
    let notes = schema_diff::pull::note_lines(&pulled.notes);
    // SQLite's introspection does not read CHECK constraints.
    assert!(
        backend == Backend::Sqlite || notes.iter().any(|n| n.contains("CHECK")),
        "the CHECK constraint is listed: {notes:?}"
    );

    let desired = schema_from_entities(compiled()).expect("desired schema");
    let dialect = Dialect::of(scratch.db.get_database_backend()).expect("dialect");
    let changes = schema_diff::diff(&actual, &desired, dialect, &DiffOptions::default());
    assert!(
        changes.is_empty(),
        "{backend:?}: the pulled entities differ from the database: {changes:#?}"
    );
    scratch.cleanup().await;
}

#[tokio::test]
async fn pulled_sqlite_entities_diff_to_nothing() {
    pull_round_trip(
        Backend::Sqlite,
        || statements!(pulled_sqlite: actor, album, artist, customer, film, film_actor),
    )
    .await;
}

#[tokio::test]
async fn pulled_postgres_entities_diff_to_nothing() {
    pull_round_trip(
        Backend::Postgres,
        || statements!(pulled_postgres: actor, album, artist, customer, film, film_actor),
    )
    .await;
}

#[tokio::test]
async fn pulled_mysql_entities_diff_to_nothing() {
    pull_round_trip(
        Backend::MySql,
        || statements!(pulled_mysql: actor, album, artist, customer, film, film_actor),
    )
    .await;
}
