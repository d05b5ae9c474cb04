//! The demo app on tiny_http: the request loop and the conversions between
//! tiny_http and the server-neutral [`app`](super::app).
#![allow(dead_code)]

use std::io::Read;

use dynamodb_sessions::HttpSessions;
use tiny_http::{Header, Request, Response, Server};

use super::app::{self, Reply};
use super::inspect;

/// Serves requests one after another until [`Server::unblock`] is called
/// (from a Ctrl-C handler, or a test).
pub fn serve(server: &Server, sessions: &HttpSessions) {
    for request in server.incoming_requests() {
        handle(request, sessions);
    }
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
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    response
}
