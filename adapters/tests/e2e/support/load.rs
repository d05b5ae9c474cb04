//! A small, bounded HTTP load generator for the demo: `clients` threads, each
//! a browser with its own cookie jar doing the demo's mix (page views that
//! count, read-only views, flash messages, login, logout) one request after
//! another, for a fixed time or number of requests. Each client knows what
//! its counter must show, so a lost update is caught on the next page.
//!
//! Written here rather than taken from a load-testing crate: the check that
//! matters is per client and per page (its own counter, its own cookie), which
//! general tools (wrk, goose, drill) cannot express without a scripting layer
//! larger than this file, and none of them is blocking and small.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::browser::{Browser, Page};

/// How long and how hard to load.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent clients.
    pub clients: usize,
    /// Wall time to run for.
    pub duration: Duration,
    /// Requests per client at most (bounds a run on a fast machine).
    pub max_requests_per_client: usize,
}

impl Load {
    /// From `LOAD_CLIENTS`, `LOAD_SECS` and `LOAD_MAX_REQUESTS` when set,
    /// else the given defaults.
    pub fn from_env(clients: usize, secs: u64, max_requests_per_client: usize) -> Load {
        let var = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(default)
        };
        Load {
            clients: var("LOAD_CLIENTS", clients as u64) as usize,
            duration: Duration::from_secs(var("LOAD_SECS", secs)),
            max_requests_per_client: var("LOAD_MAX_REQUESTS", max_requests_per_client as u64)
                as usize,
        }
    }
}

/// Latencies kept per client at most: enough for a p99 over all clients,
/// reserved up front so that a long run's memory stays flat.
pub const LATENCY_SAMPLE: usize = 4_096;

/// Error messages kept per client at most; all are counted.
pub const ERROR_SAMPLE: usize = 16;

/// What a run saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Requests answered.
    pub requests: usize,
    /// Transport failures and answers other than 200, 303 and 409.
    pub error_count: usize,
    /// The first [`ERROR_SAMPLE`] error messages of each client.
    pub errors: Vec<String>,
    /// 409 answers: the session changed under a request. Each client sends
    /// one request at a time, so none are expected.
    pub conflicts: usize,
    /// Clients that got at least one answer (each sends at least one
    /// request, however late it joined): one never answered is missing.
    pub answered_clients: usize,
    /// Pages whose counter was not what the client's own history says.
    pub lost_updates: Vec<String>,
    /// Request latencies: every one, or for long runs a uniform sample of
    /// [`LATENCY_SAMPLE`] per client, so that a soak run's memory stays
    /// flat.
    pub latencies: Vec<Duration>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile of the latencies (0.5 for the median).
    pub fn quantile(&mut self, q: f64) -> Duration {
        self.latencies.sort_unstable();
        let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    /// One line for a log or a table.
    pub fn summary(&mut self) -> String {
        let (p50, p99) = (self.quantile(0.5), self.quantile(0.99));
        format!(
            "{} requests in {:.1} s ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms, {} errors, {} conflicts, {} lost updates",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.rate(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            self.error_count,
            self.conflicts,
            self.lost_updates.len()
        )
    }
}

/// Runs `load` against the demo at `base`.
///
/// Clients join one at a time, each once the one before has its first
/// answer; [`RAMP_UP`] says why.
pub fn run(base: &str, load: Load) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let start = Instant::now();
    let deadline = start + load.duration;
    thread::scope(|scope| {
        for client in 0..load.clients {
            let report = Arc::clone(&report);
            let (answered, first_answer) = mpsc::channel();
            scope.spawn(move || {
                let mine = Client::new(base, client as u64).run(deadline, load, answered);
                let mut report = report.lock().expect("no client panicked");
                report.requests += mine.requests;
                report.answered_clients += mine.answered_clients;
                report.error_count += mine.error_count;
                report.errors.extend(mine.errors);
                report.conflicts += mine.conflicts;
                report.lost_updates.extend(mine.lost_updates);
                report.latencies.extend(mine.latencies);
            });
            // A client that gets no answer is an error of its own; the
            // next one joins anyway.
            let _ = first_answer.recv_timeout(RAMP_UP);
        }
    });
    let mut report = Arc::try_unwrap(report)
        .expect("the clients are done")
        .into_inner()
        .expect("no client panicked");
    report.elapsed = start.elapsed();
    report
}

/// How long a joining client may wait for its first answer before the next
/// one joins regardless.
///
/// Why clients join one at a time: tiny_http 0.12 (under rouille too)
/// hands each new connection to a pool thread (`util/task_pool.rs`,
/// `TaskPool::spawn`) and queues it instead of starting a thread whenever
/// the count of idle threads is above zero; that count drops only once a
/// woken thread runs. Connections
/// accepted in a burst are queued beyond the idle threads there are, and a
/// pool thread serves one connection until the client closes it, so the
/// surplus waits for the first keep-alive connection to end (11 of 16
/// clients got no answer within 30 s in the soak runs of 2026-11-28). It
/// is the server's, not the sessions'.
pub const RAMP_UP: Duration = Duration::from_secs(30);

