//! The differ: actual schema + desired schema → ordered `Vec<Change>`.

use crate::{Change, Dialect, Schema};

/// What the differ compares, as Alembic's `compare_type` and `compare_server_default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    pub compare_type: bool,
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

/// The changes that turn `actual` into `desired`, ordered so they can run as listed.
pub fn diff(actual: &Schema, desired: &Schema, dialect: Dialect, options: &DiffOptions) -> Vec<Change> {
    let _ = (actual, desired, dialect, options);
    Vec::new()
}
