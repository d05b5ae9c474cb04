//! Memory used while decoding a stored CBOR record is bounded by the input,
//! whatever lengths the record declares, so a planted record cannot make
//! a load allocate gigabytes.
//!
//! A CBOR header declares how many items or bytes follow; a record of 400 KB
//! can declare 2^64 − 1 of them at every level of nesting. Nothing may size
//! an allocation from such a declaration beyond what the rest of the input
//! could hold, and the levels of nesting must not each reserve that much
//! anew. Here a counting global allocator (this test binary only) measures
//! the peak bytes allocated while a session loads such a record from a
//! `MemoryBackend`; hostile records must be refused (a new, empty session)
//! with a peak under `16 × input + 64 KiB`. The records are plain CBOR,
//! which the default `DataProtection::Sealed` refuses unread, so the
//! manager reads them with `SealedAcceptingPlain`, as a table migrating
//! from `Plain` does: that is where a table writer's bytes reach the decoder.
//!
//! Records that really hold that many values cost what the values cost
//! (a `Value` is 32 bytes), and are checked against that bound instead. The
//! fuzz tests' CBOR seed corpus (`tests/corpus/cbor/`, where the hostile
//! shapes are kept at 4 KB) is replayed under the hostile bound too.
//!
//! The counters are per thread, so the other tests of this binary may
//! allocate while one is measured: a load runs on the calling thread.

use crate::fuzz_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{store::StoredData, DataProtection, SessionConfig, SessionManager};

// ------------------------------------------------------ counting allocator

/// `System`, counting the bytes each thread allocated (less those it freed)
/// and their peak.
struct Counting;

thread_local! {
    // Const-initialised cells without destructors: reading them never
    // allocates, so the allocator may use them.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let now = CURRENT.get() + bytes as isize;
    CURRENT.set(now);
    PEAK.set(PEAK.get().max(now));
}

fn shrank(bytes: usize) {
    CURRENT.set(CURRENT.get() - bytes as isize);
}

// SAFETY: every call is passed on to `System` unchanged; only counters
// are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            // Counted as if the old and the new block were both live for a
            // moment (a moving realloc copies), so the peak errs high.
            grew(new_size);
            shrank(layout.size());
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak bytes this thread
/// allocated during it, above what it had allocated when it began.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.get();
    PEAK.set(base);
    let result = f();
    let peak = PEAK.get();
    (result, usize::try_from(peak - base).unwrap_or(0))
}

// ------------------------------------------------------ hostile records

/// The largest `dat` a record can carry within DynamoDB's 400 KB item,
/// leaving room for the other attributes.
const INPUT: usize = 400_000;

/// The allowed peak for a hostile input of `len` bytes.
fn bound(len: usize) -> usize {
    16 * len + 64 * 1024
}

/// The allowed peak for an input of `len` bytes that really holds that many
/// values: one `Value` per byte, in vectors that grow by doubling (a moving
/// reallocation briefly holds the old and the new block: three `Value`s per
/// byte at worst), plus the record's own bytes.
fn dense_bound(len: usize) -> usize {
    (3 * std::mem::size_of::<ciborium::Value>() + 1) * len + 64 * 1024
}

/// `{"k": <rest>}`: a map of one text key, as a record's data is.
fn record_of(rest: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xa1, 0x61, b'k'];
    bytes.extend_from_slice(rest);
    bytes
}

/// A header of major type `major` with the argument in `width` bytes
/// (1, 2, 4 or 8).
fn header(major: u8, argument: u64, width: usize) -> Vec<u8> {
    let info = match width {
        1 => 24,
        2 => 25,
        4 => 26,
        8 => 27,
        _ => unreachable!("width {width}"),
    };
    let mut bytes = vec![(major << 5) | info];
    bytes.extend_from_slice(&argument.to_be_bytes()[8 - width..]);
    bytes
}

const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const MAX_32: u64 = u32::MAX as u64;

/// `levels` nested collections, each declaring `declared` items (a map's
/// each keyed by `null`), with `inner` innermost, then `after` at the end.
fn nested(major: u8, declared: u64, width: usize, levels: usize, inner: &[u8]) -> Vec<u8> {
    let mut rest = Vec::new();
    for _ in 0..levels {
        rest.extend(header(major, declared, width));
        if major == MAP {
            rest.push(0xf6);
        }
    }
    rest.extend_from_slice(inner);
    record_of(&rest)
}

