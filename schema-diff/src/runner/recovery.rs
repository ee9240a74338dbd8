//! What to tell the user about a migration that ran outside a transaction and
//! did not finish: where it stands, and the exact steps to recover.

use sea_orm::DbBackend;

use super::companion::{CompanionRow, MigrationState};

/// Where the migration ran, and why that matters: "on MySQL/MariaDB, whose DDL
/// is not transactional".
pub(super) fn where_it_ran(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "on MySQL/MariaDB, whose DDL is not transactional",
        DbBackend::Postgres => {
            "on PostgreSQL outside a transaction (the migration's use_transaction() is false)"
        }
        _ => "outside a transaction",
    }
}

/// The recovery steps for `version`.
pub(super) fn steps(version: &str) -> String {
    format!(
        "Inspect the schema, finish or undo its statements by hand, then run \
         `db-migrate resolve {version} --applied` (if it is now fully applied) or \
         `db-migrate resolve {version} --rolled-back` (if it is now fully undone)"
    )
}

/// The message for a migration that has just failed outside a transaction.
pub(super) fn just_failed(version: &str, rolling_back: bool, backend: DbBackend) -> String {
    let what = if rolling_back {
        "its rollback ran"
    } else {
        "it ran"
    };
    format!(
        "{what} {}: part of it may have run. {}",
        where_it_ran(backend),
        steps(version)
    )
}

/// The message for a dirty companion row, as `upgrade` and `downgrade` refuse.
pub fn dirty_message(row: &CompanionRow, backend: DbBackend) -> String {
    let at = format_unix(row.started_at);
    let what = match row.state {
        MigrationState::Failed => format!("failed at {at}"),
        MigrationState::RollingBack => format!("was interrupted while rolling back at {at}"),
        _ => format!("was interrupted at {at}"),
    };
    let error = row
        .error
        .as_deref()
        .map(|e| format!(" (error: {})", one_line(e)))
        .unwrap_or_default();
    format!(
        "migration {} {what} {}: part of it may have run{error}. {}",
        row.version,
        where_it_ran(backend),
        steps(&row.version)
    )
}

/// Whether `row` is a migration a live run is applying (or rolling back) right
/// now: it is `started` or `rolling_back` and `holder` (see
/// [`super::lock::holder`]) says a run holds the migration lock.
pub fn is_in_progress(row: &CompanionRow, holder: Option<&str>) -> bool {
    holder.is_some()
        && matches!(
            row.state,
            MigrationState::Started | MigrationState::RollingBack
        )
}

/// The message for a migration in progress under a live lock: no repair
/// advice, since the run holding the lock is still going.
pub fn in_progress_message(row: &CompanionRow, holder: &str) -> String {
    let what = match row.state {
        MigrationState::RollingBack => "is being rolled back",
        _ => "is being applied",
    };
    format!(
        "migration {} {what} (in progress since {}): the migration lock is held by {holder}; \
         wait for that run to finish",
        row.version,
        format_unix(row.started_at)
    )
}

/// What to say about a dirty row: in progress under a live lock, else the
/// repair steps of [`dirty_message`].
pub fn unfinished_message(row: &CompanionRow, holder: Option<&str>, backend: DbBackend) -> String {
    match holder {
        Some(who) if is_in_progress(row, holder) => in_progress_message(row, who),
        _ => dirty_message(row, backend),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Unix seconds as an RFC 3339 UTC time, e.g. `2026-11-21T22:35:27Z`.
pub fn format_unix(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix(1_795_300_527), "2026-11-21T22:35:27Z");
        assert_eq!(format_unix(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn a_failed_mysql_row_names_the_steps() {
        let row = CompanionRow {
            version: "m1".into(),
            checksum: None,
            state: MigrationState::Failed,
            started_at: 0,
            finished_at: Some(1),
            duration_ms: Some(1000),
            error: Some("Duplicate column\n name 'x'".into()),
        };
        assert_eq!(
            dirty_message(&row, DbBackend::MySql),
            "migration m1 failed at 1970-01-01T00:00:00Z on MySQL/MariaDB, whose DDL is not \
             transactional: part of it may have run (error: Duplicate column name 'x'). \
             Inspect the schema, finish or undo its statements by hand, then run \
             `db-migrate resolve m1 --applied` (if it is now fully applied) or \
             `db-migrate resolve m1 --rolled-back` (if it is now fully undone)"
        );
    }
}
