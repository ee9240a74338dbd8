//! Throw-away databases on the target's own backend, for replaying migrations.
//!
//! SQLite gets a private in-memory database. PostgreSQL and MySQL/MariaDB get a
//! uniquely named database (`<prefix>_<pid>_<time>_<n>`) created on the target's
//! server with the target URL's credentials, and dropped afterwards, also when the
//! work in between fails.

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use schema_diff::process::{alive, host_tag};

use crate::redact::{redact, redact_url};

/// The URL of an in-memory SQLite database (one connection, so it lives as long
/// as the pool).
const SQLITE_MEMORY: &str = "sqlite::memory:";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database name no other run uses: `<prefix>_<pid>_<nanos>_<n>_h<host>`,
/// lowercase, at most 63 characters for a short prefix. The pid and the host
/// tag (a hash of the host name) let a later run tell whether the process that
/// made it is gone ([`sweep_stale`]).
pub fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{nanos}_{n}_h{}",
        std::process::id(),
        host_tag()
    )
}

/// The pid in `name` when it is a scratch database of `prefix` made on this
/// host (see [`unique_name`]).
fn owner_on_this_host(name: &str, prefix: &str) -> Option<i32> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('_')?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [pid, nanos, n, host] = parts.as_slice() else {
        return None;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(nanos) && digits(n)) || host.strip_prefix('h') != Some(host_tag().as_str()) {
        return None;
    }
    pid.parse().ok()
}

/// Drops the scratch databases of `prefix` left on the server by runs of this
/// tool on this host that are gone (killed with SIGKILL, or a crash): their
/// name carries this host's tag and a pid no live process has. Another host's
/// or a live run's databases are left alone. Returns the names dropped.
pub async fn sweep_stale(admin: &DatabaseConnection, prefix: &str) -> Vec<String> {
    let backend = admin.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT datname::text FROM pg_catalog.pg_database",
        DbBackend::MySql => "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata",
        _ => return Vec::new(),
    };
    let Ok(rows) = admin
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await
    else {
        return Vec::new();
    };
    let mut dropped = Vec::new();
    for name in rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
    {
        let Some(pid) = owner_on_this_host(&name, prefix) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        match drop_database(admin, &name).await {
            Ok(()) => {
                tracing::warn!(database = %name, pid, "dropped a scratch database left by a run that is gone");
                dropped.push(name);
            }
            Err(e) => tracing::warn!(error = %e, "cannot drop a stale scratch database"),
        }
    }
    dropped
}

/// Runs `work` on a fresh, empty database of the same backend as `target` (the
/// open connection to `target_url`), then removes that database whatever `work`
/// returned. A failure to drop it is an error naming the database.
pub async fn with_scratch<T>(
    target: &DatabaseConnection,
    target_url: &str,
    prefix: &str,
    work: impl AsyncFnOnce(&DatabaseConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let backend = target.get_database_backend();
    if backend == DbBackend::Sqlite {
        let db = crate::connect::connect(SQLITE_MEMORY)
            .await
            .context("cannot open an in-memory SQLite database")?;
        let result = work(&db).await;
        db.close().await.ok();
        return result;
    }
    with_named_database(target, prefix, async |name: &str| {
        let db = crate::connect::connect(&scratch_url(target_url, name)?).await?;
        // The configured PostgreSQL schema, which a fresh database lacks.
        if let Err(e) = crate::connect::create_schema_if_missing(&db).await {
            db.close().await.ok();
            return Err(e);
        }
        let result = work(&db).await;
        db.close().await.ok();
        result
    })
    .await
}

/// Creates a uniquely named database (`<prefix>_...`) on the PostgreSQL or MySQL
/// server `admin` is connected to, runs `work` with its name, then drops it
/// whatever `work` returned. A failure to drop it is an error naming the database.
pub async fn with_named_database<T>(
    admin: &DatabaseConnection,
    prefix: &str,
    work: impl AsyncFnOnce(&str) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let backend = admin.get_database_backend();
    sweep_stale(admin, prefix).await;
    let name = unique_name(prefix);
    create_database(admin, backend, &name).await?;
    let registration = crate::interrupt::scratch_database(admin, &name);
    tracing::info!(database = %name, "scratch database created");
    let result = work(&name).await;
    let dropped = drop_database(admin, &name).await;
    drop(registration);
    match (result, dropped) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(drop_error)) => {
            tracing::warn!(error = %drop_error, "scratch database left behind");
            Err(e.context(format!(
                "(and the scratch database `{name}` could not be dropped)"
            )))
        }
    }
}

/// `target_url` pointing at the database `name` instead, query string kept.
fn scratch_url(target_url: &str, name: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(target_url)
        .with_context(|| format!("malformed database URL `{}`", redact_url(target_url)))?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

async fn create_database(
    target: &DatabaseConnection,
    backend: DbBackend,
    name: &str,
) -> anyhow::Result<()> {
    target
        .execute_unprepared(&format!(
            "CREATE DATABASE {}",
            schema_diff::sql_text::quote_ident_for(backend, name)
        ))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create the scratch database `{name}` on the target's server (the \
                 URL's user needs the right to create databases): {}",
                redact(&e.to_string())
            )
        })?;
    Ok(())
}

/// Drops the database `name` on the server `target` is connected to.
pub async fn drop_database(target: &DatabaseConnection, name: &str) -> anyhow::Result<()> {
    let backend = target.get_database_backend();
    let plain = format!(
        "DROP DATABASE IF EXISTS {}",
        schema_diff::sql_text::quote_ident_for(backend, name)
    );
    let outcome = if backend == DbBackend::Postgres {
        // FORCE (PostgreSQL 13+) ends connections a closed pool may have left.
        match target
            .execute_unprepared(&format!("{plain} WITH (FORCE)"))
            .await
        {
            Ok(_) => Ok(()),
            Err(_) => target.execute_unprepared(&plain).await.map(|_| ()),
        }
    } else {
        target.execute_unprepared(&plain).await.map(|_| ())
    };
    outcome.map_err(|e| {
        anyhow::anyhow!(
            "cannot drop the scratch database `{name}`; drop it by hand: {}",
            redact(&e.to_string())
        )
    })?;
    tracing::info!(database = %name, "scratch database dropped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_short() {
        let a = unique_name("dbm_check");
        let b = unique_name("dbm_check");
        assert_ne!(a, b);
        assert!(a.starts_with("dbm_check_"), "{a}");
        assert!(a.len() <= 63, "{a}");
        assert_eq!(
            owner_on_this_host(&a, "dbm_check"),
            Some(std::process::id() as i32)
        );
        assert_eq!(owner_on_this_host(&a, "dbm_verify"), None);
        assert_eq!(
            owner_on_this_host("dbm_check_1_2_3_hzzzzzzzz", "dbm_check"),
            None
        );
        assert_eq!(owner_on_this_host("dbm_check_1_2_3", "dbm_check"), None);
        assert!(alive(std::process::id() as i32));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{a}"
        );
    }

    #[test]
    fn the_scratch_url_keeps_credentials_and_options() {
        assert_eq!(
            scratch_url("postgres://u:p@h:5432/app?sslmode=disable", "dbm_x").ok(),
            Some("postgres://u:p@h:5432/dbm_x?sslmode=disable".to_owned())
        );
        assert_eq!(
            scratch_url("mysql://root@127.0.0.1:3306/test", "dbm_y").ok(),
            Some("mysql://root@127.0.0.1:3306/dbm_y".to_owned())
        );
    }
}
