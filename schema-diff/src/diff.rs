//! The differ: actual schema + desired schema → ordered `Vec<Change>`.
//!
//! [`diff`] runs four steps:
//!
//! 1. **Normalize** both sides with [`Dialect::normalize_schema`]. Comparisons
//!    use the normalized copies; emitted changes carry the *original* objects
//!    (desired side for new objects, actual side for old ones), found by name
//!    for tables and columns and by position for indexes and foreign keys.
//! 2. **Renames** from `renamed_from` hints (tables and columns, and the
//!    [`RenameHints`] given to [`diff_with_hints`]) become
//!    `RenameTable` / `RenameColumn`, and are applied to the actual side, so
//!    everything after matches by name and names objects by their new names.
//! 3. **Compare** enums, tables, columns, primary keys, indexes and foreign
//!    keys (see the submodules). Not compared, for want of a `Change` variant:
//!    table comments, CHECK constraints of existing tables and column order.
//! 4. **Order** ([`crate::order::order`]) and group the changes SQLite cannot
//!    run natively into `RebuildTable` (rules in `diff/rebuild.rs`). The grouping applies
//!    to every dialect, because generated migrations run on every backend.

mod columns;
mod enums;
mod keys;
mod rebuild;
mod renames;
pub(crate) mod sqlite_rules;
mod tables;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests_detect;
#[cfg(test)]
mod tests_hints;
#[cfg(test)]
mod tests_order;
#[cfg(test)]
mod tests_rebuild;

use std::borrow::Cow;
use std::collections::HashSet;

use crate::{Change, Dialect, Schema};

pub use renames::{RenameHints, rename_candidates};

/// What the differ compares, as Alembic's `compare_type` and `compare_server_default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare column types. When off, a column whose type alone differs is
    /// left alone, and an `AlterColumn` emitted for another reason keeps the
    /// actual type in `to` (so it never changes the type by accident).
    pub compare_type: bool,
    /// Compare column defaults. When off, defaults are ignored the same way.
    pub compare_server_default: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            compare_type: true,
            compare_server_default: true,
        }
    }
}

/// What every comparison needs to know.
struct Context<'a> {
    options: &'a DiffOptions,
    /// Names of the named enum types on either side: columns of such a type
    /// compare by the type's name only (its values are diffed as `AlterEnum`).
    named_enums: HashSet<&'a str>,
}

/// [`diff`] with renames decided outside the entities (a `--rename` flag, a
/// confirmed prompt): each hint acts exactly as the matching `renamed_from`
/// declaration in `desired` would (see [`RenameHints::apply`]).
pub fn diff_with_hints(
    actual: &Schema,
    desired: &Schema,
    dialect: Dialect,
    options: &DiffOptions,
    hints: &RenameHints,
) -> Vec<Change> {
    if hints.is_empty() {
        return diff(actual, desired, dialect, options);
    }
    diff(actual, &hints.apply(desired), dialect, options)
}

/// The changes that turn `actual` into `desired`, ordered so they can run as listed.
///
/// `diff(a, a, ..)` is empty for any schema `a`.
pub fn diff(
    actual: &Schema,
    desired: &Schema,
    dialect: Dialect,
    options: &DiffOptions,
) -> Vec<Change> {
    let actual_norm = dialect.normalize_schema(actual);
    let desired_norm = dialect.normalize_schema(desired);

    let renames = renames::Renames::plan(&actual_norm, desired);
    // Without renames the actual side is used as it is: copying a schema of
    // thousands of tables costs time and memory.
    let (actual, actual_norm) = if renames.is_empty() {
        (Cow::Borrowed(actual), actual_norm)
    } else {
        (
            Cow::Owned(renames.apply(actual)),
            renames.apply(&actual_norm),
        )
    };

    let ctx = Context {
        options,
        named_enums: actual_norm
            .enums
            .iter()
            .chain(&desired_norm.enums)
            .map(|e| e.name.as_str())
            .collect(),
    };

    let mut changes = renames.changes();
    changes.extend(enums::diff_enums(
        &actual,
        &actual_norm,
        desired,
        &desired_norm,
    ));
    changes.extend(tables::diff_tables(
        &tables::Side::new(&actual, &actual_norm),
        &tables::Side::new(desired, &desired_norm),
        &ctx,
    ));
    if desired_norm.enums.is_empty() && !desired.enums.is_empty() {
        let implied = enums::implied_creates(&changes, desired);
        changes.extend(implied);
    }
    let ordered = crate::order::order(changes);
    let schemas = sqlite_rules::Schemas {
        actual: &actual,
        actual_norm: &actual_norm,
        desired,
        desired_norm: &desired_norm,
    };
    rebuild::group(ordered, &schemas, options)
}
