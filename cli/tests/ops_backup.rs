//! `db-migrate backup`, `restore` and `backup --verify` through the real binary
//! on SQLite, PostgreSQL and MariaDB: a populated database backed up and
//! restored into an empty one has the same rows; restore refuses a database
//! that is not empty; files are 0600; `--keep`; `upgrade --backup`.

#[path = "support/backends.rs"]
mod backends;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use backends::{Backend, Scratch, exec, on_every_backend};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use support::{Run, Sandbox, versions};
use tokio::runtime::Runtime;

fn run(sandbox: &Sandbox, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["-u", url];
    all.extend_from_slice(args);
    sandbox.run_raw(&all, &[])
}

fn head() -> String {
    versions().last().cloned().expect("migrations")
}

/// Applies the migrations and inserts a few rows.
fn populate(rt: &Runtime, sandbox: &Sandbox, scratch: &Scratch) {
    run(sandbox, &scratch.url, &["upgrade"]).ok();
    exec(
        rt,
        scratch,
        "INSERT INTO users (email, display_name, role, is_active, login_count) VALUES \
         ('ada@example.com', 'Ada', 'admin', TRUE, 7), \
         ('bob@example.com', 'Bob', 'guest', FALSE, 0), \
         ('cy@example.com', 'Cy', 'member', TRUE, 12345678901)",
    );
    exec(
        rt,
        scratch,
        "INSERT INTO tags (name, color) VALUES ('red', '#ff0000'), ('plain', NULL)",
    );
}

/// Runs `sql` on a new connection to `url`.
fn exec_url(rt: &Runtime, url: &str, sql: &str) {
    rt.block_on(async {
        let db = tests::backend::connect(url).await.expect("connect");
        db.execute_unprepared(sql).await.expect("sql");
        db.close().await.ok();
    });
}

fn text(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST({column} AS TEXT)"),
        Backend::MySql => format!("CAST({column} AS CHAR)"),
        Backend::Sqlite => column.to_owned(),
    }
}

/// The rows of `users` and `tags`, and every table's row count, read on a new
/// connection.
fn snapshot(rt: &Runtime, backend: Backend, url: &str) -> (Vec<String>, Vec<(String, i64)>) {
    rt.block_on(async {
        let db = tests::backend::connect(url).await.expect("connect");
        let b = db.get_database_backend();
        let users = format!(
            "SELECT id, email, display_name, {}, is_active, login_count FROM users ORDER BY id",
            text(backend, "role")
        );
        let mut rows = Vec::new();
        for r in db
            .query_all_raw(Statement::from_string(b, users))
            .await
            .expect("users")
        {
            let id: i32 = r.try_get_by_index(0).expect("id");
            let email: String = r.try_get_by_index(1).expect("email");
            let name: String = r.try_get_by_index(2).expect("name");
            let role: String = r.try_get_by_index(3).expect("role");
            let active: bool = r.try_get_by_index(4).expect("active");
            let logins: i64 = r.try_get_by_index(5).expect("logins");
            rows.push(format!("{id}|{email}|{name}|{role}|{active}|{logins}"));
        }
        let tags = "SELECT id, name, color FROM tags ORDER BY id";
        for r in db
            .query_all_raw(Statement::from_string(b, tags))
            .await
            .expect("tags")
        {
            let id: i32 = r.try_get_by_index(0).expect("id");
            let name: String = r.try_get_by_index(1).expect("name");
            let color: Option<String> = r.try_get_by_index(2).expect("color");
            rows.push(format!("tag {id}|{name}|{color:?}"));
        }
        let mut counts = Vec::new();
        let tables = [
            "users",
            "tags",
            "documents",
            "document_tags",
            "api_keys",
            "user_preferences",
            "seaql_migrations",
            "db_migrate_history",
        ];
        for t in tables {
            let r = db
                .query_one_raw(Statement::from_string(
                    b,
                    format!("SELECT COUNT(*) FROM {t}"),
                ))
                .await
                .expect("count")
                .expect("a row");
            counts.push((t.to_owned(), r.try_get_by_index::<i64>(0).expect("count")));
        }
        db.close().await.ok();
        (rows, counts)
    })
}

#[track_caller]
fn assert_private(path: &Path) {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{} is {:o}", path.display(), mode);
}

fn manifest(file: &Path) -> Value {
    let text = std::fs::read_to_string(format!("{}.json", file.display())).expect("manifest");
    serde_json::from_str(&text).expect("manifest JSON")
}

fn extension(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        _ => "sql",
    }
}

/// The backup files (not manifests) in `dir`, sorted.
fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|e| e != "json"));
    found.sort();
    found
}

