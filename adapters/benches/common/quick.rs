//! Quick mode: with `BENCH_QUICK=1` every bench runs once with a few
//! iterations, so that CI sees a bench that panics (`.ci/run` runs them all
//! this way after the tests). A quick run's figures mean nothing and
//! nothing checks them. A setting named in the environment (`BENCH_ROUNDS`
//! and the like) still wins over the quick default.

use std::time::Duration;

use criterion::Criterion;

/// Whether this is a quick run: `BENCH_QUICK` set to anything but empty or
/// `0`.
pub fn is_quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|value| !value.is_empty() && value != "0")
}

/// `full` in a measuring run, `quick` in a quick one.
pub fn full_or_quick<T>(full: T, quick: T) -> T {
    if is_quick() {
        quick
    } else {
        full
    }
}

/// Says on stdout that this is a quick run, so that its tables are not
/// mistaken for figures.
pub fn announce() {
    if is_quick() {
        println!("# quick run (BENCH_QUICK): a few iterations, the figures mean nothing");
    }
}

/// criterion's settings: 1 s of warm-up and 3 s of measurement per
/// benchmark, or in a quick run the fewest samples criterion takes, in
/// a few milliseconds. Command-line options (`--measurement-time` and the
/// like) still win: `criterion_group!` applies them after these.
pub fn criterion() -> Criterion {
    let settings = Criterion::default();
    if is_quick() {
        announce();
        settings
            .sample_size(10)
            .warm_up_time(Duration::from_millis(10))
            .measurement_time(Duration::from_millis(20))
    } else {
        settings
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
    }
}
