//! The app a newcomer writes first: a visit counter, login, logout, flash
//! messages and CSRF-checked forms, on tiny_http with sessions in memory.
//!
//! `cargo run -p dynamodb-sessions --example newcomer --features tiny-http`,
//! then open <http://127.0.0.1:8000/>. The smallest app is
//! `examples/minimal`; the full demo is `examples/demo`.
use dynamodb_sessions::http::{tiny_http::serve, FailedCommit, Form, HttpSessions};
use dynamodb_sessions::{MemoryBackend, Session, SessionConfig, SessionError, SessionManager};
use tiny_http::{Header, Method, Request, Response, Server};

fn main() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let sessions = HttpSessions::new(manager);
    for request in Server::http("127.0.0.1:8000").unwrap().incoming_requests() {
        let _ = serve(&sessions, request, |request, form, session| {
            if *request.method() == Method::Post {
                if let Err(e) = sessions.check_csrf(session, request, form) {
                    return Response::from_string(e.to_string()).with_status_code(e.status_code());
                }
            }
            let (status, header, body) = match page(request, form, session) {
                Ok(Some(html)) => (200, "Content-Type: text/html", html),
                Ok(None) => (303, "Location: /", String::new()),
                // The store is down or busy (503), or broken (500).
                Err(e) => {
                    let answer = FailedCommit::of_session(&e);
                    (
                        answer.status,
                        "Content-Type: text/plain",
                        answer.message.to_owned(),
                    )
                }
            };
            let header: Header = header.parse().unwrap();
            Response::from_string(body)
                .with_status_code(status)
                .with_header(header)
        });
    }
}

/// The page, or `None` to redirect to it after a form.
fn page(
    request: &Request,
    form: &Form,
    session: &mut Session,
) -> Result<Option<String>, SessionError> {
    match (request.method(), request.url()) {
        (Method::Post, "/login") => {
            session.regenerate_id()?; // a new session ID and CSRF token
            let user = form
                .get("user")
                .filter(|u| u.chars().all(char::is_alphanumeric));
            session.insert("user", user.unwrap_or("guest"))?;
            return session.flash_message("Logged in.").map(|()| None);
        }
        (Method::Post, "/logout") => {
            session.invalidate();
            return session.flash_message("Logged out.").map(|()| None);
        }
        _ => {}
    }
    let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", &visits)?;
    let user: Option<String> = session.get("user")?;
    let flash = session.pop_flash_messages::<String>()?.join(" ");
    let csrf = session.csrf_token()?;
    let csrf = format!("<input type=hidden name=csrf_token value={csrf}>");
    Ok(Some(format!(
        "<p>{flash}</p><p>Hello {}, visit {visits}.</p>\
         <form method=post action=/login><input name=user>{csrf}<button>Log in</button></form>\
         <form method=post action=/logout>{csrf}<button>Log out</button></form>",
        user.as_deref().unwrap_or("guest")
    )))
}
