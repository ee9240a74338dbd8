//! Fleet upgrade benchmark (docs/performance.md, "Fleet upgrades"):
//!
//! ```text
//! cargo bench -p cli --bench fleet
//! cargo bench -p cli --bench fleet -- --databases 100 --jobs 1,8 --runs 3
//! cargo bench -p cli --bench fleet -- --params sslmode=disable
//! ```
//!
//! `--databases` PostgreSQL databases are made once (through one admin
//! connection) and listed in a targets file. For each `-j` value and run, every
//! database is emptied first (`DROP SCHEMA public CASCADE`; not timed), then the
//! release `db-migrate --targets FILE -j N --json upgrade` brings them all to
//! head. It reports the wall time of that command (best and
//! median of `--runs`), the mean time per target as the report measured it, and
//! the speedup of each `-j` over the first. A run where a target fails, or
//! where a database is not at head afterwards, fails the benchmark.
//!
//! It also reports where the CPU went: the `db-migrate` process's own CPU time
//! (`getrusage`) and the whole machine's busy time during the run
//! (`/proc/stat`; on a quiet machine, the client plus the PostgreSQL server), per
//! target, and the machine's busy share of the run. When that share is near
//! 100% the run is CPU-bound: no `-j` can make it faster on this machine.

use std::process::Command;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use tests::backend::{Backend, ScratchDatabases};

struct Options {
    databases: usize,
    jobs: Vec<u16>,
    runs: usize,
    /// Appended to every target URL as `?PARAMS` (e.g. `sslmode=disable`).
    params: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        databases: 100,
        jobs: vec![1, 8],
        runs: 3,
        params: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--databases" => {
                options.databases = value("--databases")?
                    .parse()
                    .map_err(|e| format!("--databases: {e}"))?;
            }
            "--jobs" => {
                options.jobs = value("--jobs")?
                    .split(',')
                    .map(|j| j.trim().parse().map_err(|e| format!("--jobs: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--runs" => {
                options.runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?;
            }
            "--params" => options.params = Some(value("--params")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.databases == 0 || options.runs == 0 || options.jobs.is_empty() {
        return Err("--databases, --runs and --jobs need at least one".into());
    }
    Ok(options)
}

/// Empties every database of `set`: no tables, no history.
fn reset(rt: &tokio::runtime::Runtime, set: &ScratchDatabases) {
    rt.block_on(async {
        for url in &set.urls {
            let db = tests::backend::connect(url).await.expect("connect");
            db.execute_unprepared("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                .await
                .expect("reset");
            db.close().await.ok();
        }
    });
}

/// CPU time of this process's finished children (user + system).
fn children_cpu() -> Duration {
    // SAFETY: `getrusage` fills the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The machine's busy (non-idle) CPU time since boot, summed over its cores,
/// from the first line of `/proc/stat` (`None` where there is none).
fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal ...
    let idle = ticks.get(3)? + ticks.get(4)?;
    let busy = ticks.iter().take(8).sum::<u64>() - idle;
    // SAFETY: `sysconf` only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some(Duration::from_secs_f64(
        busy as f64 / per_second.max(1) as f64,
    ))
}

/// What one run measured.
struct Run {
    wall: Duration,
    /// The mean per-target `duration_ms` of the report.
    mean: Duration,
    /// CPU time of the `db-migrate` process.
    client_cpu: Duration,
    /// Busy CPU time of the whole machine during the run (all cores).
    machine_cpu: Option<Duration>,
}

/// One timed upgrade of the emptied databases of `set` (listed in `file`).
fn one_run(
    rt: &tokio::runtime::Runtime,
    set: &ScratchDatabases,
    file: &std::path::Path,
    jobs: u16,
) -> Run {
    reset(rt, set);
    let databases = set.urls.len();
    let client_before = children_cpu();
    let machine_before = machine_busy();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_db-migrate"))
        .args(["--targets"])
        .arg(file)
        .args(["-j", &jobs.to_string(), "--json", "upgrade"])
        .current_dir(file.parent().expect("a folder"))
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("run db-migrate");
    let wall = started.elapsed();
    let machine_cpu = match (machine_before, machine_busy()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    let client_cpu = children_cpu().saturating_sub(client_before);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "a target failed: {doc}");
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), databases);
    let mut total = 0;
    for target in targets {
        assert_eq!(target["ok"], true, "{target}");
        assert!(
            target["applied"].as_array().is_some_and(|a| !a.is_empty()),
            "{target}"
        );
        total += target["duration_ms"].as_u64().expect("duration_ms");
    }
    let mean = Duration::from_millis(total / databases as u64);
    Run {
        wall,
        mean,
        client_cpu,
        machine_cpu,
    }
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{} PostgreSQL databases{}, `db-migrate --targets FILE -j N --json upgrade`, {} run(s) each",
        options.databases,
        options
            .params
            .as_deref()
            .map(|p| format!(" (?{p})"))
            .unwrap_or_default(),
        options.runs
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "| -j | best wall | median wall | mean per target | targets/s | speedup (median) \
         | client CPU per target | machine CPU per target | machine busy ({cores} cores) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let set = rt
        .block_on(ScratchDatabases::new(
            Backend::Postgres,
            "bench_fleet",
            options.databases,
        ))
        .expect("PostgreSQL is needed for this benchmark");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("targets.txt");
    let urls: Vec<String> = match &options.params {
        Some(params) => set.urls.iter().map(|u| format!("{u}?{params}")).collect(),
        None => set.urls.clone(),
    };
    std::fs::write(&file, urls.join("\n")).expect("write targets");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        measure(&rt, &options, &set, &file)
    }));
    rt.block_on(set.cleanup());
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn measure(
    rt: &tokio::runtime::Runtime,
    options: &Options,
    set: &ScratchDatabases,
    file: &std::path::Path,
) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut first_median = None;
    for &jobs in &options.jobs {
        let mut runs: Vec<Run> = (0..options.runs)
            .map(|_| one_run(rt, set, file, jobs))
            .collect();
        runs.sort_by_key(|r| r.wall);
        let best = runs[0].wall;
        let middle = &runs[runs.len() / 2];
        let median = middle.wall;
        let base = *first_median.get_or_insert(median);
        let per_target = |d: Duration| d.as_secs_f64() * 1000.0 / options.databases as f64;
        let (machine_per_target, busy_share) = match middle.machine_cpu {
            Some(cpu) => (
                format!("{:.1} ms", per_target(cpu)),
                format!(
                    "{:.0}%",
                    100.0 * cpu.as_secs_f64() / (median.as_secs_f64() * cores as f64)
                ),
            ),
            None => ("?".into(), "?".into()),
        };
        println!(
            "| {jobs} | {:.2} s | {:.2} s | {} ms | {:.1} | {:.2}× | {:.1} ms | {machine_per_target} | {busy_share} |",
            best.as_secs_f64(),
            median.as_secs_f64(),
            middle.mean.as_millis(),
            options.databases as f64 / median.as_secs_f64(),
            base.as_secs_f64() / median.as_secs_f64(),
            per_target(middle.client_cpu),
        );
    }
}
