//! Generated modules compiled into the tests (`tests/fixtures/*.rs`): the
//! check that a fixture on disk is what the generator writes now, and its
//! regeneration with `UPDATE_FIXTURES=1`.

/// Asserts that the file `path` holds exactly `now`, the generator's current
/// output. With `UPDATE_FIXTURES` set, first writes `now` to `path`. `test` is
/// the test target that regenerates it (`cargo test -p tests --test TEST`),
/// named in the failure message.
#[track_caller]
pub fn assert_current(path: &str, now: &str, test: &str) {
    if std::env::var("UPDATE_FIXTURES").is_ok() {
        std::fs::write(path, now).expect("write fixture");
    }
    let on_disk = std::fs::read_to_string(path).expect("read fixture");
    assert!(
        on_disk == now,
        "{path} is stale: regenerate it with UPDATE_FIXTURES=1 cargo test -p tests --test {test}"
    );
}