/// One browser and what its counter must show.
struct Client {
    browser: Browser,
    id: u64,
    rng: u64,
    /// Visits the next counting page must show.
    next_visit: u64,
    /// The CSRF token of the last page, once one was seen.
    csrf: Option<String>,
    /// Latencies measured, kept or not.
    seen: u64,
    report: Report,
}

impl Client {
    fn new(base: &str, id: u64) -> Client {
        Client {
            browser: Browser::new(base),
            id,
            rng: 0x9e37_79b9_7f4a_7c15 ^ (id + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9),
            next_visit: 1,
            csrf: None,
            seen: 0,
            report: Report {
                latencies: Vec::with_capacity(LATENCY_SAMPLE),
                ..Report::default()
            },
        }
    }

    /// Steps until `deadline` or the request limit; says on `answered` when
    /// the first request is done.
    fn run(mut self, deadline: Instant, load: Load, answered: Sender<()>) -> Report {
        let mut answered = Some(answered);
        // At least one request, even for a client that joined late.
        while self.report.requests == 0
            || (Instant::now() < deadline && self.report.requests < load.max_requests_per_client)
        {
            self.step();
            if let Some(first) = answered.take() {
                // The runner may have stopped waiting.
                let _ = first.send(());
            }
        }
        self.report
    }

    /// xorshift64*: a reproducible sequence per client.
    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A percentage for the mix.
    fn roll(&mut self) -> u64 {
        self.next_random() % 100
    }

    fn step(&mut self) {
        let Some(csrf) = self.csrf.clone() else {
            return self.view("/");
        };
        match self.roll() {
            0..=59 => self.view("/"),
            60..=74 => self.view("/peek"),
            75..=84 => {
                self.post("/message", &[("csrf_token", &csrf), ("message", "hi")]);
            }
            85..=94 => {
                let user = format!("user{}", self.id);
                if self.post("/login", &[("csrf_token", &csrf), ("username", &user)]) {
                    // A login rotates the CSRF token: read a page first.
                    self.csrf = None;
                }
            }
            _ => {
                if self.post("/logout", &[("csrf_token", &csrf)]) {
                    // The next counting page starts a new session.
                    self.next_visit = 1;
                    self.csrf = None;
                }
            }
        }
    }

    /// A page view; `/` counts a visit, `/peek` must show the same count.
    fn view(&mut self, path: &str) {
        let started = Instant::now();
        let Some(page) = self.send(|b| b.try_get(path)) else {
            return;
        };
        self.record(started.elapsed());
        if page.status != 200 {
            return self.unexpected(path, page.status);
        }
        let counts = path == "/";
        let expected = if counts {
            self.next_visit
        } else {
            self.next_visit - 1
        };
        match page.find_visits() {
            Some(shown) if shown == expected => {}
            shown => self.report.lost_updates.push(format!(
                "client {} GET {path}: expected visit {expected}, page shows {shown:?}",
                self.id
            )),
        }
        if counts {
            self.next_visit += 1;
        }
        self.csrf = page.find_csrf_token().or(self.csrf.take());
    }

    /// A form post; says whether it was accepted (303).
    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> bool {
        let started = Instant::now();
        let Some(page) = self.send(|b| b.try_post(path, form)) else {
            return false;
        };
        self.record(started.elapsed());
        if page.status == 303 {
            return true;
        }
        self.unexpected(path, page.status);
        false
    }

    /// Keeps a latency: all of the first [`LATENCY_SAMPLE`], then a uniform
    /// sample (reservoir sampling).
    fn record(&mut self, latency: Duration) {
        self.seen += 1;
        if self.report.latencies.len() < LATENCY_SAMPLE {
            self.report.latencies.push(latency);
        } else {
            let slot = (self.next_random() % self.seen) as usize;
            if let Some(kept) = self.report.latencies.get_mut(slot) {
                *kept = latency;
            }
        }
    }

    fn send(&mut self, request: impl FnOnce(&Browser) -> Result<Page, String>) -> Option<Page> {
        self.report.requests += 1;
        match request(&self.browser) {
            Ok(answer) => {
                // This client's own report: 1 once it has an answer.
                self.report.answered_clients = 1;
                Some(answer)
            }
            Err(error) => {
                self.error(format!("client {}: {error}", self.id));
                None
            }
        }
    }

    fn unexpected(&mut self, path: &str, status: u16) {
        if status == 409 {
            self.report.conflicts += 1;
        } else {
            self.error(format!("client {} {path}: status {status}", self.id));
        }
    }

    fn error(&mut self, message: String) {
        self.report.error_count += 1;
        if self.report.errors.len() < ERROR_SAMPLE {
            self.report.errors.push(message);
        }
    }
}
