//! Cases through the manager: every row of the state table, expiry,
//! reissue, logout, login, flash and CSRF.

use dynamodb_sessions_core::Scheme;
use std::time::Duration;

use dynamodb_sessions_core::{
    store::{Record, StoredData},
    testing::LaggingReads,
    CommitError, DataEncoding, SessionConfig, SessionError,
};

use crate::fixture::{cookie_pair, key_of, version_of, Fixture};
use crate::Harness;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A new session nobody writes to costs nothing and sets no cookie.
pub fn new_untouched_session_writes_nothing<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let ((_, set_cookie), counts) = f.counting(|| f.request(None, |_| ()));
    assert_eq!(set_cookie, None);
    assert_eq!(counts.total(), 0);

    let ((_, set_cookie), counts) = f.counting(|| f.request(None, |s| s.get::<i64>("x").unwrap()));
    assert_eq!(set_cookie, None, "reading a new session writes nothing");
    assert_eq!(
        counts.total(),
        0,
        "a request without a cookie has nothing to load"
    );
}

/// A new session with data is created under a fresh ID with version 1.
pub fn new_session_with_data_is_created<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let ((_, set_cookie), counts) = f.counting(|| f.request(None, |s| s.insert("n", &1).unwrap()));
    let set_cookie = set_cookie.expect("cookie");
    let cookie = cookie_pair(&set_cookie);
    assert!(cookie.starts_with("session_id="));
    assert_eq!(version_of(&cookie), 1);
    assert_eq!(counts.creates, 1);
    assert_eq!(counts.total(), 1);
    let stored = f.stored(&cookie).expect("stored");
    assert_eq!(stored.version, 1);
    assert_eq!(stored.issued_at, f.start);
    assert_eq!(stored.expires_at, f.start + 1200);
    assert_eq!(stored.created_at, Some(f.start));
    assert!(matches!(stored.data, StoredData::Cbor(_)));

    let (value, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(value, Some(1));
}

/// Two new sessions never share an ID.
pub fn new_sessions_get_distinct_ids<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let a = f.start_session("n", 1);
    let b = f.start_session("n", 1);
    assert_ne!(a, b);
}

/// A loaded, unchanged session written within `reissue_time` costs one
/// eventual read, no write, and no cookie. At exactly `reissue_time` it is
/// still not reissued.
pub fn unchanged_session_inside_the_reissue_window<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    for advance in [0, 60, 60] {
        f.clock.advance(advance);
        let ((value, set_cookie), counts) =
            f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
        assert_eq!(value, Some(1));
        assert_eq!(set_cookie, None);
        assert_eq!(counts.eventual_loads, 1);
        assert_eq!(counts.total(), 1);
    }
    assert_eq!(f.stored(&cookie).unwrap().issued_at, f.start);
}

/// One second past `reissue_time`, a read-only request touches the record
/// and, with a `max_age`, re-sends the same cookie value; the record's data
/// and version stay.
pub fn unchanged_session_past_the_reissue_window_is_touched<H: Harness>(harness: &H) {
    let config = SessionConfig::builder()
        .max_age(Some(secs(3600)))
        .build()
        .unwrap();
    let f = Fixture::with_config(harness, config);
    let cookie = f.start_session("n", 1);
    let before = f.stored(&cookie).unwrap();
    f.clock.advance(121);
    let ((_, set_cookie), counts) =
        f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    let set_cookie = set_cookie.expect("a reissue sets the cookie again");
    assert_eq!(cookie_pair(&set_cookie), cookie);
    assert!(set_cookie.contains("Max-Age=3600"), "{set_cookie}");
    assert_eq!(counts.eventual_loads, 1);
    assert_eq!(counts.touches, 1);
    assert_eq!(counts.total(), 2);
    let after = f.stored(&cookie).unwrap();
    assert_eq!(after.issued_at, f.start + 121);
    assert_eq!(after.expires_at, f.start + 121 + 1200);
    assert_eq!((after.version, after.data), (before.version, before.data));

    // The reissue restarted the window.
    f.clock.advance(120);
    let ((_, set_cookie), _) = f.counting(|| f.request(Some(&cookie), |s| s.load().unwrap()));
    assert_eq!(set_cookie, None);

    // Without `max_age` the cookie has nothing to refresh: the record is
    // touched, and no Set-Cookie goes out that could overwrite a newer one.
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    f.clock.advance(121);
    let ((_, set_cookie), counts) =
        f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(set_cookie, None);
    assert_eq!(counts.touches, 1);
    assert_eq!(f.stored(&cookie).unwrap().issued_at, f.start + 121);
}

