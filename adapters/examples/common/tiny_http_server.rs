//! The demo app on tiny_http: the request loop and the conversions between
//! tiny_http and the server-neutral [`app`](super::app).
#![allow(dead_code)]

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use dynamodb_sessions::http::HttpSessions;
use tiny_http::{Header, Request, Response, Server};

use super::app::{self, Reply};
use super::inspect;

/// Threads that run requests: a real deployment's pool, so that one slow
/// store call does not hold up other users, and two requests of one browser
/// really do race (tiny_http reads and parses requests on threads of its
/// own; these run the handlers).
pub const WORKERS: usize = 8;

/// Listens on 127.0.0.1:`port` (0 for any free port) with `TCP_NODELAY`,
/// which accepted connections inherit on Linux. tiny_http writes a
/// response larger than 1 KB in pieces; with Nagle's algorithm, a
/// keep-alive client's delayed ACK then holds each response back about
/// 40 ms.
pub fn bind(port: u16) -> Result<Server, Box<dyn std::error::Error + Send + Sync>> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_nodelay(true)?;
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    socket.listen(1024)?;
    Server::from_listener(std::net::TcpListener::from(socket), None)
}

/// Serves requests on [`WORKERS`] threads sharing one manager until `stop`
/// is set (from a Ctrl-C handler, or a test), checking it every 100 ms.
pub fn serve_until(server: &Server, sessions: &HttpSessions, stop: &AtomicBool) {
    thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    match server.recv_timeout(Duration::from_millis(100)) {
                        Ok(Some(request)) => {
                            // A panicking request must not take its worker
                            // with it (tiny_http answers it with a 500).
                            let run = AssertUnwindSafe(|| handle(request, sessions));
                            if std::panic::catch_unwind(run).is_err() {
                                eprintln!("a request panicked; its worker goes on");
                            }
                        }
                        Ok(None) => {}
                        // An accept error (e.g. out of file descriptors) is
                        // no reason to stop serving the others.
                        Err(error) => eprintln!("could not accept a request: {error}"),
                    }
                }
            });
        }
    });
}

/// Handles one request: load the session, run the app, commit, respond.
pub fn handle(mut request: Request, sessions: &HttpSessions) {
    let method = request.method().as_str().to_owned();
    let target = request.url().to_owned();
    let mut body = String::new();
    if let Err(error) = request
        .as_reader()
        .take(app::MAX_BODY)
        .read_to_string(&mut body)
    {
        let _ = request.respond(response(Reply::bad_request(&error)));
        return;
    }

    inspect::begin();
    let mut session = sessions.load(&request);
    let reply = app::handle(&method, &target, &body, &mut session);
    let answer = match sessions.commit(session, &request, reply) {
        Ok(reply) => response(inspect::finish(reply, &method, &target)),
        Err(error) => response(Reply::commit_failed(&error)),
    };
    if let Err(error) = request.respond(answer) {
        eprintln!("could not send the response: {error}");
    }
}

fn response(reply: Reply) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut response = Response::from_data(reply.body.into_bytes()).with_status_code(reply.status);
    let mut headers = vec![
        ("Content-Type", reply.content_type.to_owned()),
        ("Cache-Control", "no-store".to_owned()),
    ];
    if let Some(location) = reply.location {
        headers.push(("Location", location));
    }
    if let Some(cookie) = reply.set_cookie {
        headers.push(("Set-Cookie", cookie));
    }
    if let Some(seconds) = reply.retry_after {
        headers.push(("Retry-After", seconds.to_owned()));
    }
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    response
}
