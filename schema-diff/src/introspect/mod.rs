//! The actual side: a live database → IR.
//!
//! Each backend is read with a few bulk catalog queries (a constant number,
//! whatever the number of tables), never a round trip per table or column.

use sea_orm::ConnectionTrait;

use crate::dialect::Dialect;
use crate::error::Error;
use crate::ir::Schema;

pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Reads the schema of the database behind `db` (a connection or a transaction),
/// without the tables this tool and SeaORM keep for themselves (see
/// [`is_ignored_table`]). The result is sorted ([`Schema::sort`]).
///
pub async fn introspect<C: ConnectionTrait>(db: &C) -> Result<Schema, Error> {
    let backend = db.get_database_backend();
    match Dialect::of(backend) {
        Some(Dialect::Sqlite) => sqlite::introspect(db).await,
        Some(Dialect::Postgres) => postgres::introspect(db).await,
        Some(Dialect::MySql) => mysql::introspect(db).await,
        None => Err(Error::Introspection {
            table: "*".into(),
            reason: format!("unknown database backend {backend:?}"),
        }),
    }
}

/// Whether introspection skips the table called `name`: SeaORM's migration
/// history `seaql_migrations`, this tool's companion tables (`db_migrate_*`)
/// and SQLite's internal tables (`sqlite_*`, such as `sqlite_sequence`).
pub fn is_ignored_table(name: &str) -> bool {
    name == "seaql_migrations" || name.starts_with("db_migrate_") || name.starts_with("sqlite_")
}
