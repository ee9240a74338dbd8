//! Whole-process latency of `db-migrate health`, `status` and `diff`, on plain
//! and TLS connections, on PostgreSQL and MySQL/MariaDB.
//!
//! ```text
//! cargo bench -p cli --bench latency
//! cargo bench -p cli --bench latency -- --backends postgres --runs 20 --tables 1000
//! ```
//!
//! For each backend, scratch databases (`dbm_latency_<pid>_head`, `_a`, `_b`,
//! dropped at the end) are created: one upgraded to the head migration, and two
//! of `--tables` benchmark tables that differ by one column. The `db-migrate`
//! binary of this build (the bench profile, optimized as `--release`) then runs
//! `--warmup` times, then `--runs` times, for each command and connection:
//!
//! - `plain`: `sslmode=disable` (PostgreSQL), `ssl-mode=DISABLED` (MySQL);
//! - `TLS`: `sslmode=require`, `ssl-mode=REQUIRED`;
//! - `TLS, no relay`: the same with `DB_MIGRATE_NODELAY_RELAY=off`, which shows
//!   what the `TCP_NODELAY` relay saves, and whether it is still needed.
//!
//! A server without TLS gets `-` in the TLS columns. Times are medians in ms.
//!
//! | argument | variable | default |
//! |---|---|---|
//! | `--backends postgres,mysql` | `DBM_BENCH_BACKENDS` | both |
//! | `--runs 10` | `DBM_BENCH_RUNS` | `10` |
//! | `--warmup 2` | `DBM_BENCH_WARMUP` | `2` |
//! | `--tables 1000` | `DBM_BENCH_TABLES` | `1000` (`0`: no `diff`) |
//! | | `DBM_BENCH_POSTGRES_URL` | `postgres://postgres@127.0.0.1:5432` |
//! | | `DBM_BENCH_MYSQL_URL` | `mysql://root@127.0.0.1:3306` |
//!
//! The server URLs name no database and carry no options.

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

const BINARY: &str = env!("CARGO_BIN_EXE_db-migrate");

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backend {
    Postgres,
    MySql,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    fn server(self) -> String {
        let (variable, default) = match self {
            Backend::Postgres => (
                "DBM_BENCH_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432",
            ),
            Backend::MySql => ("DBM_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306"),
        };
        std::env::var(variable).unwrap_or_else(|_| default.to_string())
    }

    fn plain(self) -> &'static str {
        match self {
            Backend::Postgres => "sslmode=disable",
            Backend::MySql => "ssl-mode=DISABLED",
        }
    }

    fn tls(self) -> &'static str {
        match self {
            Backend::Postgres => "sslmode=require",
            Backend::MySql => "ssl-mode=REQUIRED",
        }
    }
}

struct Config {
    backends: Vec<Backend>,
    runs: usize,
    warmup: usize,
    tables: usize,
}

fn option(args: &[String], flag: &str, variable: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(variable).ok())
}

fn number(args: &[String], flag: &str, variable: &str, default: usize) -> Result<usize, String> {
    match option(args, flag, variable) {
        Some(text) => text
            .parse()
            .map_err(|_| format!("{flag}: `{text}` is not a number")),
        None => Ok(default),
    }
}

