//! `db-migrate serve` as operators run it: it refuses to start without a token,
//! with a weak token or on a non-loopback address (without --allow-remote), and
//! once started answers the API with the environment's tokens.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_db-migrate");
const OPERATOR: &str = "serve-operator-token-0123456789";

/// Variables the CLI reads; removed from the child's environment.
const CLEARED: &[&str] = &[
    "DATABASE_URL",
    "POSTGRES_SERVER",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "POSTGRES_PORT",
    "DATABASE_SCHEMA",
    "RUST_LOG",
    "DB_MIGRATE_OPERATOR_TOKEN",
    "DB_MIGRATE_VIEWER_TOKEN",
];

fn command(dir: &std::path::Path, args: &[&str], tokens: &[(&str, &str)]) -> Command {
    let url = format!("sqlite://{}/app.db?mode=rwc", dir.display());
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(["-u", &url, "serve"]).args(args);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    for (var, value) in tokens {
        cmd.env(var, value);
    }
    cmd
}

#[track_caller]
fn refused(dir: &std::path::Path, args: &[&str], tokens: &[(&str, &str)], needle: &str) {
    let out = command(dir, args, tokens).output().expect("run db-migrate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(needle),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for (_, value) in tokens {
        assert!(!stderr.contains(value), "a token is shown: {stderr}");
    }
}

#[test]
fn serve_refuses_to_start_unsafely() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let bind = ["--bind", "127.0.0.1:0"];
    refused(dir, &bind, &[], "no token configured");
    refused(
        dir,
        &bind,
        &[("DB_MIGRATE_VIEWER_TOKEN", "tooshort1")],
        "shorter than 16 characters",
    );
    refused(
        dir,
        &bind,
        &[
            ("DB_MIGRATE_OPERATOR_TOKEN", OPERATOR),
            ("DB_MIGRATE_VIEWER_TOKEN", OPERATOR),
        ],
        "configured twice",
    );
    refused(
        dir,
        &["--bind", "0.0.0.0:0"],
        &[("DB_MIGRATE_OPERATOR_TOKEN", OPERATOR)],
        "--allow-remote",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_with_the_environment_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = [("DB_MIGRATE_OPERATOR_TOKEN", format!(" ,{OPERATOR}, "))];
    let tokens: Vec<(&str, &str)> = tokens.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = command(dir.path(), &["--bind", "127.0.0.1:0"], &tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start db-migrate serve");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("read the first line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    let client = reqwest::Client::new();
    let me = client
        .get(format!("{base}/api/me"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .expect("GET /api/me");
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.expect("JSON");
    assert_eq!(me["role"], "operator");
    let status = client
        .get(format!("{base}/api/status"))
        .send()
        .await
        .expect("GET /api/status");
    assert_eq!(status.status(), 401);
    let page = client.get(format!("{base}/")).send().await.expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    child.kill().expect("stop the server");
    child.wait().expect("wait for the server");
}
