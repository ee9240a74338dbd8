//! The schema-migration engine: IR, introspection, diff, order, lint and render.
//!
//! The pipeline runs one way, with [`Change`] as its only currency:
//!
//! ```text
//! entities ──(desired)──┐
//!                       ├─► normalize (per dialect) ─► diff ─► Vec<Change> ─► order ─► render
//! live DB ──(introspect)┘
//! ```

pub mod backends;
pub mod capture;
pub mod change;
pub mod data;
pub mod desired;
pub mod dialect;
pub mod diff;
pub mod display;
pub mod error;
pub mod guard;
pub mod health;
pub mod introspect;
pub mod ir;
pub mod lint;
pub mod names;
pub mod nodelay;
pub mod order;
pub mod portable;
pub mod process;
pub mod pull;
pub mod reach;
pub mod render;
pub mod report;
pub mod reverse;
pub mod runner;
pub mod runtime;
pub mod sql_text;
pub mod startup;
pub mod statements;

pub use backends::Backends;
pub use change::Change;
pub use dialect::Dialect;
pub use diff::{DiffOptions, diff};
pub use error::Error;
pub use ir::*;
