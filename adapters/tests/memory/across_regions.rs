//! The randomized checker across regions: one table replicated in two or
//! three regions (`interleavings::ReplicaModel`), a process per region,
//! browsers routed to their home region, to any region, or moved by a
//! failover (`interleavings::Routing`), regions going down and coming back.
//! What holds, and what breaks with which seed, per model, routing and
//! setup of the library (`interleavings::Setup`).
//!
//! ```sh
//! cargo test -p dynamodb-sessions --test memory across_regions
//! # every row, 10,000 schedules each, with the table of what breaks:
//! INTERLEAVINGS_SCHEDULES=10000 cargo test --release -p dynamodb-sessions \
//!     --test memory across_regions -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use dynamodb_sessions::regions::Failover;
use dynamodb_sessions_conformance::interleavings::{
    self, FaultRates, Invariant, Options, Outages, Regions, ReplicaModel, Routing, Schedules,
    Setup, Summary, TtlDeletes,
};

/// Schedules per CI run of a row that must hold.
const CI_SCHEDULES: u64 = 300;
/// Seeds within which a row that breaks must show it.
const FIND_WITHIN: u64 = 300;

fn options(regions: Regions) -> Options {
    Options {
        // Eventual reads in a region lag behind other regions' writes.
        lagging_reads: true,
        regions: Some(regions),
        ..Options::default()
    }
}

fn run(name: &str, regions: Regions, schedules: u64) -> Summary {
    run_with(name, &options(regions), schedules)
}

/// Runs `schedules` schedules (unless `INTERLEAVINGS_SCHEDULES` says
/// otherwise) with `options`, and prints the summary.
fn run_with(name: &str, options: &Options, schedules: u64) -> Summary {
    let summary =
        Schedules::from_env(schedules).run(name, |seed| interleavings::run_regions(seed, options));
    println!("{summary}");
    summary
}

/// Which promises broke, how often, and the first seed of each.
fn broken(summary: &Summary) -> BTreeMap<Invariant, (usize, u64)> {
    let mut broken = BTreeMap::new();
    for violation in &summary.violations {
        let entry = broken
            .entry(violation.invariant)
            .or_insert((0, violation.seed));
        entry.0 += 1;
    }
    broken
}

/// Prints what broke; with `INTERLEAVINGS_SEED`, the violation and its
/// trace too.
fn report(summary: &Summary) {
    for (invariant, (count, seed)) in broken(summary) {
        println!(
            "  {}: {invariant:?} broken in {count} of {} schedules, first seed {seed}",
            summary.name, summary.stats.schedules
        );
    }
    if std::env::var_os(interleavings::SEED_ENV).is_some() {
        for violation in &summary.violations {
            println!("{violation}");
        }
    }
}

/// MREC, each process on its own region's table, every browser always in
/// its home region: one writer per item, so one region's promises.
#[test]
fn eventual_per_region_home_routing_keeps_every_promise() {
    let regions = Regions::new(ReplicaModel::Eventual, Routing::Home, Setup::PerRegion);
    let summary = run("MREC, per region, home routing", regions, CI_SCHEDULES);
    summary.assert_no_violations();
    assert!(summary.stats.notes.get("replicated writes delivered") > Some(&0));
}

/// MREC, each process on its own region's table, requests to any region:
/// two regions pass the same version check, a logout in one is overwritten
/// by a write replicated from the other. The checker must find it.
#[test]
fn eventual_per_region_any_routing_breaks_promises() {
    let regions = Regions::new(ReplicaModel::Eventual, Routing::Any, Setup::PerRegion);
    let summary = run("MREC, per region, any routing", regions, FIND_WITHIN);
    report(&summary);
    assert!(
        !summary.violations.is_empty(),
        "two writers per item under last-writer-wins must break a promise"
    );
}

