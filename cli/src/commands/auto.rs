//! `db-migrate auto`: compare the entities with the database and write the migration.
//!
//! Renames: `--rename TABLE.OLD=NEW` / `--rename OLD=NEW` answer in advance; on a
//! terminal (stdin and stdout, without `--json`) each drop + add pair that looks like
//! a rename is asked about, as Django does. Both become [`RenameHints`], which the
//! differ treats exactly as `renamed_from` declarations.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use schema_diff::diff::{RenameHints, diff_with_hints, rename_candidates};
use schema_diff::{Dialect, Schema};
use serde_json::json;

use super::Context;

/// What `auto` says when it adds a NOT NULL column without a default to a table
/// holding rows: the migration writes schema changes only, the data is the
/// developer's, in three steps.
const EXPAND_BACKFILL_CONTRACT: &str = "a NOT NULL column without a default cannot be added to a table holding rows; \
     expand/backfill/contract instead: add it nullable (or with a default), fill it with \
     a data migration (`db-migrate generate --data \"...\"`), then make it NOT NULL. See \
     docs/data-migrations.md#expand-backfill-contract";

pub async fn run(
    ctx: &Context<'_>,
    description: &str,
    renames: &[String],
    allow_data_loss: bool,
) -> anyhow::Result<ExitCode> {
    crate::naming::slug(description)?;
    let mut hints = parse_renames(renames)?;
    let db = ctx.connect().await?;
    let status = ctx.runner().status(&db).await?;
    if !status.unknown.is_empty() {
        bail!(
            "the database's history names migrations this code does not have: {}",
            status.unknown.join(", ")
        );
    }
    if !status.pending.is_empty() {
        bail!(
            "the database is not up to date ({} pending: {}); run `db-migrate upgrade` first, \
             so that `auto` compares the entities with the schema the migrations produce",
            status.pending.len(),
            status.pending.join(", ")
        );
    }
    let backend = db.get_database_backend();
    let dialect = Dialect::of(backend).context("unsupported database backend")?;
    let backends = &ctx.settings.backends;
    if !backends.value.contains(dialect) {
        bail!(
            "this database is {}, which `backends = {}` (from {}) leaves out: the migration \
             would refuse to run here; add {:?} to the backends, or run `auto` against a \
             database of a configured backend",
            schema_diff::portable::dialect_name(dialect),
            backends.value.config_list(),
            backends.source,
            schema_diff::Backends::config_name(dialect),
        );
    }
    let options = ctx.settings.diff_options();
    let desired = desired_schema(ctx)?;
    let actual = ctx.settings.exclusions().apply(
        schema_diff::introspect::introspect(&db)
            .await
            .context("cannot read the database schema")?,
    );
    check_hints(&hints, &actual, &desired)?;
    let mut changes = diff_with_hints(&actual, &desired, dialect, &options, &hints);
    let interactive =
        !ctx.global.json && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if interactive {
        let mut asked = RenameHints::default();
        loop {
            let mut candidates = rename_candidates(&changes, Some(dialect));
            candidates.tables.retain(|c| !asked.tables.contains(c));
            candidates.columns.retain(|c| !asked.columns.contains(c));
            if candidates.is_empty() {
                break;
            }
            asked.tables.extend(candidates.tables.iter().cloned());
            asked.columns.extend(candidates.columns.iter().cloned());
            let yes = ask_renames(
                &candidates,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout(),
            )
            .context("cannot ask about renames")?;
            if yes.is_empty() {
                break;
            }
            hints.tables.extend(yes.tables);
            hints.columns.extend(yes.columns);
            changes = diff_with_hints(&actual, &desired, dialect, &options, &hints);
        }
    }
    // A change this database cannot run would fail on the first `upgrade`: refuse it
    // now (other backends get hazard PT001 and a failing branch in the module).
    let unportable = schema_diff::portable::check_changes(&changes, dialect);
    if !unportable.is_empty() {
        let list: Vec<String> = unportable.iter().map(ToString::to_string).collect();
        bail!(
            "the changes cannot run on this database ({}): {}; nothing was written. Change \
             the entity's column type to one {} has",
            schema_diff::portable::dialect_name(dialect),
            list.join("; "),
            schema_diff::portable::dialect_name(dialect),
        );
    }
    let summary: Vec<String> = schema_diff::change::as_run_on(&changes, dialect)
        .iter()
        .map(|c| c.describe())
        .collect();
    let lint_options = schema_diff::lint::LintOptions {
        dialect: Some(dialect),
        backends: ctx.settings.backends.value,
    };
    let hazards = schema_diff::lint::lint_with(&changes, &actual, &lint_options);
    let preflight = schema_diff::lint::preflight(&db, &changes)
        .await
        .context("cannot count the rows the changes would affect")?;
    let dropped = schema_diff::lint::dropped_by_changes(&changes);
    let losses = schema_diff::lint::count_losses(&db, &dropped)
        .await
        .context("cannot count the rows the migration would drop")?;
    let gate = super::data_loss::Gate {
        action: "write the migration",
        flag_hint: "`db-migrate auto ... --allow-data-loss`",
    };
    super::data_loss::confirm(ctx, &losses, allow_data_loss, &gate)?;

    let file = if changes.is_empty() {
        None
    } else {
        let options = schema_diff::render::RenderOptions {
            description: description.to_owned(),
            hazards: schema_diff::lint::comment_lines(&hazards),
            backends: backends.value,
        };
        let text = schema_diff::render::render_migration(&changes, &options)?;
        Some(super::generate::write_module(ctx, description, &text)?)
    };

    let notes: Vec<&str> = if file.is_some() && preflight.iter().any(|h| h.code == "DF001") {
        vec![EXPAND_BACKFILL_CONTRACT]
    } else {
        Vec::new()
    };
    if ctx.global.json {
        crate::output::json(&json!({
            "changes": changes,
            "summary": summary,
            "hazards": hazards,
            "preflight": preflight,
            "data_loss": losses,
            "file": file,
            "notes": notes,
        }))?;
    } else if let Some(path) = &file {
        outln!("{} change(s):", summary.len());
        for line in &summary {
            outln!("  {line}");
        }
        if !hazards.is_empty() {
            outln!("hazards ({}), also written in the file:", hazards.len());
            for hazard in &hazards {
                outln!("  {hazard}");
            }
        }
        if !preflight.is_empty() || !losses.is_empty() {
            outln!("on this database's data:");
            for hazard in losses
                .iter()
                .map(|l| l.hazard())
                .chain(preflight.iter().cloned())
            {
                outln!("  {hazard}");
            }
        }
        for note in &notes {
            outln!("note: {note}");
        }
        let suggested = rename_flags(&rename_candidates(&changes, Some(dialect)));
        outln!("wrote {}", crate::output::relative(path));
        if !suggested.is_empty() {
            outln!(
                "if that drop + add is a rename, delete the file and run again with {}",
                suggested.join(" ")
            );
        }
        outln!("review it, then run `db-migrate upgrade`");
    } else {
        outln!("No changes");
    }
    Ok(ExitCode::SUCCESS)
}

