//! Naming who holds the migration lock, for timeout messages and for the
//! commands that report a migration in progress.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

use super::{mysql_lock_name, session_keys};
use crate::runner::RunError;

/// Who holds the PostgreSQL lock, from `pg_locks` and `pg_stat_activity`.
pub(super) async fn postgres_holder(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    let sql = "SELECT a.pid, COALESCE(a.application_name, '') AS app, \
               COALESCE(host(a.client_addr), 'a local socket') AS client, \
               COALESCE(a.usename::text, '') AS usr, \
               COALESCE(EXTRACT(EPOCH FROM now() - a.backend_start)::bigint, 0) AS age \
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
               WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1";
    let (key, _) = session_keys(db).await?;
    let high = (key as u64 >> 32) as i64;
    let low = (key as u64 & 0xffff_ffff) as i64;
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [high.into(), low.into()]);
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let pid: i32 = row.try_get("", "pid")?;
    let app: String = row.try_get("", "app")?;
    let client: String = row.try_get("", "client")?;
    let user: String = row.try_get("", "usr")?;
    let age: i64 = row.try_get("", "age")?;
    let app = if app.is_empty() {
        String::new()
    } else {
        format!("application `{app}`, ")
    };
    Ok(Some(format!(
        "PostgreSQL backend pid {pid} ({app}client {client}, user {user}, connected {age} s ago)"
    )))
}

/// The holder for a timeout message: named, or why it cannot be.
pub(super) fn describe(holder: Result<Option<String>, DbErr>) -> String {
    match holder {
        Ok(Some(who)) => who,
        Ok(None) => "another session that released it just now (try again)".into(),
        Err(e) => format!("another session (it could not be named: {e})"),
    }
}

/// Who holds the migration lock right now, where the database can tell:
/// PostgreSQL and MySQL/MariaDB name the session; SQLite names the process of
/// a live owner row ([`super::owner`]), which a run holds while a data
/// migration runs outside its transaction, and otherwise cannot say without
/// taking the lock, so it answers `None`.
pub async fn holder(db: &DatabaseConnection) -> Result<Option<String>, RunError> {
    if db.is_mock_connection() {
        return Ok(None);
    }
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => postgres_holder(db).await?,
        DbBackend::MySql => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::MySql,
                    "SELECT CAST(DATABASE() AS CHAR) AS db",
                ))
                .await?;
            let database: Option<String> = match row {
                Some(row) => row.try_get("", "db")?,
                None => None,
            };
            mysql_holder(db, &mysql_lock_name(database.as_deref().unwrap_or(""))).await?
        }
        DbBackend::Sqlite => super::owner::read(db)
            .await?
            .filter(|row| !row.is_stale())
            .map(|row| row.describe()),
        _ => None,
    })
}

/// Who holds the MySQL lock: `IS_USED_LOCK` and the process list.
pub(super) async fn mysql_holder(
    db: &DatabaseConnection,
    name: &str,
) -> Result<Option<String>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT CAST(IS_USED_LOCK(?) AS SIGNED) AS id",
        [name.into()],
    );
    let id: Option<i64> = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "id")?,
        None => None,
    };
    let Some(id) = id else {
        return Ok(None);
    };
    let stmt = Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT CAST(USER AS CHAR) AS usr, CAST(HOST AS CHAR) AS host, \
         CAST(TIME AS SIGNED) AS secs FROM information_schema.PROCESSLIST WHERE ID = ?",
        [id.into()],
    );
    Ok(Some(match db.query_one_raw(stmt).await? {
        Some(row) => {
            let user: String = row.try_get("", "usr")?;
            let host: String = row.try_get("", "host")?;
            let secs: i64 = row.try_get("", "secs")?;
            format!(
                "MySQL/MariaDB connection {id} (user {user}, host {host}, \
                 in its current state for {secs} s)"
            )
        }
        None => format!(
            "MySQL/MariaDB connection {id} (not visible in the process list: \
             the PROCESS privilege shows other users' connections)"
        ),
    }))
}

/// SQLite cannot say who writes; name the file at least.
pub(super) async fn sqlite_holder(db: &DatabaseConnection) -> String {
    let file = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await
        .ok()
        .and_then(|rows| {
            rows.first()
                .and_then(|r| r.try_get_by_index::<String>(0).ok())
        })
        .filter(|f| !f.is_empty());
    match file {
        Some(file) => format!(
            "another connection writing to `{file}` (SQLite cannot say which process: \
             look for another db-migrate run or an application writing to the file)"
        ),
        None => "another connection writing to the database (SQLite cannot say which)".into(),
    }
}
