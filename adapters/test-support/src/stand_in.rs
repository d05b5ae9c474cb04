//! A stand-in DynamoDB endpoint on loopback that answers every request
//! with what a function of the request's body says: for answers DynamoDB
//! Local never gives (errors quoting the request, a global table's
//! description).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

/// What the stand-in answers to a request whose body is `request`.
pub type Answer = fn(&str) -> (u16, String);

/// An endpoint where every request is answered by `answer`.
pub fn stand_in(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("its address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let (status, text) = answer(&String::from_utf8_lossy(&body));
                let _ = write!(
                    &stream,
                    "HTTP/1.1 {status} Whatever\r\nContent-Type: application/x-amz-json-1.0\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            });
        }
    });
    format!("http://{address}")
}
