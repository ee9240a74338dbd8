//! Data safety: before pending migrations run, `upgrade --dry-run` and `check` count
//! the rows of this database they cannot keep. A migration narrowing a column to
//! three characters, over rows holding longer values, is reported with the count
//! (PostgreSQL and MariaDB; SQLite's narrowing runs through a rebuild, whose
//! preflight `data_safety_narrowing` covers).

use std::process::Command;

use sea_orm::ConnectionTrait;
use tests::{Backend, Scratch};

fn cli(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_narrowing_cli"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("run narrowing_cli");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn run(backend: Backend) -> bool {
    let Some(scratch) = Scratch::new(backend, "preflight_cli").await else {
        return false;
    };
    let url = scratch.url.as_str();
    let (code, _, err) = cli(&["-u", url, "upgrade", "m20990101_000001"]);
    assert_eq!(code, Some(0), "{backend:?}: {err}");
    scratch
        .db
        .execute_unprepared("INSERT INTO narrow_t (name) VALUES ('ok'), ('far too long'), ('abcd')")
        .await
        .expect("seed");

    let (code, out, err) = cli(&["-u", url, "upgrade", "--dry-run"]);
    assert_eq!(code, Some(0), "{backend:?}: {err}");
    assert!(
        out.contains(
            "-- hazard DL003 danger: 2 rows of narrow_t have a value in name that does not fit"
        ),
        "{backend:?}: {out}"
    );

    let (code, out, err) = cli(&["-u", url, "check", "--json", "--deny", "danger"]);
    assert_eq!(code, Some(2), "{backend:?}: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let found = report["hazards"]
        .as_array()
        .expect("hazards")
        .iter()
        .any(|h| {
            h["source"] == "pending"
                && h["code"] == "DL003"
                && h["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("2 rows of narrow_t"))
        });
    assert!(found, "{backend:?}: {report:#}");

    let count = scratch
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            scratch.db.get_database_backend(),
            "SELECT COUNT(*) FROM narrow_t",
        ))
        .await
        .expect("count")
        .and_then(|row| row.try_get_by_index::<i64>(0).ok());
    assert_eq!(count, Some(3), "{backend:?}: the dry run changed rows");
    scratch.cleanup().await;
    true
}

#[tokio::test]
async fn pending_narrowing_is_counted_before_it_runs() {
    tests::backend::for_each_backend([Backend::Postgres, Backend::MySql], run).await;
}
