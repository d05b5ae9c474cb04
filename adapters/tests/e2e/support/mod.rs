//! End-to-end test support: the demo app (the examples' own code) started
//! in-process on a free loopback port, a cookie-keeping HTTP client, and the
//! scenarios, written once and run for every server and backend by
//! [`cases::run_all`].

#[path = "../../../examples/common/app.rs"]
pub mod app;
#[path = "../../../examples/common/inspect.rs"]
pub mod inspect;
#[path = "../../../examples/common/options.rs"]
pub mod options;
#[path = "../../../examples/common/rouille_server.rs"]
pub mod rouille_server;
#[path = "../../../examples/common/tiny_http_server.rs"]
pub mod tiny_http_server;

pub mod browser;
pub mod cases;
pub mod load;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use dynamodb_sessions::http::{HttpSessions, TrustForwardedProto};
use dynamodb_sessions::users::{UserSecret, UserSessions, UserSettings};
use dynamodb_sessions::{SessionConfig, SessionManager};

/// A manager for the demo on `backend`: the demo's logins attach users.
pub fn demo_manager(backend: impl UserSessions + 'static, config: SessionConfig) -> SessionManager {
    let secret = UserSecret::from_bytes(&[5; 32]).expect("32 bytes make a user secret");
    SessionManager::with_users(backend, config, UserSettings::new(secret))
}

/// The servers the demo runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `examples/demo`.
    TinyHttp,
    /// `examples/demo_rouille`.
    Rouille,
}

/// A demo app serving on `127.0.0.1:<free port>` from a thread of this
/// process; stopped (and joined) on drop.
pub struct Demo {
    url: String,
    stop: Option<Box<dyn FnOnce() + Send>>,
    thread: Option<JoinHandle<()>>,
}

impl Demo {
    /// Starts the demo on `kind` with `manager`'s sessions.
    pub fn start(kind: ServerKind, manager: SessionManager, trust: TrustForwardedProto) -> Demo {
        match kind {
            ServerKind::TinyHttp => {
                let sessions = HttpSessions::new(manager).trust_forwarded_proto(trust);
                let server = tiny_http_server::bind(0).expect("bind a free port");
                let address = server.server_addr().to_ip().expect("a TCP address");
                let stop = Arc::new(AtomicBool::new(false));
                let flag = Arc::clone(&stop);
                let thread =
                    thread::spawn(move || tiny_http_server::serve_until(&server, &sessions, &flag));
                Demo {
                    url: format!("http://{address}"),
                    stop: Some(Box::new(move || stop.store(true, Ordering::SeqCst))),
                    thread: Some(thread),
                }
            }
            ServerKind::Rouille => {
                let sessions = HttpSessions::new(manager).trust_forwarded_proto(trust);
                let server = rouille_server::bind(0, sessions).expect("bind a free port");
                let address = server.server_addr();
                let stop = Arc::new(AtomicBool::new(false));
                let flag = Arc::clone(&stop);
                let thread = thread::spawn(move || rouille_server::serve_until(&server, &flag));
                Demo {
                    url: format!("http://{address}"),
                    stop: Some(Box::new(move || stop.store(true, Ordering::SeqCst))),
                    thread: Some(thread),
                }
            }
        }
    }

    /// The demo's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new browser (empty cookie jar) pointed at this demo.
    pub fn browser(&self) -> browser::Browser {
        browser::Browser::new(&self.url)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        if let Some(thread) = self.thread.take() {
            // A panicking test is already failing; don't panic again.
            let _ = thread.join();
        }
    }
}
