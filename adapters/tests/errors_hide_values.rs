//! Error chains name keys and types, never the stored values (a CSRF token
//! read as the wrong type must not end up in a log).

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
