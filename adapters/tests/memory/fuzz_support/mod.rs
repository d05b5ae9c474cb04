//! Shared pieces of the property-based fuzz tests (`fuzz_*.rs`): the case
//! count, the seed corpus under `adapters/tests/corpus/`, mutations of seeds,
//! and planting a record as a foreign writer could.
//!
//! cargo-fuzz needs a nightly toolchain, so these run on stable with
//! proptest. `cargo test` runs a few thousand cases per target; the long run
//! is `PROPTEST_CASES=1000000 cargo test --release -p dynamodb-sessions --test fuzz_…`.

use std::path::{Path, PathBuf};

use dynamodb_sessions::store::{Backend, CreateOutcome, Record, StoredData, Token};
use dynamodb_sessions::MemoryBackend;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Unix seconds now: planted records expire an hour from now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Plants a version-1 record holding `data` under a freshly drawn token,
/// as a foreign writer could leave it; returns the token and the record.
pub fn plant(backend: &MemoryBackend, data: StoredData) -> (Token, Record) {
    let token = Token::generate().expect("random");
    let record = Record::new(1, now(), now() + 3600, data).created_at(Some(now()));
    let outcome = backend.create(&token.storage_key(), &record);
    assert_eq!(outcome.expect("create"), CreateOutcome::Created);
    (token, record)
}

/// Cases per property: `PROPTEST_CASES` if set, else a short run.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        // Failures are reported with their minimal input; interesting ones
        // are added to the corpus by hand, so nothing is written beside the
        // sources during a run.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The files of `adapters/tests/corpus/<name>/`, sorted, with their bytes.
pub fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("corpus file");
            (path, bytes)
        })
        .collect()
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1..64usize).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

/// Applies edits to `bytes`, positions taken modulo the current length.
pub fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len();
        match *edit {
            Edit::Flip(i, b) if len > 0 => bytes[i % len] ^= b,
            Edit::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Edit::Remove(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            Edit::Duplicate(i, n) if len > 0 => {
                let start = i % len;
                let end = (start + n).min(len);
                let copy = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ => {}
        }
    }
    bytes
}

/// Seeds with 0 to 4 random edits each.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit(), 0..5),
    )
        .prop_map(|(seed, edits)| apply(seed, &edits))
}
