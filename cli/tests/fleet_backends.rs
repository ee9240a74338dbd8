//! Fleet runs on every backend at once (docs/fleet.md): 30 SQLite files, 20
//! PostgreSQL databases, 10 PostgreSQL schemas and 10 MariaDB databases plus
//! one broken target in one `upgrade`; every healthy target at head (read back
//! from each history table), the broken one reported with its URL redacted,
//! nothing applied twice on a second run. Also `--targets-query` for databases
//! and schemas, and the read-only commands over the three backends.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use backends::{Backend, Scratch, runtime};
use sea_orm::{ConnectionTrait, Statement};
use support::{Run, Sandbox, versions};
use tests::backend::ScratchDatabases;

/// The `--json` document of a run that exited `code`.
#[track_caller]
fn report(run: &Run, code: i32) -> serde_json::Value {
    assert_eq!(run.code, Some(code), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:#?}"))
}

/// The versions in `table` on the database `url`.
fn versions_at(rt: &tokio::runtime::Runtime, url: &str, table: &str) -> Vec<String> {
    rt.block_on(async {
        let db = tests::backend::connect(url).await.expect("connect");
        let backend = db.get_database_backend();
        let sql = format!("SELECT version FROM {table} ORDER BY version");
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap_or_else(|e| panic!("{table} on {url}: {e}"));
        db.close().await.ok();
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("text"))
            .collect()
    })
}

/// The same URL with a password (trust authentication accepts any).
fn with_password(url: &str, password: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("url");
    parsed.set_password(Some(password)).expect("password");
    parsed.to_string()
}

/// Runs `body` on `resources`, then `cleanup` even when `body` panics.
fn guarded<T>(resources: T, body: impl FnOnce(&T), cleanup: impl FnOnce(T)) {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(&resources)));
    cleanup(resources);
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

#[test]
fn seventy_targets_on_three_backends_reach_head_and_one_broken_is_reported() {
    let rt = runtime();
    let Some(pg) = rt.block_on(ScratchDatabases::new(Backend::Postgres, "fleet_pg", 20)) else {
        return;
    };
    let Some(maria) = rt.block_on(ScratchDatabases::new(Backend::MySql, "fleet_my", 10)) else {
        rt.block_on(pg.cleanup());
        return;
    };
    let Some(schemas) = rt.block_on(Scratch::new(Backend::Postgres, "fleet_schemas")) else {
        rt.block_on(pg.cleanup());
        rt.block_on(maria.cleanup());
        return;
    };
    guarded(
        (pg, maria, schemas),
        |(pg, maria, schemas)| seventy_targets(&rt, pg, maria, &schemas.url),
        |(pg, maria, schemas)| {
            rt.block_on(async {
                pg.cleanup().await;
                maria.cleanup().await;
                schemas.cleanup().await;
            })
        },
    );
}

