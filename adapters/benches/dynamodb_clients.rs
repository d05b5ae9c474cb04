//! rusoto (`DynamoDbBackend`) against the AWS SDK
//! (`AwsSdkBackend`) on the same DynamoDB Local in one run: full and
//! read-only session cycles next to the bare calls of the same client, at
//! 1, 2, 4 and 8 threads, with p50/p99 latency and the client process's CPU
//! time per cycle (user + system from `/proc/self/stat`, not wall time).
//!
//! * full cycle: load (eventual GetItem), read, insert, commit (conditional
//!   PutItem); bare: GetItem + the same conditional PutItem of the item;
//! * read-only cycle (inside the reissue window): load, read, commit (no
//!   write); bare: GetItem.
//!
//! Each thread has its own session (no conflicts). The two clients run in
//! the order A B B A per thread count and kind, in halves, so that drift in
//! the server falls on both alike. Settings (environment):
//! `BENCH_SECONDS_MS` per client, kind and thread count (default 1200),
//! `BENCH_THREADS` (default `1,2,4,8`), `BENCH_WARMUP_MS` (default 2000).
//! `BENCH_QUICK=1` runs it with a few iterations (see `common/quick.rs`).
//!
//! `cargo bench -p dynamodb-sessions --bench dynamodb_clients`

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use dynamodb_sessions::{dynamodb::AwsSdkBackend, DynamoDbBackend, SessionManager};

use common::quick::full_or_quick;
use common::{
    bare_get, bare_put, full_cycle, key_of, micros, new_session, read_cycle, stats, Bare, SdkBare,
};

/// One client's session manager, bare client and sessions: per thread, one
/// for the manager (its latest cookie) and one for the bare calls, which
/// bump `ver` without resealing `dat` (sealing binds `ver`, so the manager
/// would no longer open that one).
struct Side {
    name: &'static str,
    manager: SessionManager,
    bare: BareClient,
    table: String,
    cookies: Vec<Mutex<String>>,
    bare_keys: Vec<Vec<u8>>,
}

enum BareClient {
    Rusoto(Bare),
    Sdk(SdkBare),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Full,
    BareFull,
    ReadOnly,
    BareGet,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Full => "full cycle",
            Kind::BareFull => "bare GetItem + PutItem",
            Kind::ReadOnly => "read-only cycle",
            Kind::BareGet => "bare GetItem",
        }
    }
}

impl Side {
    fn work(&self, kind: Kind, i: usize, deadline: Instant, out: &mut Vec<Duration>) {
        let mut latest = self.cookies[i].lock().expect("cookie");
        let mut cookie = latest.clone();
        let key = &self.bare_keys[i];
        while Instant::now() < deadline {
            let start = Instant::now();
            match kind {
                Kind::Full => cookie = full_cycle(&self.manager, &cookie),
                Kind::ReadOnly => read_cycle(&self.manager, &cookie),
                Kind::BareFull => match &self.bare {
                    BareClient::Rusoto(bare) => {
                        let item = bare_get(bare, &self.table, key).expect("the record");
                        bare_put(bare, &self.table, item);
                    }
                    BareClient::Sdk(bare) => {
                        let item = bare.get(&self.table, key).expect("the record");
                        bare.put_next(&self.table, item);
                    }
                },
                Kind::BareGet => match &self.bare {
                    BareClient::Rusoto(bare) => {
                        bare_get(bare, &self.table, key).expect("the record");
                    }
                    BareClient::Sdk(bare) => {
                        bare.get(&self.table, key).expect("the record");
                    }
                },
            }
            out.push(start.elapsed());
        }
        *latest = cookie;
    }
}

