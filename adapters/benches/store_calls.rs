//! The store calls each kind of request costs, counted by `CountingBackend`
//! around `MemoryBackend` (the conformance suite checks the same counts on
//! DynamoDB Local too).
//!
//! It sends one request of each kind and nothing else, so it has no quick
//! mode of its own: `BENCH_QUICK=1` runs it as it is.
//!
//! `cargo bench -p dynamodb-sessions --bench store_calls`

mod common;

use dynamodb_sessions::Scheme;
use std::sync::Arc;

use dynamodb_sessions::regions::{HomeRouted, KeySlots};
use dynamodb_sessions::users::{UserSecret, UserSettings};
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    testing::{CallCounts, CountingBackend, LaggingReads, ManualClock, StaleReads},
    Session, SessionConfig, SessionManager,
};

const T0: i64 = 1_700_000_000;

struct Setup {
    /// Counted outside the lagging replica, so that its own reads are not.
    backend: Arc<CountingBackend<LaggingReads<MemoryBackend>>>,
    clock: Arc<ManualClock>,
    manager: SessionManager,
    cookie: String,
}

/// A store holding one session (`user`, `visits`) written at `T0`.
fn setup() -> Setup {
    let backend = Arc::new(CountingBackend::new(
        LaggingReads::new(MemoryBackend::new()),
    ));
    backend.inner().set_stale_reads(StaleReads::Off);
    let clock = Arc::new(ManualClock::new(T0));
    let manager =
        SessionManager::with_clock(backend.clone(), SessionConfig::default(), clock.clone());
    let mut session = manager.load(None);
    session.insert("user", "ada").unwrap();
    session.insert("visits", &1u64).unwrap();
    let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    backend.reset_counts();
    Setup {
        backend,
        clock,
        manager,
        cookie,
    }
}

fn measure(
    advance: i64,
    with_cookie: bool,
    request: impl FnOnce(&mut Session),
) -> (CallCounts, bool) {
    let setup = setup();
    setup.clock.advance(advance);
    let mut session = setup
        .manager
        .load(with_cookie.then_some(setup.cookie.as_str()));
    request(&mut session);
    let set_cookie = setup.manager.commit(session, Scheme::Http).unwrap();
    (setup.backend.counts(), set_cookie.is_some())
}

type Request = Box<dyn FnOnce(&mut Session)>;

/// Each kind of request: its name, how far the clock moves first, whether
/// it carries the session's cookie, and what it does.
fn kinds() -> Vec<(&'static str, i64, bool, Request)> {
    let reissue = SessionConfig::default().reissue_time().as_secs() as i64;
    vec![
        ("no cookie, session untouched", 0, false, Box::new(|_| {})),
        ("cookie, session untouched", 0, true, Box::new(|_| {})),
        (
            "new session, data set",
            0,
            false,
            Box::new(|s| s.insert("visits", &1u64).unwrap()),
        ),
        (
            "read-only, inside the reissue window",
            reissue,
            true,
            Box::new(|s| {
                s.get::<String>("user").unwrap();
            }),
        ),
        (
            "read-only, past the reissue window",
            reissue + 1,
            true,
            Box::new(|s| {
                s.get::<String>("user").unwrap();
            }),
        ),
        (
            "write (read + change a value)",
            10,
            true,
            Box::new(|s| {
                let n: u64 = s.get("visits").unwrap().unwrap();
                s.insert("visits", &(n + 1)).unwrap();
            }),
        ),
        (
            "login (regenerate_id + set user)",
            10,
            true,
            Box::new(|s| {
                s.regenerate_id().unwrap();
                s.insert("user", "grace").unwrap();
            }),
        ),
        (
            "logout (invalidate)",
            10,
            true,
            Box::new(|s| s.invalidate()),
        ),
    ]
}

