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
    let token = session.csrf_token().unwrap();
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
    let token = session.csrf_token().unwrap();
    let set_cookie = manager
        .commit(session, dynamodb_sessions::Scheme::Https)
        .unwrap()
        .unwrap();
    let cookie = set_cookie.split(';').next().unwrap();
    let mut session = manager.load(Some(cookie));
    assert_eq!(session.csrf_token().unwrap(), token, "opened");
    let err = session.get::<Vec<bool>>("_csrft_").unwrap_err();
    let text = format!("{err} / {err:?} / {:?}", err.source());
    assert!(text.contains("_csrft_"), "{text}");
    assert!(!text.contains(&token), "{text}");
}

/// The DynamoDB backends' errors, for every kind of answer a server can
/// give, never carry the storage key or the data: the clients' own error
/// texts quote requests and answers, and the HTTP glue logs errors with
/// their causes. The stand-in server below puts the whole request it got
/// (storage key, `dat`) into each of its answers.
mod dynamodb {
    use std::error::Error;
    use std::time::Duration;

    use base64::Engine;
    use dynamodb_sessions::dynamodb::{AwsSdkBackend, DynamoDbBackend};
    use dynamodb_sessions::store::{Consistency, Record, StorageKey, StoredData};
    use dynamodb_sessions::users::{Keep, UserRef, UserSessions, UserStamp};
    use dynamodb_sessions::{BackendError, DataEncoding};
    use dynamodb_sessions_test_support::stand_in::{stand_in, Answer};

    /// A DynamoDB error answer of `code` whose message is the request.
    fn quoting(status: u16, code: &str, request: &str) -> (u16, String) {
        let message = serde_json::to_string(request).expect("a JSON string");
        (
            status,
            format!(r#"{{"__type":"{code}","message":{message}}}"#),
        )
    }

    const ANSWERS: [(&str, Answer); 9] = [
        ("validation", |r| {
            quoting(400, "com.amazon.coral.validate#ValidationException", r)
        }),
        ("access denied", |r| {
            quoting(400, "com.amazon.coral.service#AccessDeniedException", r)
        }),
        ("missing table", |r| {
            quoting(
                400,
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                r,
            )
        }),
        ("throttled", |r| {
            quoting(
                400,
                "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                r,
            )
        }),
        ("a code no client knows", |r| {
            quoting(400, "com.amazonaws.dynamodb.v20120810#BrandNewException", r)
        }),
        ("server error", |r| quoting(500, "InternalServerError", r)),
        // rusoto keeps only a cancelled transaction's message, and reads
        // the reasons from it.
        ("a cancelled transaction", |r| {
            quoting(
                400,
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                &format!("Transaction cancelled [{r}]"),
            )
        }),
        ("a body that is not JSON", |r| (503, r.to_owned())),
        ("an unreadable success", |r| (200, format!("{{{r}"))),
    ];

    const MARKER: &[u8] = b"DAT-MARKER-7f3a";

    fn key() -> StorageKey {
        StorageKey::from_bytes(std::array::from_fn(|i| i as u8 * 7 + 1))
    }

    /// A user's pseudonym, as the store sees it.
    fn user() -> UserRef {
        UserRef::from_bytes(std::array::from_fn(|i| {
            (i as u8).wrapping_mul(11).wrapping_add(3)
        }))
    }

    /// Every way the key, the user's pseudonym and the data could be
    /// spelled in a request.
    fn secrets() -> Vec<String> {
        let mut spellings = spellings_of(key().as_bytes());
        spellings.extend(spellings_of(user().as_bytes()));
        spellings
    }

    /// `bytes` (a key or a pseudonym) and the data marker, in hex and base64.
    fn spellings_of(bytes: &[u8]) -> Vec<String> {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ];
        let mut spellings = vec![hex.clone(), hex.to_uppercase()];
        for engine in engines {
            for data in [bytes, MARKER] {
                spellings.push(engine.encode(data).trim_end_matches('=').to_owned());
            }
        }
        spellings.push(String::from_utf8_lossy(MARKER).into_owned());
        spellings
    }

    /// Display and Debug of the error and of every error in its chain.
    fn chain(error: &BackendError) -> String {
        let mut text = format!("{error} / {error:?}");
        let mut next = error.source();
        while let Some(cause) = next {
            text.push_str(&format!(" / {cause} / {cause:?}"));
            next = cause.source();
        }
        text
    }

    /// Every operation on `backend`, each failing.
    fn failures<B: UserSessions>(backend: &B) -> Vec<(&'static str, BackendError)> {
        let key = key();
        let marker = String::from_utf8_lossy(MARKER).into_owned();
        let cbor = Record::new(1, 10, 4_102_444_800, StoredData::Cbor(MARKER.to_vec()));
        let json = Record::new(
            2,
            10,
            4_102_444_800,
            StoredData::Json(format!("{marker:?}")),
        );
        let tombstone = Record::tombstone(10, DataEncoding::Cbor);
        let user = user();
        let stamped = Record::new(2, 10, 4_102_444_800, StoredData::Cbor(MARKER.to_vec()))
            .user(Some(UserStamp::new(user, 1, MARKER.to_vec())));
        let keep = Keep {
            key: &key,
            expected_version: 1,
            record: &stamped,
        };
        vec![
            (
                "load",
                backend.load(&key, Consistency::Strong).map(|_| ()).err(),
            ),
            ("create", backend.create(&key, &cbor).map(|_| ()).err()),
            ("replace", backend.replace(&key, 1, &json).map(|_| ()).err()),
            ("touch", backend.touch(&key, 1, 10, 20).map(|_| ()).err()),
            ("end", backend.end(&key, &tombstone).map(|_| ()).err()),
            ("generation", backend.generation(&user).map(|_| ()).err()),
            (
                "load_checked",
                backend.load_checked(&key, &user).map(|_| ()).err(),
            ),
            ("advance", backend.advance(&user, 0, None).map(|_| ()).err()),
            (
                "advance keeping a record",
                backend.advance(&user, 0, Some(keep)).map(|_| ()).err(),
            ),
            ("list", backend.list(&user).map(|_| ()).err()),
        ]
        .into_iter()
        .map(|(name, error)| (name, error.unwrap_or_else(|| panic!("{name} failed"))))
        .collect()
    }

    fn check<B: UserSessions>(client: &str, backend: &B, answer: &str) {
        for (operation, error) in failures(backend) {
            let text = chain(&error);
            for secret in secrets() {
                assert!(
                    !text.contains(&secret),
                    "{client}, {answer}, {operation}: {secret} in {text}"
                );
            }
        }
    }

    #[test]
    fn no_error_of_either_backend_quotes_the_request() {
        for (answer, reply) in ANSWERS {
            let endpoint = stand_in(reply);
            let rusoto = DynamoDbBackend::builder("sessions")
                .region("us-east-1")
                .endpoint(&endpoint)
                .static_credentials("local", "local")
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .build()
                .expect("rusoto backend");
            check("rusoto", &rusoto, answer);
            let sdk = AwsSdkBackend::builder("sessions")
                .region("us-east-1")
                .endpoint(&endpoint)
                .static_credentials("local", "local")
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .build()
                .expect("AWS SDK backend");
            check("aws-sdk", &sdk, answer);
        }
    }
}
