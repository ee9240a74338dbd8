//! The test side of the child-process tests (`faults_*`, `runner_kill`,
//! `data_migrations`): a runtime, a child whose stdout lines arrive on a
//! channel, waiting for its markers with a deadline, killing or finishing it,
//! the lock its migration waits on, and the recorded migration history.
//!
//! The children themselves are in `src/bin/` and use [`crate::child`].

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, sqlx};
use sea_orm_migration::SchemaManager;

use crate::{Backend, Scratch};

/// How long a child may take to print its next line, or to exit.
const PATIENCE: Duration = Duration::from_secs(60);

/// A two-worker runtime for a test's async parts.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `program` with `args` to the end: exit code (`None` when killed by
/// a signal), stdout and stderr.
pub fn run(program: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("run the child");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running child process, with its stdout lines on a channel.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `program` with `args`, stdout and stderr piped.
    pub fn start(program: &str, args: &[&str]) -> Running {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// Waits for the child's next stdout line and requires it to be
    /// `expected`; otherwise kills the child and panics with its stderr.
    #[track_caller]
    pub fn expect_line(&mut self, expected: &str) {
        let line = self.lines.recv_timeout(PATIENCE);
        if line.as_deref() != Ok(expected) {
            let stderr = self.stop();
            panic!("expected `{expected}`, got {line:?}; stderr: {stderr}");
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Skips stdout lines until the child prints `expected`; kills the child
    /// and panics with its stderr when that takes too long or stdout ends.
    #[track_caller]
    pub fn wait_for_line(&mut self, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == expected => return,
                Ok(_) => {}
                Err(e) => {
                    let stderr = self.stop();
                    panic!("the child never printed `{expected}`: {e}; stderr: {stderr}");
                }
            }
        }
    }

    /// Kills the child (SIGKILL), checks that the signal ended it, and
    /// returns its pid.
    #[track_caller]
    pub fn kill(mut self) -> u32 {
        let pid = self.child.id();
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().expect("wait");
        assert_eq!(status.code(), None, "killed by a signal");
        pid
    }

    /// Waits (with a deadline) for the child to exit: its exit code, the
    /// stdout lines not read yet, and stderr.
    #[track_caller]
    pub fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                panic!("the child did not finish: {}", self.stop());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout: String = self.lines.try_iter().map(|l| l + "\n").collect();
        (status.code(), stdout, self.stderr())
    }

    /// Kills the child and returns its stderr.
    fn stop(&mut self) -> String {
        self.child.kill().ok();
        self.stderr()
    }

    /// Waits for the child and reads its stderr.
    fn stderr(&mut self) -> String {
        self.child.wait().ok();
        let mut text = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut text).ok();
        }
        text
    }
}

/// The lock a child's `block` mode waits for (see
/// [`crate::child::block_sql`]), held on a connection of its own.
pub enum Blocker {
    /// PostgreSQL advisory lock 424242.
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    /// MySQL `GET_LOCK('dbm_block:<database>')`.
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    /// SQLite: nothing to hold (the child blocks in an endless query).
    None,
}

impl Blocker {
    /// Takes the lock in `scratch`'s database.
    pub async fn hold(scratch: &Scratch) -> Blocker {
        match scratch.backend {
            Backend::Postgres => {
                let pool = scratch.db.get_postgres_connection_pool();
                let mut conn = pool.acquire().await.expect("connection");
                sqlx::query("SELECT pg_advisory_lock(424242)")
                    .execute(&mut *conn)
                    .await
                    .expect("lock");
                Blocker::Postgres(conn)
            }
            Backend::MySql => {
                let pool = scratch.db.get_mysql_connection_pool();
                let mut conn = pool.acquire().await.expect("connection");
                let got: i64 = sqlx::query_scalar(
                    "SELECT CAST(GET_LOCK(CONCAT('dbm_block:', DATABASE()), 0) AS SIGNED)",
                )
                .fetch_one(&mut *conn)
                .await
                .expect("lock");
                assert_eq!(got, 1);
                Blocker::MySql(conn)
            }
            Backend::Sqlite => Blocker::None,
        }
    }

    /// Releases the lock by closing its connection.
    pub async fn release(self) {
        match self {
            Blocker::Postgres(conn) => conn.close().await.expect("release the blocker"),
            Blocker::MySql(conn) => conn.close().await.expect("release the blocker"),
            Blocker::None => {}
        }
    }
}

/// Whether the table `name` exists.
pub async fn has_table(db: &DatabaseConnection, name: &str) -> bool {
    SchemaManager::new(db)
        .has_table(name)
        .await
        .expect("has_table")
}

/// The versions in `seaql_migrations`, in order, duplicates included; none
/// when the table does not exist (on SQLite a killed run's tables vanish with
/// its transaction).
pub async fn history(db: &DatabaseConnection) -> Vec<String> {
    if !has_table(db, "seaql_migrations").await {
        return Vec::new();
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .expect("seaql_migrations");
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("version"))
        .collect()
}
