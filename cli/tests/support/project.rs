//! A copy of `tests/fixtures/seaorm_cli_project` (a workspace laid out as
//! sea-orm-cli lays it out) in a temp folder, `db-migrate init` on it, and the
//! offline build of the binary crate `init` writes. Include with
//! `#[path = "support/project.rs"] mod project;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// The target folder this workspace builds into, shared with the copies so that
/// their builds reuse the dependencies already compiled.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// A copy of the fixture (with this workspace's Cargo.lock, so that the offline
/// build picks the versions already compiled).
pub fn copy_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seaorm_cli_project");
    copy_dir(&from, tmp.path());
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        tmp.path().join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs this workspace's `db-migrate` with `args` in `dir`, with no database
/// variables from the parent.
pub fn db_migrate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_db-migrate"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_SCHEMA")
        .args(args)
        .output()
        .expect("run db-migrate")
}

/// `db-migrate init --dir DIR --name NAME` plus `extra`.
pub fn init(dir: &Path, name: &str, extra: &[&str]) -> Output {
    let dir_arg = dir.display().to_string();
    let mut args = vec!["init", "--dir", &dir_arg, "--name", name];
    args.extend_from_slice(extra);
    db_migrate(dir, &args)
}

/// Gives the copy's `entity` and `migration` crates a version of their own.
///
/// Cargo names the artifacts of a path crate after its name, version and path
/// relative to the workspace root, so two copies of the same layout sharing one
/// target folder would reuse each other's compiled `entity` as fresh.
fn make_crates_unique(root: &Path) {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut hasher);
    let version = format!("version = \"0.1.{}\"", hasher.finish() % 1_000_000_000);
    for member in ["entity", "migration"] {
        let manifest = root.join(member).join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let mut section = "";
        let edited: Vec<String> = text
            .lines()
            .map(|line| {
                if line.starts_with('[') {
                    section = line.trim();
                }
                if section == "[package]" && line.starts_with("version = ") {
                    version.clone()
                } else {
                    line.to_owned()
                }
            })
            .collect();
        std::fs::write(&manifest, edited.join("\n") + "\n").expect("write Cargo.toml");
    }
}

/// Builds the crate `name` of the workspace at `root` offline, into the shared
/// target folder, and returns the binary's path.
pub fn build(root: &Path, name: &str) -> PathBuf {
    make_crates_unique(root);
    let target = target_dir();
    let build = Command::new(env!("CARGO"))
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", "0")
        .args(["build", "--offline", "-p", name])
        // This workspace's profile, so that the shared dependencies are reused.
        .args(["--config", r#"profile.dev.debug="line-tables-only""#])
        .args(["--config", r#"profile.dev.package."*".debug=false"#])
        .output()
        .expect("run cargo build");
    assert!(
        build.status.success(),
        "cargo build failed:\n{}",
        text(&build)
    );
    target.join("debug").join(name)
}

/// Runs the built `binary` in `root` against `url`.
pub fn run_binary(binary: &Path, root: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(binary)
        .current_dir(root)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_SCHEMA")
        .arg("-u")
        .arg(url)
        .args(args)
        .output()
        .expect("run the generated binary")
}

/// Standard output then standard error, as text.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