/// The schema the entities describe (always built with SQLite's statements, which
/// keep enum variants; the dialect layer maps them per backend).
/// No entity at all is an error: compared with it, every table would be dropped.
/// Tables the configuration excludes are left out.
pub fn desired_schema(ctx: &Context<'_>) -> anyhow::Result<schema_diff::Schema> {
    let helper = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    let statements = (ctx.project.entities)(&helper);
    let desired = schema_diff::desired::schema_from_entities(statements)?;
    require_entities(&desired)?;
    Ok(ctx.settings.exclusions().apply(desired))
}

/// Refuses a desired schema without a table: compared with it, every table of the
/// database would be dropped.
pub fn require_entities(desired: &Schema) -> anyhow::Result<()> {
    if desired.tables.is_empty() {
        bail!(
            "the project lists no entities: comparing with none would drop every table; check \
             that the entity crate's all_entities() finds its modules"
        );
    }
    Ok(())
}

/// The `--rename` values as hints: `TABLE.OLD=NEW` renames a column, `OLD=NEW` a table.
pub fn parse_renames(values: &[String]) -> anyhow::Result<RenameHints> {
    let mut hints = RenameHints::default();
    for value in values {
        let bad = || {
            anyhow::anyhow!(
                "invalid --rename `{value}`: expected TABLE.OLD=NEW (a column) or OLD=NEW (a table)"
            )
        };
        let (left, right) = value.split_once('=').ok_or_else(bad)?;
        let (left, right) = (left.trim(), right.trim());
        match left.split_once('.') {
            Some((table, old)) => {
                // `users.name=users.full_name` is accepted too.
                let new = match right.split_once('.') {
                    Some((t, new)) if t == table => new,
                    Some(_) => return Err(bad()),
                    None => right,
                };
                if [table, old, new]
                    .iter()
                    .any(|s| s.is_empty() || s.contains('.'))
                {
                    return Err(bad());
                }
                hints.columns.push((table.into(), old.into(), new.into()));
            }
            None => {
                if left.is_empty() || right.is_empty() || right.contains('.') {
                    return Err(bad());
                }
                hints.tables.push((left.into(), right.into()));
            }
        }
    }
    Ok(hints)
}

