//! Running the real `db-migrate` binary against a SQLite file in a temp dir.
//!
//! Every [`Sandbox`] has its own folder and database, and the child runs in that
//! folder with no database variables from the parent, so tests run in parallel
//! and never see the developer's `.env` or `DATABASE_URL`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::ConnectionTrait;
use sea_orm_migration::MigratorTrait;

/// Variables the CLI reads; always removed from the child's environment.
const CLEARED: &[&str] = &[
    "DATABASE_URL",
    "POSTGRES_SERVER",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "POSTGRES_PORT",
    "DB_MIGRATE_MIGRATION_DIR",
    "DATABASE_SCHEMA",
    "RUST_LOG",
];

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "expected success, got {self:#?}");
        assert_no_panic(self);
        &self.stdout
    }

    /// Asserts exit 0 and parses stdout as exactly one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        let text = self.ok();
        serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {text}"))
    }

    /// Asserts exit 1 with a single `error: ...` line on stderr containing every
    /// one of `needles`, nothing on stdout, and no panic; returns the line.
    #[track_caller]
    pub fn error(&self, needles: &[&str]) -> &str {
        assert_eq!(self.code, Some(1), "expected exit 1, got {self:#?}");
        assert_no_panic(self);
        assert_eq!(
            self.stdout, "",
            "an error prints nothing on stdout: {self:#?}"
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one stderr line: {self:#?}");
        let line = lines[0];
        assert!(line.starts_with("error: "), "stderr: {line}");
        for needle in needles {
            assert!(line.contains(needle), "`{needle}` not in: {line}");
        }
        line
    }
}

#[track_caller]
fn assert_no_panic(run: &Run) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("panicked"), "panic: {run:#?}");
    assert!(!all.contains("stack backtrace"), "backtrace: {run:#?}");
}

/// A temp folder with `app.db` in it.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `sqlite://<tmp>/app.db`.
    pub fn url(&self) -> String {
        self.url_of("app.db")
    }

    /// `sqlite://<tmp>/<file>`.
    pub fn url_of(&self, file: &str) -> String {
        format!("sqlite://{}", self.path().join(file).display())
    }

    /// Runs `db-migrate -u <url> ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        let url = self.url();
        let mut all = vec!["-u", url.as_str()];
        all.extend_from_slice(args);
        self.run_raw(&all, &[])
    }

    /// `db-migrate ARGS` in the sandbox, with extra environment variables and
    /// no `-u`, not started yet (for tests that stop it midway).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_db-migrate"));
        cmd.args(args).current_dir(self.path());
        for name in CLEARED {
            cmd.env_remove(name);
        }
        // A panic would print a backtrace, which the assertions look for.
        cmd.env("RUST_BACKTRACE", "1");
        cmd.envs(env.iter().copied());
        cmd
    }

    /// Runs `db-migrate ARGS` with extra environment variables and no `-u`.
    pub fn run_raw(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = self.command(args, env).output().expect("run db-migrate");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `db-migrate ARGS` under a pseudo-terminal (util-linux `script`),
    /// typing `input`, as a user answering its questions. Without `script` the
    /// test is skipped with a message, and fails under `CI=true`.
    pub fn run_in_terminal(&self, args: &[String], input: &str) -> Option<Run> {
        use std::io::Write;
        use std::process::Stdio;

        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = quote(env!("CARGO_BIN_EXE_db-migrate"));
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .current_dir(self.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in CLEARED {
            cmd.env_remove(name);
        }
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true and `script` (util-linux) cannot run: {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED a terminal prompt test: cannot run `script` ({e})");
                return None;
            }
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("type the answer");
        let out = child.wait_with_output().expect("script");
        Some(Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Runs SQL on `app.db` directly, as someone editing the database by hand.
    pub fn sql(&self, sql: &str) {
        self.sql_on("app.db", sql);
    }

    /// Runs SQL on the sandbox's SQLite file `file` directly.
    pub fn sql_on(&self, file: &str, sql: &str) {
        let url = format!("{}?mode=rwc", self.url_of(file));
        block_on(async {
            let db = sea_orm::Database::connect(url).await.expect("connect");
            db.execute_unprepared(sql).await.expect("sql");
            db.close().await.expect("close");
        });
    }

    /// The first column of every row of `sql` on the SQLite file `file`, as text.
    pub fn strings_on(&self, file: &str, sql: &str) -> Vec<String> {
        let url = format!("{}?mode=ro", self.url_of(file));
        block_on(async {
            let db = sea_orm::Database::connect(url).await.expect("connect");
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    sql,
                ))
                .await
                .expect("query");
            let out = rows
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).expect("a text column"))
                .collect();
            db.close().await.expect("close");
            out
        })
    }

    /// Names of the tables in `app.db`.
    pub fn tables(&self) -> Vec<String> {
        let url = format!("{}?mode=rwc", self.url());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let db = sea_orm::Database::connect(url).await.expect("connect");
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
                ))
                .await
                .expect("query");
            let names = rows
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).expect("name"))
                .collect();
            db.close().await.expect("close");
            names
        })
    }

    /// A migration crate `src` folder holding only a `lib.rs` that lists the
    /// compiled migrations, as `migration/src/lib.rs` does.
    pub fn migration_dir(&self) -> PathBuf {
        let dir = self.path().join("mig").join("src");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let versions = versions();
        let mods: String = versions.iter().map(|v| format!("mod {v};\n")).collect();
        let entries: String = versions
            .iter()
            .map(|v| format!("            Box::new({v}::Migration),\n"))
            .collect();
        let lib = format!(
            "//! Migrations.\n\npub use sea_orm_migration::prelude::*;\n\n{mods}\n\
             pub struct Migrator;\n\n#[async_trait::async_trait]\n\
             impl MigratorTrait for Migrator {{\n    \
             fn migrations() -> Vec<Box<dyn MigrationTrait>> {{\n        vec![\n{entries}        ]\n    }}\n}}\n"
        );
        std::fs::write(dir.join("lib.rs"), lib).expect("write lib.rs");
        dir
    }
}

fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(work)
}

/// The migrations compiled into the binary, in order.
pub fn versions() -> Vec<String> {
    migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// The files of `dir`, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether `name` is `mYYYYMMDD_HHMMSS_<slug>`.
pub fn is_module_name(name: &str, slug: &str) -> bool {
    let b = name.as_bytes();
    name.len() == 17 + slug.len()
        && b[0] == b'm'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'_'
        && b[10..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'_'
        && name.ends_with(slug)
}

/// Whether `s` is a UTC time like `2026-11-21T22:35:27Z`.
pub fn is_utc_time(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}
