//! Test support: a headless Chromium, driven over WebDriver.
//!
//! [`Chromium::start`] runs the Debian packages' `chromedriver` on a free
//! port of 127.0.0.1 and opens one browser through it, with a fresh, empty
//! profile; the methods are the few WebDriver commands the end-to-end tests
//! need, sent with a blocking HTTP client. Dropping it closes the browser
//! and stops chromedriver.
//!
//! When `chromium` or `chromedriver` is missing, [`Chromium::start`] returns
//! `None` and prints a loud warning, so that the browser tests skip on a
//! developer machine; when the environment variable `CI` is set it panics
//! instead, so that CI never skips them quietly (as [`dynamodb_local`] does
//! for `java` and `npm`).
//!
//! [`dynamodb_local`]: crate::dynamodb_local

use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The browser and its driver, from the Debian packages `chromium` and
/// `chromium-driver`.
const PROGRAMS: [&str; 2] = ["chromium", "chromedriver"];

/// Chromium's flags. Besides headless, they stop the background
/// connections (updates, sync, field trials, QUIC probes) that make it hang
/// on a machine without internet. The window leaves a page 1000×700 pixels
/// (headless Chromium keeps 139 of its height for a toolbar it never draws).
const CHROMIUM_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,839",
];

/// How long chromedriver may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one WebDriver command may take (a page load included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The key under which WebDriver returns an element's id.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium with one window, and the chromedriver driving it.
pub struct Chromium {
    driver: Child,
    agent: ureq::Agent,
    /// `http://127.0.0.1:<port>/session/<id>`.
    session: String,
    /// The temporary directory of the profile and the driver's log.
    dir: PathBuf,
}

/// A cookie as the browser keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Whether scripts are kept from it.
    pub http_only: bool,
    /// Whether it goes only to secure origins.
    pub secure: bool,
    /// `Strict`, `Lax` or `None`, as the browser reports it.
    pub same_site: Option<String>,
}

impl Chromium {
    /// Starts chromedriver and a browser, or returns `None` (having said
    /// why on stderr) when `chromium` or `chromedriver` is not on `PATH`.
    ///
    /// # Panics
    ///
    /// When a program is missing and `CI` is set, and when the browser does
    /// not start.
    pub fn start() -> Option<Chromium> {
        let found: Vec<Option<PathBuf>> = PROGRAMS.iter().map(|name| on_path(name)).collect();
        let [Some(chromium), Some(chromedriver)] = &found[..] else {
            let missing: Vec<&str> = PROGRAMS
                .iter()
                .zip(&found)
                .filter(|(_, path)| path.is_none())
                .map(|(name, _)| *name)
                .collect();
            let why = format!(
                "{} not found on PATH (Debian: apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            if std::env::var_os("CI").is_some() {
                panic!(
                    "cannot run the browser tests: {why}; CI is set, so they must not be skipped"
                );
            }
            // Once per process, and straight to stderr: the test harness
            // hides what eprintln! prints in a test that passes.
            static WARNED: Once = Once::new();
            WARNED.call_once(|| {
                let bar = "!".repeat(72);
                let _ = writeln!(
                    std::io::stderr(),
                    "\n{bar}\n!!! SKIPPING browser tests: {why}\n{bar}\n"
                );
            });
            return None;
        };
        let mut last_error = String::new();
        // A port found free can be taken before chromedriver binds it.
        for _ in 0..3 {
            match Chromium::launch(chromium, chromedriver) {
                Ok(browser) => return Some(browser),
                Err(error) => last_error = error,
            }
        }
        panic!("starting headless Chromium failed 3 times; last error: {last_error}");
    }

