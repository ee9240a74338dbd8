//! Why a health check is not `ok`, as a stable short code that is safe to show to
//! anyone: it carries no database text, no row values, no host names.

use sea_orm::{DbErr, RuntimeErr};

use crate::runner::companion::MigrationState;

/// The reason a [`HealthReport`](super::HealthReport) is `error` (or `degraded`),
/// serialised as a short snake-case code (`"auth_failed"`). The codes are stable:
/// probes and dashboards may match on them. The details (the database's own
/// message) stay in the report's `problems` for the operator, and in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthErrorKind {
    /// The database could not be reached (refused, closed, TLS, unknown host).
    Unreachable,
    /// The database did not answer within the timeout.
    Timeout,
    /// The database refused the credentials.
    AuthFailed,
    /// The migration history tables could not be read.
    HistoryUnreadable,
    /// A migration failed outside a transaction: part of it may have run.
    MigrationFailed,
    /// A migration (or its rollback) started and never finished.
    MigrationInterrupted,
    /// The history names migrations this code does not have.
    UnknownVersions,
    /// A migration is being applied by a run that holds the lock (status
    /// `degraded`).
    InProgress,
    /// Migrations are pending (status `degraded`).
    Pending,
}

impl HealthErrorKind {
    /// The code, e.g. `auth_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthErrorKind::Unreachable => "unreachable",
            HealthErrorKind::Timeout => "timeout",
            HealthErrorKind::AuthFailed => "auth_failed",
            HealthErrorKind::HistoryUnreadable => "history_unreadable",
            HealthErrorKind::MigrationFailed => "migration_failed",
            HealthErrorKind::MigrationInterrupted => "migration_interrupted",
            HealthErrorKind::UnknownVersions => "unknown_versions",
            HealthErrorKind::InProgress => "in_progress",
            HealthErrorKind::Pending => "pending",
        }
    }

    /// The kind of a database error met while connecting or reading the history:
    /// refused credentials, a connection that could not be made, or else a
    /// history that could not be read.
    pub fn of_db_err(error: &DbErr) -> HealthErrorKind {
        let runtime = match error {
            DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => Some(r),
            DbErr::ConnectionAcquire(_) => return HealthErrorKind::Unreachable,
            _ => None,
        };
        let sqlx = runtime.and_then(|r| match r {
            RuntimeErr::SqlxError(e) => Some(&**e),
            _ => None,
        });
        match sqlx {
            Some(sea_orm::sqlx::Error::Database(db))
                if db.code().is_some_and(|c| c.starts_with("28")) =>
            {
                HealthErrorKind::AuthFailed
            }
            Some(
                sea_orm::sqlx::Error::Io(_)
                | sea_orm::sqlx::Error::Tls(_)
                | sea_orm::sqlx::Error::PoolTimedOut
                | sea_orm::sqlx::Error::PoolClosed
                | sea_orm::sqlx::Error::Protocol(_),
            ) => HealthErrorKind::Unreachable,
            _ if matches!(error, DbErr::Conn(_)) => HealthErrorKind::Unreachable,
            _ => HealthErrorKind::HistoryUnreadable,
        }
    }

    /// The kind of an unfinished migration in this state.
    pub(crate) fn of_dirty(state: MigrationState) -> HealthErrorKind {
        match state {
            MigrationState::Failed => HealthErrorKind::MigrationFailed,
            _ => HealthErrorKind::MigrationInterrupted,
        }
    }
}

impl std::fmt::Display for HealthErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_snake_case_and_match_serde() {
        for kind in [
            HealthErrorKind::Unreachable,
            HealthErrorKind::Timeout,
            HealthErrorKind::AuthFailed,
            HealthErrorKind::HistoryUnreadable,
            HealthErrorKind::MigrationFailed,
            HealthErrorKind::MigrationInterrupted,
            HealthErrorKind::UnknownVersions,
            HealthErrorKind::InProgress,
            HealthErrorKind::Pending,
        ] {
            let json = serde_json::to_value(kind).unwrap_or_default();
            assert_eq!(json, kind.as_str());
        }
    }

    #[test]
    fn database_errors_are_classified() {
        let closed = DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::PoolClosed,
        )));
        assert_eq!(
            HealthErrorKind::of_db_err(&closed),
            HealthErrorKind::Unreachable
        );
        let query = DbErr::Query(RuntimeErr::Internal("no such table".into()));
        assert_eq!(
            HealthErrorKind::of_db_err(&query),
            HealthErrorKind::HistoryUnreadable
        );
    }
}
