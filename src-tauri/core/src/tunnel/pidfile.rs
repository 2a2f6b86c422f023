//! The tunnel a crashed run left behind. Each started tool's pid and
//! program are written to `tunnel.pid` in the data dir and removed when it
//! is stopped; a file still there at the next start means the last run
//! ended without stopping it, and that process is killed, after checking
//! (Linux: `/proc/<pid>/cmdline`) that the pid still belongs to that tool
//! and not to an unrelated process that got the number since.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a stale tool gets to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// What `tunnel.pid` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelPid {
    pub pid: u32,
    /// The executable that was started (a path or a name on `PATH`).
    pub program: PathBuf,
}

/// `<data dir>/tunnel.pid`.
pub fn pid_path(dir: &DataDir) -> PathBuf {
    dir.root().join("tunnel.pid")
}

/// Remembers the running tool (written to a temporary file, then renamed).
pub fn remember(dir: &DataDir, pid: u32, program: &Path) -> Result<()> {
    let path = pid_path(dir);
    let tmp = path.with_extension("pid.tmp");
    let text = serde_json::to_string(&TunnelPid { pid, program: program.to_path_buf() }).map_err(|e| Error::Internal(format!("tunnel.pid: {e}")))?;
    std::fs::write(&tmp, text).map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// The tool was stopped: nothing to clean up at the next start.
pub fn forget(dir: &DataDir) {
    let path = pid_path(dir);
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// What the file says, if anything readable.
pub fn recorded(dir: &DataDir) -> Option<TunnelPid> {
    let text = std::fs::read_to_string(pid_path(dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Kills the tool an earlier run left running, if `tunnel.pid` names one
/// that is still that tool; removes the file either way. Returns the pid it
/// killed.
pub fn kill_stale(dir: &DataDir) -> Option<u32> {
    let stale = recorded(dir);
    forget(dir);
    let stale = stale?;
    if stale.pid <= 1 || stale.pid == std::process::id() {
        return None;
    }
    if !is_that_tool(stale.pid, &stale.program) {
        tracing::info!(pid = stale.pid, "tunnel.pid names a process that is gone or is another program: nothing to kill");
        return None;
    }
    tracing::warn!(pid = stale.pid, "a tunnel from an earlier run is still running: stopping it");
    terminate(stale.pid);
    Some(stale.pid)
}

/// Whether process `pid` runs `program`: one of its first arguments names
/// the same file (the first for a binary; a later one for a script run by an
/// interpreter, or by a launcher such as a version manager's shim).
pub fn is_that_tool(pid: u32, program: &Path) -> bool {
    let Some(args) = cmdline(pid) else { return false };
    let Some(want) = program.file_name() else { return false };
    args.iter().take(4).any(|a| {
        let p = Path::new(a);
        p == program || p.file_name() == Some(want)
    })
}

/// Whether `pid` is a live process (a zombie waiting to be reaped is not).
pub fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

fn cmdline(pid: u32) -> Option<Vec<String>> {
    if !is_running(pid) {
        return None;
    }
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    (!args.is_empty()).then_some(args)
}

#[cfg(unix)]
fn terminate(pid: u32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let Ok(raw) = i32::try_from(pid) else { return };
    let target = Pid::from_raw(raw);
    if let Err(e) = kill(target, Signal::SIGTERM) {
        tracing::warn!(pid, "cannot stop the old tunnel: {e}");
        return;
    }
    let deadline = Instant::now() + TERM_GRACE;
    while Instant::now() < deadline {
        if !is_running(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::warn!(pid, "the old tunnel ignored SIGTERM: killing it");
    let _ = kill(target, Signal::SIGKILL);
}

#[cfg(not(unix))]
fn terminate(pid: u32) {
    tracing::warn!(pid, "stopping a tunnel left by an earlier run is supported on Linux only");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_and_a_foreign_pid_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        assert_eq!(kill_stale(&dir), None, "no file: nothing to do");
        // This test process is no tunnel tool: never killed, and the file goes.
        remember(&dir, std::process::id(), Path::new("/usr/bin/cloudflared")).unwrap();
        assert_eq!(recorded(&dir).map(|r| r.pid), Some(std::process::id()));
        assert_eq!(kill_stale(&dir), None);
        assert!(recorded(&dir).is_none());
        // A process that is not the recorded program is not killed either.
        let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        // `spawn` returns once the child is forked; it is `sleep` in /proc only after its exec.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !is_that_tool(sleeper.id(), Path::new("sleep")) {
            assert!(std::time::Instant::now() < deadline, "the child never became sleep: {:?}", cmdline(sleeper.id()));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        remember(&dir, sleeper.id(), Path::new("/usr/bin/cloudflared")).unwrap();
        assert_eq!(kill_stale(&dir), None);
        assert!(is_running(sleeper.id()), "an unrelated process that got the pid survives");
        assert!(is_that_tool(sleeper.id(), Path::new("sleep")));
        remember(&dir, sleeper.id(), Path::new("/bin/sleep")).unwrap();
        assert_eq!(kill_stale(&dir), Some(sleeper.id()), "the recorded program is killed");
        let status = sleeper.wait().unwrap();
        assert!(!status.success(), "it was ended by a signal: {status:?}");
        assert!(!is_running(sleeper.id()));
    }
}
