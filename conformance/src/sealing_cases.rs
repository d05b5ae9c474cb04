//! Sealed records (the default): the table holds no readable session data,
//! and a sealed `dat` opens only in the record it was written for.
//!
//! The hostile cases copy a stored record, change it, and plant it in a
//! second store under the same key (a create takes any version, where a
//! replace would have to raise it), so that the planted record differs from
//! a good one only in what the case changes. Each case first plants the
//! record unchanged and checks that it loads: a failure to load is then due
//! to the change alone.

use std::sync::Arc;

use dynamodb_sessions_core::store::{
    item_size, Backend, CreateOutcome, Record, StorageKey, StoredData, Token, MAX_ITEM_SIZE,
};
use dynamodb_sessions_core::{CommitError, DataEncoding, DataProtection, SessionConfig};

use crate::corruption_cases::expect_fresh_session_leaving_the_record;
use crate::fixture::{cookie_pair, key_of, Fixture};
use crate::Harness;

/// A value, key and CSRF token that must never appear in the table.
const SECRET_VALUE: &str = "the-secret-value-4f1d";
const SECRET_KEY: &str = "secret-key-name-9c2e";

fn with_protection(protection: DataProtection) -> SessionConfig {
    SessionConfig::builder()
        .data_protection(protection)
        .build()
        .expect("valid settings")
}

