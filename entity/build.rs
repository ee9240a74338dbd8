//! Generates `all_entities()`: every module reachable from `src/lib.rs` through
//! `pub mod` declarations (nested ones too, e.g. sea-orm-cli's `entities/mod.rs`)
//! whose file derives `DeriveEntityModel` is listed, so adding an entity is only
//! adding its file and its `pub mod` line. A crate with no entity at all fails the
//! build: an empty list would make `db-migrate auto` drop every table.

mod discover;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let src = Path::new("src");
    println!("cargo:rerun-if-changed=src");
    let modules = discover::entity_modules(src).unwrap_or_else(|e| panic!("{e}"));
    if modules.is_empty() {
        panic!("no module under src/ derives DeriveEntityModel: all_entities() would be empty");
    }

    let mut out = String::from(
        "/// Schema statements of every entity in this crate, built for `schema`'s backend:\n\
         /// `(table, indexes, enum types)` per entity, in module-path order.\n\
         pub fn all_entities(schema: &::sea_orm::Schema) -> ::std::vec::Vec<crate::EntityStatements> {\n    vec![\n",
    );
    for m in &modules {
        writeln!(
            out,
            "        (schema.create_table_from_entity({m}::Entity), schema.create_index_from_entity({m}::Entity), schema.create_enum_from_entity({m}::Entity)),"
        )
        .expect("write to String");
    }
    out.push_str("    ]\n}\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::write(dest.join("all_entities.rs"), out).expect("write all_entities.rs");
}