/// Refuses a hint that names something the database or the entities do not have.
fn check_hints(hints: &RenameHints, actual: &Schema, desired: &Schema) -> anyhow::Result<()> {
    for (old, new) in &hints.tables {
        let flag = format!("--rename {old}={new}");
        if actual.table(old).is_none() {
            bail!("{flag}: the database has no table {old}");
        }
        if desired.table(new).is_none() {
            bail!("{flag}: the entities have no table {new}");
        }
        if actual.table(new).is_some() {
            bail!("{flag}: the database already has a table {new}");
        }
        if desired.table(old).is_some() {
            bail!("{flag}: the entities still have a table {old}");
        }
    }
    let desired = hints.apply(desired);
    for (table, old, new) in &hints.columns {
        let flag = format!("--rename {table}.{old}={new}");
        let wanted = desired
            .table(table)
            .or_else(|| {
                desired
                    .tables
                    .iter()
                    .find(|t| t.renamed_from.as_deref() == Some(table))
            })
            .with_context(|| format!("{flag}: the entities have no table {table}"))?;
        let current = match (&wanted.renamed_from, actual.table(&wanted.name)) {
            (_, Some(same)) => same,
            (Some(before), None) => actual
                .table(before)
                .with_context(|| format!("{flag}: the database has no table {before}"))?,
            (None, None) => bail!("{flag}: the database has no table {}", wanted.name),
        };
        if current.column(old).is_none() {
            bail!("{flag}: the database has no column {}.{old}", current.name);
        }
        if wanted.column(new).is_none() {
            bail!("{flag}: the entities have no column {}.{new}", wanted.name);
        }
        if current.column(new).is_some() {
            bail!(
                "{flag}: the database already has a column {}.{new}",
                current.name
            );
        }
        if wanted.column(old).is_some() {
            bail!(
                "{flag}: the entities still have a column {}.{old}",
                wanted.name
            );
        }
    }
    Ok(())
}

