//! Lint: hazards of a change list, with stable codes.
//!
//! [`lint`] reads the ordered `Vec<Change>` of the differ plus the actual schema and
//! returns what could go wrong when the migration runs: data it deletes, statements
//! that fail on some existing rows, long locks and table copies, and drop + add pairs
//! that are probably renames. It never touches a database. [`preflight`] then asks the
//! database itself: it counts the rows that would make the failing kinds (`DF*`) fail
//! and reports the real ones as [`Severity::Danger`].
//!
//! One rule per code; codes are stable forever (a new rule gets a new code, a retired
//! code is never reused):
//!
//! | Code    | Severity | Change                                     | Hazard |
//! |---------|----------|--------------------------------------------|--------|
//! | `DL001` | danger   | `DropTable`                                | the table's rows are lost |
//! | `DL002` | danger   | `DropColumn`                               | the column's values are lost |
//! | `DL003` | danger   | `AlterColumn` (type), `AlterEnum`          | narrowing type change: values may be truncated or rejected (see [`is_widening`]); an enum losing values |
//! | `DF001` | warning  | `AddColumn` on an existing table           | `NOT NULL` without a default fails when the table has rows |
//! | `DF002` | warning  | `AlterColumn` `NULL` → `NOT NULL`          | fails when a row holds `NULL` |
//! | `DF003` | warning  | unique `CreateIndex`, `AlterPrimaryKey`    | fails when existing rows hold duplicates |
//! | `DF004` | warning  | `AddForeignKey` on an existing table       | fails when existing rows reference no row |
//! | `RB001` | info     | `RebuildTable`                             | SQLite copies the whole table |
//! | `LK001` | info     | `CreateIndex` on an existing table         | PostgreSQL blocks writes while it builds (no `CONCURRENTLY`) |
//! | `LK002` | warning  | `AlterColumn` (type) on an existing table, where a backend rewrites it | rewrite under `ACCESS EXCLUSIVE` on PostgreSQL, table copy on MySQL; not for a longer `varchar`, `varchar` → `text`, more `numeric` precision (see `rewrite.rs`) |
//! | `RN001` | warning  | `DropColumn` + `AddColumn`, `DropTable` + `CreateTable` | looks like a rename: declare `renamed_from` to keep the data |
//! | `CS001` | warning  | `AlterColumn` dropping a default, on an existing table | inserts that omit the column get `NULL` or fail |
//! | `CS002` | warning  | unique `DropIndex` on an existing table (not replaced by a unique index on the same columns or a subset) | duplicates can enter; the `down` then fails |
//! | `PT001` | warning  | a column some backend has no type for       | not portable to that backend: the migration fails there before it starts ([`not_portable`]) |
//!
//! An *existing table* is one of the actual schema (through any `RenameTable` of the
//! list) that the list does not create. Changes inside a `RebuildTable` are linted like
//! top-level ones, and the rebuild itself is reported as `RB001` when the lint's dialect is SQLite (elsewhere the
//! changes run as they are).

mod constraints;
mod loss;
mod preflight;
mod rewrite;
mod rules;
mod sql_drops;
mod unfit;
mod widening;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_loss;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Change, Dialect, Schema};

pub use loss::{Dropped, Loss, count_losses, dropped_by_changes, dropped_by_sql};
pub(crate) use preflight::does_not_fit;
pub use preflight::preflight;
pub use unfit::{Unfit, unfit};
pub use widening::is_widening;

/// How bad a hazard is. Ordered: `Info < Warning < Danger`, so that a
/// `--deny <severity>` can compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing (a table copy, a lock), never data loss or failure by itself.
    Info,
    /// May fail or block on some data; nothing is lost.
    Warning,
    /// Loses data, or will fail on the data there is.
    Danger,
}

impl Severity {
    /// The lowercase name: `info`, `warning` or `danger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Danger => "danger",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is none of `info`, `warning` (`warn`) or `danger`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`: expected info, warning or danger")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Parses `info`, `warning` (or `warn`) and `danger`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "danger" => Ok(Severity::Danger),
            _ => Err(ParseSeverityError(s.to_owned())),
        }
    }
}

