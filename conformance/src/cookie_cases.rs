//! Hostile and malformed cookies: never an error, never a store call.

use crate::fixture::{key_of, Fixture};
use crate::Harness;

/// Cookie headers that hold no well-formed session cookie.
pub fn malformed_cookie_headers(valid_token: &str) -> Vec<String> {
    let t = valid_token;
    vec![
        String::new(),
        " ".into(),
        "session_id".into(),
        "session_id=".into(),
        "session_id=;".into(),
        format!("session_id={t}"),
        format!("session_id={t}/"),
        format!("session_id={t}/0"),
        format!("session_id={t}/00"),
        format!("session_id={t}/01"),
        format!("session_id={t}/-1"),
        format!("session_id={t}/+1"),
        format!("session_id={t}/1e3"),
        format!("session_id={t}/0x10"),
        format!("session_id={t}/18446744073709551616"),
        format!("session_id={t}/1/1"),
        format!("session_id=/{t}"),
        format!("session_id={}/1", &t[1..]),
        format!("session_id={t}x/1"),
        format!("session_id={}+/1", &t[1..]),
        format!("session_id={}=/1", &t[1..]),
        format!("session_id={}%2F/1", &t[3..]),
        format!(
            "session_id={}/1",
            t.to_lowercase()
                .replace(|c: char| c.is_ascii_lowercase(), "é")
        ),
        format!("SESSION_ID={t}/1"),
        format!("other={t}/1"),
        format!("session_id={}/1", "A".repeat(100_000)),
        "session_id=\u{0}\u{7f}/1".into(),
        "=;=;;session_id".into(),
        "session_id=\"unterminated".into(),
        "session_id=../../etc/passwd".into(),
        "session_id=' OR 1=1 --".into(),
    ]
}

/// At least 20 malformed cookie shapes: each is a fresh session, costs no
/// store call, and is never adopted as a session ID.
pub fn malformed_cookies_are_no_session<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    // A real, live session, so that near-misses of its cookie are tested too.
    let cookie = f.start_session("secret", 42);
    let token = cookie
        .split_once('=')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let headers = malformed_cookie_headers(&token);
    assert!(headers.len() >= 20);
    for header in headers {
        let ((value, set_cookie), counts) =
            f.counting(|| f.request(Some(&header), |s| s.get::<i64>("secret").unwrap()));
        assert_eq!(value, None, "{header:?}");
        assert_eq!(set_cookie, None, "{header:?}");
        assert_eq!(counts.total(), 0, "{header:?} cost a store call");
    }
    let ((), counts) = f.counting(|| {
        let (_, set_cookie) = f.request(Some("session_id=junk"), |s| s.insert("n", &1).unwrap());
        let new_cookie = crate::fixture::cookie_pair(&set_cookie.unwrap());
        assert_ne!(key_of(&new_cookie), key_of(&cookie));
    });
    assert_eq!(counts.total(), 1, "only the create");
}

/// A well-formed cookie for a record that does not exist is a fresh session,
/// and data set on it goes under a new, server-drawn ID.
pub fn unknown_session_ids_are_never_adopted<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let chosen = format!("session_id={}/1", "A".repeat(43));
    let ((), set_cookie) = f.request(Some(&chosen), |s| {
        assert!(s.is_empty().unwrap());
        s.insert("user", "mallory").unwrap();
    });
    let issued = crate::fixture::cookie_pair(&set_cookie.unwrap());
    assert_ne!(key_of(&issued), key_of(&chosen));
    assert_eq!(f.stored(&chosen), None);
}

/// The session cookie is found among others, in quotes, and repeated.
pub fn cookie_found_among_others<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 5);
    let value = cookie.split_once('=').unwrap().1;
    for header in [
        format!("a=1; {cookie}; b=2"),
        format!("a=1;{cookie}"),
        format!("session_id=\"{value}\""),
        format!("session_id=junk; {cookie}"),
        format!("{cookie}; session_id=junk"),
    ] {
        let (n, _) = f.request(Some(&header), |s| s.get::<i64>("n").unwrap());
        assert_eq!(n, Some(5), "{header:?}");
    }
}
