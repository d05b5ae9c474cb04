//! The dynamodb-sessions demo on rouille: the same app as the tiny_http
//! `demo` example (the app logic lives in `examples/common/app.rs`).
//!
//! ```text
//! cargo run -p dynamodb-sessions --example demo_rouille --features rouille
//! ```
//!
//! See `--help` for every option.

#[path = "../common/app.rs"]
mod app;
#[path = "../common/inspect.rs"]
mod inspect;
#[path = "../common/options.rs"]
mod options;
#[path = "../common/rouille_server.rs"]
mod rouille_server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dynamodb_sessions::http::HttpSessions;

use options::{Options, USAGE};

fn main() -> ExitCode {
    let options = match Options::from_env() {
        Ok(options) if options.help => {
            print!("{}", USAGE.replacen("demo", "demo_rouille", 1));
            return ExitCode::SUCCESS;
        }
        Ok(options) => options,
        Err(message) => {
            eprintln!("demo_rouille: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo_rouille: {}", app::error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (manager, store) = options.manager()?;
    let sessions = HttpSessions::new(manager).trust_forwarded_proto(options.trust());

    let server = rouille_server::bind(options.port, sessions)
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", options.port))?;
    let address = server.server_addr();

    // Ctrl-C: ask the polling loop to end.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;

    println!("demo on rouille, {store}");
    println!("listening on http://{address}");
    println!("press Ctrl-C to stop");
    rouille_server::serve_until(&server, &stop);
    println!("stopped");
    Ok(())
}
