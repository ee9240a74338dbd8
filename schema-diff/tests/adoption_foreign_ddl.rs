//! Zero false positives on schemas other tools created: DDL written the way
//! mysqldump (Sakila), Rails, Django and Prisma write it, compared with the
//! entities sea-orm-cli generates for it, diffs to nothing; and when another
//! attribute of such a column differs, the change is not a type change.
//!
//! Each test works in its own scratch database (see `support/`).

mod support {
    pub mod mysql;
}

use schema_diff::desired::{EntityStatements, schema_from_entities};
use schema_diff::introspect::introspect;
use schema_diff::lint::{LintOptions, lint_with};
use schema_diff::{Change, Dialect, DiffOptions, Schema, diff};
use sea_orm::{ConnectionTrait, Database, DbBackend, EntityTrait};

/// A Sakila-like `film` table as sea-orm-cli generates it from MariaDB:
/// `BOOLEAN` (stored `tinyint(1)`) becomes `i8`, `TIMESTAMP` becomes
/// `DateTimeUtc`, `ENUM(...)` an active enum named after the column.
mod film {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "film")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub film_id: u16,
        #[sea_orm(column_type = "String(StringLen::N(128))")]
        pub title: String,
        #[sea_orm(default_value = "G")]
        pub rating: Option<Rating>,
        #[sea_orm(default_value = 1)]
        pub active: i8,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub last_update: DateTimeUtc,
    }

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "rating")]
    pub enum Rating {
        #[sea_orm(string_value = "G")]
        G,
        #[sea_orm(string_value = "PG")]
        Pg,
        #[sea_orm(string_value = "PG-13")]
        Pg13,
        #[sea_orm(string_value = "R")]
        R,
        #[sea_orm(string_value = "NC-17")]
        Nc17,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Date-time columns as Rails (`datetime(6)`), Django (`datetime`), Prisma
/// (`DATETIME`) and hand-written SQL (`timestamp`) declare them on SQLite, with
/// the entity types sea-orm-cli and hand-written entities use for them.
mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub starts_at: DateTime,
        pub created_at: DateTimeUtc,
        pub seen_at: DateTime,
        #[sea_orm(column_type = "Timestamp")]
        pub updated_at: DateTime,
        pub done_at: Option<DateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn statements_of<E: EntityTrait>(entity: E) -> EntityStatements {
    let schema = sea_orm::Schema::new(DbBackend::Sqlite);
    (
        schema.create_table_from_entity(entity),
        schema.create_index_from_entity(entity),
        schema.create_enum_from_entity(entity),
    )
}

fn desired<E: EntityTrait>(entity: E) -> Schema {
    schema_from_entities(vec![statements_of(entity)]).expect("entity converts")
}

/// The changes with every table rebuild replaced by the changes it groups.
fn flatten(changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .flat_map(|c| match c {
            Change::RebuildTable { changes, .. } => flatten(changes),
            other => vec![other.clone()],
        })
        .collect()
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::describe).collect()
}

/// Every `AlterColumn` of `changes` keeps its type, no enum type is created,
/// and the lint reports no type-change hazard.
fn assert_no_type_change(changes: &[Change], actual: &Schema, dialect: Dialect) {
    for change in changes {
        match change {
            Change::AlterColumn { table, from, to } => assert_eq!(
                from.ty,
                to.ty,
                "{table}.{} is reported as a type change: {}",
                to.name,
                change.describe()
            ),
            Change::CreateEnum { .. } => panic!("unexpected {}", change.describe()),
            _ => {}
        }
    }
    let options = LintOptions {
        dialect: Some(dialect),
        ..Default::default()
    };
    let hazards = lint_with(changes, actual, &options);
    assert!(
        hazards
            .iter()
            .all(|h| h.code != "LK002" && h.code != "DL003"),
        "{hazards:#?}"
    );
}

/// mysqldump's spelling of the Sakila table (MariaDB 10.11).
const SAKILA_FILM: &str = "CREATE TABLE `film` (
  `film_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,
  `title` varchar(128) NOT NULL,
  `rating` enum('G','PG','PG-13','R','NC-17') DEFAULT 'G',
  `active` tinyint(1) NOT NULL DEFAULT 1,
  `last_update` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  PRIMARY KEY (`film_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";

#[tokio::test]
async fn mysql_sakila_film_tinyint1_timestamp_and_enum_diff_to_nothing() {
    let Some(db) = support::mysql::scratch("foreign_film").await else {
        return;
    };
    db.exec(SAKILA_FILM).await;
    let actual = introspect(&db.db).await.expect("introspect");
    let changes = diff(
        &actual,
        &desired(film::Entity),
        Dialect::MySql,
        &DiffOptions::default(),
    );
    assert!(changes.is_empty(), "{:#?}", describe(&changes));
}