#[test]
fn a_backup_restores_into_an_empty_database_with_the_same_rows() {
    on_every_backend("ops_backup", |rt, scratch| {
        let backend = scratch.backend;
        let sandbox = Sandbox::new();
        populate(rt, &sandbox, scratch);
        let before = snapshot(rt, backend, &scratch.url);
        assert_eq!(before.0.len(), 5, "{before:?}");

        let out = run(&sandbox, &scratch.url, &["backup", "--json"]).json();
        let file = sandbox.path().join(out["file"].as_str().expect("file"));
        assert!(file.starts_with(sandbox.path().join("backups")), "{file:?}");
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            name.ends_with(&format!("Z.{}", extension(backend))),
            "{name}"
        );
        assert_private(&file);
        assert_private(Path::new(&format!("{}.json", file.display())));
        let m = manifest(&file);
        let backend_name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        };
        assert_eq!(m["backend"], backend_name);
        assert_eq!(m["migration_version"], head());
        assert_eq!(m["schema_only"], false);
        assert_eq!(m["sha256"].as_str().map(str::len), Some(64));
        assert!(
            m["created_at"].as_str().is_some_and(support::is_utc_time),
            "{m}"
        );
        let users = m["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == "users"))
            .cloned();
        assert_eq!(users.map(|u| u["rows"].clone()), Some(3.into()), "{m}");

        let verified = run(
            &sandbox,
            &scratch.url,
            &["backup", "--verify", file.to_str().expect("path")],
        );
        assert!(verified.ok().starts_with("verified: "), "{verified:#?}");

        let Some(empty) = rt.block_on(Scratch::new(backend, "ops_restore")) else {
            return;
        };
        let file_arg = file.to_str().expect("path");
        let restored = run(&sandbox, &empty.url, &["restore", file_arg]);
        assert!(restored.ok().starts_with("restored "), "{restored:#?}");
        let after = snapshot(rt, backend, &empty.url);
        assert_eq!(after, before);

        // Now not empty: refused, and nothing changes; --force replaces it.
        let refused = run(&sandbox, &empty.url, &["restore", file_arg]);
        refused.error(&["is not empty", "--force"]);
        exec_url(rt, &empty.url, "DELETE FROM tags WHERE name = 'red'");
        let changed = snapshot(rt, backend, &empty.url);
        assert_ne!(changed, before);
        run(&sandbox, &empty.url, &["restore", file_arg, "--force"]).ok();
        assert_eq!(snapshot(rt, backend, &empty.url), before);
        let status = run(&sandbox, &empty.url, &["status", "--json"]).json();
        assert_eq!(status["current"], head());
        rt.block_on(empty.cleanup());
    });
}

#[test]
fn verify_fails_when_the_restore_differs_from_the_manifest() {
    on_every_backend("ops_verify", |rt, scratch| {
        let sandbox = Sandbox::new();
        populate(rt, &sandbox, scratch);
        let file = sandbox
            .path()
            .join(format!("b.{}", extension(scratch.backend)));
        let file_arg = file.to_str().expect("path");
        let made = run(
            &sandbox,
            &scratch.url,
            &["backup", "-o", file_arg, "--verify"],
        );
        assert!(made.ok().contains("\nverified: "), "{made:#?}");
        // The manifest claims a row the backup does not hold.
        let path = format!("{file_arg}.json");
        let mut m = manifest(&file);
        for t in m["tables"].as_array_mut().expect("tables") {
            if t["name"] == "tags" {
                t["rows"] = 3.into();
            }
        }
        std::fs::write(&path, m.to_string()).expect("write manifest");
        let failed = run(&sandbox, &scratch.url, &["backup", "--verify", file_arg]);
        assert_eq!(failed.code, Some(2), "{failed:#?}");
        assert!(
            failed
                .stdout
                .contains("table `tags` has 2 row(s) after the restore, the manifest says 3"),
            "{failed:#?}"
        );
        // A damaged file fails its checksum, and restore refuses it.
        let mut bytes = std::fs::read(&file).expect("read");
        bytes.extend_from_slice(b"\n-- tampered\n");
        std::fs::write(&file, bytes).expect("write");
        let json = run(
            &sandbox,
            &scratch.url,
            &["--json", "backup", "--verify", file_arg],
        );
        assert_eq!(json.code, Some(2), "{json:#?}");
        let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
        assert_eq!(doc["ok"], false);
        assert!(
            doc["problems"][0]
                .as_str()
                .is_some_and(|p| p.contains("checksum")),
            "{doc}"
        );
        run(&sandbox, &scratch.url, &["restore", file_arg]).error(&["does not match its manifest"]);
    });
}

