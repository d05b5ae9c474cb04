//! Test support: a Python virtualenv holding the real pyramid-dynamodb-sessions.
//!
//! The cross-language tests (`conformance/tests/python_interop.rs`) drive a
//! small Pyramid app on the Python package, from the scripts in this crate's
//! `python/` folder ([`scripts_dir`]), with the interpreter that
//! [`PythonEnv::shared`] returns. The first call in a test process decides
//! where that interpreter comes from:
//!
//! 1. If the environment variable [`PYTHON_ENV`]
//!    (`DYNAMODB_SESSIONS_TEST_PYTHON`) is set, it names a Python interpreter
//!    that already has `python/requirements.txt` installed; it is used as is.
//! 2. Otherwise a virtualenv is made once per target directory under
//!    `<target>/python-venv/` (`python3 -m venv`), named by a digest of
//!    `python/requirements.txt`, and the pinned packages are installed into
//!    it from PyPI (`pip install -r`). A lock directory keeps concurrent test
//!    processes from installing at once; a marker file written last says the
//!    install finished, so an interrupted one is redone.
//!
//! When `python3` is missing, cannot make a virtualenv (Debian without
//! `python3-venv`) or pip fails (no network), [`PythonEnv::shared`] returns
//! `None` after a loud warning so that the tests can skip on a developer
//! machine; when the environment variable `CI` is set it panics instead, so
//! that CI never skips them quietly.
//!
//! ```no_run
//! use dynamodb_sessions_test_support::python_env::{scripts_dir, PythonEnv};
//!
//! let Some(env) = PythonEnv::shared() else {
//!     return; // no usable python3 outside CI: already explained on stderr
//! };
//! let status = std::process::Command::new(env.python())
//!     .arg(scripts_dir().join("driver.py"))
//!     .status()
//!     .unwrap();
//! ```

use crate::install::{self, InstallLock};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Environment variable naming a Python interpreter that already has the
/// requirements installed, to use instead of making a virtualenv.
pub const PYTHON_ENV: &str = "DYNAMODB_SESSIONS_TEST_PYTHON";

/// The pinned requirements installed into the virtualenv.
pub const REQUIREMENTS: &str = include_str!("../python/requirements.txt");

/// How long to wait for another process that is making the virtualenv.
const INSTALL_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// Name of the file written into the virtualenv once everything is installed.
const MARKER: &str = "dynamodb-sessions-installed";

/// The folder holding the Python side of the tests: `app.py`, `driver.py`
/// and `requirements.txt`.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// A Python interpreter with pyramid-dynamodb-sessions, boto3, pyramid and
/// webtest installed at the versions `python/requirements.txt` pins.
#[derive(Debug)]
pub struct PythonEnv {
    python: PathBuf,
}

impl PythonEnv {
    /// The process-wide environment: made (or found through [`PYTHON_ENV`])
    /// on the first call, reused by every later call.
    ///
    /// Returns `None` only when `python3` is missing or unusable, or pip
    /// fails, and the `CI` environment variable is not set; a warning on
    /// stderr says why.
    ///
    /// # Panics
    ///
    /// In those cases when `CI` is set, and on any other failure (a target
    /// directory that cannot be written, a lock that never frees). Every
    /// later call panics with the same message.
    pub fn shared() -> Option<&'static PythonEnv> {
        static SHARED: OnceLock<Result<Option<PythonEnv>, String>> = OnceLock::new();
        match SHARED.get_or_init(acquire) {
            Ok(env) => env.as_ref(),
            Err(message) => panic!("{message}"),
        }
    }

    /// The interpreter to run the scripts with.
    pub fn python(&self) -> &Path {
        &self.python
    }
}

/// Why the environment could not be made.
enum Failure {
    /// Something the machine lacks (python3, venv, network for pip): skip
    /// outside CI.
    Unavailable(String),
    /// Anything else: always a panic.
    Broken(String),
}