fn main() {
    common::quick::announce();
    println!("| request | eventual reads | strong reads | creates | replaces | touches | ends | total | Set-Cookie |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (name, advance, with_cookie, request) in kinds() {
        let (c, set) = measure(advance, with_cookie, request);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.eventual_loads,
            c.strong_loads,
            c.creates,
            c.replaces,
            c.touches,
            c.ends,
            c.total(),
            if set { "yes" } else { "no" }
        );
    }

    // Read-your-writes: the replica still has the version before the write
    // the cookie names, so the eventual read is followed by a strong one.
    // `MemoryBackend` keeps the version before only for writes made in
    // stale-read mode, so the mode is on before the write.
    let setup = setup();
    setup.backend.inner().set_stale_reads(StaleReads::On);
    let mut session = setup.manager.load(Some(&setup.cookie));
    session.insert("visits", &2u64).unwrap();
    let set_cookie = setup
        .manager
        .commit(session, Scheme::Http)
        .unwrap()
        .unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    setup.backend.reset_counts();
    let mut session = setup.manager.load(Some(&cookie));
    session.get::<u64>("visits").unwrap();
    setup.manager.commit(session, Scheme::Http).unwrap();
    let c = setup.backend.counts();
    println!(
        "| read right after a write, replica lagging | {} | {} | {} | {} | {} | {} | {} | no |",
        c.eventual_loads,
        c.strong_loads,
        c.creates,
        c.replaces,
        c.touches,
        c.ends,
        c.total()
    );

    with_a_user();
    across_regions();
}

/// The same kinds of request through a home-routed backend over two
/// regions (`eu`: slots 0..8, `us`: 8..16), on a session homed in `us`:
/// served by a process in `us` (at home) and by one in `eu` (away), the
/// calls each region's store got.
fn across_regions() {
    println!();
    println!("Home-routed across two regions, a session homed in `us` (calls to the serving process's own region / to the other region):");
    println!();
    println!("| request | one region: calls | served at home: local / remote | served away: local / remote |");
    println!("| --- | ---: | ---: | ---: |");
    let rows = kinds().into_iter().zip(kinds()).zip(kinds());
    for (((name, advance, with_cookie, one), (_, _, _, home)), (_, _, _, away)) in rows {
        let (one_region, _) = measure(advance, with_cookie, one);
        let (home_local, home_remote) = served("us", advance, with_cookie, home);
        let (away_local, away_remote) = served("eu", advance, with_cookie, away);
        println!(
            "| {name} | {} | {home_local} / {home_remote} | {away_local} / {away_remote} |",
            one_region.total()
        );
    }
}

/// Two regions' stores, counted, with one session homed in `us`.
struct TwoRegions {
    eu: Arc<CountingBackend<MemoryBackend>>,
    us: Arc<CountingBackend<MemoryBackend>>,
    clock: Arc<ManualClock>,
}

impl TwoRegions {
    /// A process in region `local`.
    fn process(&self, local: &str) -> SessionManager {
        let backend = HomeRouted::builder()
            .region("eu", KeySlots::range(0..8).unwrap(), Arc::clone(&self.eu))
            .region("us", KeySlots::range(8..16).unwrap(), Arc::clone(&self.us))
            .local(local)
            .build()
            .unwrap();
        let config = SessionConfig::builder()
            .key_slots(backend.local_slots())
            .build()
            .unwrap();
        SessionManager::with_clock(backend, config, Arc::clone(&self.clock))
    }
}

/// One request served by a process in `local` on a session a process in
/// `us` wrote at `T0`: the calls to `local`'s store and to the other's.
fn served(local: &str, advance: i64, with_cookie: bool, request: Request) -> (u64, u64) {
    let regions = TwoRegions {
        eu: Arc::new(CountingBackend::new(MemoryBackend::new())),
        us: Arc::new(CountingBackend::new(MemoryBackend::new())),
        clock: Arc::new(ManualClock::new(T0)),
    };
    let home = regions.process("us");
    let mut session = home.load(None);
    session.insert("user", "ada").unwrap();
    session.insert("visits", &1u64).unwrap();
    let set_cookie = home.commit(session, Scheme::Http).unwrap().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    regions.eu.reset_counts();
    regions.us.reset_counts();
    regions.clock.advance(advance);
    let manager = regions.process(local);
    let mut session = manager.load(with_cookie.then_some(cookie.as_str()));
    request(&mut session);
    manager.commit(session, Scheme::Http).unwrap();
    let (eu, us) = (regions.eu.counts().total(), regions.us.counts().total());
    match local {
        "us" => (us, eu),
        _ => (eu, us),
    }
}