/// A changed session is replaced at version + 1 and the cookie says so.
pub fn changed_session_is_replaced<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    f.clock.advance(10);
    let ((_, set_cookie), counts) = f.counting(|| {
        f.request(Some(&cookie), |s| {
            let n: i64 = s.get("n").unwrap().unwrap();
            s.insert("n", &(n + 1)).unwrap();
        })
    });
    let new_cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_eq!(key_of(&new_cookie), key_of(&cookie), "same ID");
    assert_eq!(version_of(&new_cookie), 2);
    assert_eq!(counts.eventual_loads, 1);
    assert_eq!(counts.replaces, 1);
    assert_eq!(counts.total(), 2);
    let stored = f.stored(&cookie).unwrap();
    assert_eq!((stored.version, stored.issued_at), (2, f.start + 10));
    assert_eq!(stored.created_at, Some(f.start), "creation time is kept");
    let (n, _) = f.request(Some(&new_cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, Some(2));
}

/// Data accessors that change nothing do not make the session dirty.
pub fn reads_and_no_op_changes_do_not_write<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let ((_, set_cookie), counts) = f.counting(|| {
        f.request(Some(&cookie), |s| {
            assert!(s.contains_key("n").unwrap());
            assert_eq!(s.keys().unwrap(), vec!["n".to_string()]);
            assert_eq!(s.len().unwrap(), 1);
            assert!(!s.is_empty().unwrap());
            assert!(!s.remove("absent").unwrap());
            assert!(s.pop_flash::<String>("").unwrap().is_empty());
            assert!(s.peek_flash::<String>("q").unwrap().is_empty());
            assert!(!s.check_csrf_token("nope").unwrap());
        })
    });
    assert_eq!(set_cookie, None);
    assert_eq!(counts.writes(), 0);
}

/// `mark_changed` forces a write of unchanged data; `clear` and `remove` write.
pub fn explicit_changes_write<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let (_, set_cookie) = f.request(Some(&cookie), |s| s.mark_changed().unwrap());
    let cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_eq!(version_of(&cookie), 2);
    let (_, set_cookie) = f.request(Some(&cookie), |s| assert!(s.remove("n").unwrap()));
    let cookie = cookie_pair(&set_cookie.expect("cookie"));
    let (_, _) = f.request(Some(&cookie), |s| s.insert("m", "x").unwrap());
    let cookie = f.start_session("k", 1);
    let (_, set_cookie) = f.request(Some(&cookie), |s| s.clear().unwrap());
    let cookie = cookie_pair(&set_cookie.expect("cookie"));
    let (empty, _) = f.request(Some(&cookie), |s| s.is_empty().unwrap());
    assert!(empty);
}

/// Two requests change one session at once: the second commit is a
/// conflict, and the stored record is the first one's.
pub fn concurrent_change_is_a_conflict<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let mut first = f.manager.load(Some(&cookie));
    let mut second = f.manager.load(Some(&cookie));
    first.insert("n", &10).unwrap();
    second.insert("n", &20).unwrap();
    f.manager.commit(first, Scheme::Http).unwrap();
    let before = f.stored(&cookie).unwrap();
    let err = f.manager.commit(second, Scheme::Http).unwrap_err();
    assert!(matches!(err, CommitError::Conflict), "{err:?}");
    assert_eq!(f.stored(&cookie).unwrap(), before);
}

/// Invalidate ends the record (a tombstone, no data) and expires the
/// cookie; replaying the old cookie gives a fresh, empty session.
pub fn invalidate_ends_the_record_and_expires_the_cookie<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("user", 7);
    let ((_, set_cookie), counts) = f.counting(|| f.request(Some(&cookie), |s| s.invalidate()));
    let set_cookie = set_cookie.expect("an expiring cookie");
    assert!(set_cookie.starts_with("session_id=;"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert_eq!(counts.ends, 1);
    assert_eq!(counts.total(), 1, "logout needs no read");
    assert!(f.is_ended(&cookie));

    let ((user, set_cookie), _) =
        f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("user").unwrap()));
    assert_eq!(user, None);
    assert_eq!(set_cookie, None);
}

