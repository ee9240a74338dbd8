//! Telling whether a process that left something behind (a scratch database,
//! the SQLite migration lock's owner row) still runs: its pid and the host it
//! ran on, and on Linux the time it started, so that a reused pid is not
//! mistaken for it.

/// This host's name (`gethostname`), or `unknown`.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Eight hex digits of an FNV-1a hash of this host's name: a short tag that
/// fits in a database name.
pub fn host_tag() -> String {
    let hash = host_name().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}")
}

/// Whether a process `pid` runs on this host. In doubt (a pid that cannot be
/// a process's, or no permission to signal it), `true`.
pub fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// When process `pid` started, in clock ticks since boot (`/proc/PID/stat`,
/// field 22), where the system tells (Linux); `None` elsewhere or when it is
/// gone. With the pid, it names a process even after its pid is reused.
pub fn start_ticks(pid: u32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields from 3 on; the start time is field 22.
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id() as i32));
        assert_eq!(host_tag().len(), 8);
        assert!(!host_name().is_empty());
    }

    #[test]
    fn a_finished_process_is_gone() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        assert!(!alive(pid as i32));
        assert_eq!(start_ticks(pid), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn start_ticks_are_stable() {
        let pid = std::process::id();
        let ticks = start_ticks(pid).expect("ticks");
        assert_eq!(start_ticks(pid), Some(ticks));
    }
}
