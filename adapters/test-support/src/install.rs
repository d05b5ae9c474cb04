//! What the test-support installers share: where the Cargo target directory
//! is, a digest to name an install after its pins, and a lock between
//! concurrent test processes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// The Cargo target directory of the running test binary, where installs go.
pub(crate) fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return dir;
        }
        return workspace_root().join(dir);
    }
    // Test binaries live in <target>/<profile>/deps/; Cargo marks <target>
    // with CACHEDIR.TAG.
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe
            .ancestors()
            .skip(1)
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        {
            return dir.to_path_buf();
        }
    }
    workspace_root().join("target")
}

/// The workspace's root: this crate lives in `adapters/test-support/`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// FNV-1a of `parts`, in 16 hex digits: names an install directory after the
/// pins it was made from, so that a changed pin installs afresh.
pub(crate) fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flat_map(str::bytes) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// An exclusive lock between processes: a directory that only one process
/// can create. A lock older than the wait limit is taken to be left over by
/// a killed process and broken.
pub(crate) struct InstallLock {
    path: PathBuf,
}

impl InstallLock {
    /// Waits up to `timeout` for the lock at `path`.
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<InstallLock, String> {
        let started = Instant::now();
        loop {
            match fs::create_dir(path) {
                Ok(()) => {
                    return Ok(InstallLock {
                        path: path.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(path)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > timeout);
                    if stale {
                        let _ = fs::remove_dir(path);
                        continue;
                    }
                    if started.elapsed() > timeout {
                        return Err(format!(
                            "timed out waiting for the install lock {}",
                            path.display()
                        ));
                    }
                    thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(format!("creating lock {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_and_sensitive() {
        assert_eq!(digest(["a", "b"]), digest(["ab"]));
        assert_ne!(digest(["a"]), digest(["b"]));
        assert_eq!(digest(["x"]).len(), 16);
    }

    #[test]
    fn a_lock_is_a_directory_until_dropped() {
        let path = std::env::temp_dir().join(format!("install-lock-test-{}", std::process::id()));
        let lock = InstallLock::acquire(&path, Duration::from_secs(5)).unwrap();
        assert!(path.is_dir());
        drop(lock);
        assert!(!path.exists());
        drop(InstallLock::acquire(&path, Duration::from_secs(5)).unwrap());
    }
}
