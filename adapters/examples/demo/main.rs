//! The dynamodb-sessions demo on tiny_http: a visit counter, login, logout,
//! a flash message and a CSRF-protected form.
//!
//! ```text
//! cargo run -p dynamodb-sessions --example demo --features tiny-http
//! cargo run -p dynamodb-sessions --example demo --features tiny-http -- \
//!     --endpoint http://127.0.0.1:8000 --table sessions --create-table
//! ```
//!
//! See `--help` for every option. The same app runs on rouille in the
//! `demo_rouille` example; both share `examples/common/`.

#[path = "../common/app.rs"]
mod app;
#[path = "../common/inspect.rs"]
mod inspect;
#[path = "../common/options.rs"]
mod options;
#[path = "../common/tiny_http_server.rs"]
mod tiny_http_server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dynamodb_sessions::http::HttpSessions;

use options::{Options, USAGE};

fn main() -> ExitCode {
    let options = match Options::from_env() {
        Ok(options) if options.help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(options) => options,
        Err(message) => {
            eprintln!("demo: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo: {}", app::error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (manager, store) = options.manager()?;
    let sessions = HttpSessions::new(manager).trust_forwarded_proto(options.trust());

    let server = tiny_http_server::bind(options.port)
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", options.port))?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or("the server is not on a TCP port")?;

    // Ctrl-C: the workers finish their requests and stop.
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = Arc::clone(&stop);
    ctrlc::set_handler(move || stopper.store(true, Ordering::SeqCst))?;

    println!(
        "demo on tiny_http ({} worker threads), {store}",
        tiny_http_server::WORKERS
    );
    println!("listening on http://{address}");
    println!("press Ctrl-C to stop");
    tiny_http_server::serve_until(&server, &sessions, &stop);
    println!("stopped");
    Ok(())
}
