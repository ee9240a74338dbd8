//! `db-migrate diff`: how the database differs from the entities (or from another
//! database), as a unified diff of both schemas' DDL, then the changes and hazards.
//!
//! Both sides are rendered from the IR with sea-query's builder for the current
//! side's backend: enum types (PostgreSQL), then every table by name with its
//! `CREATE TABLE` (one column per line) and `CREATE INDEX`es. Each side is first put
//! in the dialect's canonical form (the form the differ compares), so that spellings
//! the differ treats as equal do not show up as differences. Whether the schemas are
//! equal is decided by the differ, never by the text. With `--html FILE` the same
//! comparison is also written as a visual report ([`schema_diff::report`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use schema_diff::{Dialect, Schema};
use sea_orm::sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};
use serde_json::json;

use super::Context;

/// Compares `from` (default: the configured database) with `to` (default: the
/// entities). Exit 0 when they are equal, 2 when they differ.
pub async fn run(
    ctx: &Context<'_>,
    from: Option<&str>,
    to: Option<&str>,
    html: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let exclusions = ctx.settings.exclusions();
    let from_url = match from {
        Some(url) => crate::config::flag_url(url),
        None => ctx.url.clone(),
    };
    let (actual, dialect) = read_database(&from_url).await?;
    let actual = exclusions.apply(actual);
    let from_label = crate::redact::redact_url(&from_url);
    let (desired, to_label) = match to {
        Some(url) => {
            let url = crate::config::flag_url(url);
            let (schema, _) = read_database(&url).await?;
            (exclusions.apply(schema), crate::redact::redact_url(&url))
        }
        None => (super::auto::desired_schema(ctx)?, "entities".to_owned()),
    };

    let Comparison {
        changes,
        summary,
        hazards,
    } = compare(ctx, &actual, &desired, dialect);
    let shown = schema_diff::change::as_run_on(&changes, dialect);
    let desired_norm = dialect.normalize_schema(&desired);
    let actual_norm = align_names(dialect.normalize_schema(&actual), &desired_norm);
    let old = render_schema(&actual_norm, dialect);
    let new = render_schema(&desired_norm, dialect);
    let text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&from_label, &to_label)
        .to_string();
    let equal = changes.is_empty();
    if let Some(path) = html {
        let report = schema_diff::report::SchemaReport::build(&schema_diff::report::ReportInput {
            from_label: &from_label,
            to_label: &to_label,
            dialect,
            actual: &actual_norm,
            desired: &desired_norm,
            changes: &changes,
            hazards: &hazards,
        });
        super::diff_html::write_report(path, &report)?;
    }

    if ctx.global.json {
        crate::output::json(&json!({
            "changes": changes,
            "summary": summary,
            "hazards": hazards,
            "equal": equal,
            "diff": text,
        }))?;
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        out!("{}", paint(&crate::terminal::visible_lines(&text), colour));
        if equal {
            if !text.is_empty() {
                outln!();
            }
            outln!("No changes: {from_label} matches {to_label}");
            if let Some(path) = html {
                outln!("HTML report: {}", path.display());
            }
        } else {
            if !text.is_empty() {
                outln!();
            }
            outln!("{} change(s):", shown.len());
            for change in &shown {
                outln!("  {}", change.describe());
                if let schema_diff::Change::RebuildTable { changes, .. } = change {
                    for inner in changes {
                        outln!("      {}", inner.describe());
                    }
                }
            }
            if !hazards.is_empty() {
                outln!("hazards ({}):", hazards.len());
                for hazard in &hazards {
                    outln!("  {hazard}");
                }
            }
            if let Some(path) = html {
                outln!("HTML report: {}", path.display());
            }
        }
    }
    Ok(if equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// What `diff --json` (and the admin API's drift) says of two schemas.
pub struct Comparison {
    /// From the first schema to the second.
    pub changes: Vec<schema_diff::Change>,
    /// One line per change, as run on the dialect.
    pub summary: Vec<String>,
    pub hazards: Vec<schema_diff::lint::Hazard>,
}

/// The changes from `actual` to `desired` on `dialect`, described and linted with
/// the configured options.
pub fn compare(
    ctx: &Context<'_>,
    actual: &Schema,
    desired: &Schema,
    dialect: Dialect,
) -> Comparison {
    let changes = schema_diff::diff(actual, desired, dialect, &ctx.settings.diff_options());
    let shown = schema_diff::change::as_run_on(&changes, dialect);
    let summary: Vec<String> = shown.iter().map(|c| c.describe()).collect();
    let lint_options = schema_diff::lint::LintOptions {
        dialect: Some(dialect),
        backends: ctx.settings.backends.value,
    };
    let hazards = schema_diff::lint::lint_with(&changes, actual, &lint_options);
    Comparison {
        changes,
        summary,
        hazards,
    }
}

/// The schema of the database at `url`, and its dialect.
pub async fn read_database(url: &str) -> anyhow::Result<(Schema, Dialect)> {
    let db = crate::connect::connect_for_reading(url).await?;
    let dialect = Dialect::of(db.get_database_backend()).context("unsupported database backend")?;
    let schema = schema_diff::introspect::introspect(&db)
        .await
        .with_context(|| {
            format!(
                "cannot read the schema of `{}`",
                crate::redact::redact_url(url)
            )
        })?;
    db.close().await.ok();
    Ok((schema, dialect))
}

/// `actual` with the names the differ does not compare taken from `desired`: an
/// index or unique constraint with the same columns and uniqueness, or a foreign key
/// with the same columns and target, in a table of the same name, is shown under
/// the wanted name (so `sqlite_autoindex_users_1` is not a difference).
pub(crate) fn align_names(mut actual: Schema, desired: &Schema) -> Schema {
    for table in &mut actual.tables {
        let Some(wanted) = desired.table(&table.name) else {
            continue;
        };
        for index in &mut table.indexes {
            let twin = wanted.indexes.iter().find(|w| {
                w.columns == index.columns
                    && w.unique == index.unique
                    && w.constraint == index.constraint
            });
            if let Some(twin) = twin {
                index.name = twin.name.clone();
            }
        }
        for foreign_key in &mut table.foreign_keys {
            let twin = wanted.foreign_keys.iter().find(|w| {
                w.columns == foreign_key.columns
                    && w.ref_table == foreign_key.ref_table
                    && w.ref_columns == foreign_key.ref_columns
            });
            if let Some(twin) = twin {
                foreign_key.name = twin.name.clone();
            }
        }
    }
    actual
}

/// The DDL of `schema` on `dialect`: enum types (PostgreSQL only), then each table by
/// name, its `CREATE TABLE` with one column or constraint per line, then its indexes.
pub fn render_schema(schema: &Schema, dialect: Dialect) -> String {
    macro_rules! sql {
        ($stmt:expr) => {
            match dialect {
                Dialect::Sqlite => $stmt.to_string(SqliteQueryBuilder),
                Dialect::Postgres => $stmt.to_string(PostgresQueryBuilder),
                Dialect::MySql => $stmt.to_string(MysqlQueryBuilder),
            }
        };
    }
    let mut out = String::new();
    if dialect == Dialect::Postgres {
        let mut enums: Vec<_> = schema.enums.iter().collect();
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        for enum_type in enums {
            let stmt = schema_diff::statements::create_enum(enum_type);
            out.push_str(&stmt.to_string(PostgresQueryBuilder));
            out.push_str(";\n");
        }
        if !schema.enums.is_empty() {
            out.push('\n');
        }
    }
    let mut tables: Vec<_> = schema.tables.iter().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    for (i, table) in tables.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&one_item_per_line(&sql!(
            schema_diff::statements::create_table(table)
        )));
        out.push_str(";\n");
        let mut indexes: Vec<String> = schema_diff::statements::create_indexes(table)
            .iter()
            .map(|stmt| sql!(stmt))
            .collect();
        indexes.sort();
        for index in indexes {
            out.push_str(&index);
            out.push_str(";\n");
        }
    }
    out
}

