//! The last line of defence: a panic while a migration builds its statements becomes
//! an error naming the migration.
//!
//! sea-query panics (`unimplemented!`) on a type the backend lacks. Generated modules
//! and [`crate::statements::apply`] check portability first ([`crate::portable`]), but
//! a hand-written module can still reach such a panic. [`catch_panics`] runs a
//! migration's future and turns a panic into a [`DbErr`], and while it polls, the
//! panic message is kept out of the terminal (no `thread panicked`, no backtrace):
//! the error says it instead. Panics anywhere else are reported as before.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::task::Poll;

use sea_orm::DbErr;

thread_local! {
    /// Whether a [`catch_panics`] is polling on this thread.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// What every error [`catch_panics`] makes of a panic says.
pub const PANICKED: &str = "building a statement panicked";

/// Installs (once) a panic hook that stays quiet inside [`catch_panics`] and hands
/// every other panic to the hook that was there before.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                // The error says what panicked; where is for `RUST_LOG=debug`.
                tracing::debug!(location = ?info.location(), "caught a panic in a migration");
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `future` (a migration's `up` or `down`, or its capture); a panic inside it
/// becomes `DbErr::Migration` naming `migration` and saying what it was doing
/// (`what`, e.g. `running up on MySQL`).
pub async fn catch_panics<T, F>(migration: &str, what: &str, future: F) -> Result<T, DbErr>
where
    F: Future<Output = Result<T, DbErr>>,
{
    install_hook();
    let mut future = Box::pin(future);
    std::future::poll_fn(|cx| {
        let outer = GUARDED.with(|g| g.replace(true));
        let polled = panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
        GUARDED.with(|g| g.set(outer));
        match polled {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(panic_error(migration, what, payload.as_ref()))),
        }
    })
    .await
}

fn panic_error(migration: &str, what: &str, payload: &(dyn Any + Send)) -> DbErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    DbErr::Migration(format!(
        "migration {migration} failed while {what}: {PANICKED}: {}. The \
         backend probably has no SQL for a type or statement the migration uses; change \
         the migration so that it does not use it on this backend",
        message.trim_end_matches('.')
    ))
}

#[cfg(test)]
mod tests {
    use super::catch_panics;

    #[tokio::test]
    async fn a_panic_becomes_an_error_naming_the_migration() {
        let err = catch_panics("m1_arrays", "running up on MySQL", async {
            if std::hint::black_box(true) {
                unimplemented!("Array is not available in MySQL.");
            }
            Ok::<(), sea_orm::DbErr>(())
        })
        .await
        .expect_err("the panic is an error");
        let text = err.to_string();
        assert!(
            text.contains("migration m1_arrays failed while running up on MySQL")
                && text.contains("Array is not available in MySQL"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn results_pass_through() {
        let ok = catch_panics("m1", "x", async { Ok::<u8, sea_orm::DbErr>(7) }).await;
        assert_eq!(ok.ok(), Some(7));
        let err = catch_panics("m1", "x", async {
            Err::<u8, _>(sea_orm::DbErr::Migration("boom".into()))
        })
        .await;
        assert_eq!(
            err.err().map(|e| e.to_string()),
            Some("Migration Error: boom".into())
        );
    }
}