/// Invalidating twice in one request (a logout handler calling a helper
/// that logs out too) still ends the record.
pub fn invalidate_twice_still_ends_the_record<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for load_first in [false, true] {
        let cookie = f.start_session("user", 7);
        let ((_, set_cookie), counts) = f.counting(|| {
            f.request(Some(&cookie), |s| {
                if load_first {
                    assert_eq!(s.get::<i64>("user").unwrap(), Some(7));
                }
                s.invalidate();
                s.invalidate();
            })
        });
        assert!(set_cookie
            .expect("an expiring cookie")
            .contains("Max-Age=0"));
        assert_eq!(counts.ends, 1);
        assert!(f.is_ended(&cookie), "loaded first: {load_first}");
    }
}

/// Data set after invalidate goes under a new ID; the old record has ended.
pub fn invalidate_then_data_starts_a_new_session<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("user", 7);
    let ((_, set_cookie), counts) = f.counting(|| {
        f.request(Some(&cookie), |s| {
            assert_eq!(s.get::<i64>("user").unwrap(), Some(7));
            s.invalidate();
            assert!(s.is_empty().unwrap());
            s.insert("guest", &true).unwrap();
        })
    });
    let new_cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_ne!(key_of(&new_cookie), key_of(&cookie));
    assert_eq!(version_of(&new_cookie), 1);
    assert_eq!((counts.loads(), counts.ends, counts.creates), (1, 1, 1));
    assert!(f.is_ended(&cookie));
    let (keys, _) = f.request(Some(&new_cookie), |s| s.keys().unwrap());
    assert_eq!(keys, vec!["guest".to_string()]);
}

/// regenerate_id moves the data to a new ID and ends the old record at the
/// version loaded; the old cookie is dead.
pub fn regenerate_id_moves_the_data<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("cart", 3);
    f.clock.advance(30);
    let ((_, set_cookie), counts) = f.counting(|| {
        f.request(Some(&cookie), |s| {
            s.regenerate_id().unwrap();
            s.insert("user", "ada").unwrap();
        })
    });
    let new_cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_ne!(key_of(&new_cookie), key_of(&cookie));
    assert_eq!(version_of(&new_cookie), 1);
    assert_eq!(
        (counts.loads(), counts.creates, counts.replaces, counts.ends),
        (1, 1, 1, 0)
    );
    assert!(f.is_ended(&cookie), "old record ended");
    let stored = f.stored(&new_cookie).unwrap();
    assert_eq!(
        stored.created_at,
        Some(f.start),
        "the absolute lifetime keeps counting"
    );

    let ((cart, user), _) = f.request(Some(&new_cookie), |s| {
        (
            s.get::<i64>("cart").unwrap(),
            s.get::<String>("user").unwrap(),
        )
    });
    assert_eq!((cart, user.as_deref()), (Some(3), Some("ada")));
    let (old, _) = f.request(Some(&cookie), |s| s.is_empty().unwrap());
    assert!(old, "the old cookie gives a fresh session");
}

/// A session idle for exactly `timeout` is alive; one second more and it is
/// expired: a new, empty session, and the expired record is never written.
pub fn idle_expiry_at_the_timeout_boundary<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    f.clock.advance(1200);
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, Some(1), "alive at exactly the timeout");
    assert_eq!(
        f.stored(&cookie).unwrap().issued_at,
        f.start + 1200,
        "and reissued, since it is older than reissue_time"
    );

    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let before = f.stored(&cookie).unwrap();
    f.clock.advance(1201);
    let (n, set_cookie) = f.request(Some(&cookie), |s| {
        let n = s.get::<i64>("n").unwrap();
        s.insert("fresh", &true).unwrap();
        n
    });
    assert_eq!(n, None, "expired one second past the timeout");
    let new_cookie = cookie_pair(&set_cookie.expect("cookie"));
    assert_ne!(key_of(&new_cookie), key_of(&cookie));
    assert_eq!(
        f.stored(&cookie),
        Some(before),
        "the expired record is not written"
    );
}

