//! The demo application, written once for every server: it maps a request
//! (method, path, form body) and its session to a [`Reply`], and knows
//! nothing about HTTP servers or session stores.
//!
//! | route | what it does |
//! | --- | --- |
//! | `GET /` | counts the visit, shows flash messages, the user and three forms |
//! | `GET /peek` | the same page without counting: a request that reads the session and changes nothing |
//! | `POST /login` | `username`, `device`: logs the user in (a new ID, the user attached, the device as the session's label) |
//! | `POST /logout` | ends the session |
//! | `POST /message` | `message`: flashes it, shown once on the next page |
//! | `GET /sessions` | the user's sessions: label, last seen, and buttons to end them |
//! | `POST /sessions/end` | `handle`: ends that one session |
//! | `POST /sessions/end-others` | ends every session of the user but this one |
//! | `POST /sessions/end-all` | ends every session of the user, this one too |
//!
//! Every POST needs the session's CSRF token in `csrf_token`, or gets a 403
//! (a 503 when the store is busy and the token cannot be read); every POST
//! that succeeds answers with a 303 redirect to `/`
//! (POST/redirect/GET). Any other request gets a 404 and never touches the
//! session, so it costs no store call. Pages end with a panel of what the
//! library did for them, filled in after the commit by
//! [`inspect`](super::inspect), which also adds the post's store calls to
//! the redirect (`/?posted=...`).
#![allow(dead_code)]

use std::fmt::Write as _;

use std::time::{SystemTime, UNIX_EPOCH};

use dynamodb_sessions::http::{FailedCommit, HttpResponse};
use dynamodb_sessions::users::{SessionHandle, UsersError};
use dynamodb_sessions::{CommitError, Session, SessionError};

/// The most a form body may hold; the servers read no more than this.
pub const MAX_BODY: u64 = 16 * 1024;

/// Where a page's panel of what the library did goes; it is only known
/// after the commit, when [`inspect::finish`](super::inspect::finish)
/// replaces this.
pub const LIBRARY_PANEL: &str = "<!-- what the library did -->";

/// What to answer, for the server glue to turn into a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// `Location` of a redirect.
    pub location: Option<String>,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// The session's `Set-Cookie` value, which the commit adds.
    pub set_cookie: Option<String>,
    /// `Retry-After` in seconds, on a 503.
    pub retry_after: Option<&'static str>,
}

/// Lets `HttpSessions::commit` add the `Set-Cookie` to a reply before the
/// server turns it into a response.
impl HttpResponse for Reply {
    fn with_set_cookie(mut self, value: String) -> Self {
        self.set_cookie = Some(value);
        self
    }
}

impl Reply {
    fn html(status: u16, body: String) -> Reply {
        Reply {
            status,
            location: None,
            content_type: "text/html; charset=utf-8",
            body,
            set_cookie: None,
            retry_after: None,
        }
    }

    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            location: None,
            content_type: "text/plain; charset=utf-8",
            body: body.to_owned(),
            set_cookie: None,
            retry_after: None,
        }
    }

    /// A 303 See Other to `location`.
    fn see_other(location: &str) -> Reply {
        Reply {
            status: 303,
            location: Some(location.to_owned()),
            ..Reply::text(303, "See Other\n")
        }
    }

    /// The answer when the request body could not be read.
    pub fn bad_request(error: &dyn std::error::Error) -> Reply {
        Reply::text(400, &format!("Bad Request: {error}\n"))
    }

    /// The answer when the session could not be saved: the library's
    /// (`FailedCommit`), as its own `serve` gives it. The client must not
    /// be told it worked, nor that it failed unless it surely did.
    pub fn commit_failed(error: &CommitError) -> Reply {
        eprintln!("session not saved: {}", error_chain(error));
        let answer = FailedCommit::of(error);
        Reply {
            retry_after: answer.retry_after,
            ..Reply::text(answer.status, &format!("{}\n", answer.message))
        }
    }

    /// The answer when a user's sessions could not be listed or ended:
    /// 409 when this session changed meanwhile (reload and retry), 503
    /// when the outcome is unknown or the store is busy (retry), else 500.
    fn users_failed(error: &UsersError) -> Reply {
        eprintln!("user sessions: {}", error_chain(error));
        let (status, message) = match error {
            UsersError::Conflict => (409, "This session changed meanwhile; reload and retry."),
            UsersError::OutcomeUnknown => (503, "It may not have finished; please retry."),
            UsersError::Backend(error) if error.is_temporary() => {
                (503, "The session store is busy; please retry.")
            }
            _ => (500, "Something went wrong."),
        };
        Reply {
            retry_after: (status == 503).then_some("1"),
            ..Reply::text(status, &format!("{message}\n"))
        }
    }

    /// The answer when the session could not be read: the library's
    /// (`FailedCommit::of_session`), 503 when the store was busy, full or
    /// out of reach, else 500.
    fn session_failed(error: &SessionError) -> Reply {
        eprintln!("session unavailable: {}", error_chain(error));
        let answer = FailedCommit::of_session(error);
        Reply {
            retry_after: answer.retry_after,
            ..Reply::text(answer.status, &format!("{}\n", answer.message))
        }
    }
}

