//! A batched backfill ([`schema_diff::data::Backfill`]) against one plain
//! `UPDATE` of the whole table, on every backend.
//!
//! ```text
//! cargo bench -p schema-diff --bench backfill
//! cargo bench -p schema-diff --bench backfill -- postgres --rows 200000 --batch 5000
//! ```
//!
//! For each backend, a scratch database (a temporary SQLite file;
//! `dbm_bench_backfill` on PostgreSQL and MariaDB/MySQL, dropped at the end)
//! gets `items(id, a, b, counter, total)` with `--rows` rows (default
//! 1,000,000). Then, each on a table reset to `total = NULL` (and vacuumed on
//! PostgreSQL):
//!
//! - `plain UPDATE`: `UPDATE items SET total = a + b, counter = counter + 1`;
//! - `backfill`: the same update as a [`Backfill`] of `--batch` rows (default
//!   [`schema_diff::data::DEFAULT_BATCH_SIZE`]), with the peak resident set
//!   during it (`VmHWM`, reset through `/proc/self/clear_refs` just before);
//! - `resume`: the backfill again in a child process (this binary with
//!   `--child`) killed once past half the rows, then resumed here: the time
//!   from the start of the resumed run to its first committed batch, and to
//!   its end.
//!
//! Every run checks that every row was updated exactly once (`counter = 1`).
//! Servers: `DBM_BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432`), `DBM_BENCH_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schema_diff::data::{Backfill, DEFAULT_BATCH_SIZE, Progress, ProgressSink};
use schema_diff::sql_text::quote_ident_for;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, UpdateStatement};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

const DB_NAME: &str = "dbm_bench_backfill";

type Res<T> = Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn update(u: &mut UpdateStatement) {
    u.value(
        Alias::new("total"),
        Expr::col(Alias::new("a")).add(Expr::col(Alias::new("b"))),
    )
    .value(
        Alias::new("counter"),
        Expr::col(Alias::new("counter")).add(1),
    );
}

fn backfill(batch: u64) -> Backfill {
    Backfill::new("m_bench", "total")
        .table(Alias::new("items"))
        .key(Alias::new("id"))
        .batch_size(batch)
}

/// Sends nothing anywhere: the bench measures the backfill, not the logging.
struct Quiet;
impl ProgressSink for Quiet {
    fn start(&self, _: &Progress) {}
    fn batch(&self, _: &Progress) {}
    fn finish(&self, _: &Progress) {}
}

/// Prints rows done after each batch (the child the parent kills).
struct Printer;
impl ProgressSink for Printer {
    fn start(&self, _: &Progress) {}
    fn batch(&self, p: &Progress) {
        println!("ROWS {}", p.rows_done);
    }
    fn finish(&self, _: &Progress) {}
}

/// Records when the first batch committed.
struct FirstBatch(Mutex<Option<Instant>>);
impl ProgressSink for FirstBatch {
    fn start(&self, _: &Progress) {}
    fn batch(&self, _: &Progress) {
        let mut first = self.0.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert_with(Instant::now);
    }
    fn finish(&self, _: &Progress) {}
}

struct Config {
    backends: Vec<String>,
    rows: i64,
    batch: u64,
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if let [flag, url, batch] = args.as_slice()
        && flag == "--child"
    {
        let batch = batch.parse().unwrap_or(DEFAULT_BATCH_SIZE);
        let result = rt.block_on(async {
            let db = Database::connect(url.as_str()).await.map_err(err)?;
            backfill(batch)
                .progress(Arc::new(Printer))
                .run(&db, update)
                .await
                .map_err(err)
        });
        if let Err(e) = result {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "| backend | rows | batch | plain UPDATE (s) | plain rows/s | backfill (s) | backfill rows/s | ratio | peak RSS (MB) | resume: first batch (ms) | resume: rest (s) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for backend in &config.backends {
        match rt.block_on(one_backend(backend, &config)) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("error: {backend}: {e}");
                std::process::exit(1);
            }
        }
    }
}

fn parse(args: &[String]) -> Res<Config> {
    let mut config = Config {
        backends: Vec::new(),
        rows: 1_000_000,
        batch: DEFAULT_BATCH_SIZE,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "sqlite" | "postgres" | "mysql" => config.backends.push(arg.clone()),
            "--rows" => {
                config.rows = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rows needs a number")?
            }
            "--batch" => {
                config.batch = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--batch needs a number")?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if config.backends.is_empty() {
        config.backends = ["sqlite", "postgres", "mysql"].map(String::from).to_vec();
    }
    Ok(config)
}

/// The scratch database's URL, and a way to drop it.
async fn scratch(
    backend: &str,
) -> Res<(
    String,
    Option<(DatabaseConnection, String)>,
    Option<tempfile::TempDir>,
)> {
    let server = match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().map_err(err)?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            return Ok((url, None, Some(dir)));
        }
        "postgres" => std::env::var("DBM_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
        _ => std::env::var("DBM_BENCH_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
    };
    let admin_url = if backend == "postgres" {
        format!("{server}/postgres")
    } else {
        server.clone()
    };
    let admin = Database::connect(admin_url.as_str()).await.map_err(err)?;
    let name = quote_ident_for(admin.get_database_backend(), DB_NAME);
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .map_err(err)?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(err)?;
    Ok((format!("{server}/{DB_NAME}"), Some((admin, name)), None))
}

async fn create_items(db: &DatabaseConnection, rows: i64) -> Res<()> {
    db.execute_unprepared(
        "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, a INTEGER NOT NULL, \
         b INTEGER NOT NULL, counter INTEGER NOT NULL DEFAULT 0, total BIGINT NULL)",
    )
    .await
    .map_err(err)?;
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    if sqlite {
        db.execute_unprepared("BEGIN").await.map_err(err)?;
    }
    let mut start = 1;
    while start <= rows {
        let end = Ord::min(start + 4_999, rows);
        let values: Vec<String> = (start..=end)
            .map(|id| format!("({id},{id},{})", 2 * id))
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO items (id, a, b) VALUES {}",
            values.join(",")
        ))
        .await
        .map_err(err)?;
        start = end + 1;
    }
    if sqlite {
        db.execute_unprepared("COMMIT").await.map_err(err)?;
    }
    Ok(())
}

