//! Introspection, diff and render at scale, on every backend.
//!
//! ```text
//! cargo bench -p schema-diff --bench scale
//! cargo bench -p schema-diff --bench scale -- --backends postgres,mysql --sizes 1000 --runs 5
//! ```
//!
//! For each backend and size N, a scratch database (a temporary SQLite file,
//! `dbm_bench_<N>` on PostgreSQL and MariaDB/MySQL, dropped at the end) gets N
//! tables of ten columns each, a primary key, a foreign key, a unique
//! constraint and a non-unique index, created with batched multi-statement
//! SQL. Then it measures, best of `--runs` (default 3):
//!
//! - `introspect`: [`schema_diff::introspect::introspect`], with the number of
//!   queries it sends (counted with `DatabaseConnection::set_metric_callback`);
//!   `first introspect` is the first run alone, on a new connection (cold
//!   server-side caches, as in a fresh `db-migrate` process);
//! - `diff, 1 change`: the introspected schema against a copy with one added
//!   column; `diff, identical`: against an identical copy (must be empty);
//! - `introspect + diff`: the sum of the two best times the targets are about;
//! - `diff from empty` and `render`: `diff(empty, schema)` (create all N
//!   tables) and [`schema_diff::render::render_migration`] of its changes;
//! - memory: the resident set before the first introspect + diffs, and its
//!   peak during the introspection and during introspect + diffs (`VmHWM` of
//!   `/proc/self/status`, reset through `/proc/self/clear_refs` just before).
//!
//! The introspected schema is checked (N tables, each with ten columns, its
//! primary key, foreign key, unique constraint and index) and so are the
//! diffs (one change, and none).
//!
//! Each backend and size runs in a child process of its own (this binary again,
//! with `--child`), so memory figures are not inflated by earlier runs. The
//! result is a markdown table, then the targets of docs/performance.md with
//! met / missed.
//!
//! Options (arguments after `--`, or environment variables):
//!
//! | argument | variable | default |
//! |---|---|---|
//! | `--backends sqlite,postgres,mysql` | `DBM_BENCH_BACKENDS` | all three |
//! | `--sizes 100,1000,5000` | `DBM_BENCH_SIZES` | `100,1000,5000` |
//! | `--runs 3` | `DBM_BENCH_RUNS` | `3` |
//! | `--keep` | `DBM_BENCH_KEEP=1` | drop the scratch databases |
//! | `--queries` | `DBM_BENCH_QUERIES=1` | also print each introspection query's time |
//! | `--skip-render` | `DBM_BENCH_SKIP_RENDER=1` | leave out `from empty` and `render` |
//! | | `DBM_BENCH_POSTGRES_URL` | `postgres://postgres@127.0.0.1:5432` |
//! | | `DBM_BENCH_MYSQL_URL` | `mysql://root@127.0.0.1:3306` |
//!
//! The server URLs name no database and may end with options, such as
//! `postgres://postgres@127.0.0.1:5432?sslmode=disable`.

use std::collections::BTreeMap;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schema_diff::ir::{Column, ColumnType, Schema};
use schema_diff::render::{RenderOptions, render_migration};
use schema_diff::{Dialect, DiffOptions, diff, introspect::introspect};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use serde::{Deserialize, Serialize};

