//! This process's resources, read from `/proc/self`: what a soak run samples
//! to show that nothing leaks (memory, file descriptors, threads).

use std::fmt;

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// Resident memory, in KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Threads.
    pub threads: usize,
}

impl Resources {
    /// Reads them now; `None` where `/proc` is not there (not Linux).
    pub fn now() -> Option<Resources> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|line| line.starts_with(name))?;
            line[name.len()..].split_whitespace().next()?.parse().ok()
        };
        Some(Resources {
            rss_kib: field("VmRSS:")?,
            fds: std::fs::read_dir("/proc/self/fd").ok()?.count(),
            threads: usize::try_from(field("Threads:")?).ok()?,
        })
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RSS {} KiB, {} fds, {} threads",
            self.rss_kib, self.fds, self.threads
        )
    }
}
