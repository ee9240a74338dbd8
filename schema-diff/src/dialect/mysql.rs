//! mysql normalization.

use crate::ir::Schema;

/// See [`crate::Dialect::normalize_schema`].
pub fn normalize_schema(schema: &Schema) -> Schema {
    schema.clone()
}