/// With an expiry margin, a session counts as expired that much before its
/// `exp`: it neither loads nor is reissued within the margin, so no write
/// ever lands on an item that close to the `exp` other replicas hold.
pub fn expiry_margin_ends_sessions_before_exp<H: Harness>(harness: &H) {
    let config = SessionConfig::builder()
        .expiry_margin(secs(5))
        .build()
        .unwrap();
    let f = Fixture::with_config(harness, config.clone());
    let cookie = f.start_session("n", 1);
    f.clock.advance(1195);
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, Some(1), "alive at exactly exp less the margin");
    assert_eq!(f.stored(&cookie).unwrap().issued_at, f.start + 1195);

    let f = Fixture::with_config(harness, config);
    let cookie = f.start_session("n", 1);
    let before = f.stored(&cookie).unwrap();
    f.clock.advance(1196);
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, None, "expired within the margin, though before exp");
    assert_eq!(f.stored(&cookie), Some(before), "and not reissued");
}

/// An expired session that is only read costs no write.
pub fn expired_session_read_only_writes_nothing<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    f.clock.advance(5000);
    let ((_, set_cookie), counts) = f.counting(|| f.request(Some(&cookie), |s| s.load().unwrap()));
    assert_eq!(set_cookie, None);
    assert_eq!(counts.writes(), 0);
}

/// With an absolute lifetime, an active session still ends on time, and
/// reissues never push `exp` past it.
pub fn absolute_lifetime_ends_active_sessions<H: Harness>(harness: &H) {
    let config = SessionConfig::builder()
        .timeout(secs(1000))
        .absolute_lifetime(Some(secs(1000)))
        .build()
        .unwrap();
    let f = Fixture::with_config(harness, config);
    let mut cookie = f.start_session("n", 0);
    assert_eq!(f.stored(&cookie).unwrap().expires_at, f.start + 1000);
    for step in 1..=5 {
        f.clock.advance(200);
        let (_, set_cookie) = f.request(Some(&cookie), |s| {
            let n: i64 = s.get("n").unwrap().expect("alive within the lifetime");
            s.insert("n", &(n + 1)).unwrap();
        });
        cookie = cookie_pair(&set_cookie.unwrap());
        let stored = f.stored(&cookie).unwrap();
        assert_eq!(stored.expires_at, f.start + 1000, "step {step}");
    }
    f.clock.advance(1);
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, None, "expired at the absolute lifetime despite activity");
}

/// By default a session ends 8 hours after its creation however active it
/// is: alive at exactly `crt` + 8 h, over a second later, and no reissue
/// pushes `exp` past that.
pub fn default_absolute_lifetime_ends_active_sessions<H: Harness>(harness: &H) {
    let lifetime = 8 * 3600;
    assert_eq!(
        SessionConfig::default().absolute_lifetime(),
        Some(secs(lifetime))
    );
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let end = f.start + i64::try_from(lifetime).unwrap();
    // A read every 1,000 s, inside the idle timeout, each one a reissue.
    for at in (1000..end - f.start).step_by(1000) {
        f.clock.set(f.start + at);
        let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
        assert_eq!(n, Some(1), "alive at {at} s");
        let stored = f.stored(&cookie).unwrap();
        assert_eq!(stored.issued_at, f.start + at, "reissued");
        assert!(stored.expires_at <= end, "exp never past the lifetime");
    }
    assert_eq!(f.stored(&cookie).unwrap().expires_at, end, "exp capped");
    f.clock.set(end);
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, Some(1), "alive at exactly the lifetime");
    f.clock.set(end + 1);
    let (n, set_cookie) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!((n, set_cookie), (None, None), "over a second later");
}

/// A flash message survives a redirect and shows exactly once.
pub fn flash_shows_once_across_requests<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let (_, set_cookie) = f.request(None, |s| {
        s.flash("Saved.", "", true).unwrap();
        s.flash("Saved.", "", false).unwrap();
        s.flash("Careful.", "warn", true).unwrap();
    });
    let cookie = cookie_pair(&set_cookie.unwrap());
    let (peeked, _) = f.request(Some(&cookie), |s| s.peek_flash::<String>("").unwrap());
    assert_eq!(peeked, vec!["Saved."]);
    let (popped, set_cookie) = f.request(Some(&cookie), |s| {
        (
            s.pop_flash::<String>("").unwrap(),
            s.pop_flash::<String>("warn").unwrap(),
        )
    });
    assert_eq!(
        popped,
        (vec!["Saved.".to_string()], vec!["Careful.".to_string()])
    );
    let cookie = cookie_pair(&set_cookie.expect("popping writes"));
    let (again, set_cookie) = f.request(Some(&cookie), |s| s.pop_flash::<String>("").unwrap());
    assert!(again.is_empty());
    assert_eq!(set_cookie, None, "popping an empty queue writes nothing");
}

