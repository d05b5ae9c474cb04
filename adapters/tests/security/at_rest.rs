//! A leaked table reveals nothing. After a full flow on DynamoDB
//! Local (visit, values, flash, CSRF, login, more values), a raw scan of the
//! table, every attribute of every item, finds none of the values, session
//! keys, the flash message or the CSRF token. The same flow with
//! `DataProtection::Plain` finds every one of them, so the scan can fail.

use dynamodb_sessions::users::{UserSecret, UserSettings};
use dynamodb_sessions::{DataProtection, Scheme, SessionConfig, SessionManager};
use dynamodb_sessions_test_support::raw_table::scan_all;
use dynamodb_sessions_test_support::{dynamodb_local, DynamoDbHarness};
use rusoto_dynamodb::AttributeValue;

/// Values and session keys the flow stores; each must stay out of the table.
const STORED: [&str; 6] = [
    "visits-counter-key",
    "shopping-cart-key",
    "organic-apples-x12",
    "user-name-key",
    "ada.lovelace@example.org",
    "flash-message-please-verify",
];

/// The flow on `manager`; returns what the final record holds in the
/// clear when unsealed: [`STORED`] and the CSRF token.
fn full_flow(manager: &SessionManager) -> Vec<String> {
    let pair = |set_cookie: Option<String>| {
        let set_cookie = set_cookie.expect("a cookie");
        set_cookie.split(';').next().unwrap_or_default().to_owned()
    };
    // Anonymous visit: values and a flash message.
    let mut session = manager.load(None);
    session.insert(STORED[0], &1u32).unwrap();
    session.insert(STORED[1], &[STORED[2]]).unwrap();
    session.flash(STORED[5], "", false).unwrap();
    let cookie = pair(manager.commit(session, Scheme::Https).unwrap());

    // The login form: a CSRF token.
    let mut session = manager.load(Some(&cookie));
    let form_token = session.new_csrf_token().unwrap();
    let cookie = pair(manager.commit(session, Scheme::Https).unwrap());

    // Login: the form's token checked, a new ID, the user, a new CSRF token.
    let mut session = manager.load(Some(&cookie));
    assert!(session.check_csrf_token(&form_token).unwrap());
    session.regenerate_id().unwrap();
    session.insert(STORED[3], STORED[4]).unwrap();
    let csrf = session.csrf_token().unwrap();
    let cookie = pair(manager.commit(session, Scheme::Https).unwrap());

    // One more change, and the data reads back.
    let mut session = manager.load(Some(&cookie));
    session.insert(STORED[0], &2u32).unwrap();
    assert_eq!(session.peek_flash::<String>("").unwrap(), [STORED[5]]);
    assert_eq!(
        session.get::<String>(STORED[3]).unwrap().as_deref(),
        Some(STORED[4])
    );
    manager.commit(session, Scheme::Https).unwrap();

    let mut secrets: Vec<String> = STORED.iter().map(|s| (*s).to_owned()).collect();
    secrets.push(csrf);
    secrets
}

/// The bytes of an attribute value of any type, nested ones included.
fn bytes_of(value: &AttributeValue, into: &mut Vec<u8>) {
    if let Some(b) = &value.b {
        into.extend_from_slice(b);
    }
    for text in value.s.iter().chain(&value.n) {
        into.extend_from_slice(text.as_bytes());
    }
    for b in value.bs.iter().flatten() {
        into.extend_from_slice(b);
    }
    for text in value.ss.iter().chain(&value.ns).flatten() {
        into.extend_from_slice(text.as_bytes());
    }
    for nested in value
        .l
        .iter()
        .flatten()
        .chain(value.m.iter().flat_map(|m| m.values()))
    {
        bytes_of(nested, into);
    }
}

/// Every byte of every item of `table` (attribute names included), from a
/// raw scan, and how many items there are.
fn table_dump(endpoint: &str, table: &str) -> (usize, Vec<u8>) {
    let items = scan_all(endpoint, table);
    let mut dump = Vec::new();
    for item in &items {
        for (name, value) in item {
            dump.extend_from_slice(name.as_bytes());
            bytes_of(value, &mut dump);
        }
    }
    (items.len(), dump)
}

/// How many of `secrets` a raw scan of `table` finds in some attribute
/// (names included).
fn found_in_table(endpoint: &str, table: &str, secrets: &[String]) -> usize {
    let (items, dump) = table_dump(endpoint, table);
    // The live record and the tombstone the login left.
    assert_eq!(items, 2, "the flow left {items} items");
    secrets
        .iter()
        .filter(|s| dump.windows(s.len()).any(|w| w == s.as_bytes()))
        .count()
}

#[test]
fn a_table_scan_finds_no_session_data() {
    let (Some(harness), Some(endpoint)) = (DynamoDbHarness::shared(), dynamodb_local::endpoint())
    else {
        return;
    };
    for protection in [DataProtection::Sealed, DataProtection::Plain] {
        let backend = harness.backend_on_new_table("at-rest");
        let table = backend.table_name().to_owned();
        let config = SessionConfig::builder()
            .data_protection(protection)
            .build()
            .unwrap();
        let manager = SessionManager::new(backend, config);
        let secrets = full_flow(&manager);
        let found = found_in_table(&endpoint, &table, &secrets);
        match protection {
            DataProtection::Sealed => assert_eq!(found, 0, "sealed data leaked"),
            _ => assert_eq!(found, secrets.len(), "plain data is all in the table"),
        }
    }
}

/// A user's id and a session's label are sealed under the user secret,
/// whatever the data's protection: after logins, a label and an end of all
/// of the user's sessions (which writes the user's generation item), a scan
/// finds neither, though it finds the user's pseudonym (so it does reach
/// the user attributes).
#[test]
fn a_table_scan_finds_no_user_id_or_label() {
    const ID: &str = "ada.lovelace@example.org";
    const LABEL: &str = "Firefox on the analytical engine";
    let (Some(harness), Some(endpoint)) = (DynamoDbHarness::shared(), dynamodb_local::endpoint())
    else {
        return;
    };
    let secret = UserSecret::from_bytes(&[9; 32]).unwrap();
    for protection in [DataProtection::Sealed, DataProtection::Plain] {
        let backend = harness.backend_on_new_table("at-rest-users");
        let table = backend.table_name().to_owned();
        let config = SessionConfig::builder()
            .data_protection(protection)
            .build()
            .unwrap();
        let manager =
            SessionManager::with_users(backend, config, UserSettings::new(secret.clone()));
        for _ in 0..2 {
            let mut session = manager.load(None);
            session.set_user(ID).unwrap();
            session.set_label(LABEL).unwrap();
            manager.commit(session, Scheme::Https).unwrap();
            manager.end_all_sessions(ID).unwrap();
        }
        let mut session = manager.load(None);
        session.set_user(ID).unwrap();
        session.set_label(LABEL).unwrap();
        manager.commit(session, Scheme::Https).unwrap();

        let (_, dump) = table_dump(&endpoint, &table);
        let found = |text: &[u8]| dump.windows(text.len()).any(|w| w == text);
        assert!(!found(ID.as_bytes()), "{protection:?}: the user id leaked");
        assert!(!found(LABEL.as_bytes()), "{protection:?}: the label leaked");
        assert!(
            found(secret.user_ref(ID).as_bytes()),
            "{protection:?}: the scan holds the pseudonym"
        );
    }
}