/// The same kinds of request on a session a user logged in to, and the
/// user calls, through a manager with users: each on a store where `ada`
/// has `sessions` sessions.
fn with_a_user() {
    let reissue = SessionConfig::default().reissue_time().as_secs() as i64;
    println!();
    println!("With a user (`SessionManager::with_users`; a checked load reads the user's generation and the record):");
    println!();
    println!("{}", common::USER_CALLS_HEADER);
    type UserRequest = Box<dyn FnOnce(&SessionManager, &mut Session)>;
    let kinds: Vec<(&str, usize, i64, UserRequest)> = vec![
        (
            "read-only, inside the reissue window",
            1,
            reissue,
            Box::new(|_, s| {
                s.user().unwrap();
            }),
        ),
        (
            "read-only, past the reissue window",
            1,
            reissue + 1,
            Box::new(|_, s| {
                s.user().unwrap();
            }),
        ),
        (
            "write (read + change a value)",
            1,
            10,
            Box::new(|_, s| s.insert("visits", &2u64).unwrap()),
        ),
        (
            "login (set_user)",
            1,
            10,
            Box::new(|_, s| s.set_user("grace").unwrap()),
        ),
        (
            "logout (invalidate)",
            1,
            10,
            Box::new(|_, s| s.invalidate()),
        ),
        (
            "list the user's sessions (10)",
            10,
            10,
            Box::new(|_, s| {
                s.user_sessions().unwrap();
            }),
        ),
        (
            "end the other sessions (10)",
            10,
            10,
            Box::new(|_, s| s.end_other_sessions().unwrap()),
        ),
    ];
    for (name, sessions, advance, request) in kinds {
        let setup = setup_with_users(sessions);
        setup.clock.advance(advance);
        let mut session = setup.manager.load(Some(&setup.cookie));
        request(&setup.manager, &mut session);
        setup.manager.commit(session, Scheme::Http).unwrap();
        print_user_row(name, setup.backend.counts());
    }
    for sessions in [1, 10, 100] {
        let setup = setup_with_users(sessions);
        setup.manager.end_all_sessions("ada").unwrap();
        print_user_row(
            &format!("end all sessions of a user ({sessions})"),
            setup.backend.counts(),
        );
    }
}

fn print_user_row(name: &str, c: CallCounts) {
    println!("{}", common::user_calls_row(name, c));
}

/// A store where `ada` logged in `sessions` times (at `T0`); the cookie is
/// the first login's.
fn setup_with_users(sessions: usize) -> Setup {
    let backend = Arc::new(CountingBackend::new(
        LaggingReads::new(MemoryBackend::new()),
    ));
    backend.inner().set_stale_reads(StaleReads::Off);
    let clock = Arc::new(ManualClock::new(T0));
    let secret = UserSecret::from_bytes(&[7; 32]).unwrap();
    let manager = SessionManager::with_users_and_clock(
        backend.clone(),
        SessionConfig::default(),
        UserSettings::new(secret),
        clock.clone(),
    );
    let mut cookies = Vec::new();
    for _ in 0..sessions {
        let mut session = manager.load(None);
        session.insert("visits", &1u64).unwrap();
        session.set_user("ada").unwrap();
        let set_cookie = manager.commit(session, Scheme::Http).unwrap().unwrap();
        cookies.push(set_cookie.split(';').next().unwrap().to_owned());
    }
    backend.reset_counts();
    Setup {
        backend,
        clock,
        manager,
        cookie: cookies.swap_remove(0),
    }
}