/// A CSRF token persists across requests and checks in constant time.
pub fn csrf_token_across_requests<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let (token, set_cookie) = f.request(None, |s| s.csrf_token().unwrap());
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let cookie = cookie_pair(&set_cookie.unwrap());
    let ((same, ok, forged, empty), set_cookie) = f.request(Some(&cookie), |s| {
        (
            s.csrf_token().unwrap(),
            s.check_csrf_token(&token).unwrap(),
            s.check_csrf_token(&token.replace(&token[..1], "x"))
                .unwrap(),
            s.check_csrf_token("").unwrap(),
        )
    });
    assert_eq!(same, token);
    assert!(ok && !forged && !empty);
    assert_eq!(set_cookie, None);
    let (fresh, _) = f.request(Some(&cookie), |s| s.new_csrf_token().unwrap());
    assert_ne!(fresh, token);
}

/// An oversized session is refused before anything is written.
pub fn oversized_session_is_refused_before_writing<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let before = f.stored(&cookie).unwrap();
    let big = serde_bytes_like(400 * 1024);
    let ((), committed) = f.try_request(Some(&cookie), |s| s.insert("blob", &big).unwrap());
    assert!(
        matches!(committed, Err(CommitError::TooLarge { .. })),
        "{committed:?}"
    );
    assert_eq!(f.stored(&cookie), Some(before));

    // After a logout, oversized data is dropped and the logout stands:
    // `degraded_cases::a_logout_stands_when_its_new_data_is_too_large`.

    // Just under the limit fits.
    let ((), committed) = f.try_request(None, |s| {
        s.insert("blob", &serde_bytes_like(400 * 1024 - 200))
            .unwrap()
    });
    assert!(committed.unwrap().is_some());
}

/// A string of `len` bytes: CBOR stores it with a few bytes of header.
fn serde_bytes_like(len: usize) -> String {
    "x".repeat(len)
}

/// Read-your-writes: when the eventual read is stale or misses, a strong
/// read finds the latest version.
pub fn read_your_writes_when_eventual_reads_lag<H: Harness>(harness: &H) {
    let f = Fixture::around(
        LaggingReads::new(harness.fresh_backend()),
        SessionConfig::default(),
    );
    let cookie = f.start_session("n", 1);
    let ((n, _), counts) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(n, Some(1), "a just-created session is found");
    assert_eq!((counts.eventual_loads, counts.strong_loads), (1, 1));

    let (_, set_cookie) = f.request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    let cookie = cookie_pair(&set_cookie.unwrap());
    let ((n, _), counts) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(n, Some(2), "the latest version, not the stale one");
    assert_eq!((counts.eventual_loads, counts.strong_loads), (1, 1));
}

/// A reissue of a session ended, changed or logged in elsewhere meanwhile
/// writes nothing and sets no cookie: the browser may already hold the
/// other request's newer cookie, which clearing or re-sending ours would
/// undo.
pub fn reissue_after_a_change_elsewhere_sets_no_cookie<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for other in ["logout", "login", "write"] {
        let cookie = f.start_session("n", 1);
        f.clock.advance(500);
        let mut reader = f.manager.load(Some(&cookie));
        assert_eq!(reader.get::<i64>("n").unwrap(), Some(1));
        let (_, newer) = f.request(Some(&cookie), |s| match other {
            "logout" => s.invalidate(),
            "login" => s.regenerate_id().unwrap(),
            _ => s.insert("n", &2).unwrap(),
        });
        let after_other = f.stored(&cookie);
        assert_eq!(
            f.manager.commit(reader, Scheme::Http).unwrap(),
            None,
            "{other}: no Set-Cookie"
        );
        assert_eq!(f.stored(&cookie), after_other, "{other}: nothing written");
        if other != "logout" {
            // The browser keeps the other request's cookie, and it works.
            let newer = cookie_pair(&newer.expect("a cookie"));
            let (n, _) = f.request(Some(&newer), |s| s.get::<i64>("n").unwrap());
            assert_eq!(n, Some(if other == "write" { 2 } else { 1 }), "{other}");
        }
    }
}

