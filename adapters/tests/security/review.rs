//! The OWASP session-management checks that are not covered elsewhere
//! (see the README's "Security review" for the full list and where each
//! point is tested): ID entropy, cookie attributes, rotation and logout, and
//! a CSRF defect found in the review.

use dynamodb_sessions::Scheme;
use std::collections::HashSet;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{
    store::{Backend, CreateOutcome, Record, StoredData, Token},
    SessionConfig, SessionManager,
};

#[test]
fn ids_are_256_random_bits() {
    let mut seen = HashSet::new();
    let mut ones = 0u64;
    const N: usize = 20_000;
    for _ in 0..N {
        let token = Token::generate().unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();
        assert_eq!(bytes.len(), 32);
        ones += bytes.iter().map(|b| u64::from(b.count_ones())).sum::<u64>();
        assert!(seen.insert(token.as_str().to_owned()), "a repeated ID");
    }
    // Each bit is set half the time: 20,000 * 256 bits, 5 sigma ~ 0.16%.
    let share = ones as f64 / (N as f64 * 256.0);
    assert!((share - 0.5).abs() < 0.002, "{share}");
}

#[test]
fn cookie_attributes_follow_owasp_by_default() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let mut session = manager.load(None);
    session.insert("k", &1).unwrap();
    let https = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let lower = https.to_ascii_lowercase();
    assert!(lower.contains("; httponly"), "{https}");
    assert!(lower.contains("; secure"), "{https}");
    assert!(lower.contains("; samesite=strict"), "{https}");
    assert!(lower.contains("; path=/"), "{https}");
    assert!(!lower.contains("domain="), "host-only: {https}");
    assert!(
        !lower.contains("max-age") && !lower.contains("expires"),
        "{https}"
    );
    // The name says nothing about the software behind it.
    assert!(https.starts_with("session_id="), "{https}");

    // Logout: the cookie is removed and the record is gone.
    let cookie = https.split(';').next().unwrap().to_owned();
    let mut session = manager.load(Some(&cookie));
    session.invalidate();
    let removal = manager.commit(session, Scheme::Https).unwrap().unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let mut replay = manager.load(Some(&cookie));
    assert!(replay.is_empty().unwrap());
}

#[test]
fn login_rotates_the_id_and_the_old_one_is_dead() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let mut session = manager.load(None);
    session.insert("cart", &3).unwrap();
    let before = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let before = before.split(';').next().unwrap().to_owned();
    let mut session = manager.load(Some(&before));
    session.regenerate_id().unwrap();
    session.insert("user", "ada").unwrap();
    let after = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let after = after.split(';').next().unwrap().to_owned();
    assert_ne!(before[..54], after[..54], "same token after login");
    let mut old = manager.load(Some(&before));
    assert!(old.is_empty().unwrap(), "the pre-login ID still works");
    let mut new = manager.load(Some(&after));
    assert_eq!(new.get::<u32>("cart").unwrap(), Some(3));
}

/// Defect found in the review: a stored CSRF token that is the empty string
/// (a record written by another program, or a corrupted one) matches an
/// empty candidate, so a form posted without a token passes the check, and
/// `csrf_token` hands out "" instead of drawing a token.
#[test]
fn an_empty_stored_csrf_token_matches_nothing() {
    let backend = Arc::new(MemoryBackend::new());
    let manager = SessionManager::new(backend.clone(), SessionConfig::default());
    let token = Token::generate().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let record = Record::new(
        1,
        now,
        now + 600,
        StoredData::Json(r#"{"_csrft_": ""}"#.to_owned()),
    )
    .created_at(Some(now));
    assert_eq!(
        backend.create(&token.storage_key(), &record).unwrap(),
        CreateOutcome::Created
    );
    let cookie = format!("session_id={}/1", token.as_str());
    let mut session = manager.load(Some(&cookie));
    assert!(
        !session.check_csrf_token("").unwrap(),
        "an empty token passed"
    );
    assert!(!session.csrf_token().unwrap().is_empty());
}

/// OWASP: a login rotates the CSRF token with the session ID, so a token
/// handed out (or planted) before the login is worthless after it.
#[test]
fn login_rotates_the_csrf_token() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let mut session = manager.load(None);
    let before = session.csrf_token().unwrap();
    let cookie = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let mut session = manager.load(Some(&cookie));
    assert!(session.check_csrf_token(&before).unwrap());
    session.regenerate_id().unwrap();
    assert!(
        !session.check_csrf_token(&before).unwrap(),
        "the pre-login token still matches in the login request"
    );
    session.insert("user", "ada").unwrap();
    let after = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let after = after.split(';').next().unwrap().to_owned();

    let mut session = manager.load(Some(&after));
    assert!(
        !session.check_csrf_token(&before).unwrap(),
        "the pre-login token still matches after the login"
    );
    let new = session.csrf_token().unwrap();
    assert_ne!(new, before);
    assert_eq!(
        session.get::<String>("user").unwrap().as_deref(),
        Some("ada")
    );
    // A token drawn in the login request itself survives the commit.
    let mut session = manager.load(Some(&after));
    session.regenerate_id().unwrap();
    let drawn = session.csrf_token().unwrap();
    let again = manager.commit(session, Scheme::Https).unwrap().unwrap();
    let again = again.split(';').next().unwrap().to_owned();
    let mut session = manager.load(Some(&again));
    assert!(session.check_csrf_token(&drawn).unwrap());
    assert!(!session.check_csrf_token(&new).unwrap());
}
