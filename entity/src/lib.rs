//! The example application's SeaORM entities.
//!
//! Adding an entity is two steps: write `src/<name>.rs` with a `DeriveEntityModel`,
//! and declare `pub mod <name>;` below. The build script finds it from there, so
//! [`all_entities`] (what `db-migrate auto` compares against the database) never
//! needs a second list kept in sync.

pub mod api_keys;
pub mod document_tags;
pub mod documents;
pub mod sea_orm_active_enums;
pub mod tags;
pub mod user_preferences;
pub mod users;

/// One entity's schema statements: its table, its extra indexes, and the enum
/// types it uses (PostgreSQL `CREATE TYPE`s; empty elsewhere).
pub type EntityStatements = (
    sea_orm::sea_query::TableCreateStatement,
    Vec<sea_orm::sea_query::IndexCreateStatement>,
    Vec<sea_orm::sea_query::extension::postgres::TypeCreateStatement>,
);

include!(concat!(env!("OUT_DIR"), "/all_entities.rs"));