/// MREC, each process on its own region's table, failover when the home
/// region is down: writes not yet replicated when it went down are
/// missing in the next region, and come back later over newer ones.
#[test]
fn eventual_per_region_failover_breaks_promises() {
    let regions = Regions::new(ReplicaModel::Eventual, Routing::Failover, Setup::PerRegion)
        .outages(Outages::Drawn);
    let summary = run("MREC, per region, failover", regions, FIND_WITHIN);
    report(&summary);
    assert!(!summary.violations.is_empty());
}

/// MREC, home-routed: each session's calls go to its home region,
/// whatever region serves the request, so only one region ever writes an
/// item. While a home region is down its sessions wait (errors, 503).
#[test]
fn eventual_home_routed_keeps_every_promise_under_any_routing() {
    for routing in [Routing::Any, Routing::Failover] {
        let setup = Setup::HomeRouted(Failover::Wait);
        let regions = Regions::new(ReplicaModel::Eventual, routing, setup)
            .count(3)
            .outages(Outages::Drawn);
        let summary = run(
            &format!("MREC, home-routed, {routing:?}"),
            regions,
            CI_SCHEDULES,
        );
        summary.assert_no_violations();
        // Not vacuous: requests did reach other regions, writes replicated,
        // regions went down.
        let notes = &summary.stats.notes;
        assert!(notes.get("requests served away from their session's home") > Some(&0));
        assert!(notes.get("replicated writes delivered") > Some(&0));
        assert!(notes.get("region outages") > Some(&0));
    }
}

/// MREC, home-routed, abandoning a region marked down: its sessions are
/// given up (fresh sessions elsewhere), nothing is written for them
/// anywhere else, and they are as they were when it is back.
#[test]
fn eventual_home_routed_abandon_keeps_every_promise() {
    let setup = Setup::HomeRouted(Failover::Abandon);
    let regions =
        Regions::new(ReplicaModel::Eventual, Routing::Failover, setup).outages(Outages::Drawn);
    let summary = run("MREC, home-routed, abandon", regions, CI_SCHEDULES);
    summary.assert_no_violations();
    assert!(summary.stats.notes.get("region outages") > Some(&0));
}

/// MREC, home-routed, with each region's TTL deleting what its own
/// replica holds past `exp`, writes taking up to 20 s to reach the other
/// region (a lagging region): a reissue made in the home region just before `exp` may not
/// have reached another region when its TTL runs, and the replicated
/// delete ends a session its user had just extended. Without an expiry
/// margin the checker finds it.
#[test]
fn eventual_home_routed_ttl_without_a_margin_loses_reissued_sessions() {
    let summary = run_ttl("MREC, home-routed, TTL, no margin", Duration::ZERO);
    report(&summary);
    assert!(!summary.violations.is_empty());
}

/// The same with an expiry margin longer than the replication delay:
/// every reissue reaches every replica before the `exp` it replaces, so
/// TTL only ever deletes what is expired everywhere.
#[test]
fn eventual_home_routed_ttl_with_a_margin_keeps_every_promise() {
    let summary = run_ttl("MREC, home-routed, TTL, margin", TTL_MARGIN);
    summary.assert_no_violations();
    assert!(summary.stats.notes.get("items deleted by TTL") > Some(&0));
}

/// How long writes take to reach the other region in the TTL schedules: a
/// third of the sessions' 60 s idle timeout, so that sessions are often
/// reissued within it of their `exp` (a lagging region).
const TTL_DELAY: Duration = Duration::from_secs(20);
/// The margin that must cover it.
const TTL_MARGIN: Duration = Duration::from_secs(22);

/// Options for TTL schedules: home-routed, any routing, with TTL deletes,
/// the replication delay [`TTL_DELAY`] and `margin`. Without the faults
/// that hold a write in the network while the clock moves on: in the model
/// a held write can land any time later (past a jump of the clock beyond
/// the idle timeout), where a real one lands within the store call's
/// deadline, which the margin must cover too (the guide says so).
fn ttl_options(margin: Duration) -> Options {
    let regions = Regions::new(
        ReplicaModel::Eventual,
        Routing::Any,
        Setup::HomeRouted(Failover::Wait),
    )
    .delay(TTL_DELAY)
    .ttl(TtlDeletes::Drawn, margin);
    Options {
        faults: FaultRates {
            delay: 0,
            late_duplicate: 0,
            ..FaultRates::default()
        },
        ..options(regions)
    }
}

