//! Long generated names work everywhere: SeaORM entities whose table names are long
//! enough that the index, unique constraint and foreign key names SeaORM and the
//! differ derive from them pass 64 characters. Before, MariaDB refused them (error
//! 1059, migration left dirty) and PostgreSQL cut them at 63 bytes. Now they are
//! shortened (same name on every backend), the migration applies on every backend,
//! the database keeps exactly the names the IR has, the re-diff is empty and `down`
//! leaves nothing behind. Table and column names over 63 bytes are refused.

use schema_diff::names::MAX_IDENT_BYTES;
use schema_diff::runner::{DowngradeTarget, Runner, UpgradeTarget};
use schema_diff::{Dialect, DiffOptions, Schema};
use sea_orm_migration::MigrationTrait;
use tests::converge::changes_to;
use tests::interpreted::Interpreted;
use tests::{Backend, Scratch};

/// A parent with a long name (58 characters).
mod parent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organisation_units_with_a_rather_long_descriptive_name_xx")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A child with a long name (60 characters): an indexed column, a unique column
/// and a foreign key, each with a generated name over 64 characters.
mod child {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organisation_unit_memberships_with_a_long_descriptive_name_x")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_unit_id: i32,
        #[sea_orm(indexed)]
        pub membership_reference_code: String,
        #[sea_orm(unique)]
        pub external_identifier_of_member: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::parent::Entity",
            from = "Column::OrganisationUnitId",
            to = "super::parent::Column::Id",
            on_delete = "Cascade"
        )]
        Parent,
    }

    impl Related<super::parent::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Parent.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A table whose own name is over 63 bytes.
mod too_long {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(
        table_name = "a_table_name_of_seventy_characters_which_no_backend_keeps_as_given_xyz"
    )]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn desired() -> Schema {
    let schema = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let statements = vec![
        (
            schema.create_table_from_entity(parent::Entity),
            schema.create_index_from_entity(parent::Entity),
            schema.create_enum_from_entity(parent::Entity),
        ),
        (
            schema.create_table_from_entity(child::Entity),
            schema.create_index_from_entity(child::Entity),
            schema.create_enum_from_entity(child::Entity),
        ),
    ];
    schema_diff::desired::schema_from_entities(statements).expect("entities")
}

/// The names of a table's indexes and foreign keys (`None` names left out).
fn names(schema: &Schema, table: &str) -> (Vec<String>, Vec<String>) {
    let t = schema.table(table).expect("table");
    let mut indexes: Vec<String> = t.indexes.iter().map(|i| i.name.clone()).collect();
    let mut fks: Vec<String> = t
        .foreign_keys
        .iter()
        .filter_map(|f| f.name.clone())
        .collect();
    indexes.sort();
    fks.sort();
    (indexes, fks)
}

#[test]
fn faults_generated_names_are_shortened_deterministically() {
    let schema = desired();
    let child = schema
        .table("organisation_unit_memberships_with_a_long_descriptive_name_x")
        .expect("child");
    assert_eq!(child.indexes.len(), 2, "{:#?}", child.indexes);
    assert_eq!(child.foreign_keys.len(), 1);
    let all: Vec<&str> = child
        .indexes
        .iter()
        .map(|i| i.name.as_str())
        .chain(child.foreign_keys.iter().filter_map(|f| f.name.as_deref()))
        .collect();
    for name in &all {
        assert!(
            name.len() <= MAX_IDENT_BYTES,
            "{name} is {} bytes",
            name.len()
        );
    }
    // Distinct, and the same on every call.
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{all:?}");
    assert_eq!(desired(), schema);
}

#[test]
fn faults_table_names_over_63_bytes_are_refused() {
    let schema = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let statements = vec![(
        schema.create_table_from_entity(too_long::Entity),
        schema.create_index_from_entity(too_long::Entity),
        schema.create_enum_from_entity(too_long::Entity),
    )];
    let err = schema_diff::desired::schema_from_entities(statements)
        .expect_err("a 70-byte table name is refused");
    let text = err.to_string();
    assert!(
        text.contains("a_table_name_of_seventy_characters") && text.contains("70 bytes"),
        "{text}"
    );
}

fn migration(changes: Vec<schema_diff::Change>) -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Interpreted {
        name: "m20990101_000000_long_names".into(),
        changes,
    })]
}

async fn converge(backend: Backend) {
    let Some(scratch) = Scratch::new(backend, "faults_long_names").await else {
        return;
    };
    let db = &scratch.db;
    let dialect = Dialect::of(db.get_database_backend()).expect("dialect");
    let desired = desired();
    let up = schema_diff::diff(
        &Schema::default(),
        &desired,
        dialect,
        &DiffOptions::default(),
    );
    let runner = Runner::new(migration(up));
    if let Err(e) = runner.upgrade(db, &UpgradeTarget::Head, |_| {}).await {
        panic!("{backend:?}: applying the long names failed: {e}");
    }
    let left = changes_to(db, &desired).await.expect("re-diff");
    assert!(left.is_empty(), "{backend:?}: after up: {left:#?}");

    // The database keeps exactly the names the IR has (PostgreSQL cut them before).
    let actual = schema_diff::introspect::introspect(db)
        .await
        .expect("introspect");
    for table in &desired.tables {
        let (_, want_fks) = names(&desired, &table.name);
        let (got_indexes, got_fks) = names(&actual, &table.name);
        if backend != Backend::Sqlite {
            assert_eq!(got_fks, want_fks, "{backend:?}: foreign key names");
        }
        for index in &table.indexes {
            // SQLite keeps no name for a unique constraint (`sqlite_autoindex_*`).
            if backend == Backend::Sqlite && index.constraint {
                continue;
            }
            let name = &index.name;
            assert!(
                got_indexes.contains(name),
                "{backend:?}: index {name} not in {got_indexes:?}"
            );
        }
    }

    if let Err(e) = runner.downgrade(db, &DowngradeTarget::Base, |_| {}).await {
        panic!("{backend:?}: down failed: {e}");
    }
    let left = changes_to(db, &Schema::default()).await.expect("re-diff");
    assert!(left.is_empty(), "{backend:?}: after down: {left:#?}");
    scratch.cleanup().await;
}

#[tokio::test]
async fn faults_long_names_converge_on_sqlite() {
    converge(Backend::Sqlite).await;
}

#[tokio::test]
async fn faults_long_names_converge_on_postgres() {
    converge(Backend::Postgres).await;
}

#[tokio::test]
async fn faults_long_names_converge_on_mysql() {
    converge(Backend::MySql).await;
}
