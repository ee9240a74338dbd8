//! The visual schema diff: a [`SchemaReport`] of how the current schema (the
//! database) differs from the wanted one (the entities, or another database), table by
//! table and column by column, and its renderings as a self-contained HTML document
//! ([`render_html`]) or as a fragment to embed in another page ([`render_body`] with
//! [`STYLESHEET`]).
//!
//! The report is plain serde data, built by [`SchemaReport::build`] from the same three
//! things `db-migrate diff` prints: both schemas, the change list of the differ and the
//! lint's hazards. Whether something differs is decided by the change list, never by
//! comparing the rendered text: a column is `changed` because the differ emitted an
//! `AlterColumn` for it.

mod build;
mod html;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use build::ReportInput;
pub use html::{STYLESHEET, render_body, render_html};

/// How an item (table, column, index, foreign key, enum type) differs between the
/// current side and the wanted side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only on the wanted side: the migration creates it.
    Added,
    /// Only on the current side: the migration drops it.
    Removed,
    /// On both sides, different: the migration alters (or renames) it.
    Changed,
    /// On both sides, equal.
    Same,
}

impl Status {
    /// The lowercase name, as used in the JSON document and as the CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Same => "same",
        }
    }

    /// The one-character marker shown beside the colour (`+`, `−`, `~`, blank), so the
    /// report reads without colours too.
    pub fn marker(self) -> &'static str {
        match self {
            Status::Added => "+",
            Status::Removed => "\u{2212}",
            Status::Changed => "~",
            Status::Same => "",
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaReport {
    /// What the current side is (a redacted database URL).
    pub from: String,
    /// What the wanted side is (`entities`, or a redacted database URL).
    pub to: String,
    /// The backend both sides are compared on (`SQLite`, `PostgreSQL`, `MySQL`).
    pub dialect: String,
    /// Counts for the summary at the top.
    pub summary: Summary,
    /// Every table of either side, sorted by (wanted) name.
    pub tables: Vec<TableReport>,
    /// Named enum types of either side (PostgreSQL), sorted by name.
    pub enums: Vec<EnumReport>,
    /// Hazards that concern no table (enum types).
    pub hazards: Vec<ReportHazard>,
}

impl SchemaReport {
    /// Whether both sides are equal (the differ found no change).
    pub fn is_equal(&self) -> bool {
        self.summary.changes == 0
    }
}

/// Counts of the report, as the summary shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Changes the migration would run on this backend.
    pub changes: usize,
    pub tables_added: usize,
    pub tables_removed: usize,
    pub tables_changed: usize,
    pub tables_same: usize,
    /// Columns added to, removed from or changed in tables that exist on both sides.
    pub columns_added: usize,
    pub columns_removed: usize,
    pub columns_changed: usize,
    pub hazards_danger: usize,
    pub hazards_warning: usize,
    pub hazards_info: usize,
}

/// One table and how it differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableReport {
    /// The wanted name (the current one for a removed table).
    pub name: String,
    /// The current name, when the migration renames the table.
    pub renamed_from: Option<String>,
    pub status: Status,
    /// Columns side by side: the wanted order, with removed columns where they stood.
    pub columns: Vec<ColumnRow>,
    /// The primary key (labelled `PRIMARY KEY`), then indexes and unique constraints.
    pub indexes: Vec<ItemRow>,
    pub foreign_keys: Vec<ItemRow>,
    /// The lint's hazards for this table.
    pub hazards: Vec<ReportHazard>,
}

/// One column on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRow {
    /// The wanted name (the current one for a removed column).
    pub name: String,
    /// The current name, when the migration renames the column.
    pub renamed_from: Option<String>,
    pub status: Status,
    /// The column in the database (current side), if it is there.
    pub database: Option<ColumnSide>,
    /// The column as the entities want it, if they have it.
    pub entity: Option<ColumnSide>,
}

impl ColumnRow {
    /// Whether `field` (`type`, `null`, `default` or `extra`) reads differently on the
    /// two sides of a changed column, so that the cell can be marked.
    pub fn differs(&self, field: Field) -> bool {
        match (&self.database, &self.entity) {
            (Some(a), Some(b)) if self.status == Status::Changed => match field {
                Field::Type => a.ty != b.ty,
                Field::Null => a.nullable != b.nullable,
                Field::Default => a.default != b.default,
                Field::Extra => a.extra != b.extra,
            },
            _ => false,
        }
    }
}

/// A part of a column, for [`ColumnRow::differs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Type,
    Null,
    Default,
    Extra,
}

/// A column as one side has it, as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSide {
    /// The type, compactly (`varchar(255)`, `integer`).
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    /// The default as SQL text (`'x'`, `CURRENT_TIMESTAMP`).
    pub default: Option<String>,
    /// Auto-increment, generation expression and comment, as short phrases.
    pub extra: Vec<String>,
}

/// An index, a unique constraint, the primary key or a foreign key on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRow {
    /// The name (index) or what it joins (foreign key).
    pub name: String,
    pub status: Status,
    /// The definition on the current side, if it is there.
    pub database: Option<String>,
    /// The definition on the wanted side, if it is there.
    pub entity: Option<String>,
}

/// A named enum type on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumReport {
    pub name: String,
    pub status: Status,
    pub database: Option<Vec<String>>,
    pub entity: Option<Vec<String>>,
}

/// A lint hazard, as the report carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportHazard {
    /// The stable rule code, e.g. `DL002`.
    pub code: String,
    pub severity: crate::lint::Severity,
    pub message: String,
}
