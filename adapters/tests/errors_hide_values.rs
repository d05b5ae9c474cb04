//! Error chains name keys and types, never the stored values (a CSRF token
//! read as the wrong type must not end up in a log), also for values read
//! from a sealed record.

use std::error::Error;

use dynamodb_sessions::MemoryBackend;
use dynamodb_sessions::{SessionConfig, SessionManager};

#[test]
fn a_decode_error_does_not_quote_the_value() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let mut session = manager.load(None);
    let token = session.get_csrf_token().unwrap();
    let err = session.get::<u64>("_csrft_").unwrap_err();
    let mut chain = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(" / ");
    assert!(text.contains("_csrft_") && text.contains("u64"), "{text}");
    assert!(!text.contains(&token), "{text}");
    assert!(!format!("{err:?}").contains(&token));
}

/// The same for a value opened from a sealed record in a later request.
#[test]
fn a_decode_error_from_sealed_data_does_not_quote_the_value() {
    let manager = SessionManager::new(MemoryBackend::new(), SessionConfig::default());
    let mut session = manager.load(None);
    let token = session.get_csrf_token().unwrap();
    let set_cookie = manager
        .commit(session, dynamodb_sessions::Scheme::Https)
        .unwrap()
        .unwrap();
    let cookie = set_cookie.split(';').next().unwrap();
    let mut session = manager.load(Some(cookie));
    assert_eq!(session.get_csrf_token().unwrap(), token, "opened");
    let err = session.get::<Vec<bool>>("_csrft_").unwrap_err();
    let text = format!("{err} / {err:?} / {:?}", err.source());
    assert!(text.contains("_csrft_"), "{text}");
    assert!(!text.contains(&token), "{text}");
}
