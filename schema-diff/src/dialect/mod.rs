//! Per-dialect normalization, in one place per backend.
//!
//! The differ never names a backend: it compares [`Dialect::normalize_schema`]
//! copies of both sides and emits the original objects.

use crate::ir::Schema;

pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// The SQL dialect a schema was read from or will be written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    /// The dialect of a SeaORM backend, or `None` for a backend this tool does not know.
    pub fn of(backend: sea_orm::DbBackend) -> Option<Self> {
        match backend {
            sea_orm::DbBackend::Sqlite => Some(Dialect::Sqlite),
            sea_orm::DbBackend::Postgres => Some(Dialect::Postgres),
            sea_orm::DbBackend::MySql => Some(Dialect::MySql),
            _ => None,
        }
    }

    /// The SeaORM backend of this dialect.
    pub fn backend(self) -> sea_orm::DbBackend {
        match self {
            Dialect::Sqlite => sea_orm::DbBackend::Sqlite,
            Dialect::Postgres => sea_orm::DbBackend::Postgres,
            Dialect::MySql => sea_orm::DbBackend::MySql,
        }
    }

    /// A copy of `schema` in this dialect's canonical form, for comparison only.
    ///
    /// Contract: table and column names are never changed, and every table keeps
    /// its columns, indexes and foreign keys at the same positions (so the differ
    /// can find the original object of a normalized one by position).
    pub fn normalize_schema(self, schema: &Schema) -> Schema {
        match self {
            Dialect::Sqlite => sqlite::normalize_schema(schema),
            Dialect::Postgres => postgres::normalize_schema(schema),
            Dialect::MySql => mysql::normalize_schema(schema),
        }
    }
}
