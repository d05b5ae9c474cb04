//! Commits that succeed with something left undone: the request stands,
//! and the manager counts what was left ([`SessionStats`]).
//!
//! [`SessionStats`]: dynamodb_sessions_core::SessionStats

use dynamodb_sessions_core::{store::Operation, SessionConfig};

use crate::fixture::Fixture;
use crate::lost_answers::LostAnswers;
use crate::Harness;

/// A reissue whose touch fails does not fail the request (it only read),
/// sets no cookie, and is counted, so that an application sees a store
/// that refuses touches (every active session would idle out) without
/// waiting for users to complain.
pub fn a_failed_reissue_is_counted<H: Harness>(harness: &H) {
    let config = SessionConfig::default();
    let past_reissue = config.reissue_time().as_secs() as i64 + 1;
    let f = Fixture::around(LostAnswers::new(harness.fresh_backend()), config);
    let cookie = f.start_session("n", 1);
    f.clock.advance(past_reissue);
    f.backend.inner().arm_for(Operation::Touch);
    let (n, set_cookie) = f.request(Some(&cookie), |s| s.get::<i64>("n").unwrap());
    assert_eq!(n, Some(1));
    assert_eq!(set_cookie, None);
    assert_eq!(f.manager.stats().failed_reissues, 1);
    assert_eq!(f.manager.stats().dropped_after_logout, 0);
}

/// A logout followed by new data (a "logged out" flash) whose new record
/// cannot be stored: the logout stands and is answered with the expiring
/// cookie; only the new data is dropped, and counted.
pub fn a_logout_stands_when_its_new_data_cannot_be_stored<H: Harness>(harness: &H) {
    let f = Fixture::around(
        LostAnswers::new(harness.fresh_backend()),
        SessionConfig::default(),
    );
    let cookie = f.start_session("user", 1);
    f.backend.inner().arm_for(Operation::Create);
    let (_, committed) = f.try_request(Some(&cookie), |s| {
        s.invalidate();
        s.flash("Logged out.", "", true).unwrap();
    });
    let set_cookie = committed
        .expect("a logout is never refused")
        .expect("the cookie is expired");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert!(f.is_ended(&cookie));
    assert_eq!(f.manager.stats().dropped_after_logout, 1);
}

/// A logout followed by data too large to store: the size check refuses
/// the data before anything is written for it, but the logout stands, with
/// its expiring cookie; only the data is dropped, and counted.
pub fn a_logout_stands_when_its_new_data_is_too_large<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("user", 1);
    let (_, committed) = f.try_request(Some(&cookie), |s| {
        s.invalidate();
        s.insert("draft", &"x".repeat(500 * 1024)).unwrap();
    });
    let set_cookie = committed
        .expect("a logout is never refused")
        .expect("the cookie is expired");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert!(f.is_ended(&cookie));
    assert_eq!(f.manager.stats().dropped_after_logout, 1);
}