/// `levels` nested collections as in [`nested`], with a byte string
/// innermost that fills the record to `len` bytes: every level sees nearly
/// all of the input still ahead of it.
fn nested_then_padding(
    major: u8,
    declared: u64,
    width: usize,
    levels: usize,
    len: usize,
) -> Vec<u8> {
    let shell = nested(major, declared, width, levels, &[]).len() + 5;
    let pad = len.saturating_sub(shell);
    let mut inner = header(BYTES, pad as u64, 4);
    inner.resize(inner.len() + pad, 0xf6);
    nested(major, declared, width, levels, &inner)
}

/// The chain of [`nested`] repeated until the record is `len` bytes long:
/// far deeper than any reader goes.
fn nested_to_length(major: u8, declared: u64, width: usize, len: usize) -> Vec<u8> {
    let per_level = width + 1 + usize::from(major == MAP);
    nested(major, declared, width, (len - 3) / per_level, &[])
}

/// A string of `major` (bytes or text) declaring `declared` bytes, followed
/// by as many as fit in `len`.
fn long_string(major: u8, declared: u64, width: usize, len: usize) -> Vec<u8> {
    let mut rest = header(major, declared, width);
    rest.resize(len - 3, b'a');
    record_of(&rest)
}

/// The hostile records, by name. Each is refused by the library.
fn hostile() -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    for (major, kind) in [(MAP, "maps"), (ARRAY, "arrays")] {
        for (declared, width, what) in [(MAX_32, 4, "2^32-1"), (u64::MAX, 8, "2^64-1")] {
            cases.push((
                format!("{kind} declaring {what}, nested to 400 KB"),
                nested_to_length(major, declared, width, INPUT),
            ));
            for levels in [1, 16, 64, 65, 300] {
                cases.push((
                    format!("{levels} {kind} declaring {what}, then a 400 KB byte string"),
                    nested_then_padding(major, declared, width, levels, INPUT),
                ));
            }
            cases.push((
                format!("64 {kind} declaring {what}, 4 KB"),
                nested_then_padding(major, declared, width, 64, 4096),
            ));
        }
        // Lengths the rest of the input could hold, at every level: only
        // the innermost can actually have that many items.
        let plausible = if major == MAP { INPUT / 2 } else { INPUT } as u64 - 1_000;
        for levels in [64, 300] {
            cases.push((
                format!("{levels} {kind} declaring {plausible}, then a 400 KB byte string"),
                nested_then_padding(major, plausible, 4, levels, INPUT),
            ));
        }
    }
    for (major, kind) in [(BYTES, "byte"), (TEXT, "text")] {
        for (declared, width, what) in [(MAX_32, 4, "2^32-1"), (u64::MAX, 8, "2^64-1")] {
            cases.push((
                format!("{kind} string declaring {what}"),
                long_string(major, declared, width, INPUT),
            ));
            cases.push((
                format!("{kind} string declaring one byte more than it has"),
                long_string(major, INPUT as u64, 4, INPUT),
            ));
            let mut inside = long_string(major, declared, width, INPUT - 64 * 6);
            inside.drain(..3);
            cases.push((
                format!("64 maps declaring 2^32-1, then a {kind} string declaring {what}"),
                nested(MAP, MAX_32, 4, 64, &inside),
            ));
        }
    }
    // The top-level map itself, and its keys.
    let mut top = header(MAP, u64::MAX, 8);
    top.extend(header(TEXT, u64::MAX, 8));
    top.resize(INPUT, b'a');
    cases.push(("top-level map and key declaring 2^64-1".into(), top));
    cases
}