fn seventy_targets(
    rt: &tokio::runtime::Runtime,
    pg: &ScratchDatabases,
    maria: &ScratchDatabases,
    schema_url: &str,
) {
    let sandbox = Sandbox::new();
    let sqlite: Vec<String> = (0..30)
        .map(|i| sandbox.url_of(&format!("tenant{i:02}.db")))
        .collect();
    let mut pg_urls = pg.urls.clone();
    // One with a password: it must never be printed.
    pg_urls[0] = with_password(&pg_urls[0], "fleet-secret-pw");
    let schema_targets: Vec<String> = (0..10)
        .map(|i| format!("{schema_url}?schema=tenant_{i}"))
        .collect();
    let broken = with_password(&format!("{}_missing", pg.urls[0]), "broken-secret-pw");
    let mut lines = vec!["# the fleet".to_owned(), String::new()];
    lines.extend(sqlite.iter().cloned());
    lines.push("# PostgreSQL databases".to_owned());
    lines.extend(pg_urls.iter().cloned());
    lines.extend(schema_targets.iter().cloned());
    lines.push(broken.clone());
    lines.extend(maria.urls.iter().cloned());
    std::fs::write(sandbox.path().join("fleet.txt"), lines.join("\n")).expect("write");

    let args = ["--targets", "fleet.txt", "-j", "8", "--json", "upgrade"];
    let run = sandbox.run_raw(&args, &[]);
    for secret in ["fleet-secret-pw", "broken-secret-pw"] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    let doc = report(&run, 1);
    assert_eq!(doc["ok"], false);
    let targets = doc["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 71);
    assert_eq!(doc["counts"]["ok"], 70);
    assert_eq!(doc["counts"]["failed"], 1);
    let failed: Vec<&serde_json::Value> = targets.iter().filter(|t| t["ok"] == false).collect();
    assert_eq!(failed.len(), 1);
    let url = failed[0]["url"].as_str().expect("url");
    assert!(url.contains("***") && url.ends_with("_missing"), "{url}");
    assert!(
        failed[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("does not exist")),
        "{failed:?}"
    );
    for target in targets.iter().filter(|t| t["ok"] == true) {
        assert!(target["error"].is_null());
        assert_eq!(target["applied"], serde_json::json!(versions()), "{target}");
    }

    // Read back from every history table.
    let head = versions();
    for i in 0..30 {
        let file = format!("tenant{i:02}.db");
        let found = sandbox.strings_on(&file, "SELECT version FROM seaql_migrations");
        assert_eq!(found, head, "{file}");
    }
    for url in pg.urls.iter().chain(&maria.urls) {
        assert_eq!(versions_at(rt, url, "seaql_migrations"), head, "{url}");
    }
    for i in 0..10 {
        let table = format!("tenant_{i}.seaql_migrations");
        assert_eq!(versions_at(rt, schema_url, &table), head, "{table}");
    }
    let public = versions_at(
        rt,
        schema_url,
        "(SELECT tablename::text AS version FROM pg_tables WHERE schemaname = 'public') t",
    );
    assert!(public.is_empty(), "public untouched: {public:?}");

    // Again: nothing applied twice.
    let again = report(&sandbox.run_raw(&args, &[]), 1);
    for target in again["targets"].as_array().expect("targets") {
        if target["ok"] == true {
            assert_eq!(target["applied"], serde_json::json!([]), "{target}");
        }
    }
    assert_eq!(again["counts"]["ok"], 70);
    for url in pg.urls.iter().chain(&maria.urls) {
        assert_eq!(versions_at(rt, url, "seaql_migrations"), head, "{url}");
    }
    assert_eq!(
        versions_at(rt, schema_url, "tenant_3.seaql_migrations"),
        head
    );

    // The table shows the password redacted too.
    let text = sandbox.run_raw(&["--targets", "fleet.txt", "-j", "8", "status"], &[]);
    assert_eq!(text.code, Some(1), "{text:#?}");
    assert!(
        text.stdout.contains("71 targets: 70 ok, 1 failed"),
        "{text:#?}"
    );
    assert!(!text.stdout.contains("fleet-secret-pw") && !text.stderr.contains("fleet-secret-pw"));
    assert!(text.stdout.contains(":***@"), "{}", text.stdout);
}

#[test]
fn targets_query_lists_databases_and_schemas() {
    let rt = runtime();
    for backend in [Backend::Postgres, Backend::MySql] {
        let Some(set) = rt.block_on(ScratchDatabases::new(backend, "fleet_q", 3)) else {
            continue;
        };
        guarded(
            set,
            |set| {
                let sandbox = Sandbox::new();
                let first = set.urls[0].clone();
                let prefix = first
                    .rsplit('/')
                    .next()
                    .expect("name")
                    .trim_end_matches("_0");
                let sql = match backend {
                    Backend::Postgres => format!(
                        "SELECT datname FROM pg_database WHERE datname LIKE '{prefix}\\_%' ORDER BY 1"
                    ),
                    _ => format!(
                        "SELECT schema_name FROM information_schema.schemata \
                         WHERE schema_name LIKE '{prefix}\\_%' ORDER BY 1"
                    ),
                };
                let doc = report(
                    &sandbox.run_raw(
                        &["-u", &first, "--targets-query", &sql, "--json", "upgrade"],
                        &[],
                    ),
                    0,
                );
                let urls: Vec<&str> = doc["targets"]
                    .as_array()
                    .expect("targets")
                    .iter()
                    .map(|t| t["url"].as_str().expect("url"))
                    .collect();
                assert_eq!(urls, set.urls, "{backend:?}");
                for url in &set.urls {
                    assert_eq!(versions_at(&rt, url, "seaql_migrations"), versions());
                }
            },
            |set| rt.block_on(set.cleanup()),
        );
    }
    // PostgreSQL schemas of one database.
    let Some(scratch) = rt.block_on(Scratch::new(Backend::Postgres, "fleet_qs")) else {
        return;
    };
    let url = scratch.url.clone();
    guarded(
        scratch,
        |scratch| {
            rt.block_on(
                scratch
                    .db
                    .execute_unprepared("CREATE SCHEMA shop_a; CREATE SCHEMA shop_b;"),
            )
            .expect("schemas");
            let sandbox = Sandbox::new();
            let sql = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'shop\\_%' ORDER BY 1";
            let args = [
                "-u",
                url.as_str(),
                "--targets-query",
                sql,
                "--targets-query-kind",
                "schema",
                "--json",
                "upgrade",
            ];
            let doc = report(&sandbox.run_raw(&args, &[]), 0);
            assert_eq!(doc["counts"]["ok"], 2);
            assert_eq!(doc["targets"][1]["schema"], "shop_b");
            for schema in ["shop_a", "shop_b"] {
                let table = format!("{schema}.seaql_migrations");
                assert_eq!(versions_at(&rt, &url, &table), versions());
            }
            sandbox
                .run_raw(&["-u", &url, "--targets-query", "SELECT 1", "status"], &[])
                .error(&["--targets-query", "row 1"]);
        },
        |scratch| rt.block_on(scratch.cleanup()),
    );
}

#[test]
fn read_only_commands_and_backup_over_every_backend() {
    let rt = runtime();
    let Some(pg) = rt.block_on(ScratchDatabases::new(Backend::Postgres, "fleet_ro", 1)) else {
        return;
    };
    let Some(maria) = rt.block_on(ScratchDatabases::new(Backend::MySql, "fleet_ro", 1)) else {
        rt.block_on(pg.cleanup());
        return;
    };
    guarded(
        (pg, maria),
        |(pg, maria)| {
            let sandbox = Sandbox::new();
            let targets = [
                sandbox.url_of("a.db"),
                pg.urls[0].clone(),
                format!("{}?schema=tenant_x", pg.urls[0]),
                maria.urls[0].clone(),
            ];
            std::fs::write(sandbox.path().join("t.txt"), targets.join("\n")).expect("write");
            let fleet = ["--targets", "t.txt", "--json"];
            let run = |extra: &[&str]| {
                let mut args = fleet.to_vec();
                args.extend_from_slice(extra);
                sandbox.run_raw(&args, &[])
            };
            // Nothing applied yet: health is degraded everywhere.
            let health = report(&run(&["health"]), 1);
            assert_eq!(health["counts"]["failed"], 4);
            report(&run(&["upgrade"]), 0);
            for command in [
                ["status"].as_slice(),
                &["check", "--fail-on-pending"],
                &["verify"],
                &["health"],
            ] {
                let doc = report(&run(command), 0);
                assert_eq!(doc["counts"]["ok"], 4, "{command:?}: {doc}");
            }
            std::fs::create_dir(sandbox.path().join("saved")).expect("mkdir");
            let backup = report(&run(&["backup", "-o", "saved"]), 0);
            for target in backup["targets"].as_array().expect("targets") {
                let file = target["result"]["file"].as_str().expect("file");
                assert!(sandbox.path().join(file).is_file(), "{file}");
            }
        },
        |(pg, maria)| {
            rt.block_on(async {
                pg.cleanup().await;
                maria.cleanup().await;
            })
        },
    );
}
