//! Where the database is: the URL from the flag, the environment, `.env`, the
//! `POSTGRES_*` variables, or the embedded SQLite default; and how to print it.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, bail};

/// Passwords seen in URLs this process resolved, so that any text can be cleaned.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Where a URL came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    DatabaseUrl,
    PostgresVariables,
    Default,
}

/// The database URL to use, and where it came from.
pub fn resolve_url(flag: Option<&str>, default_sqlite: &Path) -> anyhow::Result<(String, Source)> {
    let _ = dotenvy::dotenv();
    let (url, source) = if let Some(url) = flag {
        (url.to_owned(), Source::Flag)
    } else if let Some(url) = non_empty_env("DATABASE_URL") {
        (url, Source::DatabaseUrl)
    } else if let Some(server) = non_empty_env("POSTGRES_SERVER") {
        (postgres_url_from_env(&server), Source::PostgresVariables)
    } else {
        (
            crate::workspace::embedded_default_url(default_sqlite)?,
            Source::Default,
        )
    };
    remember_secret(&url);
    Ok((url, source))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn postgres_url_from_env(server: &str) -> String {
    let user = non_empty_env("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
    let password = non_empty_env("POSTGRES_PASSWORD");
    let db = non_empty_env("POSTGRES_DB").unwrap_or_else(|| user.clone());
    let port = non_empty_env("POSTGRES_PORT").unwrap_or_else(|| "5432".into());
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let auth = match password {
        Some(p) => format!("{}:{}", enc(&user), enc(&p)),
        None => enc(&user),
    };
    format!("postgres://{auth}@{server}:{port}/{}", enc(&db))
}

/// Checks the URL's shape and normalizes it for SeaORM (`mariadb://` → `mysql://`,
/// SQLite files created when missing). Errors name the problem, never the password.
pub fn validate_url(raw: &str) -> anyhow::Result<String> {
    let scheme = raw.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => validate_sqlite(raw),
        "postgres" | "postgresql" | "mysql" | "mariadb" => {
            let parsed = url::Url::parse(raw)
                .with_context(|| format!("malformed database URL `{}`", redact_url(raw)))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                bail!("malformed database URL `{}`: no host", redact_url(raw));
            }
            if scheme == "mariadb" {
                return Ok(format!("mysql{}", &raw["mariadb".len()..]));
            }
            Ok(raw.to_owned())
        }
        "" => bail!(
            "malformed database URL `{}`: expected sqlite://FILE, postgres://... or mysql://...",
            redact_url(raw)
        ),
        other => bail!(
            "unsupported database URL scheme `{other}` in `{}`: use sqlite, postgres or mysql",
            redact_url(raw)
        ),
    }
}

fn validate_sqlite(raw: &str) -> anyhow::Result<String> {
    let query = raw.split_once('?').map(|(_, q)| q);
    // The file the driver will open (percent-escapes decoded as sqlx does).
    let path = crate::sqlite_file::path_of(raw)
        .with_context(|| format!("malformed database URL `{}`", redact_url(raw)))?;
    if let Some(path) = path {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent
            && !dir.is_dir()
        {
            bail!(
                "the SQLite database `{}` cannot be created: directory `{}` does not exist",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(match query {
        Some(q) if q.split('&').any(|kv| kv.starts_with("mode=")) => raw.to_owned(),
        Some(_) => format!("{raw}&mode=rwc"),
        None => format!("{raw}?mode=rwc"),
    })
}

/// The URL with its password replaced by `***`, also when the URL does not parse.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                parsed.to_string()
            } else {
                redact_text(&redact_userinfo(raw))
            }
        }
        _ => redact_text(&redact_userinfo(raw)),
    }
}

/// Where the password of `scheme://user:password@...` is, found by text alone, so
/// that a URL the parser rejects (bad port, empty host) still has it hidden.
fn textual_password(raw: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = raw.find("://")? + 3;
    let rest = &raw[authority_start..];
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let at = rest.rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some(authority_start + colon + 1..authority_start + at)
}

fn redact_userinfo(raw: &str) -> String {
    match textual_password(raw) {
        Some(range) if !range.is_empty() => {
            let mut out = raw.to_owned();
            out.replace_range(range, "***");
            out
        }
        _ => raw.to_owned(),
    }
}

fn remember_secret(raw: &str) {
    let password = match url::Url::parse(raw) {
        Ok(parsed) => parsed.password().map(str::to_owned),
        Err(_) => textual_password(raw).map(|r| raw[r].to_owned()),
    };
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return;
    };
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, decoded)) =
        url::form_urlencoded::parse(format!("p={password}").as_bytes()).next()
    {
        secrets.push(decoded.into_owned());
    }
    secrets.push(password);
}

/// `text` with every password of a resolved URL replaced by `***`.
pub fn redact_text(text: &str) -> String {
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, s| acc.replace(s.as_str(), "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        let url = "postgres://app:s3cret@db:5432/app";
        assert_eq!(redact_url(url), "postgres://app:***@db:5432/app");
        remember_secret(url);
        assert_eq!(redact_text("failed for s3cret"), "failed for ***");
    }

    #[test]
    fn redacts_passwords_of_urls_that_do_not_parse() {
        assert_eq!(
            redact_url("postgres://app:pw1@host:notaport/db"),
            "postgres://app:***@host:notaport/db"
        );
        assert_eq!(redact_url("mysql://app:p@w2@/db"), "mysql://app:***@/db");
        assert_eq!(redact_url("not a url"), "not a url");
        remember_secret("postgres://app:pw3@bad host:5432/db");
        assert_eq!(redact_text("x pw3 y"), "x *** y");
    }

    #[test]
    fn sqlite_urls_get_create_mode_and_missing_dirs_are_errors() {
        assert_eq!(
            validate_url("sqlite://app.db").ok().as_deref(),
            Some("sqlite://app.db?mode=rwc")
        );
        assert_eq!(
            validate_url("sqlite::memory:").ok().as_deref(),
            Some("sqlite::memory:?mode=rwc")
        );
        let err = validate_url("sqlite:///no/such/dir/app.db")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("directory `/no/such/dir` does not exist")));
    }

    #[test]
    fn malformed_urls_are_errors() {
        assert!(validate_url("not a url").is_err());
        assert!(validate_url("ftp://x/y").is_err());
        assert!(validate_url("postgres://").is_err());
        assert_eq!(
            validate_url("mariadb://root@localhost/test")
                .ok()
                .as_deref(),
            Some("mysql://root@localhost/test")
        );
    }

    #[test]
    fn postgres_variables_build_a_url() {
        // Only reads variables; the values below are passed in, not set.
        assert!(postgres_url_from_env("db.example").starts_with("postgres://"));
    }
}