/// Tables created per batch (and per transaction on PostgreSQL, whose lock
/// table holds a few thousand entries by default).
const BATCH: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    fn parse(s: &str) -> Result<Backend, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            other => Err(format!(
                "unknown backend `{other}` (sqlite, postgres, mysql)"
            )),
        }
    }

    /// The URL options of a plain and of a TLS connection; `None` on SQLite.
    fn tls_options(self) -> Option<(&'static str, &'static str)> {
        match self {
            Backend::Postgres => Some(("sslmode=disable", "sslmode=require")),
            Backend::MySql => Some(("ssl-mode=DISABLED", "ssl-mode=REQUIRED")),
            Backend::Sqlite => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// The 1000-table target for introspection + diff, in seconds.
    fn target_1000(self) -> f64 {
        match self {
            Backend::Sqlite => 0.3,
            Backend::Postgres => 0.4,
            Backend::MySql => 0.8,
        }
    }
}

#[derive(Clone, Debug)]
struct Config {
    backends: Vec<Backend>,
    sizes: Vec<usize>,
    runs: usize,
    keep: bool,
    /// Print each introspection query's time.
    trace: bool,
    /// Leave out `diff(empty, schema)` and render (seconds at 5000 tables).
    skip_render: bool,
    child: Option<(Backend, usize)>,
}

impl Config {
    fn read() -> Result<Config, String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut backends = env("DBM_BENCH_BACKENDS");
        let mut sizes = env("DBM_BENCH_SIZES");
        let mut runs = env("DBM_BENCH_RUNS");
        let mut keep = env("DBM_BENCH_KEEP").is_some_and(|v| v != "0");
        let mut trace = env("DBM_BENCH_QUERIES").is_some_and(|v| v != "0");
        let mut skip_render = env("DBM_BENCH_SKIP_RENDER").is_some_and(|v| v != "0");
        let mut child = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--bench" => {}
                "--backends" => backends = Some(value("--backends")?),
                "--sizes" => sizes = Some(value("--sizes")?),
                "--runs" => runs = Some(value("--runs")?),
                "--keep" => keep = true,
                "--queries" => trace = true,
                "--skip-render" => skip_render = true,
                "--child" => child = Some(value("--child")?),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        let backends = match backends {
            Some(list) => list
                .split(',')
                .map(Backend::parse)
                .collect::<Result<_, _>>()?,
            None => vec![Backend::Sqlite, Backend::Postgres, Backend::MySql],
        };
        let sizes = match sizes {
            Some(list) => list
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<usize>()
                        .map_err(|e| format!("size `{s}`: {e}"))
                })
                .collect::<Result<_, _>>()?,
            None => vec![100, 1000, 5000],
        };
        let runs = match runs {
            Some(r) => r
                .parse::<usize>()
                .map_err(|e| format!("runs `{r}`: {e}"))?
                .max(1),
            None => 3,
        };
        let child = match child {
            Some(spec) => {
                let (b, n) = spec.split_once(':').ok_or("--child BACKEND:N")?;
                let n = n.parse().map_err(|e| format!("--child size: {e}"))?;
                Some((Backend::parse(b)?, n))
            }
            None => None,
        };
        Ok(Config {
            backends,
            sizes,
            runs,
            keep,
            trace,
            skip_render,
            child,
        })
    }
}

/// What one child process measured for one backend and size.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Measure {
    backend: String,
    n: usize,
    create_s: f64,
    /// The first introspection, on a new connection (cold server caches).
    first_introspect_ms: f64,
    /// A new plain connection (`sslmode=disable`, `ssl-mode=DISABLED`) and its
    /// first introspection, as a new `db-migrate` process spends them; 0 on SQLite.
    connect_plain_ms: f64,
    /// The same on a TLS connection (`sslmode=require`, `ssl-mode=REQUIRED`);
    /// 0 on SQLite and on servers without TLS.
    connect_tls_ms: f64,
    introspect_ms: f64,
    queries: usize,
    diff_change_ms: f64,
    diff_same_ms: f64,
    changes_one: usize,
    diff_empty_ms: f64,
    render_ms: f64,
    changes_all: usize,
    rendered_kb: usize,
    rss_before_mb: f64,
    /// The peak during the first introspection alone.
    peak_introspect_mb: f64,
    /// The peak during the first introspection and both diffs.
    peak_mb: f64,
}

impl Measure {
    /// Introspection + diff against the one-change copy: what a `diff` or
    /// `auto` run spends besides start-up.
    fn intro_diff_ms(&self) -> f64 {
        self.introspect_ms + self.diff_change_ms
    }
}

