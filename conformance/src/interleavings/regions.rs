//! Schedules across regions: the options, and where each request goes.
//!
//! With [`Options::regions`](super::Options::regions) a schedule runs one
//! process per region, each over its region's replica of one table
//! ([`ReplicaModel`]), and routes each browser's requests as a load
//! balancer would ([`Routing`]). The library is set up as an application
//! would set it up ([`Setup`]): each process on its own region's table, as
//! a single-region application does, or home-routed
//! ([`HomeRouted`](dynamodb_sessions_core::regions::HomeRouted)), every
//! session's calls going to the region its ID names. Writes replicate when
//! a step delivers them or after [`Regions::delay`] of schedule time, and
//! regions go down and come back when [`Outages::Drawn`].

use std::time::Duration;

use dynamodb_sessions_core::regions::{Failover, KeySlots};

pub use super::replicas::ReplicaModel;

/// How a browser's requests reach the regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Every request goes to the browser's home region, up or down.
    Home,
    /// Each request goes to any region that is up (latency routing that
    /// flaps between regions).
    Any,
    /// Requests go to the browser's home region while it is up, else to
    /// the next region that is.
    Failover,
}

/// How the application sets the library up in each region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// As for one region: each process uses its own region's table and
    /// draws session IDs anywhere.
    PerRegion,
    /// Home-routed: each process draws IDs homed in its own region, and
    /// sends every session's calls to its home region's table, with this
    /// failover (regions are marked down and up as they go and come).
    HomeRouted(Failover),
}

/// Whether regions go down during a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outages {
    /// Every region stays up.
    None,
    /// A schedule takes one region down and brings it back, at random
    /// steps (one region at most is down at a time).
    Drawn,
}

/// Whether regions' TTL deletes expired items during a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlDeletes {
    /// Expired items stay (as with TTL off, or before its sweep comes).
    None,
    /// At random steps a region deletes every item its own replica holds
    /// past its `exp` (under [`ReplicaModel::Strong`], the current copy:
    /// what a sweeper's conditional deletes see); the deletes replicate.
    Drawn,
}

/// Schedules across regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regions {
    /// How many regions (2 or 3).
    pub count: usize,
    /// How their replicas agree.
    pub model: ReplicaModel,
    /// Where requests go.
    pub routing: Routing,
    /// How the library is set up.
    pub setup: Setup,
    /// How long a write takes to reach the other regions, unless a step
    /// delivers it sooner; whole seconds of the schedule's clock, which
    /// moves 1 to 4 s a step (DynamoDB: "typically within a second").
    pub delay: Duration,
    /// Whether regions go down.
    pub outages: Outages,
    /// Whether TTL deletes expired items.
    pub ttl: TtlDeletes,
    /// The sessions' [expiry margin](dynamodb_sessions_core::SessionConfigBuilder::expiry_margin)
    /// (whole seconds).
    pub expiry_margin: Duration,
}

impl Regions {
    /// Two regions in `model`, routed by `routing`, the library set up by
    /// `setup`; writes replicate within 2 s; no outages.
    pub fn new(model: ReplicaModel, routing: Routing, setup: Setup) -> Self {
        Regions {
            count: 2,
            model,
            routing,
            setup,
            delay: Duration::from_secs(2),
            outages: Outages::None,
            ttl: TtlDeletes::None,
            expiry_margin: Duration::ZERO,
        }
    }

    /// The same, with `count` regions.
    pub fn count(self, count: usize) -> Self {
        Regions { count, ..self }
    }

    /// The same, with writes reaching the other regions within `delay`.
    pub fn delay(self, delay: Duration) -> Self {
        Regions { delay, ..self }
    }

    /// The same, with these outages.
    pub fn outages(self, outages: Outages) -> Self {
        Regions { outages, ..self }
    }

    /// The same, with TTL deletes, and sessions with this expiry margin.
    pub fn ttl(self, ttl: TtlDeletes, expiry_margin: Duration) -> Self {
        Regions {
            ttl,
            expiry_margin,
            ..self
        }
    }

    /// The name of region `region` in a [`HomeRouted`] backend.
    ///
    /// [`HomeRouted`]: dynamodb_sessions_core::regions::HomeRouted
    pub(crate) fn name(region: usize) -> String {
        format!("region-{region}")
    }

    /// The key slots region `region` holds: the 16 slots shared out in
    /// contiguous ranges.
    pub(crate) fn slots(&self, region: usize) -> KeySlots {
        let share = |r: usize| (r * 16 / self.count) as u8;
        KeySlots::range(share(region)..share(region + 1)).expect("2 or 3 regions share 16 slots")
    }

    /// The region a request of a browser homed in `home` goes to, given
    /// which regions are down and a random draw for [`Routing::Any`].
    pub(crate) fn route(&self, home: usize, down: &[bool], draw: usize) -> usize {
        let up: Vec<usize> = (0..self.count).filter(|r| !down[*r]).collect();
        match self.routing {
            Routing::Home => home,
            Routing::Any if up.is_empty() => home,
            Routing::Any => up[draw % up.len()],
            Routing::Failover => (0..self.count)
                .map(|step| (home + step) % self.count)
                .find(|r| !down[*r])
                .unwrap_or(home),
        }
    }
}
