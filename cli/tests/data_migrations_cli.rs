//! The data-migration commands: `generate --data` writes and registers the
//! worked example, and `auto` points to expand/backfill/contract when it adds a
//! NOT NULL column without a default to a table holding rows (and only then).

mod support;

use support::{Sandbox, files};

const NOTE: &str = "note: a NOT NULL column without a default cannot be added to a table \
                    holding rows; expand/backfill/contract instead: add it nullable (or with \
                    a default), fill it with a data migration (`db-migrate generate --data \
                    \"...\"`), then make it NOT NULL. See \
                    docs/data-migrations.md#expand-backfill-contract";

#[test]
fn generate_data_writes_the_worked_example_and_registers_it() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir.display().to_string();
    let before = files(&dir);
    let out = s
        .run(&[
            "generate",
            "--data",
            "backfill post slugs",
            "--migration-dir",
            &d,
        ])
        .ok()
        .to_owned();
    let added: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    let stem = added[0].trim_end_matches(".rs").to_owned();
    assert!(
        support::is_module_name(&stem, "backfill_post_slugs"),
        "{stem}"
    );
    assert!(
        out.starts_with("wrote ") && out.contains(&added[0]),
        "{out}"
    );
    let text = std::fs::read_to_string(dir.join(&added[0])).expect("module");
    assert_eq!(
        text,
        db_migrate::data_migration_module("backfill post slugs")
    );
    let lib = std::fs::read_to_string(dir.join("lib.rs")).expect("lib.rs");
    assert!(lib.contains(&format!("\nmod {stem};\n")), "{lib}");
    assert!(
        lib.contains(&format!("Box::new({stem}::Migration)")),
        "{lib}"
    );
}

/// The database at head, then without `users.display_name` (NOT NULL, no
/// default in the entities), holding `rows` users.
fn without_display_name(s: &Sandbox, rows: usize) {
    s.run(&["upgrade"]).ok();
    s.sql("ALTER TABLE users DROP COLUMN display_name");
    for i in 0..rows {
        s.sql(&format!(
            "INSERT INTO users (email, role) VALUES ('u{i}@example.com', 'member')"
        ));
    }
}

#[test]
fn auto_points_to_expand_backfill_contract_for_a_not_null_column_on_rows() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir.display().to_string();
    without_display_name(&s, 2);
    let out = s
        .run(&["auto", "add display name", "--migration-dir", &d])
        .ok()
        .to_owned();
    assert!(
        out.contains(
            "users has 2 rows: adding NOT NULL column display_name without a default will fail"
        ),
        "{out}"
    );
    assert!(out.contains(NOTE), "{out}");
    // The migration itself stays a schema change.
    let json = s
        .run(&[
            "auto",
            "add display name again",
            "--json",
            "--migration-dir",
            &d,
        ])
        .json();
    assert_eq!(
        json["notes"][0].as_str().map(|n| format!("note: {n}")),
        Some(NOTE.to_owned()),
        "{json}"
    );
}

#[test]
fn auto_says_nothing_of_it_on_an_empty_table() {
    let s = Sandbox::new();
    let dir = s.migration_dir();
    let d = dir.display().to_string();
    without_display_name(&s, 0);
    let out = s
        .run(&["auto", "add display name", "--migration-dir", &d])
        .ok()
        .to_owned();
    assert!(out.contains("wrote "), "{out}");
    assert!(!out.contains("expand/backfill/contract"), "{out}");
}
