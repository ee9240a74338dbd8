//! Serialising the commands that write the migration folder (`generate`,
//! `auto`): an exclusive advisory lock (`flock` on Unix, `LockFileEx` on
//! Windows) on `.db-migrate.lock` in the folder, and files replaced atomically
//! (temp file + rename), so that concurrent runs never lose a registration
//! and never read a half-written `lib.rs`.
//!
//! The lock file is removed on release. A waiter that got the lock on a file
//! removed meanwhile notices (the path no longer names the file it locked) and
//! locks again, so two runs can never both believe they hold it.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The lock file's name in the migration folder.
pub const LOCK_FILE: &str = ".db-migrate.lock";

/// A held lock on a migration folder; released (and its file removed) on drop.
pub struct DirLock {
    file: Option<File>,
    path: PathBuf,
}

impl DirLock {
    /// Waits for the lock on `dir`'s migration files.
    pub fn acquire(dir: &Path) -> anyhow::Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        loop {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open the lock file {}", path.display()))?;
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
            if still_named(&file, &path) {
                return Ok(DirLock {
                    file: Some(file),
                    path,
                });
            }
            // Its holder removed it on release: lock the file that is there now.
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed while still locked, then unlocked by closing.
        if cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        }
        drop(self.file.take());
    }
}

/// Whether `path` still names the open `file` (Unix: same device and inode).
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Elsewhere the lock file is never removed, so it is always the one named.
#[cfg(not(unix))]
fn still_named(_file: &File, _path: &Path) -> bool {
    true
}

/// Writes `contents` to `path` atomically: a temp file in the same folder,
/// flushed to disk, then renamed over `path` (keeping `path`'s permissions when
/// it exists). Readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file =
            File::create(&temp).with_context(|| format!("cannot write {}", temp.display()))?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", temp.display()))?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())
                .with_context(|| format!("cannot set the permissions of {}", temp.display()))?;
        }
        std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_is_removed_on_release_and_can_be_taken_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = DirLock::acquire(dir.path()).expect("lock");
        assert!(dir.path().join(LOCK_FILE).exists());
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        drop(DirLock::acquire(dir.path()).expect("lock again"));
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lib.rs");
        write_atomic(&path, "one").expect("write");
        write_atomic(&path, "two").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