impl Config {
    fn read() -> Result<Config, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let backends = match option(&args, "--backends", "DBM_BENCH_BACKENDS") {
            None => vec![Backend::Postgres, Backend::MySql],
            Some(list) => list
                .split(',')
                .map(|name| match name.trim() {
                    "postgres" => Ok(Backend::Postgres),
                    "mysql" | "mariadb" => Ok(Backend::MySql),
                    other => Err(format!("unknown backend `{other}`")),
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Config {
            backends,
            runs: number(&args, "--runs", "DBM_BENCH_RUNS", 10)?.max(1),
            warmup: number(&args, "--warmup", "DBM_BENCH_WARMUP", 2)?,
            tables: number(&args, "--tables", "DBM_BENCH_TABLES", 1000)?,
        })
    }
}

/// `server` with `database` and the URL options `options`.
fn url(server: &str, database: &str, options: &str) -> String {
    format!("{}/{database}?{options}", server.trim_end_matches('/'))
}

/// The wall time in ms of one run of the binary with `args`, which must exit
/// with `code`; `relay: false` turns the `TCP_NODELAY` relay off.
fn run_ms(args: &[&str], relay: bool, code: i32) -> Result<f64, String> {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !relay {
        command.env(schema_diff::nodelay::RELAY_VARIABLE, "off");
    }
    let start = Instant::now();
    let output = command.output().map_err(|e| format!("{BINARY}: {e}"))?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    if output.status.code() != Some(code) {
        return Err(format!(
            "`db-migrate {}` exited with {:?}, not {code}: {}",
            args.iter()
                .find(|a| !a.contains("://") && !a.starts_with('-'))
                .copied()
                .unwrap_or(""),
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(elapsed)
}

/// The median of `config.runs` runs of [`run_ms`] for each of `variants`
/// (arguments, relay on), after `config.warmup` runs. The variants take turns
/// run by run, so that a change in the machine's load hits them alike. A
/// variant that fails (a server without TLS) is left out with its error.
fn medians_ms(
    variants: &[(Vec<String>, bool)],
    code: i32,
    config: &Config,
) -> Vec<Result<f64, String>> {
    let mut times: Vec<Result<Vec<f64>, String>> = vec![Ok(Vec::new()); variants.len()];
    for run in 0..config.warmup + config.runs {
        for ((args, relay), times) in variants.iter().zip(times.iter_mut()) {
            let Ok(list) = times else { continue };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match run_ms(&args, *relay, code) {
                Ok(ms) if run >= config.warmup => list.push(ms),
                Ok(_) => {}
                Err(e) => *times = Err(e),
            }
        }
    }
    times
        .into_iter()
        .map(|times| {
            let mut times = times?;
            times.sort_by(f64::total_cmp);
            let middle = times.len() / 2;
            Ok(if times.len() % 2 == 0 {
                (times[middle - 1] + times[middle]) / 2.0
            } else {
                times[middle]
            })
        })
        .collect()
}

/// A row of the three connections of `backend`: `args` runs with `-u` (or
/// `--from`/`--to`) URLs built by `urls` from the URL options.
fn measure_row(
    backend: Backend,
    command: String,
    urls: impl Fn(&str) -> Vec<String>,
    code: i32,
    target: Option<f64>,
    config: &Config,
) -> Result<Row, String> {
    let variants = vec![
        (urls(backend.plain()), true),
        (urls(backend.tls()), true),
        (urls(backend.tls()), false),
    ];
    let mut medians = medians_ms(&variants, code, config).into_iter();
    let what = format!("{} {command}", backend.name());
    let mut next = || medians.next().unwrap_or_else(|| Err("not run".into()));
    Ok(Row {
        backend,
        command,
        plain: next()?,
        tls: tls_figure(&what, next()),
        tls_no_relay: tls_figure(&what, next()),
        target,
    })
}

/// A TLS figure, or `None` with the reason on stderr (a server without TLS).
fn tls_figure(what: &str, measured: Result<f64, String>) -> Option<f64> {
    measured
        .map_err(|e| eprintln!("{what}: no TLS figure: {e}"))
        .ok()
}

struct Row {
    backend: Backend,
    command: String,
    plain: f64,
    tls: Option<f64>,
    tls_no_relay: Option<f64>,
    target: Option<f64>,
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), String> {
    db.execute_unprepared(sql)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}"))
}

/// The benchmark tables of docs/performance.md: ten columns, a foreign key, a
/// unique constraint and an index each.
fn create_tables(backend: Backend, n: usize) -> Vec<String> {
    let (id, boolean) = match backend {
        Backend::Postgres => ("serial PRIMARY KEY", "boolean DEFAULT true"),
        Backend::MySql => ("integer AUTO_INCREMENT PRIMARY KEY", "boolean DEFAULT true"),
    };
    let mut batches = Vec::new();
    let mut batch = String::new();
    for i in 0..n {
        let parent = if i % 2 == 0 && i > 0 { i - 1 } else { 0 };
        batch.push_str(&format!(
            "CREATE TABLE t{i:05} (id {id}, parent_id integer NULL, code varchar(32), \
             name varchar(255) DEFAULT '', body text NULL, amount numeric(10,2) DEFAULT 0, \
             active {boolean}, created_at timestamp DEFAULT CURRENT_TIMESTAMP, \
             updated_at timestamp NULL, qty integer NULL, \
             CONSTRAINT t{i:05}_code_key UNIQUE (code), \
             CONSTRAINT t{i:05}_parent_fkey FOREIGN KEY (parent_id) REFERENCES t{parent:05} (id));\n\
             CREATE INDEX t{i:05}_name_idx ON t{i:05} (name);\n"
        ));
        if (i + 1) % 200 == 0 {
            batches.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

async fn bench_backend(backend: Backend, config: &Config) -> Result<Vec<Row>, String> {
    let server = backend.server();
    let admin_db = match backend {
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    };
    let admin = Database::connect(url(&server, admin_db, backend.plain()))
        .await
        .map_err(|e| format!("{}: {e}", backend.name()))?;
    let prefix = format!("dbm_latency_{}", std::process::id());
    let names = [
        format!("{prefix}_head"),
        format!("{prefix}_a"),
        format!("{prefix}_b"),
    ];
    let result = async {
        for name in &names {
            exec(&admin, &format!("CREATE DATABASE {name}")).await?;
        }
        let at = |name: &str, options: &str| url(&server, name, options);
        run_ms(&["-u", &at(&names[0], backend.plain()), "upgrade"], true, 0)?;
        if config.tables > 0 {
            for name in &names[1..] {
                let db = Database::connect(at(name, backend.plain()))
                    .await
                    .map_err(|e| format!("{e}"))?;
                for batch in create_tables(backend, config.tables) {
                    exec(&db, &batch).await?;
                }
                db.close().await.ok();
            }
            let db = Database::connect(at(&names[2], backend.plain()))
                .await
                .map_err(|e| format!("{e}"))?;
            exec(&db, "ALTER TABLE t00000 ADD COLUMN extra integer NULL").await?;
            db.close().await.ok();
        }
        let mut rows = Vec::new();
        for (command, target) in [("health", Some(1.3)), ("status", None)] {
            let urls =
                |options: &str| vec!["-u".into(), at(&names[0], options), command.to_string()];
            rows.push(measure_row(
                backend,
                command.into(),
                urls,
                0,
                target,
                config,
            )?);
        }
        if config.tables > 0 {
            let urls = |options: &str| {
                [
                    "diff",
                    "--from",
                    &at(&names[1], options),
                    "--to",
                    &at(&names[2], options),
                    "--json",
                ]
                .map(String::from)
                .to_vec()
            };
            let command = format!("diff --json, {} tables", config.tables);
            rows.push(measure_row(backend, command, urls, 2, Some(1.2), config)?);
        }
        Ok::<_, String>(rows)
    }
    .await;
    for name in &names {
        let drop = match backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            Backend::MySql => format!("DROP DATABASE IF EXISTS {name}"),
        };
        if let Err(e) = exec(&admin, &drop).await {
            eprintln!("cannot drop {name}: {e}");
        }
    }
    admin.close().await.ok();
    result
}

fn print(rows: &[Row]) {
    let shown = |ms: Option<f64>| ms.map_or("-".to_string(), |ms| format!("{ms:.1}"));
    println!(
        "| backend | command | plain (ms) | TLS (ms) | TLS / plain | target | TLS, no relay (ms) |"
    );
    println!("|---|---|---:|---:|---:|---|---:|");
    for row in rows {
        let ratio = row.tls.map(|tls| tls / row.plain);
        let target = match (row.target, ratio) {
            (Some(target), Some(ratio)) if ratio <= target => format!("≤ {target}×: met"),
            (Some(target), Some(_)) => format!("≤ {target}×: **missed**"),
            (Some(target), None) => format!("≤ {target}×: no TLS"),
            (None, _) => String::new(),
        };
        println!(
            "| {} | {} | {:.1} | {} | {} | {} | {} |",
            row.backend.name(),
            row.command,
            row.plain,
            shown(row.tls),
            ratio.map_or("-".to_string(), |r| format!("{r:.2}×")),
            target,
            shown(row.tls_no_relay),
        );
    }
}

fn main() -> ExitCode {
    let config = match Config::read() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut rows = Vec::new();
    let mut failed = false;
    for backend in &config.backends {
        match runtime.block_on(bench_backend(*backend, &config)) {
            Ok(mut more) => rows.append(&mut more),
            Err(e) => {
                eprintln!("error: {}: {e}", backend.name());
                failed = true;
            }
        }
    }
    print(&rows);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
