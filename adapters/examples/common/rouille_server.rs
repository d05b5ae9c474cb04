//! The demo app on rouille: the handler, the polling loop and the
//! conversions between rouille and the server-neutral [`app`](super::app).
#![allow(dead_code)]

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dynamodb_sessions::http::HttpSessions;
use rouille::{Request, Response, Server};

use super::app::{self, Reply};
use super::inspect;

/// Threads that run requests. rouille's default starts a thread per
/// request, without bound: under load that is a thread (and a store call)
/// per waiting request; a pool the size of tiny_http's keeps both bounded.
pub const WORKERS: usize = 8;

/// The demo's server on 127.0.0.1:`port` (0 for any free port), with a
/// pool of [`WORKERS`] threads.
pub fn bind(
    port: u16,
    sessions: HttpSessions,
) -> Result<
    Server<impl Fn(&Request) -> Response + Send + Sync + 'static>,
    Box<dyn std::error::Error + Send + Sync>,
> {
    let handler = move |request: &Request| handle(request, &sessions);
    Ok(Server::new(("127.0.0.1", port), handler)?.pool_size(WORKERS))
}

/// Handles one request: load the session, run the app, commit.
pub fn handle(request: &Request, sessions: &HttpSessions) -> Response {
    let mut body = String::new();
    if let Some(data) = request.data() {
        if let Err(error) = data.take(app::MAX_BODY).read_to_string(&mut body) {
            return response(Reply::bad_request(&error));
        }
    }
    inspect::begin();
    let mut session = sessions.load(request);
    let (method, target) = (request.method(), request.raw_url());
    let reply = app::handle(method, target, &body, &mut session);
    match sessions.commit(session, request, reply) {
        Ok(reply) => response(inspect::finish(reply, method, target)),
        Err(error) => response(Reply::commit_failed(&error)),
    }
}

/// Serves requests until `stop` is set, checking it every 100 ms.
pub fn serve_until<F>(server: &Server<F>, stop: &AtomicBool)
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    while !stop.load(Ordering::SeqCst) {
        server.poll_timeout(Duration::from_millis(100));
    }
}

fn response(reply: Reply) -> Response {
    let mut response = Response::from_data(reply.content_type, reply.body)
        .with_status_code(reply.status)
        .with_unique_header("Cache-Control", "no-store");
    if let Some(location) = reply.location {
        response = response.with_unique_header("Location", location);
    }
    if let Some(cookie) = reply.set_cookie {
        response = response.with_additional_header("Set-Cookie", cookie);
    }
    if let Some(seconds) = reply.retry_after {
        response = response.with_unique_header("Retry-After", seconds);
    }
    response
}