fn cbor_bytes(record: &Record) -> &[u8] {
    match &record.data {
        StoredData::Cbor(bytes) => bytes,
        other => panic!("expected CBOR, found {other:?}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Writes `record` under `key` as it is, as a foreign writer could.
fn plant<B: Backend>(backend: &B, key: &StorageKey, record: &Record) {
    let outcome = backend.create(key, record).expect("plant");
    assert_eq!(outcome, CreateOutcome::Created, "the key was free");
}

/// The value `n` a cookie's session holds in `f`, if it loads.
fn n_of<B: Backend + 'static>(f: &Fixture<B>, cookie: &str) -> Option<i64> {
    f.request(Some(cookie), |s| s.get::<i64>("n").unwrap()).0
}

/// By default the stored `dat` is sealed: neither values, keys nor the CSRF
/// token appear in it, and it reads back. With [`DataProtection::Plain`]
/// the same session is stored readable (so the check can fail).
pub fn sealed_records_hide_the_data<H: Harness>(harness: &H) {
    for protection in [DataProtection::Sealed, DataProtection::Plain] {
        let f = Fixture::with_config(harness, with_protection(protection));
        let ((), set_cookie) = f.request(None, |s| {
            s.insert(SECRET_KEY, SECRET_VALUE).unwrap();
            s.flash("flash-message-77ab", "", true).unwrap();
        });
        let cookie = cookie_pair(&set_cookie.expect("cookie"));
        let (csrf, set_cookie) = f.request(Some(&cookie), |s| s.new_csrf_token().unwrap());
        let cookie = cookie_pair(&set_cookie.expect("cookie"));
        let stored = f.stored(&cookie).expect("a record");
        let dat = cbor_bytes(&stored);
        let secrets = [
            SECRET_VALUE.as_bytes(),
            SECRET_KEY.as_bytes(),
            b"flash-message-77ab",
            csrf.as_bytes(),
            b"_csrft_",
        ];
        let visible = secrets.iter().filter(|s| contains(dat, s)).count();
        match protection {
            DataProtection::Sealed => {
                assert_eq!(visible, 0, "sealed data shows a secret");
                assert_eq!(dat.first(), Some(&0x1c), "the sealed format byte");
            }
            _ => assert_eq!(visible, secrets.len(), "plain data is readable"),
        }
        let (read, _) = f.request(Some(&cookie), |s| {
            (
                s.get::<String>(SECRET_KEY).unwrap(),
                s.check_csrf_token(&csrf).unwrap(),
            )
        });
        assert_eq!(
            read,
            (Some(SECRET_VALUE.to_owned()), true),
            "{protection:?}"
        );
    }
}

/// Which records each setting reads: sealed CBOR and JSON under all three,
/// plain CBOR under `SealedAcceptingPlain` and `Plain` only. A record that
/// loads is rewritten as the reader's setting says (sealed unless `Plain`)
/// and the first writer reads it back if its setting reads that; the refused one is a new session
/// under a new ID, and the plain record stays as it was.
pub fn records_load_by_format_and_setting<H: Harness>(harness: &H) {
    let store = Arc::new(harness.fresh_backend());
    let json = SessionConfig::builder()
        .data_encoding(DataEncoding::Json)
        .build()
        .expect("valid settings");
    let writers = [
        with_protection(DataProtection::Sealed),
        with_protection(DataProtection::Plain),
        json,
    ];
    let readers = [
        DataProtection::Sealed,
        DataProtection::SealedAcceptingPlain,
        DataProtection::Plain,
    ];
    for writer in writers {
        for reader in readers {
            let w = Fixture::around(Arc::clone(&store), writer.clone());
            let cookie = w.start_session("n", 7);
            let written = w.stored(&cookie).expect("a record");
            let r = Fixture::around(Arc::clone(&store), with_protection(reader));
            let (n, set_cookie) = r.request(Some(&cookie), |s| {
                let n = s.get::<i64>("n").unwrap();
                s.insert("m", &1).unwrap();
                n
            });
            let new_cookie = cookie_pair(&set_cookie.expect("a cookie"));
            let plain_cbor = writer.data_protection() == DataProtection::Plain
                && writer.data_encoding() == DataEncoding::Cbor;
            if plain_cbor && reader == DataProtection::Sealed {
                assert_eq!(n, None, "plain CBOR refused by {reader:?}");
                assert_ne!(key_of(&new_cookie), key_of(&cookie), "a new ID");
                assert_eq!(w.stored(&cookie), Some(written), "left alone");
                continue;
            }
            assert_eq!(n, Some(7), "{writer:?} read with {reader:?}");
            let rewritten = cbor_bytes(&r.stored(&new_cookie).expect("a record")).to_vec();
            let sealed = rewritten.first() == Some(&0x1c);
            assert_eq!(sealed, reader != DataProtection::Plain, "{rewritten:?}");
            // Unless the reader wrote plain CBOR, which `Sealed` refuses.
            let back = reader != DataProtection::Plain
                || writer.data_protection() != DataProtection::Sealed;
            let expected = back.then_some(7);
            assert_eq!(n_of(&w, &new_cookie), expected, "{writer:?} reads it back");
        }
    }
}

/// A plain CBOR record written straight into the store under a victim's
/// key, as anyone with write access to the table could, does not load by
/// default: plain data carries no proof of where it was written. It is
/// treated as a corrupt record (a new session, the record left alone), and
/// loads only under the opt-in `SealedAcceptingPlain` (and `Plain`).
pub fn planted_plain_cbor_loads_only_when_accepted<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let victim = f.start_session("n", 1);
    let mut planted = f.stored(&victim).expect("a record");
    let mut chosen = Vec::new();
    let map = ciborium::Value::Map(vec![(
        ciborium::Value::Text("n".into()),
        ciborium::Value::Integer(666.into()),
    )]);
    ciborium::into_writer(&map, &mut chosen).expect("CBOR");
    planted.data = StoredData::Cbor(chosen);

    let g = Fixture::new(harness);
    plant(g.backend.inner(), &key_of(&victim), &planted);
    expect_fresh_session_leaving_the_record(&g, &victim, || g.stored(&victim));

    for opt_in in [DataProtection::SealedAcceptingPlain, DataProtection::Plain] {
        let h = Fixture::with_config(harness, with_protection(opt_in));
        plant(h.backend.inner(), &key_of(&victim), &planted);
        assert_eq!(n_of(&h, &victim), Some(666), "{opt_in:?} reads plain CBOR");
    }
}

/// Changing any single byte of a sealed `dat`, or cutting it short, makes
/// the record undecodable: a new session, the record left alone.
pub fn tampered_sealed_data_starts_a_new_session<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let g = Fixture::new(harness);
    let control = f.start_session("n", 1);
    let record = f.stored(&control).expect("a record");
    plant(g.backend.inner(), &key_of(&control), &record);
    assert_eq!(n_of(&g, &control), Some(1), "an unchanged copy loads");

    // Every session holding n = 1 has sealed bytes of this length.
    let len = cbor_bytes(&record).len();
    let flips = (0..len).map(|at| (at, Some(0x01)));
    let cuts = [0, 1, 25, 40, len - 1].into_iter().map(|at| (at, None));
    for (at, flip) in flips.chain(cuts) {
        let cookie = f.start_session("n", 1);
        let mut record = f.stored(&cookie).expect("a record");
        let StoredData::Cbor(bytes) = &mut record.data else {
            panic!("expected CBOR");
        };
        match flip {
            Some(bits) => bytes[at] ^= bits,
            None => bytes.truncate(at),
        }
        plant(g.backend.inner(), &key_of(&cookie), &record);
        expect_fresh_session_leaving_the_record(&g, &cookie, || g.stored(&cookie));
    }
}