/// Handles one request. `target` is the request target (path and query),
/// `body` the raw `application/x-www-form-urlencoded` body of a POST.
pub fn handle(method: &str, target: &str, body: &str, session: &mut Session) -> Reply {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let result = match (method, path) {
        ("GET", "/") => home(session, true),
        ("GET", "/peek") => home(session, false),
        ("GET", "/sessions") => sessions_page(session),
        (
            "POST",
            "/login"
            | "/logout"
            | "/message"
            | "/sessions/end"
            | "/sessions/end-others"
            | "/sessions/end-all",
        ) => {
            let form = parse_form(body);
            match session.check_csrf_token(field(&form, "csrf_token")) {
                Ok(true) => {}
                Ok(false) => return Reply::text(403, "Forbidden: missing or wrong CSRF token.\n"),
                Err(error) => return Reply::session_failed(&error),
            }
            match path {
                "/login" => login(session, field(&form, "username"), field(&form, "device")),
                "/logout" => {
                    session.invalidate();
                    Ok(Reply::see_other("/"))
                }
                "/message" => message(session, field(&form, "message")),
                _ => return end_sessions(session, path, field(&form, "handle")),
            }
        }
        (
            _,
            "/"
            | "/peek"
            | "/login"
            | "/logout"
            | "/message"
            | "/sessions"
            | "/sessions/end"
            | "/sessions/end-others"
            | "/sessions/end-all",
        ) => return Reply::text(405, "Method Not Allowed\n"),
        _ => return Reply::text(404, "Not Found\n"),
    };
    result.unwrap_or_else(|error| Reply::session_failed(&error))
}

/// The home page; `count` says whether this visit counts (and the flash
/// messages go), or the page only reads the session.
fn home(session: &mut Session, count: bool) -> Result<Reply, SessionError> {
    let mut visits = session.get::<u64>("visits")?.unwrap_or(0);
    let flashes = if count {
        visits += 1;
        session.insert("visits", &visits)?;
        session.pop_flash::<String>("")?
    } else {
        session.peek_flash::<String>("")?
    };
    let user = session.user()?;
    let csrf = escape(&session.csrf_token()?);

    let mut page = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <title>dynamodb-sessions demo</title><style>\
         body{font:15px/1.4 sans-serif;margin:1.2em 2em;max-width:58em}\
         form{margin:.4em 0}.flash{background:#ffe9a8;padding:.3em .6em}\
         #library{margin-top:1.2em;border-top:1px solid #999}\
         #library h2{font-size:1.05em}#library th{text-align:left;padding-right:1em;vertical-align:top}\
         #library ol{margin:0;padding-left:1.4em}</style></head><body>\n\
         <h1>dynamodb-sessions demo</h1>\n",
    );
    for message in &flashes {
        let _ = writeln!(page, "<p class=\"flash\">{}</p>", escape(message));
    }
    let _ = writeln!(page, "<p id=\"visits\">Visits: {visits}</p>");
    match &user {
        Some(user) => {
            let _ = writeln!(
                page,
                "<p id=\"user\">Logged in as {}</p>\
                 <p><a id=\"sessions\" href=\"/sessions\">Your sessions</a></p>",
                escape(user)
            );
            let _ = writeln!(
                page,
                "<form method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
                 <button>Log out</button></form>"
            );
        }
        None => {
            let _ = writeln!(page, "<p id=\"user\">Not logged in</p>");
            let _ = writeln!(
                page,
                "<form method=\"post\" action=\"/login\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
                 <input name=\"username\" placeholder=\"user name\">\
                 <input name=\"device\" placeholder=\"this device, e.g. laptop\">\
                 <button>Log in</button></form>"
            );
        }
    }
    let _ = writeln!(
        page,
        "<form method=\"post\" action=\"/message\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <input name=\"message\" placeholder=\"a message for the next page\">\
         <button>Flash it</button></form>\n\
         <form method=\"post\" action=\"/message\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"forged\">\
         <input type=\"hidden\" name=\"message\" value=\"forged\">\
         <button>Post with a forged CSRF token (403)</button></form>\n\
         <p><a href=\"/\">Reload (counts a visit: a change)</a> · \
         <a href=\"/peek\">Look without counting (reads only)</a></p>\n\
         {LIBRARY_PANEL}</body></html>"
    );
    Ok(Reply::html(200, page))
}