fn main() {
    let Some(endpoint) = common::dynamodb_endpoint() else {
        return;
    };
    let duration = common::env_millis("BENCH_SECONDS_MS", full_or_quick(1200, 100));
    let threads = common::env_list("BENCH_THREADS", full_or_quick("1,2,4,8", "1,2"));
    let warmup = common::env_millis("BENCH_WARMUP_MS", full_or_quick(2000, 100));
    common::quick::announce();
    let max = threads.iter().copied().max().unwrap_or(1);
    let me = std::process::id();
    println!("# dynamodb_clients: {}", common::machine());
    println!(
        "# endpoint {endpoint}, {} ms per client, kind and thread count",
        duration.as_millis()
    );

    let rusoto: DynamoDbBackend = common::client_on_new_table(&endpoint, "bench-rusoto");
    let sdk: AwsSdkBackend = common::client_on_new_table(&endpoint, "bench-sdk");
    let side = |name, table: &str, manager: SessionManager, bare| {
        let cookies = (0..max)
            .map(|_| Mutex::new(new_session(&manager)))
            .collect();
        let bare_keys = (0..max).map(|_| key_of(&new_session(&manager))).collect();
        Side {
            name,
            manager,
            bare,
            table: table.to_owned(),
            cookies,
            bare_keys,
        }
    };
    let sides = [
        side(
            "rusoto",
            rusoto.table_name(),
            common::manager(rusoto.clone()),
            BareClient::Rusoto(Bare::new(&endpoint)),
        ),
        side(
            "aws-sdk",
            sdk.table_name(),
            common::manager(sdk.clone()),
            BareClient::Sdk(SdkBare::new(&endpoint)),
        ),
    ];
    // DynamoDB Local is a JVM: let its JIT settle, and warm both pools.
    for side in &sides {
        for kind in [Kind::Full, Kind::BareFull] {
            common::run_threads(2, warmup / 2, |i, d, out| side.work(kind, i, d, out));
        }
    }

    println!();
    println!("| threads | client | kind | cycles/s | p50 µs | p99 µs | client CPU µs/cycle |");
    println!("| ---: | --- | --- | ---: | ---: | ---: | ---: |");
    let mut ratios = Vec::new();
    for &n in &threads {
        for kind in [Kind::Full, Kind::BareFull, Kind::ReadOnly, Kind::BareGet] {
            let mut results: Vec<(Vec<Duration>, Duration, f64)> =
                vec![(Vec::new(), Duration::ZERO, 0.0); 2];
            for index in [0, 1, 1, 0] {
                let before = common::cpu_seconds(me);
                let (samples, elapsed) = common::run_threads(n, duration / 2, |i, d, out| {
                    sides[index].work(kind, i, d, out)
                });
                let entry = &mut results[index];
                entry.0.extend(samples);
                entry.1 += elapsed;
                if let (Some(b), Some(a)) = (before, common::cpu_seconds(me)) {
                    entry.2 += a - b;
                }
            }
            for (index, (mut samples, elapsed, cpu)) in results.into_iter().enumerate() {
                let cycles = samples.len() as f64;
                let s = stats(&mut samples);
                let cpu_per_cycle = cpu * 1e6 / cycles;
                println!(
                    "| {n} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                    sides[index].name,
                    kind.label(),
                    cycles / elapsed.as_secs_f64(),
                    micros(s.p50),
                    micros(s.p99),
                    cpu_per_cycle,
                );
                ratios.push((n, index, kind, s, cpu_per_cycle));
            }
        }
    }

    println!();
    println!("| threads | client | cycle | p50 ours/bare | p99 ours/bare | CPU ours/bare |");
    println!("| ---: | --- | --- | ---: | ---: | ---: |");
    for &(n, index, kind, ours, cpu) in &ratios {
        let bare_kind = match kind {
            Kind::Full => Kind::BareFull,
            Kind::ReadOnly => Kind::BareGet,
            _ => continue,
        };
        let Some(&(_, _, _, bare, bare_cpu)) = ratios
            .iter()
            .find(|r| r.0 == n && r.1 == index && r.2 == bare_kind)
        else {
            continue;
        };
        println!(
            "| {n} | {} | {} | {:.2}x | {:.2}x | {:.2}x |",
            sides[index].name,
            kind.label(),
            ours.p50.as_secs_f64() / bare.p50.as_secs_f64(),
            ours.p99.as_secs_f64() / bare.p99.as_secs_f64(),
            cpu / bare_cpu,
        );
    }
}
