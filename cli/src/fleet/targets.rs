//! The databases of a fleet run: repeated `-u`, `--targets FILE` and
//! `--targets-query SQL`.

use std::path::Path;

use anyhow::{Context as _, bail};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::args::{Global, TargetsKind};
use crate::config::validate_url;
use crate::config_file::check_schema;
use crate::redact::{redact_url, remember_url};
use crate::settings::Settings;

/// What a database or schema name keeps unescaped in a URL: letters, digits,
/// `_`, `-` and `.`.
const NAME_IN_URL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'-')
    .remove(b'.');

/// One database (or PostgreSQL schema) of a fleet run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL the driver opens: as given, without a `schema` parameter.
    pub url: String,
    /// The PostgreSQL schema (`?schema=NAME`, a `--targets-query-kind schema` row,
    /// or the run's `--schema`/`DATABASE_SCHEMA`/`schema` setting).
    pub schema: Option<String>,
}

impl Target {
    /// The target as shown everywhere: its URL with the password redacted and
    /// its schema as `?schema=NAME`.
    pub fn shown(&self) -> String {
        let url = redact_url(&self.url);
        match &self.schema {
            Some(schema) => {
                let joint = if url.contains('?') { '&' } else { '?' };
                let name = percent_encoding::utf8_percent_encode(schema, NAME_IN_URL);
                format!("{url}{joint}schema={name}")
            }
            None => url,
        }
    }
}

/// Reads one target: a database URL; a PostgreSQL URL may name a schema with
/// `?schema=NAME`, which is taken out of the URL the driver sees.
pub fn parse(raw: &str) -> Result<Target, String> {
    let raw = raw.trim();
    remember_url(raw);
    validate_url(raw).map_err(|e| crate::output::error_line(&e))?;
    if !raw.starts_with("postgres") {
        if raw.contains("?schema=") || raw.contains("&schema=") {
            return Err(format!(
                "`{}`: a schema is a PostgreSQL setting; on MySQL/MariaDB name the database \
                 in the URL, on SQLite use another file",
                redact_url(raw)
            ));
        }
        return Ok(Target {
            url: raw.to_owned(),
            schema: None,
        });
    }
    let mut url = url::Url::parse(raw)
        .map_err(|e| format!("malformed database URL `{}`: {e}", redact_url(raw)))?;
    let mut schema = None;
    let mut kept = Vec::new();
    for (key, value) in url.query_pairs() {
        if key == "schema" {
            check_schema(&value).map_err(|e| format!("`{}`: {e}", redact_url(raw)))?;
            schema = Some(value.into_owned());
        } else {
            kept.push((key.into_owned(), value.into_owned()));
        }
    }
    if schema.is_none() {
        return Ok(Target {
            url: raw.to_owned(),
            schema: None,
        });
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(Target {
        url: url.to_string(),
        schema,
    })
}

/// Reads a targets file: one URL a line; blank lines and lines starting with
/// `#` are skipped. A bad line is an error naming the file and the line.
pub fn read_file(path: &Path) -> anyhow::Result<Vec<Target>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the targets file `{}`", path.display()))?;
    let mut targets = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let target = parse(line)
            .map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), index + 1))?;
        targets.push(target);
    }
    Ok(targets)
}

/// Every target of the run, in order: the `-u` URLs, then the file's, or the
/// query's rows. The run's schema setting applies to PostgreSQL targets that do
/// not name their own. The same target twice is an error.
pub async fn collect(
    global: &Global,
    settings: &Settings,
    default_sqlite: &Path,
) -> anyhow::Result<Vec<Target>> {
    let fleet = &global.fleet;
    let mut targets = Vec::new();
    if let Some(sql) = &fleet.targets_query {
        if fleet.targets.is_some() || global.database_url.len() > 1 {
            bail!(
                "--targets-query runs on one database (the -u URL or the configured one): \
                 it takes neither --targets nor several -u"
            );
        }
        let (base, _) = crate::config::resolve_url(global.single_url(), settings, default_sqlite)?;
        targets = from_query(&base, sql, fleet.targets_query_kind).await?;
    } else {
        for (index, raw) in global.database_url.iter().enumerate() {
            let target = parse(raw).map_err(|e| anyhow::anyhow!("-u number {}: {e}", index + 1))?;
            targets.push(target);
        }
        if let Some(path) = &fleet.targets {
            targets.extend(read_file(path)?);
        }
    }
    if targets.is_empty() {
        bail!("no targets: the targets file or query lists no database");
    }
    if let Some(schema) = &settings.schema {
        for target in &mut targets {
            if target.schema.is_none() && target.url.starts_with("postgres") {
                target.schema = Some(schema.value.clone());
            }
        }
    }
    for (i, target) in targets.iter().enumerate() {
        if let Some(first) = targets[..i].iter().position(|t| t == target) {
            bail!(
                "the target `{}` is listed twice (the {}. and the {}.): list each database once",
                target.shown(),
                first + 1,
                i + 1
            );
        }
    }
    Ok(targets)
}