/// Records whose items are really there: the decoded values are what they
/// cost, about one `Value` (32 bytes) per byte of input at worst.
fn dense() -> Vec<(String, Vec<u8>, bool)> {
    let mut cases = Vec::new();
    for (major, item, kind) in [
        (ARRAY, &[0xf6][..], "nulls"),
        (MAP, &[0xf6, 0xf6][..], "null: null entries"),
        (ARRAY, &[0x80][..], "empty arrays"),
        (ARRAY, &[0x61, b'a'][..], "one-letter strings"),
    ] {
        let count = (INPUT - 3 - 5) / item.len();
        for (declared, honest) in [(count as u64, true), (MAX_32, false), (u64::MAX, false)] {
            let width = if declared == u64::MAX { 8 } else { 4 };
            let mut rest = header(major, declared, width);
            for _ in 0..count {
                rest.extend_from_slice(item);
            }
            let what = if honest {
                "its length".to_owned()
            } else if declared == u64::MAX {
                "2^64-1".to_owned()
            } else {
                "2^32-1".to_owned()
            };
            cases.push((
                format!("{count} {kind} in one collection declaring {what}"),
                record_of(&rest),
                honest,
            ));
        }
    }
    // Many keys at the top level.
    let mut top = header(MAP, 0, 4);
    let mut count = 0u32;
    while top.len() + 7 <= INPUT {
        top.push(0x65);
        top.extend_from_slice(format!("{count:05x}").as_bytes());
        top.push(0xf6);
        count += 1;
    }
    top[1..5].copy_from_slice(&count.to_be_bytes());
    cases.push((format!("{count} top-level keys"), top, true));
    cases
}

// ------------------------------------------------------ the test

/// Plants `bytes` as a session's `dat` (under a new token each time) and
/// loads the session; returns whether the library decoded it, and the peak
/// bytes allocated by the load.
fn load(backend: &Arc<MemoryBackend>, manager: &SessionManager, bytes: Vec<u8>) -> (bool, usize) {
    let (token, record) = fuzz_support::plant(backend, StoredData::Cbor(bytes));
    drop(record);
    let cookie = format!("session_id={}/1", token.as_str());
    let mut session = manager.load(Some(&cookie));
    let (loaded, peak) = peak_during(|| session.load());
    loaded.expect("loading never fails on bad data");
    let decoded = !session.keys().expect("loaded").is_empty();
    (decoded, peak)
}

#[test]
fn decoding_memory_is_bounded_by_the_input() {
    let backend = Arc::new(MemoryBackend::new());
    let reads_plain = SessionConfig::builder()
        .data_protection(DataProtection::SealedAcceptingPlain)
        .build()
        .expect("valid settings");
    let manager = SessionManager::new(backend.clone(), reads_plain);
    let mut failures = Vec::new();
    let mut worst = 0.0f64;

    for (name, bytes) in hostile() {
        let len = bytes.len();
        let (decoded, peak) = load(&backend, &manager, bytes);
        let ratio = peak as f64 / len as f64;
        worst = worst.max(ratio);
        eprintln!("{peak:>14} bytes peak for {len:>7} bytes: {name}");
        if decoded {
            failures.push(format!("{name}: decoded, but must be refused"));
        }
        if peak >= bound(len) {
            failures.push(format!(
                "{name}: peak {peak} bytes for {len} bytes of input (bound {})",
                bound(len)
            ));
        }
    }
    eprintln!("worst peak/input over the hostile records: {worst:.1}x");

    let mut worst = 0.0f64;
    for (name, bytes, honest) in dense() {
        let len = bytes.len();
        let (decoded, peak) = load(&backend, &manager, bytes);
        let ratio = peak as f64 / len as f64;
        worst = worst.max(ratio);
        eprintln!("{peak:>14} bytes peak for {len:>7} bytes: {name}");
        if decoded != honest {
            failures.push(format!("{name}: decoded {decoded}, expected {honest}"));
        }
        if peak >= dense_bound(len) {
            failures.push(format!(
                "{name}: peak {peak} bytes for {len} bytes of input (bound {})",
                dense_bound(len)
            ));
        }
    }
    eprintln!("worst peak/input over the dense records: {worst:.1}x");

    // The CBOR seed corpus of the fuzz tests, hostile records included.
    for (path, bytes) in fuzz_support::corpus("cbor") {
        let len = bytes.len();
        let (_, peak) = load(&backend, &manager, bytes);
        if peak >= bound(len) {
            failures.push(format!(
                "{}: peak {peak} bytes for {len} bytes of input (bound {})",
                path.display(),
                bound(len)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