fn login(session: &mut Session, username: &str, device: &str) -> Result<Reply, SessionError> {
    let username = username.trim();
    if username.is_empty() {
        session.flash("Please enter a user name.", "", false)?;
        return Ok(Reply::see_other("/"));
    }
    // A new ID (against session fixation) with the user attached, and a
    // new CSRF token with it.
    session.set_user(username)?;
    let device = device.trim();
    session.set_label(if device.is_empty() {
        "a browser"
    } else {
        device
    })?;
    session.new_csrf_token()?;
    session.flash(&format!("Welcome, {username}!"), "", true)?;
    Ok(Reply::see_other("/"))
}

/// The user's sessions, each with a button that ends it.
fn sessions_page(session: &mut Session) -> Result<Reply, SessionError> {
    let listed = match session.user_sessions() {
        Ok(listed) => listed,
        Err(UsersError::NoUser) => return Ok(Reply::see_other("/")),
        Err(error) => return Ok(Reply::users_failed(&error)),
    };
    let csrf = escape(&session.csrf_token()?);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let mut page = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <title>Your sessions</title><style>\
         body{font:15px/1.4 sans-serif;margin:1.2em 2em;max-width:58em}\
         td,th{padding:.2em .8em .2em 0;text-align:left}form{display:inline}\
         .flash{background:#ffe9a8;padding:.3em .6em}</style></head><body>\n\
         <h1>Your sessions</h1>\n",
    );
    for message in session.pop_flash::<String>("")? {
        let _ = writeln!(page, "<p class=\"flash\">{}</p>", escape(&message));
    }
    page.push_str(
        "<table id=\"user-sessions\"><tr><th>device</th><th>last seen</th><th></th></tr>\n",
    );
    for entry in &listed {
        let label = entry.label.as_deref().unwrap_or("a browser");
        let seen = format!("{} s ago", (now - entry.last_used).max(0));
        let action = if entry.current {
            "<span class=\"current\">this browser</span>".to_owned()
        } else {
            format!(
                "<form method=\"post\" action=\"/sessions/end\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"handle\" value=\"{}\">\
                 <button class=\"end\">Log out this one</button></form>",
                entry.handle
            )
        };
        let _ = writeln!(
            page,
            "<tr class=\"session\"><td class=\"label\">{}</td><td>{}</td><td>{action}</td></tr>",
            escape(label),
            escape(&seen)
        );
    }
    let _ = writeln!(
        page,
        "</table>\n<p>The list may lag by a second behind logins elsewhere.</p>\n\
         <form method=\"post\" action=\"/sessions/end-others\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <button id=\"end-others\">Log out everywhere else</button></form>\n\
         <form method=\"post\" action=\"/sessions/end-all\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <button id=\"end-all\">Log out everywhere</button></form>\n\
         <p><a href=\"/\">Home</a></p>\n{LIBRARY_PANEL}</body></html>"
    );
    Ok(Reply::html(200, page))
}

/// The three posts that end sessions of the user.
fn end_sessions(session: &mut Session, path: &str, handle: &str) -> Reply {
    let result = match path {
        "/sessions/end" => match handle.parse::<SessionHandle>() {
            Ok(handle) => session
                .end_session(&handle)
                .map(|()| "Logged out that session."),
            Err(_) => Err(UsersError::UnknownHandle),
        },
        "/sessions/end-others" => session
            .end_other_sessions()
            .map(|()| "Logged out everywhere else."),
        _ => session.end_other_sessions().map(|()| {
            session.invalidate();
            "Logged out everywhere."
        }),
    };
    let flash = match result {
        Ok(done) => done,
        Err(UsersError::UnknownHandle) => "That session had ended already.",
        Err(UsersError::EndedElsewhere) => "You were logged out from another device meanwhile.",
        Err(UsersError::NoUser) => return Reply::see_other("/"),
        Err(error) => return Reply::users_failed(&error),
    };
    match session.flash(flash, "", true) {
        Ok(()) => Reply::see_other("/sessions"),
        Err(error) => Reply::session_failed(&error),
    }
}

fn message(session: &mut Session, message: &str) -> Result<Reply, SessionError> {
    let message = message.trim();
    if !message.is_empty() {
        session.flash(message, "", true)?;
    }
    Ok(Reply::see_other("/"))
}

/// The value of `name` in a parsed form, or `""`.
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Parses an `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|hex| {
                std::str::from_utf8(hex)
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            }) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An error and its causes on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        // This library's errors name their cause in their own message too.
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    text
}
