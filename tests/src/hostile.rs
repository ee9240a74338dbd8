//! A corpus of hostile but legal database names, and the schema built from them: the
//! generated module for it is compiled into the test suite
//! (`tests/fixtures/hostile_names.rs`) and run on every backend, so text from a
//! database can neither break out of the module's strings and comments nor out of the
//! SQL it runs.

use schema_diff::Change;
use schema_diff::ir::{ColumnType as T, FkAction, Schema};

use crate::build::*;

/// Table names: SQL and Rust comment syntax, line breaks, a bare CR, quotes, unicode,
/// a direction override, an ANSI sequence, and a 63-character name (the longest
/// PostgreSQL keeps).
pub const TABLES: [&str; 6] = [
    "semi; DROP TABLE victims; --",
    "legacy\npub fn injected_by_db() -> i32 { 42 }\n//",
    "cr\rhere */ /* it's",
    "名前 naïve \u{202e}txt.exe",
    "ansi \u{1b}[2J \u{7}bell",
    "t23456789_123456789_123456789_123456789_123456789_123456789_123",
];

/// A column name for each table, as hostile as the table's.
fn column_name(i: usize) -> String {
    [
        "c; DELETE FROM victims",
        "line\nbreak",
        "q'uote",
        "ü\u{200f}",
        "x\ty",
    ][i % 5]
        .to_owned()
}

/// The description the fixture is rendered with.
pub const DESCRIPTION: &str =
    "hostile names\r\npub fn injected_by_description() {}\r // */ \u{202e} \u{1b}[31m";

/// The schema with one table per hostile name, each with a hostile column, an index
/// and (after the first) a foreign key to the first, all named after the table.
pub fn schema() -> Schema {
    let mut tables = Vec::new();
    for (i, name) in TABLES.iter().enumerate() {
        let column = column_name(i);
        let mut table = table(name)
            .with(col(&column, T::String(Some(40))).null())
            .with(col("parent_id", T::Integer).null())
            .index(&index_name(i), &[&column]);
        if i > 0 {
            table = table.fk(&["parent_id"], TABLES[0], &["id"], FkAction::Cascade);
            if let Some(fk) = table.foreign_keys.last_mut() {
                fk.name = Some(format!("fk {i}; --\n*/"));
            }
        }
        tables.push(table);
    }
    crate::build::schema(tables)
}

/// Index names are unique per database on PostgreSQL and SQLite.
fn index_name(i: usize) -> String {
    format!("idx {i}; DROP INDEX x --\n'")
}

/// The changes that create [`schema`] from nothing.
pub fn changes() -> Vec<Change> {
    schema_diff::diff(
        &Schema::default(),
        &schema(),
        schema_diff::Dialect::Postgres,
        &schema_diff::DiffOptions::default(),
    )
}
