//! MemoryBackend's own features: expiry purge, what it counts and sharing
//! between threads, and the test wrappers on it (stale reads, call counts).
//! Its DynamoDB semantics are covered by the conformance suite.

use dynamodb_sessions::testing::{CountingBackend, LaggingReads, StaleReads};
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{
        Backend, Consistency, CreateOutcome, LoadOutcome, Record, ReplaceOutcome, StorageKey,
        StoredData, TouchOutcome,
    },
    testing::CallCounts,
    DataEncoding,
};

fn record(version: u64, expires_at: i64) -> Record {
    Record::new(
        version,
        100,
        expires_at,
        StoredData::Cbor(vec![version as u8]),
    )
    .created_at(Some(100))
}

fn key(byte: u8) -> StorageKey {
    StorageKey::from_bytes([byte; 32])
}

#[test]
fn stale_reads_return_the_previous_version_to_eventual_loads_only() {
    let backend = LaggingReads::new(MemoryBackend::new());
    let _ = backend.create(&key(1), &record(1, 1000)).unwrap();
    assert_eq!(
        backend.load(&key(1), Consistency::Eventual).unwrap(),
        LoadOutcome::Missing
    );
    assert_eq!(
        backend.load(&key(1), Consistency::Strong).unwrap(),
        LoadOutcome::Live(record(1, 1000))
    );

    let outcome = backend.replace(&key(1), 1, &record(2, 1000)).unwrap();
    assert_eq!(outcome, ReplaceOutcome::Replaced);
    assert_eq!(
        backend.load(&key(1), Consistency::Eventual).unwrap(),
        LoadOutcome::Live(record(1, 1000))
    );
    assert_eq!(
        backend.load(&key(1), Consistency::Strong).unwrap(),
        LoadOutcome::Live(record(2, 1000))
    );

    backend.set_stale_reads(StaleReads::Off);
    assert_eq!(
        backend.load(&key(1), Consistency::Eventual).unwrap(),
        LoadOutcome::Live(record(2, 1000))
    );
}

#[test]
fn counters_count_every_kind_and_reset() {
    let backend = CountingBackend::new(MemoryBackend::new());
    let _ = backend.load(&key(1), Consistency::Eventual).unwrap();
    let _ = backend.load(&key(1), Consistency::Strong).unwrap();
    let _ = backend.create(&key(1), &record(1, 1000)).unwrap();
    let _ = backend.create(&key(1), &record(1, 1000)).unwrap();
    let _ = backend.replace(&key(1), 1, &record(2, 1000)).unwrap();
    let _ = backend.touch(&key(1), 2, 200, 1200).unwrap();
    let _ = backend
        .end(&key(1), &Record::tombstone(300, DataEncoding::Cbor))
        .unwrap();
    assert_eq!(
        backend.counts(),
        CallCounts {
            eventual_loads: 1,
            strong_loads: 1,
            creates: 2,
            replaces: 1,
            touches: 1,
            ends: 1,
            ..CallCounts::default()
        }
    );
    backend.reset_counts();
    assert_eq!(backend.counts(), CallCounts::default());
}

#[test]
fn purge_removes_only_expired_records() {
    let backend = MemoryBackend::new();
    let _ = backend.create(&key(1), &record(1, 999)).unwrap();
    let _ = backend.create(&key(2), &record(1, 1000)).unwrap();
    assert_eq!(backend.purge_expired(1000), 1);
    assert_eq!(backend.len(), 1);
    assert!(matches!(
        backend.load(&key(2), Consistency::Strong).unwrap(),
        LoadOutcome::Live(_)
    ));
}

#[test]
fn len_counts_sessions_not_ended_and_ended_len_the_tombstones() {
    let backend = MemoryBackend::new();
    let _ = backend.create(&key(1), &record(1, 1000)).unwrap();
    let _ = backend.create(&key(2), &record(1, 1000)).unwrap();
    let tombstone = Record::tombstone(200, DataEncoding::Cbor);
    let _ = backend.end(&key(1), &tombstone).unwrap();
    assert_eq!((backend.len(), backend.ended_len()), (1, 1));
    let _ = backend.end(&key(2), &tombstone).unwrap();
    assert_eq!((backend.len(), backend.ended_len()), (0, 2));
    assert!(backend.is_empty(), "no session left, only tombstones");
    assert!(backend.bytes() > 0, "the tombstones' bytes are held");
    // A tombstone goes when its hour is over.
    assert_eq!(backend.purge_expired(tombstone.expires_at + 1), 2);
    assert_eq!(
        (backend.len(), backend.ended_len(), backend.bytes()),
        (0, 0, 0)
    );
}

#[test]
fn clones_share_one_store_across_threads() {
    let backend = MemoryBackend::new();
    let creates: u64 = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                // Each thread its own clone, counted on its own.
                let backend = CountingBackend::new(backend.clone());
                scope.spawn(move || {
                    for i in 0..100u8 {
                        let k = StorageKey::from_bytes([
                            t, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0,
                        ]);
                        assert_eq!(
                            backend.create(&k, &record(1, 1000)).unwrap(),
                            CreateOutcome::Created
                        );
                        assert_eq!(
                            backend.touch(&k, 1, 200, 2000).unwrap(),
                            TouchOutcome::Touched
                        );
                    }
                    backend.counts().creates
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(backend.len(), 800);
    assert_eq!(creates, 800);
}

#[test]
fn only_writes_made_in_stale_mode_lag() {
    let backend = LaggingReads::new(MemoryBackend::new());
    backend.set_stale_reads(StaleReads::Off);
    let eventual = |backend: &LaggingReads<MemoryBackend>| {
        let loaded = backend.load(&key(1), Consistency::Eventual).unwrap();
        loaded.into_record()
    };
    let _ = backend.create(&key(1), &record(1, 1000)).unwrap();
    let _ = backend.replace(&key(1), 1, &record(2, 1000)).unwrap();
    backend.set_stale_reads(StaleReads::On);
    // Written before the mode was on: the replica has caught up.
    assert_eq!(eventual(&backend), Some(record(2, 1000)));
    let _ = backend.replace(&key(1), 2, &record(3, 1000)).unwrap();
    assert_eq!(eventual(&backend), Some(record(2, 1000)));
    let _ = backend.touch(&key(1), 3, 200, 1200).unwrap();
    assert_eq!(eventual(&backend), Some(record(3, 1000)));
    backend.set_stale_reads(StaleReads::Off);
    let _ = backend.touch(&key(1), 3, 300, 1300).unwrap();
    backend.set_stale_reads(StaleReads::On);
    assert_eq!(eventual(&backend).map(|r| r.issued_at), Some(300));
}
