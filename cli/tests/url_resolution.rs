//! Where the database is: `-u`, else `DATABASE_URL` from the environment, else
//! from `.env` in the current directory.

mod support;

use support::Sandbox;

/// Whether `file` in the sandbox exists and had the migrations applied.
fn upgraded(s: &Sandbox, file: &str) -> bool {
    if !s.path().join(file).exists() {
        return false;
    }
    let status = s
        .run_raw(&["-u", &s.url_of(file), "status", "--json"], &[])
        .json();
    status["pending"] == serde_json::json!([])
}

#[test]
fn database_url_from_the_environment() {
    let s = Sandbox::new();
    let url = s.url_of("from_env.db");
    s.run_raw(&["upgrade"], &[("DATABASE_URL", &url)]).ok();
    assert!(upgraded(&s, "from_env.db"));
    let status = s
        .run_raw(&["status", "--json"], &[("DATABASE_URL", &url)])
        .json();
    assert_eq!(status["pending"], serde_json::json!([]));
}

#[test]
fn database_url_from_a_dotenv_file() {
    let s = Sandbox::new();
    let url = s.url_of("from_dotenv.db");
    std::fs::write(s.path().join(".env"), format!("DATABASE_URL={url}\n")).expect("write");
    s.run_raw(&["upgrade"], &[]).ok();
    assert!(upgraded(&s, "from_dotenv.db"));
}

#[test]
fn the_environment_wins_over_dotenv() {
    let s = Sandbox::new();
    let dotenv = s.url_of("from_dotenv.db");
    std::fs::write(s.path().join(".env"), format!("DATABASE_URL={dotenv}\n")).expect("write");
    s.run_raw(&["upgrade"], &[("DATABASE_URL", &s.url_of("from_env.db"))])
        .ok();
    assert!(upgraded(&s, "from_env.db"));
    assert!(!s.path().join("from_dotenv.db").exists());
}

#[test]
fn the_flag_wins_over_environment_and_dotenv() {
    let s = Sandbox::new();
    let dotenv = s.url_of("from_dotenv.db");
    std::fs::write(s.path().join(".env"), format!("DATABASE_URL={dotenv}\n")).expect("write");
    let flag = s.url_of("from_flag.db");
    s.run_raw(
        &["-u", &flag, "upgrade"],
        &[("DATABASE_URL", &s.url_of("from_env.db"))],
    )
    .ok();
    assert!(upgraded(&s, "from_flag.db"));
    assert!(!s.path().join("from_env.db").exists());
    assert!(!s.path().join("from_dotenv.db").exists());
}

#[test]
fn verbose_logs_say_where_the_url_came_from() {
    let s = Sandbox::new();
    let run = s.run_raw(&["-v", "status"], &[("DATABASE_URL", &s.url())]);
    run.ok();
    assert!(run.stderr.contains("source=env DATABASE_URL"), "{run:#?}");
    // Not a terminal: no colour codes in the logs.
    assert!(!run.stderr.contains('\u{1b}'), "{run:#?}");
    let run = s.run(&["-v", "status"]);
    assert!(
        run.stderr.contains("source=flag --database-url"),
        "{run:#?}"
    );
}

#[test]
fn a_bad_url_in_the_environment_is_reported_like_a_flag() {
    let s = Sandbox::new();
    s.run_raw(&["status"], &[("DATABASE_URL", "ftp://x")])
        .error(&["unsupported database URL scheme `ftp`"]);
}