/// Records that pyramid-dynamodb-sessions wrote (JSON text, no `crt`) load.
pub fn json_records_load<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let record = Record::new(
        2,
        f.start,
        f.start + 1200,
        StoredData::Json(r#"{"n": 5, "_f_": ["hi"]}"#.to_owned()),
    );
    use dynamodb_sessions_core::store::{Backend, ReplaceOutcome};
    assert_eq!(
        f.backend
            .inner()
            .replace(&key_of(&cookie), 1, &record)
            .unwrap(),
        ReplaceOutcome::Replaced
    );
    let ((n, flash), _) = f.request(Some(&cookie), |s| {
        (
            s.get::<i64>("n").unwrap(),
            s.pop_flash::<String>("").unwrap(),
        )
    });
    assert_eq!((n, flash), (Some(5), vec!["hi".to_string()]));
}

/// In JSON mode the data is written as JSON text (what
/// pyramid-dynamodb-sessions reads), values JSON cannot hold are refused at
/// insert, and a CBOR record holding one is refused at commit, unwritten.
pub fn json_mode_writes_json_text<H: Harness>(harness: &H) {
    let json = SessionConfig::builder()
        .data_encoding(DataEncoding::Json)
        .build()
        .unwrap();
    let store = std::sync::Arc::new(harness.fresh_backend());
    let f = Fixture::around(std::sync::Arc::clone(&store), json);
    let (_, set_cookie) = f.request(None, |s| {
        s.insert("n", &1).unwrap();
        s.flash("hi", "", true).unwrap();
        let err = s.insert("x", &f64::NAN).unwrap_err();
        assert!(matches!(err, SessionError::NotJson { .. }), "{err:?}");
        let err = s.insert("b", &ciborium::Value::Bytes(vec![1])).unwrap_err();
        assert!(matches!(err, SessionError::NotJson { .. }), "{err:?}");
    });
    let cookie = cookie_pair(&set_cookie.unwrap());
    assert_eq!(
        f.stored(&cookie).unwrap().data,
        StoredData::Json(r#"{"_f_":["hi"],"n":1}"#.to_owned())
    );

    let cbor = Fixture::around(store, SessionConfig::default());
    let (_, set_cookie) = cbor.request(None, |s| {
        s.insert("b", &ciborium::Value::Bytes(vec![1])).unwrap();
    });
    let cookie = cookie_pair(&set_cookie.unwrap());
    let before = f.stored(&cookie);
    let ((), committed) = f.try_request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    assert!(
        matches!(committed, Err(CommitError::NotJson { ref key, .. }) if key == "b"),
        "{committed:?}"
    );
    assert_eq!(f.stored(&cookie), before, "nothing was written");
}

/// A session that expires while its request runs is never written again,
/// not even under a new ID: a change or a login made in that request is
/// `CommitError::Expired` and writes nothing, and the creation time never
/// moves. A read-only request just sets no cookie.
pub fn session_expiring_during_the_request_is_not_written<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    for action in ["write", "login"] {
        let cookie = f.start_session("n", 1);
        let before = f.stored(&cookie).unwrap();
        f.clock.advance(1200);
        let mut session = f.manager.load(Some(&cookie));
        assert_eq!(session.get::<i64>("n").unwrap(), Some(1), "alive at load");
        if action == "login" {
            session.regenerate_id().unwrap();
        }
        session.insert("n", &2).unwrap();
        f.clock.advance(1);
        let ((), counts) = f.counting(|| {
            let result = f.manager.commit(session, Scheme::Https);
            assert!(
                matches!(result, Err(CommitError::Expired)),
                "{action}: {result:?}"
            );
        });
        assert_eq!(counts.total(), 0, "{action}: nothing written");
        assert_eq!(f.stored(&cookie), Some(before), "{action}: untouched");
        f.clock.set(f.start);
    }

    let cookie = f.start_session("n", 1);
    let mut session = f.manager.load(Some(&cookie));
    session.load().unwrap();
    f.clock.advance(1201);
    assert_eq!(
        f.manager.commit(session, Scheme::Https).unwrap(),
        None,
        "no reissue either"
    );
}

