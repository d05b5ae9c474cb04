//! The smallest app with sessions: a visit counter on tiny_http, sessions in
//! memory.
//!
//! `cargo run -p dynamodb-sessions --example minimal --features tiny-http`,
//! then open <http://127.0.0.1:8000/> and reload. With login, logout, flash
//! and CSRF: `examples/newcomer`; everything: `examples/demo`.
use dynamodb_sessions::http::{tiny_http::serve, HttpSessions};
use dynamodb_sessions::{MemoryBackend, Session, SessionConfig, SessionError, SessionManager};
use tiny_http::{Response, Server};

fn main() -> std::io::Result<()> {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let sessions = HttpSessions::new(manager);
    let server = Server::http("127.0.0.1:8000").map_err(std::io::Error::other)?;
    for request in server.incoming_requests() {
        let answer = serve(&sessions, request, |_, _, session| {
            match count_visit(session) {
                Ok(n) => Response::from_string(format!("You have been here {n} times.")),
                Err(e) => Response::from_string(e.to_string()).with_status_code(500),
            }
        });
        // One client hanging up is no reason to stop serving the others.
        if let Err(e) = answer {
            eprintln!("could not answer a request: {e}");
        }
    }
    Ok(())
}

/// Adds this visit to the session's counter; `serve` commits the session
/// and sets the cookie.
fn count_visit(session: &mut Session) -> Result<u64, SessionError> {
    let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", &visits)?;
    Ok(visits)
}