/// Two sessions' sealed `dat` swapped (same version, same creation time):
/// neither opens. With plain data the same swap hands one session the
/// other's data, which is what binding prevents.
pub fn sealed_data_swapped_between_records_starts_a_new_session<H: Harness>(harness: &H) {
    for protection in [DataProtection::Sealed, DataProtection::Plain] {
        let config = with_protection(protection);
        let f = Fixture::with_config(harness, config.clone());
        let g = Fixture::with_config(harness, config);
        let a = f.start_session("n", 1);
        let b = f.start_session("n", 2);
        let (record_a, record_b) = (f.stored(&a).unwrap(), f.stored(&b).unwrap());
        let mut swapped_a = record_a.clone();
        swapped_a.data = record_b.data.clone();
        let mut swapped_b = record_b;
        swapped_b.data = record_a.data;
        plant(g.backend.inner(), &key_of(&a), &swapped_a);
        plant(g.backend.inner(), &key_of(&b), &swapped_b);
        if protection == DataProtection::Plain {
            assert_eq!(n_of(&g, &a), Some(2), "plain data can be swapped");
            continue;
        }
        expect_fresh_session_leaving_the_record(&g, &a, || g.stored(&a));
        expect_fresh_session_leaving_the_record(&g, &b, || g.stored(&b));
    }
}

/// A sealed record moved, whole, under another session's key (one whose
/// token the mover holds) does not open there.
pub fn sealed_record_moved_to_another_key_starts_a_new_session<H: Harness>(harness: &H) {
    for protection in [DataProtection::Sealed, DataProtection::Plain] {
        let config = with_protection(protection);
        let f = Fixture::with_config(harness, config.clone());
        let g = Fixture::with_config(harness, config);
        let victim = f.start_session("n", 1);
        let record = f.stored(&victim).unwrap();
        plant(g.backend.inner(), &key_of(&victim), &record);
        assert_eq!(n_of(&g, &victim), Some(1), "an unmoved copy loads");
        let mover = Token::generate().unwrap();
        let cookie = format!("session_id={}/1", mover.as_str());
        plant(g.backend.inner(), &mover.storage_key(), &record);
        if protection == DataProtection::Plain {
            assert_eq!(n_of(&g, &cookie), Some(1), "plain data can be moved");
            continue;
        }
        expect_fresh_session_leaving_the_record(&g, &cookie, || g.stored(&cookie));
    }
}

/// An older sealed `dat` of the same session put back under a newer version,
/// or with another creation time, does not open: the version and `crt` are
/// bound. The unchanged newer record loads.
pub fn old_sealed_data_under_a_newer_version_starts_a_new_session<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let first = f.stored(&cookie).unwrap();
    let (_, set_cookie) = f.request(Some(&cookie), |s| s.insert("n", &2).unwrap());
    let cookie = cookie_pair(&set_cookie.expect("replaced"));
    let second = f.stored(&cookie).unwrap();
    assert_eq!(second.version, 2);

    let g = Fixture::new(harness);
    plant(g.backend.inner(), &key_of(&cookie), &second);
    assert_eq!(
        n_of(&g, &cookie),
        Some(2),
        "the newer record as written loads"
    );

    let mut replayed = second.clone();
    replayed.data = first.data;
    let h = Fixture::new(harness);
    plant(h.backend.inner(), &key_of(&cookie), &replayed);
    expect_fresh_session_leaving_the_record(&h, &cookie, || h.stored(&cookie));

    let mut stretched = second;
    stretched.created_at = stretched.created_at.map(|c| c + 86_400);
    let i = Fixture::new(harness);
    plant(i.backend.inner(), &key_of(&cookie), &stretched);
    expect_fresh_session_leaving_the_record(&i, &cookie, || i.stored(&cookie));
}