fn acquire() -> Result<Option<PythonEnv>, String> {
    if let Some(python) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
        return Ok(Some(PythonEnv {
            python: PathBuf::from(python),
        }));
    }
    match install() {
        Ok(python) => Ok(Some(PythonEnv { python })),
        Err(Failure::Broken(message)) => Err(message),
        Err(Failure::Unavailable(why)) => {
            if std::env::var_os("CI").is_some() {
                return Err(format!(
                    "{why}; CI is set, so the Python interop tests must not be skipped"
                ));
            }
            // Straight to stderr, not eprintln!: the test harness captures
            // eprintln! of passing tests, and a skip must be seen.
            let bar = "!".repeat(72);
            let _ = writeln!(
                io::stderr(),
                "\n{bar}\n!!! SKIPPING Python interop tests: {why}\n{bar}\n"
            );
            Ok(None)
        }
    }
}

/// `<venv>/bin/python` (`Scripts\python.exe` on Windows).
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Whether the virtualenv finished installing and its interpreter still runs
/// (a system upgrade can remove the Python it links to).
fn is_ready(venv: &Path) -> bool {
    fs::read_to_string(venv.join(MARKER))
        .is_ok_and(|digest| digest.trim() == install::digest([REQUIREMENTS]))
        && Command::new(venv_python(venv))
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Makes the virtualenv unless it is ready, and returns its interpreter.
fn install() -> Result<PathBuf, Failure> {
    let root = install::target_dir().join("python-venv");
    let venv = root.join(format!("venv-{}", install::digest([REQUIREMENTS])));
    if is_ready(&venv) {
        return Ok(venv_python(&venv));
    }
    let broken = |what: String| move |e: io::Error| Failure::Broken(format!("{what}: {e}"));
    fs::create_dir_all(&root).map_err(broken(format!("creating {}", root.display())))?;
    let _lock = InstallLock::acquire(&root.join("install.lock"), INSTALL_LOCK_TIMEOUT)
        .map_err(Failure::Broken)?;
    // Another process may have finished while we waited for the lock.
    if is_ready(&venv) {
        return Ok(venv_python(&venv));
    }
    match fs::remove_dir_all(&venv) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(broken(format!("removing {}", venv.display()))(e)),
    }
    eprintln!(
        "making a Python virtualenv for the interop tests in {}",
        venv.display()
    );
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .stdin(Stdio::null())
        .output();
    let made = match made {
        Ok(output) => output,
        Err(e) => {
            return Err(Failure::Unavailable(format!(
                "cannot run python3 ({e}); the Python interop tests need Python 3.9+ \
                 with venv (Debian: python3-venv), or set {PYTHON_ENV}"
            )))
        }
    };
    if !made.status.success() {
        let _ = fs::remove_dir_all(&venv);
        return Err(Failure::Unavailable(format!(
            "python3 -m venv failed ({}; on Debian install python3-venv):\n{}{}",
            made.status,
            String::from_utf8_lossy(&made.stdout),
            String::from_utf8_lossy(&made.stderr)
        )));
    }
    let requirements = venv.join("requirements.txt");
    fs::write(&requirements, REQUIREMENTS)
        .map_err(broken(format!("writing {}", requirements.display())))?;
    let pip = Command::new(venv_python(&venv))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "-r",
        ])
        .arg(&requirements)
        .stdin(Stdio::null())
        .output()
        .map_err(broken(format!("running {}", venv_python(&venv).display())))?;
    if !pip.status.success() {
        let _ = fs::remove_dir_all(&venv);
        return Err(Failure::Unavailable(format!(
            "pip install -r conformance/python/requirements.txt failed ({}):\n{}{}",
            pip.status,
            String::from_utf8_lossy(&pip.stdout),
            String::from_utf8_lossy(&pip.stderr)
        )));
    }
    fs::write(venv.join(MARKER), install::digest([REQUIREMENTS]))
        .map_err(broken(format!("writing the marker in {}", venv.display())))?;
    Ok(venv_python(&venv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pin_every_package() {
        for line in REQUIREMENTS.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            assert!(line.contains("=="), "unpinned requirement: {line}");
        }
        assert!(REQUIREMENTS
            .lines()
            .any(|line| line == "pyramid-dynamodb-sessions==0.1.3"));
    }

    #[test]
    fn scripts_are_there() {
        for script in ["app.py", "driver.py", "requirements.txt"] {
            assert!(scripts_dir().join(script).is_file(), "{script} is missing");
        }
    }
}