#[test]
fn keep_deletes_the_oldest_backups_with_their_manifests() {
    on_every_backend("ops_keep", |_rt, scratch| {
        let sandbox = Sandbox::new();
        run(&sandbox, &scratch.url, &["upgrade"]).ok();
        let dir = sandbox.path().join("backups");
        let mut made = Vec::new();
        for _ in 0..3 {
            let out = run(&sandbox, &scratch.url, &["--json", "backup", "--keep", "2"]).json();
            made.push(sandbox.path().join(out["file"].as_str().expect("file")));
        }
        assert_eq!(backups_in(&dir), made[1..].to_vec());
        assert!(!Path::new(&format!("{}.json", made[0].display())).exists());
        for kept in &made[1..] {
            assert_private(Path::new(&format!("{}.json", kept.display())));
        }
        let out = run(&sandbox, &scratch.url, &["backup", "--keep", "1"]);
        let text = out.ok();
        assert_eq!(text.matches("removed: ").count(), 2, "{text}");
        assert_eq!(backups_in(&dir).len(), 1);
        let zero = run(&sandbox, &scratch.url, &["backup", "--keep", "0"]);
        assert_eq!(zero.code, Some(2), "a usage error: {zero:#?}");
    });
}

#[test]
fn upgrade_backup_takes_a_backup_first() {
    on_every_backend("ops_upgrade_backup", |_rt, scratch| {
        let sandbox = Sandbox::new();
        let out = run(&sandbox, &scratch.url, &["upgrade", "--backup"]);
        let text = out.ok();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("backup: backups/"), "{text}");
        assert!(lines[0].ends_with("at no migration)"), "{text}");
        assert!(lines.iter().any(|l| l.starts_with("applied ")), "{text}");
        let files = backups_in(&sandbox.path().join("backups"));
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(manifest(&files[0])["migration_version"], Value::Null);
        let status = run(&sandbox, &scratch.url, &["status", "--json"]).json();
        assert_eq!(status["pending"], serde_json::json!([]));
        // With --json the backup is reported on stderr; stdout stays one document.
        let json = run(&sandbox, &scratch.url, &["--json", "upgrade", "--backup"]).json();
        assert_eq!(json["applied"], serde_json::json!([]));
    });
}

#[test]
fn bad_input_is_one_error_line_without_the_password() {
    let sandbox = Sandbox::new();
    let url = "postgres://app:Sup3rSecret@127.0.0.1:1/app";
    let out = sandbox.run_raw(&["-u", url, "restore", "missing.sql"], &[]);
    out.error(&["no backup file `missing.sql`"]);
    std::fs::write(sandbox.path().join("notes.sql"), "hello").expect("write");
    let out = sandbox.run_raw(&["-u", url, "restore", "notes.sql"], &[]);
    out.error(&["is not a backup db-migrate can restore"]);
    let out = sandbox.run_raw(&["-u", url, "backup", "-o", "x.sql"], &[]);
    let line = out.error(&["cannot connect to `postgres://app:***@127.0.0.1:1/app`"]);
    assert!(!line.contains("Sup3rSecret"), "{line}");
    assert!(!sandbox.path().join("x.sql").exists());
    let out = sandbox.run_raw(
        &["-u", url, "backup", "--verify", "x.sql", "--keep", "2"],
        &[],
    );
    out.error(&["takes no --schema-only, -o or --keep"]);
}

/// A MariaDB user with a password: the dump and the client get it through
/// `MYSQL_PWD`, and it appears in no output.
#[test]
fn mysql_passwords_go_through_the_environment() {
    let rt = backends::runtime();
    let Some(scratch) = rt.block_on(Scratch::new(Backend::MySql, "ops_mysql_pw")) else {
        return;
    };
    let user = format!("dbm_pw_{}", std::process::id());
    let password = "Pw!With:Odd@Chars";
    exec(&rt, &scratch, &format!("DROP USER IF EXISTS '{user}'@'%'"));
    exec(
        &rt,
        &scratch,
        &format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"),
    );
    exec(&rt, &scratch, &format!("GRANT ALL ON *.* TO '{user}'@'%'"));
    let url = {
        let mut u = url::Url::parse(&scratch.url).expect("url");
        u.set_username(&user).expect("user");
        u.set_password(Some(password)).expect("password");
        u.to_string()
    };
    assert!(!url.contains(password), "the URL encodes it: {url}");
    let sandbox = Sandbox::new();
    populate(&rt, &sandbox, &scratch);
    let out = run(
        &sandbox,
        &url,
        &["-v", "backup", "-o", "pw.sql", "--verify"],
    );
    out.ok();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !all.contains(password) && !all.contains("Odd%40Chars"),
        "{all}"
    );
    let dump = std::fs::read_to_string(sandbox.path().join("pw.sql")).expect("dump");
    assert!(!dump.contains(password));
    exec(&rt, &scratch, &format!("DROP USER IF EXISTS '{user}'@'%'"));
    rt.block_on(scratch.cleanup());
}
