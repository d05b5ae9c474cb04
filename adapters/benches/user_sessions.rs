//! Users' sessions on DynamoDB Local: the store calls of each kind of
//! request on a 1 KB session with and without a user, and the time to end
//! all sessions of a user who has 1, 10 or 100 of them (one read and one
//! conditional write whatever the number).
//!
//! `cargo bench -p dynamodb-sessions --bench user_sessions`
//! (`BENCH_ROUNDS`: timed rounds per size, default 30; `BENCH_QUICK=1`: 2)

mod common;

use std::sync::Arc;
use std::time::Instant;

use dynamodb_sessions::testing::{CallCounts, CountingBackend};
use dynamodb_sessions::users::{UserSecret, UserSettings};
use dynamodb_sessions::{DynamoDbBackend, Scheme, Session, SessionConfig, SessionManager};

use common::{cookie_header, quick};

type Counted = Arc<CountingBackend<DynamoDbBackend>>;

fn users() -> UserSettings {
    UserSettings::new(UserSecret::from_bytes(&[7; 32]).expect("a secret"))
}

/// Logs `user` in on a new 1 KB session; its cookie header.
fn login(manager: &SessionManager, user: &str) -> String {
    let mut session = manager.load(None);
    session.insert("blob", &"x".repeat(1024)).expect("insert");
    session.set_user(user).expect("set_user");
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    cookie_header(&set_cookie.expect("a cookie"))
}

/// A new 1 KB session without a user; its cookie header.
fn anonymous(manager: &SessionManager) -> String {
    let mut session = manager.load(None);
    session.insert("blob", &"x".repeat(1024)).expect("insert");
    let set_cookie = manager.commit(session, Scheme::Http).expect("commit");
    cookie_header(&set_cookie.expect("a cookie"))
}

/// The calls of one request on `cookie` doing `work`.
fn calls(
    backend: &Counted,
    manager: &SessionManager,
    cookie: &str,
    work: impl FnOnce(&mut Session),
) -> CallCounts {
    backend.reset_counts();
    let mut session = manager.load(Some(cookie));
    work(&mut session);
    manager.commit(session, Scheme::Http).expect("commit");
    backend.counts()
}

fn row(name: &str, c: CallCounts) {
    println!("{}", common::user_calls_row(name, c));
}

fn main() {
    quick::announce();
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let backend: Counted = Arc::new(CountingBackend::new(common::backend_on_new_table(
        &endpoint,
        "bench-users",
    )));
    let manager = SessionManager::with_users(backend.clone(), SessionConfig::default(), users());

    println!("Store calls per request, 1 KB session, with and without a user:");
    println!();
    println!("{}", common::USER_CALLS_HEADER);
    for with_user in [false, true] {
        let who = if with_user { "with a user" } else { "no user" };
        let fresh = || match with_user {
            true => login(&manager, "ada"),
            false => anonymous(&manager),
        };
        let cookie = fresh();
        row(
            &format!("read-only, {who}"),
            calls(&backend, &manager, &cookie, |s| {
                s.get::<String>("blob").expect("get");
            }),
        );
        row(
            &format!("write, {who}"),
            calls(&backend, &manager, &fresh(), |s| {
                s.insert("n", &1).expect("insert")
            }),
        );
        row(
            &format!("logout, {who}"),
            calls(&backend, &manager, &fresh(), |s| {
                s.get::<String>("blob").expect("get");
                s.invalidate();
            }),
        );
    }
    let cookie = anonymous(&manager);
    row(
        "login (set_user) from a session without a user",
        calls(&backend, &manager, &cookie, |s| {
            s.set_user("grace").expect("set_user")
        }),
    );
    let cookie = login(&manager, "ada");
    row(
        "list the user's sessions",
        calls(&backend, &manager, &cookie, |s| {
            s.user_sessions().expect("list");
        }),
    );
    row(
        "end the other sessions",
        calls(&backend, &manager, &cookie, |s| {
            s.end_other_sessions().expect("end others")
        }),
    );

    let rounds = common::env_count("BENCH_ROUNDS", quick::full_or_quick(30, 2));
    println!();
    println!(
        "Ending all sessions of a user, {rounds} rounds per size (each round: the user logs in that many times, then one end_all_sessions is timed):"
    );
    println!();
    println!("| sessions | store calls | mean | p50 | p99 |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    for sessions in [1, 10, 100] {
        let mut samples = Vec::with_capacity(rounds);
        let mut counts = CallCounts::default();
        for round in 0..rounds {
            let user = format!("user-{sessions}-{round}");
            let cookies: Vec<String> = (0..sessions).map(|_| login(&manager, &user)).collect();
            backend.reset_counts();
            let started = Instant::now();
            manager.end_all_sessions(&user).expect("end all");
            samples.push(started.elapsed());
            counts = backend.counts();
            // Each of them is ended (checked once per size, outside the timing).
            if round == 0 {
                for cookie in &cookies {
                    let mut session = manager.load(Some(cookie));
                    assert_eq!(session.user().expect("load"), None, "ended");
                }
            }
        }
        let stats = common::stats(&mut samples);
        println!(
            "| {sessions} | {} generation read, {} advance | {:.2} ms | {:.2} ms | {:.2} ms |",
            counts.generation_reads,
            counts.advances,
            common::micros(stats.mean) / 1000.0,
            common::micros(stats.p50) / 1000.0,
            common::micros(stats.p99) / 1000.0,
        );
    }
}
