//! A small fault-injecting HTTP proxy in front of DynamoDB (Local).
//!
//! [`Proxy::start`] listens on a free loopback port and forwards each
//! HTTP/1.1 request to the upstream unchanged, unless a scripted [`Fault`]
//! is queued: then it answers itself (throttling, 5xx) without forwarding,
//! or forwards and holds the answer back (an attempt that was applied but
//! timed out).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the proxy does with the next request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer it itself with this status and JSON body, without forwarding.
    Reply(u16, &'static str),
    /// Forward it (so DynamoDB applies it), but hold the answer back this long.
    DelayAnswer(Duration),
    /// Read it, then close the connection without answering or forwarding
    /// (a transport error; nothing is applied).
    Reset,
    /// Forward it (so DynamoDB applies it), then close the connection
    /// without passing the answer on: applied, and the answer lost at once.
    ApplyThenReset,
    /// Forward it unchanged: a way to let requests through before a fault.
    Forward,
}

/// A proxy in front of DynamoDB Local that applies scripted faults to the
/// next requests and forwards the rest unchanged.
pub struct Proxy {
    address: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<AtomicUsize>,
}

impl Proxy {
    /// A proxy on a free loopback port in front of `upstream`
    /// (`http://host:port`), forwarding everything until faults are
    /// injected.
    ///
    /// # Panics
    ///
    /// When `upstream` is no address or no port can be bound.
    pub fn start(upstream: &str) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_socket_addrs()
            .expect("upstream address")
            .next()
            .expect("upstream address");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let faults = Arc::new(Mutex::new(VecDeque::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (f, r) = (faults.clone(), requests.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (f, r) = (f.clone(), r.clone());
                thread::spawn(move || {
                    let _ = serve(client, upstream, &f, &r);
                });
            }
        });
        Proxy {
            address,
            faults,
            requests,
        }
    }

    /// The proxy's endpoint, for a backend's builder.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Queues `faults` for the next requests, one each, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// Drops the faults not yet applied: the outage is over.
    pub fn clear(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// How many requests the proxy has read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: &Mutex<VecDeque<Fault>>,
    requests: &AtomicUsize,
) -> io::Result<()> {
    let mut server: Option<TcpStream> = None;
    loop {
        let Some(request) = read_message(&mut client)? else {
            return Ok(());
        };
        requests.fetch_add(1, Ordering::SeqCst);
        let fault = faults.lock().unwrap().pop_front();
        if let Some(Fault::Reply(status, body)) = fault {
            let answer = format!(
                "HTTP/1.1 {status} Injected\r\nContent-Type: application/x-amz-json-1.0\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes())?;
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        if let Some(Fault::Reset) = fault {
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        if server.is_none() {
            server = Some(TcpStream::connect(upstream)?);
        }
        let Some(upstream_stream) = server.as_mut() else {
            return Ok(());
        };
        upstream_stream.write_all(&request)?;
        let Some(answer) = read_message(upstream_stream)? else {
            return Ok(());
        };
        match fault {
            Some(Fault::DelayAnswer(delay)) => thread::sleep(delay),
            Some(Fault::ApplyThenReset) => {
                let _ = client.shutdown(Shutdown::Both);
                return Ok(());
            }
            _ => {}
        }
        client.write_all(&answer)?;
    }
}

/// Reads one HTTP/1.1 message framed by Content-Length; `None` at EOF.
fn read_message(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    let mut byte = [0u8; 1];
    while !message.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Ok(None);
        }
        message.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&message).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let start = message.len();
    message.resize(start + length, 0);
    stream.read_exact(&mut message[start..])?;
    Ok(Some(message))
}

/// DynamoDB's answer to a throttled request (`ThrottlingException`).
pub const THROTTLED: Fault = Fault::Reply(
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
);
/// DynamoDB's answer when provisioned throughput is exceeded.
pub const THROUGHPUT: Fault = Fault::Reply(
    400,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#,
);
/// A 500 `InternalServerError`.
pub const SERVER_ERROR: Fault = Fault::Reply(
    500,
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}"#,
);
/// A 503 `ServiceUnavailable`.
pub const UNAVAILABLE: Fault = Fault::Reply(503, r#"{"__type":"ServiceUnavailable"}"#);