async fn reset(db: &DatabaseConnection) -> Res<()> {
    db.execute_unprepared("UPDATE items SET total = NULL, counter = 0")
        .await
        .map_err(err)?;
    db.execute_unprepared("DELETE FROM db_migrate_data_progress")
        .await
        .ok();
    settle(db).await
}

/// Dead rows out of the way, statistics fresh: each measured run starts alike.
async fn settle(db: &DatabaseConnection) -> Res<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => db
            .execute_unprepared("VACUUM ANALYZE items")
            .await
            .map_err(err)?,
        DbBackend::MySql => db
            .execute_unprepared("ANALYZE TABLE items")
            .await
            .map_err(err)?,
        _ => db.execute_unprepared("VACUUM").await.map_err(err)?,
    };
    Ok(())
}

/// Fails unless every row was updated exactly once.
async fn check_once(db: &DatabaseConnection, rows: i64) -> Res<()> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM items WHERE counter = 1 AND total = a + b",
        ))
        .await
        .map_err(err)?
        .ok_or("no answer")?;
    let once: i64 = row.try_get_by_index(0).map_err(err)?;
    if once != rows {
        return Err(format!("{once} of {rows} rows updated exactly once"));
    }
    Ok(())
}

async fn one_backend(backend: &str, config: &Config) -> Res<String> {
    eprintln!("{backend}: creating {} rows", config.rows);
    let (url, admin, _dir) = scratch(backend).await?;
    let db = Database::connect(url.as_str()).await.map_err(err)?;
    create_items(&db, config.rows).await?;
    settle(&db).await?;

    eprintln!("{backend}: plain UPDATE");
    let started = Instant::now();
    db.execute_unprepared("UPDATE items SET total = a + b, counter = counter + 1")
        .await
        .map_err(err)?;
    let plain = started.elapsed().as_secs_f64();
    check_once(&db, config.rows).await?;
    reset(&db).await?;

    eprintln!("{backend}: backfill");
    let probe = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    if !probe {
        eprintln!("   note: /proc/self/clear_refs not writable; the peak is the process's");
    }
    let started = Instant::now();
    backfill(config.batch)
        .progress(Arc::new(Quiet))
        .run(&db, update)
        .await
        .map_err(err)?;
    let batched = started.elapsed().as_secs_f64();
    let peak = peak_mb();
    check_once(&db, config.rows).await?;
    reset(&db).await?;

    eprintln!("{backend}: killed at half, resumed");
    kill_past_half(&url, config).await?;
    let first = Arc::new(FirstBatch(Mutex::new(None)));
    let started = Instant::now();
    backfill(config.batch)
        .progress(first.clone())
        .run(&db, update)
        .await
        .map_err(err)?;
    let total = started.elapsed();
    let first_at = first.0.lock().map_err(err)?.map_or(total, |t| t - started);
    check_once(&db, config.rows).await?;

    db.close().await.map_err(err)?;
    if let Some((admin, name)) = admin {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .map_err(err)?;
    }
    let rate = |s: f64| config.rows as f64 / s;
    Ok(format!(
        "| {backend} | {} | {} | {plain:.2} | {:.0} | {batched:.2} | {:.0} | {:.0}% | {peak:.1} | {:.0} | {:.2} |",
        config.rows,
        config.batch,
        rate(plain),
        rate(batched),
        100.0 * plain / batched,
        first_at.as_secs_f64() * 1000.0,
        total.as_secs_f64(),
    ))
}

/// Runs the backfill in a child process and kills it once past half the rows.
async fn kill_past_half(url: &str, config: &Config) -> Res<()> {
    let exe = std::env::current_exe().map_err(err)?;
    let mut child = Command::new(exe)
        .args(["--child", url, &config.batch.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(err)?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let half = config.rows / 2;
    let reached = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| {
                l.strip_prefix("ROWS ")
                    .and_then(|n| n.parse::<i64>().ok())
                    .is_some_and(|n| n >= half)
            })
    })
    .await
    .map_err(err)?;
    child.kill().map_err(err)?;
    child.wait().map_err(err)?;
    if !reached {
        return Err("the child ended before half the rows".into());
    }
    // Let the server notice the dead connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