/// `CREATE TABLE t ( a, b )` as `CREATE TABLE t (\n  a,\n  b\n)`: the top-level items
/// of the first parenthesized list on their own lines (commas inside quotes or
/// nested parentheses are left alone).
fn one_item_per_line(statement: &str) -> String {
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut open = None;
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, c) in statement.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' => {
                depth += 1;
                if depth == 1 && open.is_none() {
                    open = Some(i);
                    start = i + 1;
                }
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if let (0, Some(open)) = (depth, open) {
                    items.push((start, i));
                    return layout(statement, open, &items, i);
                }
            }
            ',' if depth == 1 && open.is_some() => {
                items.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    statement.to_owned()
}

fn layout(statement: &str, open: usize, items: &[(usize, usize)], close: usize) -> String {
    let mut out = statement[..open].trim_end().to_owned();
    out.push_str(" (\n");
    let lines: Vec<&str> = items.iter().map(|&(a, b)| statement[a..b].trim()).collect();
    out.push_str(
        &lines
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join(",\n"),
    );
    out.push_str("\n)");
    let tail = statement[close + 1..].trim();
    if !tail.is_empty() {
        out.push(' ');
        out.push_str(tail);
    }
    out
}

/// The unified diff with ANSI colours when `colour`: removals red, additions green,
/// hunk headers cyan, file headers bold.
fn paint(text: &str, colour: bool) -> String {
    if !colour {
        return text.to_owned();
    }
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let code = if body.starts_with("---") || body.starts_with("+++") {
            "1"
        } else if body.starts_with('-') {
            "31"
        } else if body.starts_with('+') {
            "32"
        } else if body.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m{end}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_is_laid_out_one_item_per_line() {
        let sql = r#"CREATE TABLE "t" ( "id" integer NOT NULL PRIMARY KEY, "price" decimal(10, 2) DEFAULT 'a,b', CONSTRAINT "fk" FOREIGN KEY ("x") REFERENCES "u" ("id") ) COMMENT 'c'"#;
        assert_eq!(
            one_item_per_line(sql),
            "CREATE TABLE \"t\" (\n  \"id\" integer NOT NULL PRIMARY KEY,\n  \
             \"price\" decimal(10, 2) DEFAULT 'a,b',\n  \
             CONSTRAINT \"fk\" FOREIGN KEY (\"x\") REFERENCES \"u\" (\"id\")\n) COMMENT 'c'"
        );
        assert_eq!(one_item_per_line("DROP TABLE x"), "DROP TABLE x");
    }

    #[test]
    fn colours_only_when_asked() {
        let text = "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n";
        assert_eq!(paint(text, false), text);
        let painted = paint(text, true);
        assert!(painted.contains("\x1b[31m-x\x1b[0m\n"), "{painted:?}");
        assert!(painted.contains("\x1b[32m+y\x1b[0m\n"), "{painted:?}");
        assert!(
            painted.contains("\x1b[36m@@ -1 +1 @@\x1b[0m\n"),
            "{painted:?}"
        );
        assert!(painted.ends_with(" z\n"), "{painted:?}");
    }
}
