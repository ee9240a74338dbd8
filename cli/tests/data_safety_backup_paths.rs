//! Where backups go and who can read them: `--keep` prunes only the backups of
//! the same database (by manifest, not by file name); SQLite URLs with
//! percent-escapes name the file the driver opens for backup and restore;
//! output names with `?`, `#` and `%` work; every file and folder the tool
//! creates is owner-only, whatever the umask, and a restore keeps the mode
//! and inode of the SQLite file it writes into.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use support::{Run, Sandbox};

#[track_caller]
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs `db-migrate ARGS` in the sandbox under umask 000, so anything not made
/// private on purpose would be world-writable.
fn run_umask0(sandbox: &Sandbox, args: &[&str]) -> Run {
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_db-migrate"))
        .args(args)
        .current_dir(sandbox.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .expect("run db-migrate");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn keep_prunes_only_backups_whose_manifest_names_the_same_database() {
    let sandbox = Sandbox::new();
    for dir in ["one", "two", "bk"] {
        std::fs::create_dir(sandbox.path().join(dir)).expect("mkdir");
    }
    // Two databases whose backups get the same file-name prefix `app-`.
    let one = sandbox.url_of("one/app.db");
    let two = sandbox.url_of("two/app.db");
    for url in [&one, &two] {
        sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
    }
    let backup = |url: &str| {
        let doc = sandbox
            .run_raw(
                &["-u", url, "--json", "backup", "-o", "bk", "--keep", "1"],
                &[],
            )
            .json();
        (
            sandbox.path().join(doc["file"].as_str().expect("file")),
            doc["removed"].as_array().expect("removed").len(),
        )
    };
    let (theirs, _) = backup(&two);
    let (first, _) = backup(&one);
    let (second, removed) = backup(&one);
    assert_eq!(removed, 1);
    assert!(!first.exists());
    assert!(second.exists());
    assert!(theirs.exists(), "another database's backup was pruned");
    assert!(Path::new(&format!("{}.json", theirs.display())).exists());
}

#[test]
fn percent_escaped_sqlite_urls_name_the_file_the_driver_opens() {
    let sandbox = Sandbox::new();
    // The driver decodes `%41` to `A`: the database is `pctdbA.db`.
    let url = "sqlite://pctdb%41.db";
    sandbox.run_raw(&["-u", url, "upgrade"], &[]).ok();
    assert!(sandbox.path().join("pctdbA.db").exists());
    sandbox.sql_on("pctdbA.db", "INSERT INTO tags (name) VALUES ('kept')");
    let odd = "out?x#y%41 z.sqlite";
    let made = sandbox.run_raw(&["-u", url, "backup", "-o", odd, "--verify"], &[]);
    assert!(made.ok().contains("\nverified: "), "{made:#?}");
    assert!(sandbox.path().join(odd).is_file());
    assert!(sandbox.path().join(format!("{odd}.json")).is_file());

    let restored = sandbox.run_raw(&["-u", "sqlite://new%41.db", "restore", odd], &[]);
    assert!(restored.ok().starts_with("restored "), "{restored:#?}");
    assert!(!sandbox.path().join("new%41.db").exists());
    assert_eq!(
        sandbox.strings_on("newA.db", "SELECT name FROM tags"),
        ["kept"]
    );
    // The file that `status` (the driver) opens is the restored one.
    let status = sandbox
        .run_raw(&["-u", "sqlite://new%41.db", "status", "--json"], &[])
        .json();
    assert_eq!(status["pending"], serde_json::json!([]));
}

#[test]
fn files_and_folders_the_tool_creates_are_owner_only() {
    let sandbox = Sandbox::new();
    let url = sandbox.url();
    sandbox.run(&["upgrade"]).ok();
    let made = run_umask0(
        &sandbox,
        &["-u", &url, "backup", "-o", "deep/er/b.sqlite", "--verify"],
    );
    made.ok();
    assert_eq!(mode(&sandbox.path().join("deep")), 0o700);
    assert_eq!(mode(&sandbox.path().join("deep/er")), 0o700);
    assert_eq!(mode(&sandbox.path().join("deep/er/b.sqlite")), 0o600);
    assert_eq!(mode(&sandbox.path().join("deep/er/b.sqlite.json")), 0o600);
    run_umask0(&sandbox, &["-u", &url, "backup"]).ok();
    assert_eq!(mode(&sandbox.path().join("backups")), 0o700);

    let fresh = sandbox.url_of("fresh.db");
    run_umask0(&sandbox, &["-u", &fresh, "restore", "deep/er/b.sqlite"]).ok();
    assert_eq!(mode(&sandbox.path().join("fresh.db")), 0o600);
    // A restore over an existing file writes into it: same inode, same mode,
    // and no temporary copy left beside it.
    let existing = sandbox.path().join("fresh.db");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&existing).expect("meta"));
    let force = ["-u", &fresh, "restore", "--force", "deep/er/b.sqlite"];
    run_umask0(&sandbox, &force).ok();
    assert_eq!(mode(&existing), 0o640);
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&existing).expect("meta")),
        inode
    );
    let temporary: Vec<_> = std::fs::read_dir(sandbox.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".dbm-restore-"))
        .collect();
    assert!(temporary.is_empty(), "{temporary:?}");
    // Nothing else was left in the folders: no temporary or partial files.
    assert_eq!(
        support::files(&sandbox.path().join("deep/er")),
        ["b.sqlite", "b.sqlite.json"]
    );
}