/// Asks about each candidate on `output`, reading `y`/`yes` (any case) from `input`
/// as yes and anything else, or the end of input, as no; returns the confirmed ones.
pub fn ask_renames(
    candidates: &RenameHints,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> std::io::Result<RenameHints> {
    let mut yes = RenameHints::default();
    for (old, new) in &candidates.tables {
        if crate::terminal::confirm(
            input,
            output,
            &format!("Did you rename table {old} to {new}?"),
        )? {
            yes.tables.push((old.clone(), new.clone()));
        }
    }
    for (table, old, new) in &candidates.columns {
        let question = format!("Did you rename {table}.{old} to {table}.{new}?");
        if crate::terminal::confirm(input, output, &question)? {
            yes.columns.push((table.clone(), old.clone(), new.clone()));
        }
    }
    Ok(yes)
}

/// The `--rename` flags that would turn `hints` into renames.
fn rename_flags(hints: &RenameHints) -> Vec<String> {
    let tables = hints
        .tables
        .iter()
        .map(|(old, new)| format!("--rename {old}={new}"));
    let columns = hints
        .columns
        .iter()
        .map(|(table, old, new)| format!("--rename {table}.{old}={new}"));
    tables.chain(columns).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use schema_diff::Change;

    /// Whether `changes` (flattened) hold a change of the kind `matches`.
    fn any_change(changes: &[Change], matches: fn(&Change) -> bool) -> bool {
        changes.iter().any(|c| match c {
            Change::RebuildTable { changes, .. } => any_change(changes, matches),
            other => matches(other),
        })
    }

    fn hints(tables: &[(&str, &str)], columns: &[(&str, &str, &str)]) -> RenameHints {
        RenameHints {
            tables: tables
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            columns: columns
                .iter()
                .map(|(t, a, b)| (t.to_string(), a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn rename_flags_parse_into_hints() {
        let values: Vec<String> = ["users.name=full_name", "people=persons", "a.b=a.c"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            parse_renames(&values).unwrap(),
            hints(
                &[("people", "persons")],
                &[("users", "name", "full_name"), ("a", "b", "c")]
            )
        );
        for bad in [
            "users.name",
            "=x",
            "x=",
            "a.b=c.d",
            "a.=b",
            "a=b.c",
            "a.b.c=d",
        ] {
            let error = parse_renames(&[bad.to_string()]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("invalid --rename `{bad}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn the_prompt_asks_each_candidate_and_defaults_to_no() {
        let candidates = hints(
            &[("people", "persons")],
            &[("users", "name", "full_name"), ("users", "bio", "about")],
        );
        let mut input = std::io::Cursor::new("n\nYes\n");
        let mut output = Vec::new();
        let yes = ask_renames(&candidates, &mut input, &mut output).unwrap();
        assert_eq!(yes, hints(&[], &[("users", "name", "full_name")]));
        assert_eq!(
            String::from_utf8(output).unwrap(),
            "Did you rename table people to persons? [y/N] \
             Did you rename users.name to users.full_name? [y/N] \
             Did you rename users.bio to users.about? [y/N] \n"
        );
    }

    #[test]
    fn hints_naming_missing_objects_are_refused() {
        use schema_diff::ir::{Column, ColumnType, Table};
        let table = |name: &str, columns: &[&str]| Table {
            name: name.into(),
            columns: columns
                .iter()
                .map(|c| Column::new(*c, ColumnType::Text))
                .collect(),
            ..Table::default()
        };
        let actual = Schema {
            tables: vec![table("users", &["id", "name"])],
            enums: Vec::new(),
        };
        let desired = Schema {
            tables: vec![table("people", &["id", "full_name"])],
            enums: Vec::new(),
        };
        let ok = hints(&[("users", "people")], &[("people", "name", "full_name")]);
        check_hints(&ok, &actual, &desired).unwrap();
        let changes = diff_with_hints(
            &actual,
            &desired,
            Dialect::Postgres,
            &schema_diff::DiffOptions::default(),
            &ok,
        );
        assert!(any_change(&changes, |c| matches!(
            c,
            Change::RenameColumn { .. }
        )));
        for (bad, message) in [
            (
                hints(&[("nope", "people")], &[]),
                "the database has no table nope",
            ),
            (
                hints(&[("users", "nope")], &[]),
                "the entities have no table nope",
            ),
            (
                hints(&[], &[("users", "name", "full_name")]),
                "the entities have no table users",
            ),
            (
                hints(&[("users", "people")], &[("people", "nick", "full_name")]),
                "the database has no column users.nick",
            ),
            (
                hints(&[("users", "people")], &[("people", "name", "nick")]),
                "the entities have no column people.nick",
            ),
            (
                hints(&[("users", "people")], &[("people", "id", "full_name")]),
                "the entities still have a column people.id",
            ),
        ] {
            let error = check_hints(&bad, &actual, &desired)
                .unwrap_err()
                .to_string();
            assert!(error.ends_with(message), "{error}");
        }
    }
}
