//! Running many schedules: seeds from the environment, statistics summed
//! into one line, violations kept with their seed and trace.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use super::invariants::Invariant;

/// Environment variable: the first seed to run (alone, unless
/// [`SCHEDULES_ENV`] is set too): how a failing seed is replayed.
pub const SEED_ENV: &str = "INTERLEAVINGS_SEED";
/// Environment variable: how many schedules to run.
pub const SCHEDULES_ENV: &str = "INTERLEAVINGS_SCHEDULES";
/// Environment variable: when set, every schedule's trace is printed.
pub const TRACE_ENV: &str = "INTERLEAVINGS_TRACE";

/// What schedules did, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Schedules run.
    pub schedules: u64,
    /// Steps taken (request turns, deliveries, clock moves, late arrivals).
    pub steps: u64,
    /// Requests started.
    pub requests: u64,
    /// Calls that reached the store under test.
    pub calls: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// Commit outcomes, by kind (`ok`, `conflict`, `expired`, errors).
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Things worth knowing that are not violations, by kind.
    pub notes: BTreeMap<&'static str, u64>,
    /// The slowest store call.
    pub slowest_call: Duration,
    /// A digest of the traces: equal for equal schedules.
    pub fingerprint: u64,
}

impl Stats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        self.schedules += other.schedules;
        self.steps += other.steps;
        self.requests += other.requests;
        self.calls += other.calls;
        for (into, from) in [
            (&mut self.faults, &other.faults),
            (&mut self.outcomes, &other.outcomes),
            (&mut self.notes, &other.notes),
        ] {
            for (kind, count) in from {
                *into.entry(kind).or_default() += count;
            }
        }
        self.slowest_call = self.slowest_call.max(other.slowest_call);
        self.fingerprint = self.fingerprint.rotate_left(5) ^ other.fingerprint;
    }
}

/// A broken promise: the seed that replays it, which promise, what
/// happened, and the schedule's steps up to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Replays the schedule (`INTERLEAVINGS_SEED`).
    pub seed: u64,
    /// The promise broken.
    pub invariant: Invariant,
    /// What happened.
    pub message: String,
    /// One short line per step (and per store call), up to the violation.
    pub trace: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} violates {}:\n  {}",
            self.seed, self.invariant, self.message
        )?;
        writeln!(
            f,
            "replay: {SEED_ENV}={} with the same test command; trace ({} lines):",
            self.seed,
            self.trace.len()
        )?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// The result of many schedules.
#[derive(Debug, Clone)]
pub struct Summary {
    /// What ran (e.g. "memory").
    pub name: String,
    /// The first seed.
    pub first_seed: u64,
    /// Everything summed.
    pub stats: Stats,
    /// Every violation found, in seed order.
    pub violations: Vec<Violation>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Summary {
    /// Panics with the first violation's seed and trace, if any.
    pub fn assert_no_violations(&self) {
        if let Some(first) = self.violations.first() {
            let mut seeds: Vec<String> = self
                .violations
                .iter()
                .map(|v| format!("{} ({:?})", v.seed, v.invariant))
                .collect();
            seeds.truncate(20);
            panic!(
                "{self}\n{} violating schedules, seeds {}\nfirst:\n{first}",
                self.violations.len(),
                seeds.join(", ")
            );
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn counts(map: &BTreeMap<&'static str, u64>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(kind, count)| format!("{kind} {}", thousands(*count)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        write!(
            f,
            "interleavings on {}: {} schedules (seeds {}..{}), {} steps, {} requests, {} store \
             calls; faults: {}; outcomes: {}; notes: {}; slowest call {:.1?}; {} violations; {:.1?}",
            self.name,
            thousands(s.schedules),
            self.first_seed,
            self.first_seed + s.schedules,
            thousands(s.steps),
            thousands(s.requests),
            thousands(s.calls),
            counts(&s.faults),
            counts(&s.outcomes),
            counts(&s.notes),
            s.slowest_call,
            self.violations.len(),
            self.elapsed
        )
    }
}

/// Which schedules to run: `count` seeds from `first_seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedules {
    /// The first seed.
    pub first_seed: u64,
    /// How many schedules (seeds `first_seed..first_seed + count`).
    pub count: u64,
}

impl Schedules {
    /// From [`SEED_ENV`] and [`SCHEDULES_ENV`]: seed 0 and `default_count`
    /// schedules unless they say otherwise; a seed alone runs just that one.
    ///
    /// # Panics
    ///
    /// When either variable is set to something other than a number.
    pub fn from_env(default_count: u64) -> Self {
        let number = |name: &str| {
            std::env::var(name).ok().map(|value| {
                value
                    .trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}"))
            })
        };
        let seed = number(SEED_ENV);
        let count = number(SCHEDULES_ENV);
        Schedules {
            first_seed: seed.unwrap_or(0),
            count: count.unwrap_or(if seed.is_some() { 1 } else { default_count }),
        }
    }

    /// Runs `schedule` for every seed, collecting statistics and violations.
    pub fn run(
        &self,
        name: &str,
        mut schedule: impl FnMut(u64) -> Result<Stats, Violation>,
    ) -> Summary {
        let started = Instant::now();
        let mut stats = Stats::default();
        let mut violations = Vec::new();
        for seed in self.first_seed..self.first_seed.saturating_add(self.count) {
            match schedule(seed) {
                Ok(one) => stats.merge(&one),
                Err(violation) => {
                    stats.schedules += 1;
                    violations.push(violation);
                }
            }
        }
        Summary {
            name: name.to_owned(),
            first_seed: self.first_seed,
            stats,
            violations,
            elapsed: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
