//! `auto` and `generate` through the real binary, writing into a migration folder
//! in a temp dir (never into the workspace's `migration/src`).

mod support;

use std::path::Path;

use serde_json::json;
use support::{Sandbox, files, is_module_name};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

fn dir_arg(dir: &Path) -> String {
    dir.display().to_string()
}

/// The single new module in `dir` besides `before`, as (stem, text).
#[track_caller]
fn new_module(dir: &Path, before: &[String], slug: &str) -> (String, String) {
    let added: Vec<String> = files(dir)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(added.len(), 1, "new files: {added:?}");
    let stem = added[0].strip_suffix(".rs").expect(".rs file").to_owned();
    assert!(is_module_name(&stem, slug), "{stem}");
    let text = read(&dir.join(&added[0]));
    (stem, text)
}

/// The `wrote ...` line: the path relative to the current directory (the sandbox).
fn wrote(s: &Sandbox, stem: &str) -> String {
    let cwd = s.path().canonicalize().expect("canonical");
    if cwd == s.path() {
        format!("wrote mig/src/{stem}.rs")
    } else {
        // A symlinked temp dir (macOS): the path is printed as given.
        format!("wrote {}/mig/src/{stem}.rs", s.path().display())
    }
}

#[track_caller]
fn assert_registered(dir: &Path, stem: &str) {
    let lib = read(&dir.join("lib.rs"));
    assert!(lib.contains(&format!("\nmod {stem};\n")), "{lib}");
    assert!(
        lib.contains(&format!("Box::new({stem}::Migration),")),
        "{lib}"
    );
}

#[test]
fn auto_on_an_up_to_date_database_says_no_changes_and_writes_nothing() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let lib_before = read(&dir.join("lib.rs"));
    s.run(&["upgrade"]).ok();

    let d = dir_arg(&dir);
    assert_eq!(
        s.run(&["auto", "nothing", "--migration-dir", &d]).ok(),
        "No changes\n"
    );
    assert_eq!(
        s.run(&["auto", "nothing", "--json", "--migration-dir", &d])
            .json(),
        json!({"changes": [], "summary": [], "hazards": [], "preflight": [], "data_loss": [], "file": null, "notes": []})
    );
    assert_eq!(files(&dir), ["lib.rs"]);
    assert_eq!(read(&dir.join("lib.rs")), lib_before);
}

#[test]
fn auto_writes_and_registers_a_module_for_a_dropped_index() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    s.run(&["upgrade"]).ok();
    s.sql(r#"DROP INDEX "idx-documents-owner_id""#);

    let before = files(&dir);
    let d = dir_arg(&dir);
    let out = s.run(&["auto", "Re-add owner index", "--migration-dir", &d]);
    let stdout = out.ok().to_owned();
    let (stem, text) = new_module(&dir, &before, "re_add_owner_index");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "1 change(s):",
            "  + index idx-documents-owner_id on documents (owner_id)",
            "hazards (1), also written in the file:",
            "  LK001 info: building index idx-documents-owner_id on existing table documents blocks writes to it on PostgreSQL (CREATE INDEX without CONCURRENTLY)",
            &wrote(&s, &stem),
            "review it, then run `db-migrate upgrade`",
        ]
    );
    assert_registered(&dir, &stem);
    assert!(text.contains("idx-documents-owner_id"), "{text}");
    assert!(text.contains("async fn up("), "{text}");
    assert!(text.contains("async fn down("), "{text}");
}

#[test]
fn auto_json_reports_the_changes_and_the_file() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    s.run(&["upgrade"]).ok();
    s.sql("CREATE TABLE extra (id integer PRIMARY KEY, name text NOT NULL)");

    let before = files(&dir);
    let d = dir_arg(&dir);
    let report = s
        .run(&["auto", "drop extra", "--json", "--migration-dir", &d])
        .json();
    let (stem, text) = new_module(&dir, &before, "drop_extra");
    let expected_file = dir.join(format!("{stem}.rs")).display().to_string();
    assert_eq!(report["file"], json!(expected_file));
    assert_eq!(report["summary"], json!(["- table extra"]));
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{report}");
    assert_eq!(changes[0]["op"], "drop_table");
    // A drop carries the old object whole, so that `down` can recreate it.
    assert_eq!(changes[0]["table"]["name"], "extra");
    assert_eq!(changes[0]["table"]["columns"][1]["name"], "name");
    assert_registered(&dir, &stem);
    assert!(text.contains("drop_table"), "{text}");
    // Dropping a table loses its data: the hazard is reported and written in the file.
    assert_eq!(report["hazards"][0]["code"], "DL001", "{report}");
    assert_eq!(report["hazards"][0]["table"], "extra", "{report}");
    assert!(text.contains("// DL001 danger:"), "{text}");
}

