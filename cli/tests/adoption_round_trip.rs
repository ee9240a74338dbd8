//! Adoption of a database made by another tool, on every backend, the way
//! docs/adoption.md tells it: a database with tables and rows but no history
//! (the public-sample-style DDL of `tests::sample_ddl`), a workspace laid out as
//! sea-orm-cli lays it out. `pull` writes the entities, `init` the binary crate;
//! the baseline is written against an empty scratch database and stamped; then an
//! entity is edited and the change goes up, down and up again, keeping the rows.

#[path = "support/backends.rs"]
mod backends;
#[path = "support/project.rs"]
mod project;

use std::path::Path;
use std::process::Output;

use backends::{Backend, Scratch, exec, runtime, strings};
use project::{build, copy_fixture, db_migrate, run_binary, text};

fn ok(output: &Output, what: &str) -> String {
    let said = text(output);
    assert!(output.status.success(), "{what} failed:\n{said}");
    said
}

/// The migration modules in the project's migration crate.
fn migration_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("migration/src"))
        .expect("migration/src")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('m') && n.ends_with(".rs"))
        .collect();
    names.sort();
    names
}

/// Adds a nullable `nickname` column to the pulled `artist` entity.
fn add_nickname(root: &Path) {
    let path = root.join("entity/src/entities/artist.rs");
    let source = std::fs::read_to_string(&path).expect("artist.rs");
    let edited = source.replacen(
        "    pub name: String,\n",
        "    pub name: String,\n    pub nickname: Option<String>,\n",
        1,
    );
    assert_ne!(
        edited, source,
        "the pulled artist entity has no `name` field"
    );
    std::fs::write(&path, edited).expect("write artist.rs");
}

fn adopt_and_round_trip(backend: Backend) {
    let rt = runtime();
    let Some(real) = rt.block_on(Scratch::new(backend, "adopt_real")) else {
        return;
    };
    let Some(fresh) = rt.block_on(Scratch::new(backend, "adopt_fresh")) else {
        rt.block_on(real.cleanup());
        return;
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for sql in tests::sample_ddl::sample_ddl(backend) {
            exec(&rt, &real, sql);
        }
        exec(
            &rt,
            &real,
            "INSERT INTO artist (artist_id, name) VALUES (1, 'Miles Davis')",
        );
        steps(backend, &rt, &real, &fresh);
    }));
    rt.block_on(real.cleanup());
    rt.block_on(fresh.cleanup());
    if let Err(panic) = outcome {
        eprintln!("failed on {backend:?}");
        std::panic::resume_unwind(panic);
    }
}

fn steps(backend: Backend, rt: &tokio::runtime::Runtime, real: &Scratch, fresh: &Scratch) {
    // A sea-orm-cli workspace whose entities are to come from the database, with no
    // migration crate yet.
    let tmp = copy_fixture();
    let root = tmp.path();
    std::fs::remove_dir_all(root.join("migration")).expect("rm migration");
    std::fs::remove_dir_all(root.join("entity/src/entities")).expect("rm entities");
    let cargo = root.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&cargo).expect("Cargo.toml");
    std::fs::write(&cargo, manifest.replace(r#", "migration""#, "")).expect("Cargo.toml");

    // 1. pull, 2. init.
    let said = ok(
        &db_migrate(
            root,
            &["-u", &real.url, "pull", "--out", "entity/src/entities"],
        ),
        "pull",
    );
    assert!(said.contains("wrote 6 entities"), "{said}");
    let name = format!("adopt-{backend:?}").to_lowercase();
    ok(&project::init(root, &name, &[]), "init");
    let mut binary = build(root, &name);
    let run = |binary: &Path, url: &str, args: &[&str]| run_binary(binary, root, url, args);

    let said = ok(&run(&binary, &real.url, &["entities"]), "entities");
    assert!(said.contains("6 entities"), "{said}");
    let said = ok(&run(&binary, &real.url, &["auto", "probe"]), "auto");
    assert!(said.contains("No changes"), "{said}");
    assert!(
        migration_files(root).is_empty(),
        "{:?}",
        migration_files(root)
    );

    // 3. The baseline, written against an empty scratch database, then stamped.
    ok(
        &run(&binary, &fresh.url, &["auto", "baseline"]),
        "auto baseline",
    );
    let files = migration_files(root);
    assert!(
        files.len() == 1 && files[0].ends_with("_baseline.rs"),
        "{files:?}"
    );
    binary = build(root, &name);
    ok(&run(&binary, &real.url, &["stamp", "head"]), "stamp head");
    let said = ok(&run(&binary, &real.url, &["auto", "probe"]), "auto");
    assert!(said.contains("No changes"), "{said}");
    // A fresh database gets the same schema from `upgrade`.
    ok(&run(&binary, &fresh.url, &["upgrade"]), "upgrade fresh");
    let said = ok(&run(&binary, &fresh.url, &["auto", "probe"]), "auto");
    assert!(said.contains("No changes"), "{said}");

    // 4. An entity edit goes up, down and up again on the adopted database.
    add_nickname(root);
    binary = build(root, &name);
    let said = ok(
        &run(&binary, &real.url, &["auto", "artist nickname"]),
        "auto",
    );
    assert!(said.contains("nickname"), "{said}");
    assert_eq!(
        migration_files(root).len(),
        2,
        "{:?}",
        migration_files(root)
    );
    binary = build(root, &name);
    let said = ok(&run(&binary, &real.url, &["upgrade"]), "upgrade");
    assert!(said.contains("artist_nickname"), "{said}");
    let said = ok(&run(&binary, &real.url, &["auto", "probe"]), "auto");
    assert!(said.contains("No changes"), "{said}");
    let nickname_columns = || {
        let sql = match backend {
            Backend::Sqlite => {
                "SELECT name FROM pragma_table_info('artist') WHERE name = 'nickname'"
            }
            Backend::Postgres => {
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = 'artist' \
                 AND column_name = 'nickname'"
            }
            Backend::MySql => {
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = 'artist' \
                 AND column_name = 'nickname'"
            }
        };
        strings(rt, real, sql).len()
    };
    assert_eq!(nickname_columns(), 1);

    let said = ok(
        &run(&binary, &real.url, &["downgrade", "--allow-data-loss"]),
        "downgrade",
    );
    assert!(said.contains("artist_nickname"), "{said}");
    assert_eq!(nickname_columns(), 0);
    let said = ok(&run(&binary, &real.url, &["status"]), "status");
    assert!(said.contains("artist_nickname"), "{said}");
    ok(&run(&binary, &real.url, &["upgrade"]), "upgrade again");
    let said = ok(&run(&binary, &real.url, &["auto", "probe"]), "auto");
    assert!(said.contains("No changes"), "{said}");
    assert_eq!(nickname_columns(), 1);
    let names = strings(rt, real, "SELECT name FROM artist");
    assert_eq!(names, ["Miles Davis"], "the adopted rows are kept");
}

#[test]
fn adopt_sqlite_database_without_history() {
    adopt_and_round_trip(Backend::Sqlite);
}

#[test]
fn adopt_postgres_database_without_history() {
    adopt_and_round_trip(Backend::Postgres);
}

#[test]
fn adopt_mysql_database_without_history() {
    adopt_and_round_trip(Backend::MySql);
}