/// With an absolute lifetime, a session used in its last alive second and
/// committed a second later cannot carry its data to a fresh record: no
/// sequence of writes and logins keeps it alive past the lifetime, and its
/// creation time never moves.
pub fn absolute_lifetime_cannot_be_extended<H: Harness>(harness: &H) {
    let config = SessionConfig::builder()
        .timeout(secs(1000))
        .absolute_lifetime(Some(secs(1000)))
        .build()
        .unwrap();
    let f = Fixture::with_config(harness, config);
    let mut cookie = f.start_session("n", 0);
    let created = f.stored(&cookie).unwrap().created_at;
    // Loads at 200, 400, ... 1000 s (the last alive second), each commit a
    // second after its load; every other one a login.
    for step in 1..=5i64 {
        f.clock.set(f.start + 200 * step);
        let mut session = f.manager.load(Some(&cookie));
        assert_eq!(session.get::<i64>("n").unwrap(), Some(step - 1), "alive");
        if step % 2 == 0 {
            session.regenerate_id().unwrap();
        }
        session.insert("n", &step).unwrap();
        f.clock.advance(1);
        match f.manager.commit(session, Scheme::Https) {
            Ok(set_cookie) if step < 5 => cookie = cookie_pair(&set_cookie.unwrap()),
            Err(CommitError::Expired) if step == 5 => {}
            other => panic!("step {step}: {other:?}"),
        }
        let stored = f.stored(&cookie).unwrap();
        assert_eq!(stored.created_at, created, "crt never moves");
    }
    let (n, _) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, None, "over at the absolute lifetime");
}

/// A new session with nothing in it is not stored, whatever marked it.
pub fn empty_new_session_is_not_stored<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let ((_, set_cookie), counts) = f.counting(|| {
        f.request(None, |s| {
            s.mark_changed().unwrap();
            s.regenerate_id().unwrap();
            s.insert("n", &1).unwrap();
            s.remove("n").unwrap();
        })
    });
    assert_eq!(set_cookie, None);
    assert_eq!(counts.total(), 0);
}

/// An eventual read that makes a session look expired is confirmed by a
/// strong read, since a lagging replica may not have seen the last touch.
pub fn expired_looking_eventual_read_is_confirmed<H: Harness>(harness: &H) {
    let f = Fixture::around(
        LaggingReads::new(harness.fresh_backend()),
        SessionConfig::default(),
    );
    let cookie = f.start_session("n", 1);
    f.clock.advance(1100);
    f.request(Some(&cookie), |s| s.load().unwrap());
    assert_eq!(
        f.stored(&cookie).unwrap().issued_at,
        f.start + 1100,
        "touched"
    );
    f.clock.advance(150);
    let ((n, _), counts) = f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap()));
    assert_eq!(n, Some(1), "the touch kept it alive");
    assert_eq!((counts.eventual_loads, counts.strong_loads), (1, 1));
}

/// A logged-out cookie replayed in JSON mode, where a tombstone's `exp` is
/// already past (so that pyramid-dynamodb-sessions reads it as gone): no
/// session, for the one eventually consistent read any replay costs; a
/// tombstone never changes again, so no strong read confirms it.
pub fn json_tombstone_replay_costs_one_eventual_read<H: Harness>(harness: &H) {
    let json = SessionConfig::builder()
        .data_encoding(DataEncoding::Json)
        .build()
        .unwrap();
    let f = Fixture::with_config(harness, json);
    let cookie = f.start_session("user", 1);
    let (_, set_cookie) = f.request(Some(&cookie), |s| s.invalidate());
    assert!(set_cookie.is_some_and(|c| c.contains("Max-Age=0")));
    let stored = f.stored(&cookie).expect("a tombstone");
    assert!(stored.is_ended() && stored.expires_at < f.start);
    let ((user, set_cookie), counts) =
        f.counting(|| f.request(Some(&cookie), |s| s.get::<i64>("user").unwrap()));
    assert_eq!((user, set_cookie), (None, None));
    assert_eq!((counts.eventual_loads, counts.strong_loads), (1, 0));
}

/// A session commits only through the manager that loaded it (or a clone):
/// another manager's commit is refused with nothing written, since the
/// session's store and settings are its own manager's.
pub fn a_session_commits_only_through_its_manager<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let other = Fixture::new(harness);
    let mut session = f.manager.load(None);
    session.insert("user", &"ada").unwrap();
    let ((), counts) = f.counting(|| {
        let committed = other.manager.commit(session, Scheme::Https);
        assert!(
            matches!(committed, Err(CommitError::OtherManager)),
            "{committed:?}"
        );
    });
    assert_eq!(counts.total(), 0, "nothing is written");

    let clone = f.manager.clone();
    let mut session = f.manager.load(None);
    session.insert("user", &"ada").unwrap();
    let set_cookie = clone.commit(session, Scheme::Https).unwrap();
    assert!(set_cookie.is_some(), "a clone of the manager commits");
}