/// `exp` is not bound to sealed data (a reissue rewrites it alone), so a
/// table writer can move it ahead; the default absolute lifetime still ends
/// the session at `crt` + 8 h, because `crt` is bound: removing it makes
/// the data fail to open like moving it does. In JSON mode nothing is
/// bound, and the same edit keeps a session alive past the lifetime.
pub fn moved_exp_still_ends_at_the_absolute_lifetime<H: Harness>(harness: &H) {
    let lifetime = 8 * 3600;
    let f = Fixture::new(harness);
    let cookie = f.start_session("n", 1);
    let mut moved = f.stored(&cookie).unwrap();
    let end = moved.created_at.expect("crt") + lifetime;
    moved.expires_at = f.start + 10 * 365 * 86_400;

    let g = Fixture::new(harness);
    plant(g.backend.inner(), &key_of(&cookie), &moved);
    g.clock.set(end);
    assert_eq!(n_of(&g, &cookie), Some(1), "alive up to crt + lifetime");
    g.clock.set(end + 1);
    expect_fresh_session_leaving_the_record(&g, &cookie, || g.stored(&cookie));

    let mut without_crt = moved;
    without_crt.created_at = None;
    let h = Fixture::new(harness);
    plant(h.backend.inner(), &key_of(&cookie), &without_crt);
    expect_fresh_session_leaving_the_record(&h, &cookie, || h.stored(&cookie));

    let json = SessionConfig::builder()
        .data_encoding(DataEncoding::Json)
        .build()
        .expect("valid settings");
    let j = Fixture::with_config(harness, json.clone());
    let cookie = j.start_session("n", 1);
    let mut unbound = j.stored(&cookie).unwrap();
    unbound.expires_at = j.start + 10 * 365 * 86_400;
    unbound.created_at = None;
    let k = Fixture::with_config(harness, json);
    plant(k.backend.inner(), &key_of(&cookie), &unbound);
    k.clock.set(k.start + 30 * 86_400);
    assert_eq!(n_of(&k, &cookie), Some(1), "JSON: nothing is bound");
}

/// The size check counts the format byte, nonce and tag: a sealed session
/// whose item (with room for any reissue) is exactly 400 KB is written, one
/// byte more is `TooLarge` naming the exact size, and nothing is written.
pub fn sealed_session_at_exactly_the_size_limit<H: Harness>(harness: &H) {
    let f = Fixture::new(harness);
    let first = 300 * 1024;
    let cookie = f.start_session("n", 1);
    let (_, set_cookie) = f.request(Some(&cookie), |s| {
        s.insert("blob", &"x".repeat(first)).unwrap()
    });
    let cookie = cookie_pair(&set_cookie.expect("replaced"));
    let measured = f.stored(&cookie).unwrap();
    // Counted as the manager does: `iss` and `exp` at their widest.
    let with_room = |record: &Record| {
        let mut widest = record.clone();
        widest.issued_at = i64::MIN;
        widest.expires_at = i64::MIN;
        item_size(&key_of(&cookie), &widest)
    };
    let fill = first + (MAX_ITEM_SIZE - with_room(&measured));

    let (_, set_cookie) = f.request(Some(&cookie), |s| {
        s.insert("blob", &"x".repeat(fill)).unwrap()
    });
    let cookie = cookie_pair(&set_cookie.expect("exactly at the limit is written"));
    let at_limit = f.stored(&cookie).unwrap();
    assert_eq!(with_room(&at_limit), MAX_ITEM_SIZE);
    assert_eq!(cbor_bytes(&at_limit).first(), Some(&0x1c), "sealed");

    let ((), committed) = f.try_request(Some(&cookie), |s| {
        s.insert("blob", &"x".repeat(fill + 1)).unwrap()
    });
    match committed {
        Err(CommitError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (MAX_ITEM_SIZE + 1, MAX_ITEM_SIZE));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(f.stored(&cookie), Some(at_limit), "nothing written");
}