fn run_ttl(name: &str, margin: Duration) -> Summary {
    // More than the other rows: without a margin, about 1 schedule in 150
    // loses a session, so that with one, none in 1,000 says something.
    run_with(name, &ttl_options(margin), 1_000)
}

/// MRSC as is: every condition and strong read is global, so any routing
/// keeps every promise; racing writes are refused (nothing written).
#[test]
fn strong_any_routing_keeps_every_promise() {
    let regions = Regions::new(ReplicaModel::Strong, Routing::Any, Setup::PerRegion)
        .count(3)
        .outages(Outages::Drawn);
    let summary = run("MRSC, any routing, outages", regions, CI_SCHEDULES);
    summary.assert_no_violations();
}

/// Every row, `INTERLEAVINGS_SCHEDULES` schedules each (10,000 unless
/// set), printed as the table in CONTRIBUTING.md: what breaks, how often,
/// and the first seed of each broken promise.
#[test]
#[ignore = "the long run: minutes in a release build"]
fn across_regions_table() {
    let schedules = 10_000;
    println!(
        "| model | setup | routing | outages | TTL, delay, margin | schedules | replicated writes | \
         refused conflicts | TTL deletes | broken (schedules, first seed) |"
    );
    println!("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |");
    for options in rows() {
        let regions = options.regions.expect("rows across regions");
        let summary = run_with(&format!("{regions:?}"), &options, schedules);
        let broken: Vec<String> = broken(&summary)
            .into_iter()
            .map(|(invariant, (count, seed))| format!("{invariant:?} ({count}, seed {seed})"))
            .collect();
        let note = |name| summary.stats.notes.get(name).copied().unwrap_or(0);
        println!(
            "| {:?} | {:?} | {:?} | {:?} | {:?}, {} s, {} s | {} | {} | {} | {} | {} |",
            regions.model,
            regions.setup,
            regions.routing,
            regions.outages,
            regions.ttl,
            regions.delay.as_secs(),
            regions.expiry_margin.as_secs(),
            summary.stats.schedules,
            note("replicated writes delivered"),
            note("writes refused as replication conflicts"),
            note("items deleted by TTL"),
            if broken.is_empty() {
                "none".to_owned()
            } else {
                broken.join(", ")
            },
        );
    }
}

/// The table's rows: each model, setup and routing; then TTL deletes with
/// and without an expiry margin.
fn rows() -> Vec<Options> {
    use ReplicaModel::{Eventual, Strong};
    use Routing::{Any, Home};
    let wait = Setup::HomeRouted(Failover::Wait);
    let abandon = Setup::HomeRouted(Failover::Abandon);
    let mut rows = Vec::new();
    for (model, setup) in [
        (Eventual, Setup::PerRegion),
        (Eventual, wait),
        (Eventual, abandon),
        (Strong, Setup::PerRegion),
    ] {
        for (routing, outages) in [
            (Home, Outages::None),
            (Home, Outages::Drawn),
            (Any, Outages::None),
            (Any, Outages::Drawn),
            (Routing::Failover, Outages::Drawn),
        ] {
            rows.push(options(
                Regions::new(model, routing, setup).outages(outages),
            ));
        }
    }
    for margin in [Duration::ZERO, TTL_MARGIN] {
        rows.push(ttl_options(margin));
        let mut with_outages = ttl_options(margin);
        with_outages.regions = with_outages.regions.map(|r| r.outages(Outages::Drawn));
        rows.push(with_outages);
    }
    // MRSC's sweeper: conditional deletes on the current copy.
    let strong = Regions::new(Strong, Any, Setup::PerRegion)
        .outages(Outages::Drawn)
        .ttl(TtlDeletes::Drawn, Duration::ZERO);
    rows.push(options(strong));
    rows
}
