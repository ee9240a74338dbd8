//! `db-migrate sql [FROM:TO] --backend B`: the SQL of a range of migrations for a
//! backend, captured without any database (nothing connects), for a DBA to review.

use std::process::ExitCode;

use anyhow::bail;
use sea_orm::DbBackend;

use super::Context;
use schema_diff::runner::StampTarget;

use super::dry_run::{self, Direction};

/// Prints the SQL of the migrations between FROM and TO of `range` on `backend`
/// (default: the backend of the configured URL, read from its scheme only).
pub async fn run(
    ctx: &Context<'_>,
    range: &str,
    backend: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let backend = match backend {
        Some(name) => parse_backend(name)?,
        None => backend_of_url(&ctx.url)?,
    };
    let versions = ctx.runner().versions();
    let (plan, direction) = plan(range, &versions)?;
    let scripts = dry_run::capture(ctx, &plan, direction, backend).await;
    let nothing = format!("no migrations in `{range}`");
    dry_run::print(ctx, &scripts, &nothing)
}

/// A `--backend` name.
fn parse_backend(name: &str) -> anyhow::Result<DbBackend> {
    match name.trim().to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" | "pg" => Ok(DbBackend::Postgres),
        "mysql" | "mariadb" => Ok(DbBackend::MySql),
        "sqlite" => Ok(DbBackend::Sqlite),
        _ => bail!("unknown backend `{name}`: expected postgres, mysql or sqlite"),
    }
}

/// The backend a database URL names, from its scheme alone.
fn backend_of_url(url: &str) -> anyhow::Result<DbBackend> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    parse_backend(scheme).map_err(|_| {
        anyhow::anyhow!(
            "cannot tell the backend of `{}`: pass --backend postgres, mysql or sqlite",
            crate::redact::redact_url(url)
        )
    })
}

/// The versions of `range` in the order they run, and their direction.
///
/// `FROM:TO` runs up every version after FROM up to and including TO when FROM is
/// before TO, and down every version after TO up to and including FROM, newest
/// first, when FROM is after TO. An empty side is `base` (FROM) or `head` (TO). A
/// single VERSION (no `:`) is that migration's up SQL.
fn plan(range: &str, versions: &[String]) -> anyhow::Result<(Vec<String>, Direction)> {
    let (from, to) = match range.split_once(':') {
        Some((from, to)) => (
            position(non_empty(from, "base"), versions)?,
            position(non_empty(to, "head"), versions)?,
        ),
        None => {
            let at = position(range, versions)?;
            if at == 0 {
                bail!("`{range}` is no migration: use `base:head` for every one");
            }
            (at - 1, at)
        }
    };
    Ok(if from <= to {
        (versions[from..to].to_vec(), Direction::Up)
    } else {
        (
            versions[to..from].iter().rev().cloned().collect(),
            Direction::Down,
        )
    })
}

fn non_empty<'a>(side: &'a str, default: &'a str) -> &'a str {
    match side.trim() {
        "" => default,
        given => given,
    }
}

/// How many migrations are applied at `point`: 0 at `base`, all at `head`, up to and
/// including the version otherwise.
fn position(point: &str, versions: &[String]) -> anyhow::Result<usize> {
    let target = match point {
        "base" => StampTarget::Base,
        "head" | "heads" => StampTarget::Head,
        given => StampTarget::Version(given.into()),
    };
    Ok(target.applied_count(versions)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<String> {
        [
            "m20260101_000000_a",
            "m20260102_000000_b",
            "m20260103_000000_c",
        ]
        .map(String::from)
        .to_vec()
    }

    fn names(range: &str) -> (Vec<String>, &'static str) {
        let (plan, direction) = plan(range, &versions()).unwrap();
        (plan, direction.as_str())
    }

    #[test]
    fn ranges_go_up_or_down() {
        let v = versions();
        assert_eq!(names("base:head"), (v.clone(), "up"));
        assert_eq!(names(":"), (v.clone(), "up"));
        assert_eq!(names("m20260101:m20260103"), (v[1..].to_vec(), "up"));
        assert_eq!(names("m20260102"), (vec![v[1].clone()], "up"));
        assert_eq!(
            names("head:base"),
            (v.iter().rev().cloned().collect(), "down")
        );
        assert_eq!(names("head:m20260102"), (vec![v[2].clone()], "down"));
        assert_eq!(names("head:head"), (Vec::new(), "up"));
        assert!(plan("m2099:head", &v).is_err());
        assert!(plan("m2026:head", &v).is_err());
        assert!(plan("base", &v).is_err());
    }

    #[test]
    fn backends_by_name_and_by_url() {
        assert_eq!(parse_backend("PostgreSQL").unwrap(), DbBackend::Postgres);
        assert_eq!(parse_backend("mariadb").unwrap(), DbBackend::MySql);
        assert!(parse_backend("oracle").is_err());
        assert_eq!(
            backend_of_url("mysql://u:p@h/db").unwrap(),
            DbBackend::MySql
        );
        let error = backend_of_url("oracle://u:secret@h/db").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