/// The targets `sql` names on the database `base`: its first column, one
/// database (or PostgreSQL schema) name a row.
async fn from_query(base: &str, sql: &str, kind: TargetsKind) -> anyhow::Result<Vec<Target>> {
    let base = parse(base).map_err(|e| anyhow::anyhow!("--targets-query: {e}"))?;
    let postgres = base.url.starts_with("postgres");
    if base.url.starts_with("sqlite") {
        bail!(
            "--targets-query needs a PostgreSQL or MySQL/MariaDB server; list SQLite files \
             in a --targets file or with repeated -u"
        );
    }
    if kind == TargetsKind::Schema && !postgres {
        bail!("--targets-query-kind schema is for PostgreSQL; on MySQL/MariaDB list databases");
    }
    let db = crate::connect::connect(&base.url).await?;
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "--targets-query failed: {}",
                crate::redact::redact(&e.to_string())
            )
        })?;
    db.close().await.ok();
    let mut targets = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let name = match row.try_get_by_index::<String>(0) {
            Ok(name) => name,
            // MySQL returns some catalog names as binary strings.
            Err(_) if backend == DbBackend::MySql => {
                let bytes = row
                    .try_get_by_index::<Vec<u8>>(0)
                    .map_err(|e| row_error(index, &e.to_string()))?;
                String::from_utf8(bytes).map_err(|_| row_error(index, "not UTF-8"))?
            }
            Err(e) => return Err(row_error(index, &e.to_string())),
        };
        targets.push(named(&base.url, &name, kind).map_err(|e| row_error(index, &e))?);
    }
    Ok(targets)
}

fn row_error(index: usize, problem: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "--targets-query: row {}: the first column must be a database or schema name \
         (text): {problem}",
        index + 1
    )
}

/// The target named `name` on the server of `base`.
fn named(base: &str, name: &str, kind: TargetsKind) -> Result<Target, String> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(format!(
            "`{}` is not a usable name",
            schema_diff::display::visible(name)
        ));
    }
    match kind {
        TargetsKind::Schema => {
            check_schema(name)?;
            Ok(Target {
                url: base.to_owned(),
                schema: Some(name.to_owned()),
            })
        }
        TargetsKind::Database => {
            let mut url = url::Url::parse(base).map_err(|e| e.to_string())?;
            let encoded = percent_encoding::utf8_percent_encode(name, NAME_IN_URL);
            url.set_path(&format!("/{encoded}"));
            Ok(Target {
                url: url.to_string(),
                schema: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_parameter_is_taken_out_of_the_url() {
        let target =
            parse("postgres://u:secret@h:5432/db?sslmode=disable&schema=tenant_a").expect("parses");
        assert_eq!(target.url, "postgres://u:secret@h:5432/db?sslmode=disable");
        assert_eq!(target.schema.as_deref(), Some("tenant_a"));
        assert!(!target.shown().contains("secret"));
        assert!(target.shown().ends_with("&schema=tenant_a"));
    }

    #[test]
    fn a_schema_on_another_backend_is_refused() {
        assert!(parse("mysql://root@h:3306/db?schema=x").is_err());
        assert!(parse("nope://x").is_err());
    }

    #[test]
    fn query_rows_become_databases_or_schemas() {
        let db = named(
            "postgres://u@h/base?sslmode=disable",
            "tenant 1",
            TargetsKind::Database,
        )
        .expect("named");
        assert_eq!(db.url, "postgres://u@h/tenant%201?sslmode=disable");
        let schema = named("postgres://u@h/base", "t1", TargetsKind::Schema).expect("named");
        assert_eq!(schema.schema.as_deref(), Some("t1"));
        assert!(named("postgres://u@h/base", "a\nb", TargetsKind::Database).is_err());
    }
}
