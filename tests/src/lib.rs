//! Shared support for the end-to-end tests: scratch databases on every backend,
//! migrations interpreted from a change list, the convergence check, headless
//! Chromium for browser tests, child processes on both sides ([`child`] for the
//! binaries in `src/bin/`, [`spawned`] for the tests that run them), the
//! migration lock held as another run holds it ([`migration_lock`]), and the
//! freshness check of generated fixtures ([`fixture`]).

pub mod backend;
pub mod browser;
pub mod build;
pub mod cases;
pub mod child;
pub mod converge;
pub mod data;
pub mod every_change;
pub mod fixture;
pub mod hostile;
pub mod interpreted;
pub mod kitchen;
pub mod migration_lock;
pub mod sample_ddl;
pub mod spawned;

pub use backend::{Backend, Scratch};