#[test]
fn auto_refuses_while_migrations_are_pending() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir_arg(&dir);
    let pending = support::versions().join(", ");
    s.run(&["auto", "too early", "--migration-dir", &d])
        .error(&["not up to date", &pending, "db-migrate upgrade"]);
    s.run(&["auto", "too early", "--json", "--migration-dir", &d])
        .error(&["not up to date"]);
    assert_eq!(files(&dir), ["lib.rs"]);
}

#[test]
fn auto_rejects_a_description_without_letters_before_connecting() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir_arg(&dir);
    s.run(&["auto", "... ?", "--migration-dir", &d])
        .error(&["`... ?` has no letters or digits"]);
    assert!(!s.path().join("app.db").exists());
}

#[test]
fn generate_writes_an_empty_registered_module() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir_arg(&dir);
    let before = files(&dir);
    let stdout = s
        .run(&["generate", "add things", "--migration-dir", &d])
        .ok()
        .to_owned();
    let (stem, text) = new_module(&dir, &before, "add_things");
    assert_eq!(stdout, format!("{}\n", wrote(&s, &stem)));
    assert_registered(&dir, &stem);
    assert!(text.starts_with("//! add things\n"), "{text}");
    assert!(text.contains("impl MigrationTrait for Migration"), "{text}");
    assert!(syn_like_balanced(&text));
}

#[test]
fn generate_twice_in_a_row_gives_two_names_in_order() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir_arg(&dir);
    let first = s
        .run(&["generate", "zz first", "--json", "--migration-dir", &d])
        .json();
    let second = s
        .run(&["generate", "aa second", "--json", "--migration-dir", &d])
        .json();
    let name = |v: &serde_json::Value| {
        let file = v["file"].as_str().expect("file").to_owned();
        Path::new(&file)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("stem")
            .to_owned()
    };
    let (a, b) = (name(&first), name(&second));
    assert!(
        is_module_name(&a, "zz_first") && is_module_name(&b, "aa_second"),
        "{a} {b}"
    );
    // Within one second both could get the same stamp, and `aa` sorts before `zz`:
    // the second must still sort later.
    assert!(a < b, "{a} !< {b}");
    let lib = read(&dir.join("lib.rs"));
    let (pa, pb) = (
        lib.find(&format!("Box::new({a}")),
        lib.find(&format!("Box::new({b}")),
    );
    assert!(pa.is_some() && pb.is_some() && pa < pb, "{lib}");
}

#[test]
fn generate_sorts_after_modules_already_in_the_folder() {
    // A module written a moment ago (not compiled into this binary) an hour ahead.
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::hours(1);
    let planted = format!("{}_later", later.format("m%Y%m%d_%H%M%S"));
    std::fs::write(dir.join(format!("{planted}.rs")), "// by hand\n").expect("write");
    std::fs::write(dir.join("seed.rs"), "// not a migration\n").expect("write");
    let before = files(&dir);
    s.run(&["generate", "after", "--migration-dir", &dir_arg(&dir)])
        .ok();
    let (stem, _) = new_module(&dir, &before, "after");
    let expected = format!(
        "{}_after",
        (later + chrono::Duration::seconds(1)).format("m%Y%m%d_%H%M%S")
    );
    assert_eq!(stem, expected);
}

#[test]
fn generate_errors_write_nothing() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir_arg(&dir);
    s.run(&["generate", "!!!", "--migration-dir", &d])
        .error(&["`!!!` has no letters or digits to name the migration with"]);
    assert_eq!(files(&dir), ["lib.rs"]);

    let missing = s.path().join("nowhere");
    s.run(&["generate", "x", "--migration-dir", &dir_arg(&missing)])
        .error(&["cannot read", "nowhere/lib.rs"]);

    std::fs::write(dir.join("lib.rs"), "fn main() {}\n").expect("write");
    s.run(&["generate", "x", "--migration-dir", &d])
        .error(&["impl MigratorTrait"]);
    assert_eq!(files(&dir), ["lib.rs"]);
}

/// Braces balance: a cheap check that the template came out whole.
fn syn_like_balanced(text: &str) -> bool {
    text.matches('{').count() == text.matches('}').count()
}
