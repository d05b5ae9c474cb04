//! Records the manager cannot use: never a panic, never overwritten.

use dynamodb_sessions_core::store::{Backend, Consistency, ReplaceOutcome, StoredData};

use crate::fixture::{cookie_pair, key_of, Fixture};
use crate::{Corruption, Harness};

/// A record whose data does not decode is a new session under a new ID,
/// and the corrupt record stays as it was.
pub fn undecodable_data_starts_a_new_session<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for garbage in [
        vec![0xff, 0x00],
        vec![0x81, 0x01],
        vec![],
        b"{\"json\": 1}".to_vec(),
    ] {
        let cookie = f.start_session("n", 1);
        let mut record = f.stored(&cookie).unwrap();
        record.data = StoredData::Cbor(garbage);
        record.version = 2;
        let outcome = f
            .backend
            .inner()
            .replace(&key_of(&cookie), 1, &record)
            .unwrap();
        assert_eq!(outcome, ReplaceOutcome::Replaced);
        expect_fresh_session_leaving_the_record(&f, &cookie, || f.stored(&cookie));
    }
    let cookie = f.start_session("n", 1);
    let mut record = f.stored(&cookie).unwrap();
    record.data = StoredData::Json("[not a map".into());
    record.version = 2;
    let _ = f
        .backend
        .inner()
        .replace(&key_of(&cookie), 1, &record)
        .unwrap();
    expect_fresh_session_leaving_the_record(&f, &cookie, || f.stored(&cookie));
}

/// Items with a missing or wrongly typed attribute load as a typed
/// [`Corrupt`](dynamodb_sessions_core::BackendError::Corrupt) error from the
/// backend, and as a new session through the manager; the item stays.
pub fn malformed_items_start_a_new_session<H: Harness>(harness: &H) {
    for corruption in [
        Corruption::MissingVersion,
        Corruption::WrongVersionType,
        Corruption::MissingData,
        Corruption::WrongExpiryType,
    ] {
        let f = Fixture::new(harness);
        let cookie = f.start_session("n", 1);
        harness.put_corrupt(f.backend.inner(), &key_of(&cookie), corruption);
        let load = || {
            f.backend
                .inner()
                .load(&key_of(&cookie), Consistency::Strong)
        };
        let err = load().expect_err("a corrupt item is an error at the backend");
        assert!(
            matches!(err, dynamodb_sessions_core::BackendError::Corrupt { .. }),
            "{corruption:?}: {err:?}"
        );
        let still_corrupt = || load().err().map(|e| e.to_string());
        expect_fresh_session_leaving_the_record(&f, &cookie, still_corrupt);
    }
}

/// Loads `cookie` (whose record is unusable) in a request that writes data:
/// the session is new, under a new ID, and `snapshot` of the record is as
/// before.
pub(crate) fn expect_fresh_session_leaving_the_record<
    B: Backend + 'static,
    T: PartialEq + std::fmt::Debug,
>(
    f: &Fixture<B>,
    cookie: &str,
    snapshot: impl Fn() -> T,
) {
    let before = snapshot();
    let (n, set_cookie) = f.request(Some(cookie), |s| {
        let n = s.get::<i64>("n").unwrap();
        s.insert("fresh", &true).unwrap();
        n
    });
    assert_eq!(n, None);
    let new_cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_ne!(key_of(&new_cookie), key_of(cookie), "a new ID");
    assert_eq!(snapshot(), before, "the corrupt record is not overwritten");
}
