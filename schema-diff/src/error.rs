//! Errors of the engine.

/// Everything that can go wrong between reading a schema and writing a migration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database answered with an error.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// An entity uses a column type this tool cannot map.
    #[error("entity `{entity}`, column `{column}`: {reason}")]
    UnsupportedType {
        entity: String,
        column: String,
        reason: String,
    },
    /// The database holds something the introspection could not read.
    #[error("cannot read table `{table}`: {reason}")]
    Introspection { table: String, reason: String },
    /// A name or expression that cannot be put into SQL safely.
    #[error(transparent)]
    UnsafeName(#[from] crate::sql_text::UnsafeName),
    /// A table or column name longer than every backend keeps.
    #[error(transparent)]
    NameTooLong(#[from] crate::names::NameTooLong),
    /// The generated code could not be formatted.
    #[error("cannot render the migration: {0}")]
    Render(String),
}