/// One hazard of a change list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hazard {
    /// The stable rule code, e.g. `DL002` (see the [module table](self)).
    pub code: &'static str,
    pub severity: Severity,
    /// The table it concerns (as the migration names it), or `None` for enum types.
    pub table: Option<String>,
    /// One readable sentence naming the table and column.
    pub message: String,
}

impl fmt::Display for Hazard {
    /// `DL002 danger: dropping column users.legacy loses its data`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.code, self.severity, self.message)
    }
}

/// What the lint knows besides the changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// The dialect of the database the migration was generated against. When set,
    /// column types are compared in that dialect's canonical form (so that `int4`
    /// and `integer`, or SQLite's `bigint` and `integer`, are not a type change);
    /// otherwise as the IR spells them.
    pub dialect: Option<Dialect>,
    /// The backends the migration is rendered for (default: all three): `PT001`
    /// names only these.
    pub backends: crate::Backends,
}

/// The hazards of `changes` (as [`crate::diff()`] returns them) against `actual`, the
/// schema they are applied to: danger first, then warnings, then info, each group in
/// change order.
pub fn lint(changes: &[Change], actual: &Schema) -> Vec<Hazard> {
    lint_with(changes, actual, &LintOptions::default())
}

/// [`lint`] with options.
pub fn lint_with(changes: &[Change], actual: &Schema, options: &LintOptions) -> Vec<Hazard> {
    let mut hazards: Vec<Hazard> = rules::findings(changes, Some(actual), options)
        .into_iter()
        .map(|finding| finding.hazard)
        .collect();
    hazards.extend(not_portable_to(changes, options.backends));
    hazards.sort_by_key(|h| std::cmp::Reverse(h.severity));
    hazards
}

/// `PT001`: for each change, each column it creates or changes in a way some backend
/// cannot express (see [`crate::portable`]), one hazard naming those backends.
pub fn not_portable(changes: &[Change]) -> Vec<Hazard> {
    not_portable_to(changes, crate::Backends::ALL)
}

/// [`not_portable`] for the backends of `backends` only.
pub fn not_portable_to(changes: &[Change], backends: crate::Backends) -> Vec<Hazard> {
    let mut hazards = Vec::new();
    for change in changes {
        let mut found: Vec<((String, String), Vec<crate::portable::NotPortable>)> = Vec::new();
        for dialect in backends.dialects() {
            for problem in crate::portable::check_changes(std::slice::from_ref(change), dialect) {
                let key = (problem.table.clone(), problem.column.clone());
                match found.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push(problem),
                    None => found.push((key, vec![problem])),
                }
            }
        }
        for ((table, column), problems) in found {
            let names: Vec<&str> = problems
                .iter()
                .map(|p| crate::portable::dialect_name(p.dialect))
                .collect();
            let reasons: Vec<&str> = problems.iter().map(|p| p.reason).collect();
            hazards.push(Hazard {
                code: "PT001",
                severity: Severity::Warning,
                message: format!(
                    "column {}.{} is not portable to {}: {}; the migration fails there \
                     before it changes anything",
                    crate::display::visible(&table),
                    crate::display::visible(&column),
                    names.join(", "),
                    reasons.join("; ")
                ),
                table: Some(table),
            });
        }
    }
    hazards
}

/// The hazards as comment lines for the rendered migration
/// ([`crate::render::RenderOptions::hazards`]), e.g.
/// `DL002 danger: dropping column users.legacy loses its data`.
pub fn comment_lines(hazards: &[Hazard]) -> Vec<String> {
    hazards.iter().map(Hazard::to_string).collect()
}

/// The highest severity of `hazards`, if there are any: what a `--deny <severity>`
/// compares against.
pub fn max_severity(hazards: &[Hazard]) -> Option<Severity> {
    hazards.iter().map(|h| h.severity).max()
}
