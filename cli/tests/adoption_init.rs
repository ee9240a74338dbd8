//! `db-migrate init` on a copy of a workspace laid out as sea-orm-cli lays it out
//! (tests/fixtures/seaorm_cli_project: `entity/src/entities/`, a `migration` crate
//! with one migration): the generated binary crate builds offline (sharing this
//! workspace's target folder), applies the existing migration to a SQLite file and
//! then finds `No changes`. The steps are the ones docs/embedding.md shows.

use std::path::Path;
use std::process::Output;

#[path = "support/project.rs"]
mod project;

use project::{build, copy_fixture, run_binary, text};

const NAME: &str = "fixture-db-migrate";

fn init(dir: &Path, extra: &[&str]) -> Output {
    project::init(dir, NAME, extra)
}

#[test]
fn init_on_a_sea_orm_cli_project_builds_and_reaches_no_changes() {
    let tmp = copy_fixture();
    let root = tmp.path();
    let out = init(root, &[]);
    assert!(out.status.success(), "init failed:\n{}", text(&out));
    let said = text(&out);
    assert!(said.contains("entity crate: entity"), "{said}");
    assert!(said.contains("next steps:"), "{said}");
    for file in ["Cargo.toml", "build.rs", "discover.rs", "src/main.rs"] {
        assert!(root.join(NAME).join(file).is_file(), "{file} not written");
    }
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        workspace.contains(r#"members = ["entity", "migration", "fixture-db-migrate"]"#),
        "{workspace}"
    );
    // The user's comments survive the edit.
    assert!(workspace.starts_with("# A SeaORM workspace"), "{workspace}");
    let config = std::fs::read_to_string(root.join("db-migrate.toml")).expect("config");
    assert!(
        config.contains(r#"migration_dir = "migration/src""#),
        "{config}"
    );

    // The generated crate builds offline against the local registry cache.
    let binary = build(root, NAME);
    let url = format!("sqlite://{}?mode=rwc", root.join("app.db").display());
    let run = |args: &[&str]| run_binary(&binary, root, &url, args);
    let entities = run(&["entities"]);
    assert!(entities.status.success(), "{}", text(&entities));
    assert!(
        text(&entities).contains("2 entities"),
        "{}",
        text(&entities)
    );
    let upgrade = run(&["upgrade"]);
    assert!(upgrade.status.success(), "{}", text(&upgrade));
    assert!(
        text(&upgrade).contains("applied m20220101_000001_create_table"),
        "{}",
        text(&upgrade)
    );
    let auto = run(&["auto", "x"]);
    assert!(auto.status.success(), "{}", text(&auto));
    assert!(text(&auto).contains("No changes"), "{}", text(&auto));
}

#[test]
fn init_never_replaces_a_file_it_did_not_write() {
    let tmp = copy_fixture();
    let root = tmp.path();
    let first = init(root, &[]);
    assert!(first.status.success(), "{}", text(&first));

    // Again: refused, naming --force.
    let again = init(root, &[]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    assert!(text(&again).contains("--force"), "{}", text(&again));

    // --force replaces init's own files, and adds the member only once.
    let forced = init(root, &["--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    assert_eq!(workspace.matches(NAME).count(), 1, "{workspace}");

    // A file of the user's is never replaced, even with --force.
    let main_rs = root.join(NAME).join("src/main.rs");
    std::fs::write(&main_rs, "fn main() {}\n").expect("write");
    let refused = init(root, &["--force"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("not written by `db-migrate init`"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(&main_rs).expect("read"),
        "fn main() {}\n"
    );
}

#[test]
fn init_creates_a_migration_crate_when_there_is_none() {
    let tmp = copy_fixture();
    let root = tmp.path();
    std::fs::remove_dir_all(root.join("migration")).expect("rm migration");
    let cargo = root.join("Cargo.toml");
    let text_before = std::fs::read_to_string(&cargo).expect("read");
    std::fs::write(&cargo, text_before.replace(r#", "migration""#, "")).expect("write");
    let out = init(root, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let lib = std::fs::read_to_string(root.join("migration/src/lib.rs")).expect("lib.rs");
    syn::parse_file(&lib).expect("lib.rs parses");
    assert!(lib.contains("vec![]"), "{lib}");
    let workspace = std::fs::read_to_string(&cargo).expect("read");
    assert!(
        workspace.contains(r#"members = ["entity", "fixture-db-migrate", "migration"]"#),
        "{workspace}"
    );
    for file in ["build.rs", "discover.rs", "src/main.rs"] {
        let source = std::fs::read_to_string(root.join(NAME).join(file)).expect("read");
        syn::parse_file(&source).unwrap_or_else(|e| panic!("{file} does not parse: {e}"));
    }
}

#[test]
fn init_outside_a_workspace_or_without_entities_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = init(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("is this a Cargo workspace?"),
        "{}",
        text(&out)
    );

    let fixture = copy_fixture();
    std::fs::remove_dir_all(fixture.path().join("entity/src/entities")).expect("rm");
    std::fs::write(fixture.path().join("entity/src/lib.rs"), "").expect("write");
    let out = init(fixture.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no member of"), "{}", text(&out));
}