#[tokio::test]
async fn mysql_other_attribute_changes_are_not_type_changes() {
    let Some(db) = support::mysql::scratch("foreign_film_alter").await else {
        return;
    };
    // The same columns, each differing from the entity in something else.
    db.exec(
        "CREATE TABLE `film` (
          `film_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,
          `title` varchar(128) NOT NULL,
          `rating` enum('G','PG','PG-13','R','NC-17') DEFAULT 'PG',
          `active` tinyint(1) NULL DEFAULT 1,
          `last_update` timestamp NULL DEFAULT current_timestamp(),
          PRIMARY KEY (`film_id`)
        ) ENGINE=InnoDB",
    )
    .await;
    let actual = introspect(&db.db).await.expect("introspect");
    let changes = diff(
        &actual,
        &desired(film::Entity),
        Dialect::MySql,
        &DiffOptions::default(),
    );
    let changes = flatten(&changes);
    let altered: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AlterColumn { to, .. } => Some(to.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        altered,
        ["rating", "active", "last_update"],
        "{:#?}",
        describe(&changes)
    );
    assert_no_type_change(&changes, &actual, Dialect::MySql);
}

#[tokio::test]
async fn sqlite_datetime_spellings_of_other_tools_diff_to_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = Database::connect(&url).await.expect("open sqlite");
    // Rails 7 (`datetime(6)`), Django (`datetime`), hand-written (`timestamp`),
    // Prisma (`DATETIME`), sea-query (`timestamp_with_timezone_text`).
    let ddl = r#"CREATE TABLE "events" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "name" varchar NOT NULL,
        "starts_at" datetime(6) NOT NULL,
        "created_at" timestamp NOT NULL,
        "seen_at" timestamp NOT NULL,
        "updated_at" DATETIME NOT NULL,
        "done_at" datetime NULL
    )"#;
    db.execute_unprepared(ddl).await.expect("create table");
    let actual = introspect(&db).await.expect("introspect");
    let desired = desired(event::Entity);
    let changes = diff(&actual, &desired, Dialect::Sqlite, &DiffOptions::default());
    assert!(changes.is_empty(), "{:#?}", describe(&changes));

    // Another attribute differs: the rebuild carries no type change.
    db.execute_unprepared(r#"DROP TABLE "events""#)
        .await
        .expect("drop");
    let nullable = ddl.replace(r#""seen_at" timestamp NOT NULL"#, r#""seen_at" timestamp"#);
    db.execute_unprepared(&nullable).await.expect("recreate");
    let actual = introspect(&db).await.expect("introspect");
    let changes = diff(&actual, &desired, Dialect::Sqlite, &DiffOptions::default());
    let inner = flatten(&changes);
    assert_eq!(inner.len(), 1, "{:#?}", describe(&changes));
    assert_no_type_change(&inner, &actual, Dialect::Sqlite);
}

/// A `Decimal` field, as the example's `documents.price`.
mod priced {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "priced")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
        pub price: Decimal,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Writes 10.00 and 10.25 through SeaORM into `priced`, created by `ddl`, and
/// reads them back.
async fn decimal_round_trip(ddl: &str) -> Result<Vec<sea_orm::prelude::Decimal>, sea_orm::DbErr> {
    use sea_orm::{ActiveModelTrait, Set};
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = Database::connect(&url).await.expect("open sqlite");
    db.execute_unprepared(ddl).await.expect("create table");
    for price in ["10.00", "10.25"] {
        priced::ActiveModel {
            price: Set(price.parse().expect("decimal")),
            ..Default::default()
        }
        .insert(&db)
        .await?;
    }
    let rows = priced::Entity::find().all(&db).await?;
    Ok(rows.into_iter().map(|r| r.price).collect())
}

#[tokio::test]
async fn sqlite_decimal_columns_as_created_round_trip_through_sea_orm() {
    let table = schema_diff::desired::table_from_statements(&statements_of(priced::Entity).0, &[])
        .expect("table");
    let ddl = schema_diff::statements::create_table(&table)
        .to_string(sea_orm::sea_query::SqliteQueryBuilder);
    let prices = decimal_round_trip(&ddl).await.expect("round trip");
    assert_eq!(prices.len(), 2, "{ddl}");
    // With NUMERIC affinity SQLite stores 10.00 as the integer 10, which SeaORM
    // (reading SQLite decimals as f64) refuses: why `real(p, s)` stays.
    let numeric = decimal_round_trip(
        "CREATE TABLE priced (id integer PRIMARY KEY AUTOINCREMENT, price decimal(10, 2) NOT NULL)",
    )
    .await;
    assert!(numeric.is_err(), "{numeric:?}");
}
