//! What each kind of request costs in store calls.

use dynamodb_sessions_core::testing::CallCounts;

use crate::fixture::{cookie_pair, Fixture};
use crate::Harness;

fn counts(eventual_loads: u64, creates: u64, replaces: u64, touches: u64, ends: u64) -> CallCounts {
    CallCounts {
        eventual_loads,
        strong_loads: 0,
        creates,
        replaces,
        touches,
        ends,
        ..CallCounts::default()
    }
}

/// Store calls per request kind: untouched 0; read-only in the reissue
/// window 1 eventual read; read-only past it a read and a touch; a write a
/// read and a replace; login a read, a create and a replace (ending the old
/// ID); logout an end.
pub fn store_calls_per_request_kind<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);

    let (_, c) = f.counting(|| f.request(Some(&cookie), |_| ()));
    assert_eq!(c, counts(0, 0, 0, 0, 0), "untouched");

    let (_, c) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(
        c,
        counts(1, 0, 0, 0, 0),
        "read-only inside the reissue window"
    );

    f.clock.advance(121);
    let (_, c) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(
        c,
        counts(1, 0, 0, 1, 0),
        "read-only past the reissue window"
    );

    let ((_, set_cookie), c) =
        f.counting(|| f.request(Some(&cookie), |s| s.insert("n", &2).unwrap()));
    assert_eq!(c, counts(1, 0, 1, 0, 0), "write");
    let cookie = cookie_pair(&set_cookie.unwrap());

    let ((_, set_cookie), c) =
        f.counting(|| f.request(Some(&cookie), |s| s.regenerate_id().unwrap()));
    assert_eq!(
        c,
        counts(1, 1, 1, 0, 0),
        "login: create, then end the old ID by version"
    );
    let cookie = cookie_pair(&set_cookie.unwrap());

    let (_, c) = f.counting(|| f.request(Some(&cookie), |s| s.invalidate()));
    assert_eq!(c, counts(0, 0, 0, 0, 1), "logout");

    let (_, c) = f.counting(|| f.request(None, |s| s.insert("n", &1).unwrap()));
    assert_eq!(c, counts(0, 1, 0, 0, 0), "first write of a new session");
}
