//! Data safety: the build script finds every entity of a crate, whatever its
//! layout, so that `all_entities()` never misses a table (a missing one would be
//! generated as `DROP TABLE` by `db-migrate auto`).

#[path = "../discover.rs"]
mod discover;

use std::path::Path;

const ENTITY: &str = "use sea_orm::entity::prelude::*;\n\
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n\
    #[sea_orm(table_name = \"t\")]\n\
    pub struct Model { #[sea_orm(primary_key)] pub id: i32 }\n";

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn flat_modules_are_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    write(
        src,
        "lib.rs",
        "pub mod users;\npub mod helpers;\nmod private;\n",
    );
    write(src, "users.rs", ENTITY);
    write(src, "helpers.rs", "pub fn x() {}\n");
    write(src, "private.rs", ENTITY);
    assert_eq!(discover::entity_modules(src), Ok(vec!["users".to_owned()]));
}

#[test]
fn the_sea_orm_cli_layout_with_nested_modules_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    write(
        src,
        "lib.rs",
        "pub mod entities;\npub mod inline { pub mod deep { #[derive(DeriveEntityModel)] pub struct Model; } }\n",
    );
    write(
        src,
        "entities/mod.rs",
        "pub mod prelude;\npub mod posts;\npub mod users;\n",
    );
    write(
        src,
        "entities/prelude.rs",
        "pub use super::users::Entity as Users;\n",
    );
    write(src, "entities/users.rs", ENTITY);
    write(src, "entities/posts.rs", ENTITY);
    assert_eq!(
        discover::entity_modules(src),
        Ok(vec![
            "entities::posts".to_owned(),
            "entities::users".to_owned(),
            "inline::deep".to_owned(),
        ])
    );
}

#[test]
fn unreadable_sources_are_errors_not_empty_lists() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    let missing = discover::entity_modules(src).expect_err("no lib.rs");
    assert!(missing.contains("cannot read"), "{missing}");
    write(src, "lib.rs", "pub mod broken;\n");
    write(src, "broken.rs", "pub struct {");
    let broken = discover::entity_modules(src).expect_err("a parse error");
    assert!(
        broken.contains("cannot parse") && broken.contains("broken.rs"),
        "{broken}"
    );
}

#[test]
fn this_crate_lists_every_entity() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = discover::entity_modules(&src).expect("discover");
    assert_eq!(found.len(), 7 - 1, "{found:?}");
    let schema = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    assert_eq!(entity::all_entities(&schema).len(), found.len());
}