    fn launch(chromium: &Path, chromedriver: &Path) -> Result<Chromium, String> {
        let dir = fresh_dir()?;
        let profile = dir.join("profile");
        fs::create_dir(&profile).map_err(|e| format!("creating {}: {e}", profile.display()))?;
        let log = dir.join("chromedriver.log");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("running {}: {e}", chromedriver.display()))?;
        let agent = ureq::AgentBuilder::new().timeout(COMMAND_TIMEOUT).build();
        let mut browser = Chromium {
            driver,
            agent,
            session: String::new(),
            dir,
        };
        let base = format!("http://127.0.0.1:{port}");
        browser.wait_until_ready(&base)?;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&arg| arg.to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let created = browser.send("POST", &format!("{base}/session"), Some(capabilities))?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {created}"))?;
        browser.session = format!("{base}/session/{id}");
        Ok(browser)
    }

    fn wait_until_ready(&mut self, base: &str) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(status) = self.send("GET", &format!("{base}/status"), None) {
                if status["ready"] == true {
                    return Ok(());
                }
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                return Err(format!("chromedriver exited: {exit}"));
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(format!("chromedriver not ready after {STARTUP_TIMEOUT:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `url` and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", json!({ "url": url }));
    }

    /// The address of the page shown.
    pub fn url(&self) -> String {
        string(self.command("GET", "/url", Value::Null))
    }

    /// Clicks the first element matching the CSS `selector`, a link or a
    /// form button, and waits until the page it leads to has loaded.
    ///
    /// # Panics
    ///
    /// When no new page has loaded within a command timeout.
    pub fn click(&self, selector: &str) {
        let element = self.find(selector);
        // chromedriver may answer before a form post's page replaced this
        // one; a mark on this page's window tells the two apart.
        self.script("window.leftByClick = true");
        self.command("POST", &format!("/element/{element}/click"), json!({}));
        let started = Instant::now();
        let loaded =
            "return window.leftByClick === undefined && document.readyState === 'complete'";
        // Scripts may fail while the old page is torn down; ask again.
        while self.send(
            "POST",
            &self.url_of("/execute/sync"),
            Some(json!({ "script": loaded, "args": [] })),
        ) != Ok(Value::Bool(true))
        {
            assert!(
                started.elapsed() < COMMAND_TIMEOUT,
                "no page loaded after clicking {selector}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `text` into the first element matching `selector`.
    pub fn fill(&self, selector: &str, text: &str) {
        let element = self.find(selector);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    /// The rendered text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> String {
        let element = self.find(selector);
        string(self.command("GET", &format!("/element/{element}/text"), Value::Null))
    }

    /// The rendered texts of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            json!({ "using": "css selector", "value": selector }),
        );
        let elements = found.as_array().cloned().unwrap_or_default();
        elements
            .iter()
            .map(|element| {
                let id = element[ELEMENT_KEY].as_str().unwrap_or_default();
                string(self.command("GET", &format!("/element/{id}/text"), Value::Null))
            })
            .collect()
    }

    /// Runs `script` (a function body) in the page; returns what it returns.
    pub fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    /// The cookies the browser would send to the page shown, `HttpOnly`
    /// ones included.
    pub fn cookies(&self) -> Vec<Cookie> {
        let cookies = self.command("GET", "/cookie", Value::Null);
        cookies
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|cookie| Cookie {
                name: string(cookie["name"].clone()),
                value: string(cookie["value"].clone()),
                http_only: cookie["httpOnly"] == true,
                secure: cookie["secure"] == true,
                same_site: cookie["sameSite"].as_str().map(str::to_owned),
            })
            .collect()
    }

    /// Puts a cookie for the page shown into the jar, as a server could
    /// have set it: `HttpOnly`, `SameSite=Strict`, path `/`.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let cookie = json!({ "cookie": {
            "name": name, "value": value, "path": "/", "httpOnly": true, "sameSite": "Strict",
        }});
        self.command("POST", "/cookie", cookie);
    }

    /// Empties the jar of the cookies for the page shown.
    pub fn delete_cookies(&self) {
        self.command("DELETE", "/cookie", Value::Null);
    }

    /// Saves a PNG of the window's viewport to `path`.
    pub fn screenshot(&self, path: &Path) {
        let encoded = string(self.command("GET", "/screenshot", Value::Null));
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("a base64 screenshot");
        fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    fn find(&self, selector: &str) -> String {
        let found = self.command(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": selector }),
        );
        string(found[ELEMENT_KEY].clone())
    }

    /// Sends a command of this session; panics with WebDriver's message if
    /// it fails.
    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (!body.is_null()).then_some(body);
        self.send(method, &self.url_of(path), body)
            .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}"))
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.session)
    }

    /// Sends a request to chromedriver; returns the answer's `value`.
    fn send(&self, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
        let request = self.agent.request(method, url);
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
            None => request.call(),
        };
        let (ok, response) = match result {
            Ok(response) => (true, response),
            // WebDriver explains its errors in the body.
            Err(ureq::Error::Status(_, response)) => (false, response),
            Err(error) => return Err(error.to_string()),
        };
        let text = response.into_string().map_err(|e| e.to_string())?;
        let mut answer: Value =
            serde_json::from_str(&text).map_err(|e| format!("{e} in {text:?}"))?;
        if ok {
            Ok(answer["value"].take())
        } else {
            Err(answer["value"].to_string())
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Closing the session quits the browser; killing chromedriver alone
        // would leave it running.
        if !self.session.is_empty() {
            let _ = self.send("DELETE", &self.session, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn string(value: Value) -> String {
    match value {
        Value::String(text) => text,
        other => panic!("a string expected from WebDriver, got {other}"),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A new, empty directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dynamodb-sessions-chromium-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}