fn main() -> ExitCode {
    let config = match Config::read() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Some((backend, n)) = config.child {
        return match runtime.block_on(child(backend, n, &config)) {
            Ok(m) => {
                println!(
                    "DBM_BENCH_RESULT {}",
                    serde_json::to_string(&m).expect("json")
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {} N={n}: {e}", backend.name());
                ExitCode::FAILURE
            }
        };
    }
    parent(&config)
}

/// Runs one child per backend and size, then prints the table and the targets.
fn parent(config: &Config) -> ExitCode {
    let exe = std::env::current_exe().expect("current_exe");
    let mut results: Vec<Measure> = Vec::new();
    let mut failed = Vec::new();
    for &backend in &config.backends {
        for &n in &config.sizes {
            eprintln!("== {} N={n}", backend.name());
            let mut cmd = Command::new(&exe);
            cmd.arg("--child")
                .arg(format!("{}:{n}", backend.name()))
                .arg("--runs")
                .arg(config.runs.to_string());
            if config.keep {
                cmd.arg("--keep");
            }
            if config.trace {
                cmd.arg("--queries");
            }
            if config.skip_render {
                cmd.arg("--skip-render");
            }
            let out = cmd
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("spawn the benchmark child");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let parsed = stdout
                .lines()
                .find_map(|l| l.strip_prefix("DBM_BENCH_RESULT "))
                .and_then(|j| serde_json::from_str::<Measure>(j).ok());
            match (out.status.success(), parsed) {
                (true, Some(m)) => {
                    eprintln!(
                        "   introspect {:.1} ms ({} queries), diff {:.1} ms, render {:.1} ms, peak {:.1} MB",
                        m.introspect_ms, m.queries, m.diff_change_ms, m.render_ms, m.peak_mb
                    );
                    results.push(m);
                }
                _ => failed.push(format!("{} N={n}", backend.name())),
            }
        }
    }
    print_table(&results);
    print_targets(&results);
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("\nFailed runs: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

fn print_table(results: &[Measure]) {
    println!();
    println!(
        "| backend | N | create (s) | first introspect (ms) | connect + introspect, plain (ms) | connect + introspect, TLS (ms) | introspect (ms) | queries | diff, 1 change (ms) | diff, identical (ms) | introspect + diff (ms) | diff from empty (ms) | render (ms) | RSS before (MB) | peak, introspect (MB) | peak, introspect + diff (MB) | Δ RSS (MB) |"
    );
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in results {
        println!(
            "| {} | {} | {:.1} | {:.1} | {} | {} | {:.1} | {} | {:.1} | {:.1} | **{:.1}** | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            m.backend,
            m.n,
            m.create_s,
            m.first_introspect_ms,
            optional_ms(m.connect_plain_ms),
            optional_ms(m.connect_tls_ms),
            m.introspect_ms,
            m.queries,
            m.diff_change_ms,
            m.diff_same_ms,
            m.intro_diff_ms(),
            optional_ms(m.diff_empty_ms),
            optional_ms(m.render_ms),
            m.rss_before_mb,
            m.peak_introspect_mb,
            m.peak_mb,
            m.peak_mb - m.rss_before_mb,
        );
    }
}

/// A time, or a dash when it was not measured (`--skip-render`, SQLite's
/// connections, a server without TLS).
fn optional_ms(ms: f64) -> String {
    if ms > 0.0 {
        format!("{ms:.1}")
    } else {
        "–".into()
    }
}

fn print_targets(results: &[Measure]) {
    let mut by_backend: BTreeMap<Backend, BTreeMap<usize, &Measure>> = BTreeMap::new();
    for m in results {
        if let Ok(b) = Backend::parse(&m.backend) {
            by_backend.entry(b).or_default().insert(m.n, m);
        }
    }
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    println!();
    println!("| target | measured | |");
    println!("|---|---|---|");
    for (backend, sizes) in &by_backend {
        let name = backend.name();
        if let Some(m) = sizes.get(&1000) {
            let target = backend.target_1000() * 1000.0;
            println!(
                "| {name}: 1000 tables, introspect + diff ≤ {target:.0} ms | {:.1} ms | {} |",
                m.intro_diff_ms(),
                verdict(m.intro_diff_ms() <= target)
            );
        }
        let counts: Vec<String> = sizes
            .values()
            .map(|m| format!("{} (N={})", m.queries, m.n))
            .collect();
        let constant = sizes
            .values()
            .all(|m| m.queries == sizes.values().next().map_or(0, |f| f.queries));
        println!(
            "| {name}: queries do not grow with N | {} | {} |",
            counts.join(", "),
            verdict(constant)
        );
        if let (Some(a), Some(b)) = (sizes.get(&1000), sizes.get(&5000)) {
            let ratio = b.intro_diff_ms() / a.intro_diff_ms();
            println!(
                "| {name}: 5000 tables ≤ 6 × 1000 tables | {ratio:.2} × ({:.1} ms / {:.1} ms) | {} |",
                b.intro_diff_ms(),
                a.intro_diff_ms(),
                verdict(ratio <= 6.0)
            );
        }
        if let Some(m) = sizes.get(&5000) {
            println!(
                "| {name}: 5000 tables, peak RSS ≤ 250 MB | {:.1} MB (Δ {:.1} MB) | {} |",
                m.peak_mb,
                m.peak_mb - m.rss_before_mb,
                verdict(m.peak_mb <= 250.0)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The child: one backend, one size.

async fn child(backend: Backend, n: usize, config: &Config) -> Result<Measure, String> {
    let scratch = Scratch::create(backend, n).await?;
    let result = measure(backend, n, config, &scratch).await;
    if config.keep {
        eprintln!("   kept {}", scratch.label());
        std::mem::forget(scratch.tempdir);
    } else {
        scratch.drop_it().await?;
    }
    result
}

async fn measure(
    backend: Backend,
    n: usize,
    config: &Config,
    scratch: &Scratch,
) -> Result<Measure, String> {
    let (runs, trace) = (config.runs, config.trace);
    let mut m = Measure {
        backend: backend.name().into(),
        n,
        create_s: scratch.create_time.as_secs_f64(),
        ..Measure::default()
    };
    let mut db = connect(&scratch.url).await?;
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = queries.clone();
    let log: Arc<Mutex<Vec<(Duration, String)>>> = Arc::default();
    let log_in = log.clone();
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::Relaxed);
        if trace {
            let head: String = info.statement.sql.chars().take(90).collect();
            log_in.lock().expect("log").push((info.elapsed, head));
        }
    });
    let dialect = Dialect::of(db.get_database_backend()).ok_or("unknown backend")?;
    let options = DiffOptions::default();

    // Run 1, under the memory probe: introspect + both diffs.
    let rss_before = memory::rss_mb();
    let probe = memory::reset_peak();
    let (schema, t_intro) = timed_async(introspect(&db)).await;
    let schema = schema.map_err(|e| format!("introspect: {e}"))?;
    m.peak_introspect_mb = memory::peak_mb();
    m.first_introspect_ms = ms(t_intro);
    let changed = with_one_change(&schema);
    let (one, t_change) = timed(|| diff(&schema, &changed, dialect, &options));
    let same_copy = schema.clone();
    let (none, t_same) = timed(|| diff(&schema, &same_copy, dialect, &options));
    let peak = memory::peak_mb();
    if !probe {
        eprintln!("   note: /proc/self/clear_refs not writable; peak is the process's");
    }
    drop(same_copy);
    m.rss_before_mb = rss_before;
    m.peak_mb = peak;
    m.queries = queries.swap(0, Ordering::Relaxed);

    check_shape(&schema, n)?;
    if !none.is_empty() {
        return Err(format!(
            "diff of identical schemas is not empty: {:?}",
            none.iter()
                .take(3)
                .map(|c| c.describe())
                .collect::<Vec<_>>()
        ));
    }
    if one.is_empty() {
        return Err("the one-change diff is empty".into());
    }
    m.changes_one = one.len();

    let (mut best_intro, mut best_change, mut best_same) = (t_intro, t_change, t_same);
    for _ in 1..runs {
        let (s, t) = timed_async(introspect(&db)).await;
        let s = s.map_err(|e| format!("introspect: {e}"))?;
        let q = queries.swap(0, Ordering::Relaxed);
        if q != m.queries {
            return Err(format!(
                "introspection sent {q} queries, then {}",
                m.queries
            ));
        }
        best_intro = best_intro.min(t);
        drop(s);
        best_change = best_change.min(timed(|| diff(&schema, &changed, dialect, &options)).1);
        best_same = best_same.min(timed(|| diff(&schema, &schema, dialect, &options)).1);
    }
    if trace {
        // The queries of the fastest run would be as good; these are of all runs.
        let mut by_sql: BTreeMap<String, Duration> = BTreeMap::new();
        for (elapsed, sql) in log.lock().expect("log").drain(..) {
            let best = by_sql.entry(sql).or_insert(Duration::MAX);
            *best = (*best).min(elapsed);
        }
        eprintln!("   queries (best of {runs}, driver time including fetching the rows):");
        for (sql, elapsed) in by_sql {
            eprintln!("   {:>9.1} ms  {sql}", ms(elapsed));
        }
    }
    m.introspect_ms = ms(best_intro);
    m.diff_change_ms = ms(best_change);
    m.diff_same_ms = ms(best_same);

    let empty = Schema::default();
    let render_options = RenderOptions {
        description: format!("create {n} tables"),
        hazards: Vec::new(),
        ..Default::default()
    };
    let mut best_empty = Duration::MAX;
    let mut best_render = Duration::MAX;
    let render_runs = if config.skip_render { 0 } else { runs };
    for _ in 0..render_runs {
        let (all, t) = timed(|| diff(&empty, &schema, dialect, &options));
        best_empty = best_empty.min(t);
        let (text, t) = timed(|| render_migration(&all, &render_options));
        let text = text.map_err(|e| format!("render: {e}"))?;
        best_render = best_render.min(t);
        m.changes_all = all.len();
        m.rendered_kb = text.len() / 1024;
    }
    if render_runs > 0 {
        m.diff_empty_ms = ms(best_empty);
        m.render_ms = ms(best_render);
    }
    db.close().await.ok();
    if let Some((plain, tls)) = backend.tls_options() {
        m.connect_plain_ms = ms(connect_and_introspect(&with_option(&scratch.url, plain)).await?);
        match connect_and_introspect(&with_option(&scratch.url, tls)).await {
            Ok(t) => m.connect_tls_ms = ms(t),
            Err(e) => eprintln!("   no TLS figure: {e}"),
        }
    }
    Ok(m)
}

/// A new connection as `db-migrate` opens it, and its first introspection.
async fn connect_and_introspect(url: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let db = connect(url).await?;
    introspect(&db)
        .await
        .map_err(|e| format!("introspect: {e}"))?;
    let elapsed = start.elapsed();
    db.close().await.ok();
    Ok(elapsed)
}

/// `url` with the URL option `option` added.
fn with_option(url: &str, option: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{option}")
}

/// The introspected schema must be what was created: N tables of ten columns,
/// a primary key, a foreign key, a unique constraint and an index each.
fn check_shape(schema: &Schema, n: usize) -> Result<(), String> {
    if schema.tables.len() != n {
        return Err(format!("{} tables read, {n} created", schema.tables.len()));
    }
    for t in &schema.tables {
        let ok = t.columns.len() == 10
            && t.primary_key == ["id"]
            && t.foreign_keys.len() == 1
            && t.indexes.len() == 2
            && t.indexes.iter().filter(|i| i.unique).count() == 1;
        if !ok {
            return Err(format!("table {} was not read as created: {t:?}", t.name));
        }
    }
    Ok(())
}

/// A copy of `schema` with one nullable column added to the middle table.
fn with_one_change(schema: &Schema) -> Schema {
    let mut changed = schema.clone();
    let middle = changed.tables.len() / 2;
    if let Some(t) = changed.tables.get_mut(middle) {
        let mut c = Column::new("bench_extra", ColumnType::Text);
        c.nullable = true;
        t.columns.push(c);
    }
    changed
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

async fn timed_async<T>(f: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let value = f.await;
    (value, start.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A pool on `url`. TLS connections go through `schema_diff::nodelay`'s relay,
/// as in `db-migrate` (`DB_MIGRATE_NODELAY_RELAY=off` measures without it).
async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    use std::str::FromStr;

    use schema_diff::nodelay;
    use sea_orm::sqlx::mysql::MySqlConnectOptions;
    use sea_orm::sqlx::postgres::PgConnectOptions;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .max_connections(2)
        .connect_timeout(Duration::from_secs(10));
    let mut relay = None;
    if url.starts_with("postgres") {
        let parsed = PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
        let started = nodelay::for_postgres(&parsed)
            .await
            .map_err(|e| format!("connect to {}: {e}", redact(url)))?;
        if let Some(started) = started {
            let directory = started.directory().to_path_buf();
            options.map_sqlx_postgres_opts(move |o| o.socket(&directory));
            relay = Some(started);
        }
    } else if url.starts_with("mysql") {
        let parsed = MySqlConnectOptions::from_str(url).map_err(|e| e.to_string())?;
        let started = nodelay::for_mysql(&parsed)
            .await
            .map_err(|e| format!("connect to {}: {e}", redact(url)))?;
        if let Some(started) = started {
            let socket = started.socket().to_path_buf();
            options.map_sqlx_mysql_opts(move |o| o.socket(&socket));
            relay = Some(started);
        }
    }
    let db = Database::connect(options)
        .await
        .map_err(|e| format!("connect to {}: {e}", redact(url)))?;
    if let Some(relay) = relay {
        relay.detach();
    }
    Ok(db)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Scratch databases.

struct Scratch {
    backend: Backend,
    /// The scratch database's URL.
    url: String,
    /// The server's URL with its admin database (PostgreSQL, MySQL).
    admin_url: Option<String>,
    name: String,
    tempdir: Option<tempfile::TempDir>,
    create_time: Duration,
}

fn server_url(backend: Backend) -> String {
    let (var, default) = match backend {
        Backend::Postgres => (
            "DBM_BENCH_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432",
        ),
        Backend::MySql => ("DBM_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306"),
        Backend::Sqlite => return String::new(),
    };
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// `server` (a URL without a database, maybe with `?options`) with `database`.
fn with_database(server: &str, database: &str) -> String {
    match server.split_once('?') {
        Some((base, options)) => format!("{}/{database}?{options}", base.trim_end_matches('/')),
        None => format!("{server}/{database}"),
    }
}

impl Scratch {
    async fn create(backend: Backend, n: usize) -> Result<Scratch, String> {
        let name = format!("dbm_bench_{n}");
        let (url, admin_url, tempdir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
                let path = dir.path().join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                (url, None, Some(dir))
            }
            Backend::Postgres => {
                let server = server_url(backend);
                let admin = with_database(&server, "postgres");
                let db = connect(&admin).await?;
                exec(&db, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                exec(&db, &format!("CREATE DATABASE {name}")).await?;
                db.close().await.ok();
                (with_database(&server, &name), Some(admin), None)
            }
            Backend::MySql => {
                let server = server_url(backend);
                let admin = with_database(&server, "mysql");
                let db = connect(&admin).await?;
                exec(&db, &format!("DROP DATABASE IF EXISTS {name}")).await?;
                exec(&db, &format!("CREATE DATABASE {name}")).await?;
                db.close().await.ok();
                (with_database(&server, &name), Some(admin), None)
            }
        };
        let start = Instant::now();
        let db = connect(&url).await?;
        let batches = create_sql(backend, n);
        match backend {
            Backend::Sqlite => {
                exec(&db, &format!("BEGIN;\n{}\nCOMMIT;", batches.join("\n"))).await?
            }
            Backend::Postgres => {
                for batch in &batches {
                    exec(&db, &format!("BEGIN;\n{batch}\nCOMMIT;")).await?;
                }
            }
            Backend::MySql => {
                // DDL commits on its own on MySQL: batching saves round trips.
                for batch in &batches {
                    exec(&db, &format!("SET foreign_key_checks = 0;\n{batch}")).await?;
                }
            }
        }
        db.close().await.ok();
        Ok(Scratch {
            backend,
            url,
            admin_url,
            name,
            tempdir,
            create_time: start.elapsed(),
        })
    }

    fn label(&self) -> String {
        match &self.tempdir {
            Some(dir) => format!("{}", dir.path().join(format!("{}.db", self.name)).display()),
            None => redact(&self.url),
        }
    }

    async fn drop_it(self) -> Result<(), String> {
        if let Some(admin) = &self.admin_url {
            let db = connect(admin).await?;
            let sql = match self.backend {
                Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                _ => format!("DROP DATABASE IF EXISTS {}", self.name),
            };
            exec(&db, &sql).await?;
            db.close().await.ok();
        }
        Ok(())
    }
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), String> {
    db.execute_unprepared(sql).await.map(|_| ()).map_err(|e| {
        let head: String = sql.chars().take(200).collect();
        format!("{e}; SQL: {head}...")
    })
}

/// The DDL of N tables, in batches of [`BATCH`] tables. Table `t00000` is the
/// root (its foreign key points to itself); even tables point to the previous
/// table, odd ones to the root.
fn create_sql(backend: Backend, n: usize) -> Vec<String> {
    let q = if backend == Backend::MySql { '`' } else { '"' };
    let id = match backend {
        Backend::Sqlite => "integer NOT NULL PRIMARY KEY",
        Backend::Postgres => "serial PRIMARY KEY",
        Backend::MySql => "integer NOT NULL AUTO_INCREMENT PRIMARY KEY",
    };
    let mut batches = Vec::new();
    let mut sql = String::new();
    for i in 0..n {
        let t = format!("t{i:05}");
        let parent = match i {
            0 => t.clone(),
            i if i % 2 == 0 => format!("t{:05}", i - 1),
            _ => "t00000".to_owned(),
        };
        sql.push_str(&format!(
            "CREATE TABLE {q}{t}{q} (\n\
             \x20 {q}id{q} {id},\n\
             \x20 {q}parent_id{q} integer NULL,\n\
             \x20 {q}code{q} varchar(32) NOT NULL,\n\
             \x20 {q}name{q} varchar(255) NOT NULL DEFAULT '',\n\
             \x20 {q}body{q} text NULL,\n\
             \x20 {q}amount{q} numeric(10,2) NOT NULL DEFAULT 0,\n\
             \x20 {q}active{q} boolean NOT NULL DEFAULT true,\n\
             \x20 {q}created_at{q} timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\
             \x20 {q}updated_at{q} timestamp NULL,\n\
             \x20 {q}qty{q} integer NULL,\n\
             \x20 CONSTRAINT {q}{t}_code_key{q} UNIQUE ({q}code{q}),\n\
             \x20 CONSTRAINT {q}{t}_parent_fk{q} FOREIGN KEY ({q}parent_id{q}) \
             REFERENCES {q}{parent}{q} ({q}id{q})\n\
             );\n\
             CREATE INDEX {q}{t}_name_idx{q} ON {q}{t}{q} ({q}name{q});\n"
        ));
        if (i + 1) % BATCH == 0 || i + 1 == n {
            batches.push(std::mem::take(&mut sql));
        }
    }
    batches
}

// ---------------------------------------------------------------------------
// Memory, from /proc/self.

mod memory {
    /// A `kB` line of `/proc/self/status`, in MB.
    fn status_mb(key: &str) -> f64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// The resident set now.
    pub fn rss_mb() -> f64 {
        status_mb("VmRSS:")
    }

    /// The peak resident set since the start or the last [`reset_peak`].
    pub fn peak_mb() -> f64 {
        status_mb("VmHWM:")
    }

    /// Resets the peak to the current resident set (Linux 4.0+); false when
    /// that is not possible.
    pub fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
}
