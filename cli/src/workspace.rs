//! The embedded SQLite default, and where it may be used.
//!
//! With no URL from any source, the CLI falls back to `Project::default_sqlite_path`
//! (`app.db` at the workspace root), but only inside the development workspace: a
//! release binary copied to a server, or run from anywhere else, must not invent a
//! database at the build machine's path. "Inside the workspace" means both:
//!
//! - the default file's folder holds a `Cargo.toml` with a `[workspace]` table (the
//!   source workspace the binary was built from is still there), and
//! - the current directory is that folder or one below it.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// The URL of the embedded SQLite default `default_sqlite`, or an error saying how
/// to configure a database when the current directory is not inside its workspace.
pub fn embedded_default_url(default_sqlite: &Path) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().ok();
    match workspace_of(default_sqlite) {
        Some(root) if cwd.as_deref().is_some_and(|dir| is_within(dir, &root)) => {
            crate::sqlite_file::url_of(default_sqlite, "rwc")
        }
        _ => bail!(
            "no database configured: pass -u URL, or set DATABASE_URL (environment or .env) or \
             POSTGRES_SERVER; the embedded SQLite default `{}` is only used when running inside \
             its source workspace",
            default_sqlite.display()
        ),
    }
}

/// The workspace folder of `default_sqlite`: its parent, when that holds a
/// `Cargo.toml` declaring `[workspace]`.
fn workspace_of(default_sqlite: &Path) -> Option<PathBuf> {
    let parent = default_sqlite.parent()?;
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let manifest = std::fs::read_to_string(parent.join("Cargo.toml")).ok()?;
    let declares = manifest.lines().any(|line| line.trim() == "[workspace]");
    if !declares {
        return None;
    }
    parent.canonicalize().ok()
}

/// Whether `dir` is `root` or below it (both resolved through symlinks).
fn is_within(dir: &Path, root: &Path) -> bool {
    dir.canonicalize().is_ok_and(|dir| dir.starts_with(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_a_workspace_manifest_is_not_a_workspace() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(workspace_of(&dir.path().join("app.db")), None);
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").expect("w");
        assert_eq!(workspace_of(&dir.path().join("app.db")), None);
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").expect("w");
        let root = dir.path().canonicalize().expect("canonical");
        assert_eq!(workspace_of(&dir.path().join("app.db")), Some(root.clone()));
        assert!(is_within(&root, &root));
        assert!(!is_within(Path::new("/"), &root));
    }
}
