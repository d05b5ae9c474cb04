//! The end-to-end scenarios, each written once. A case gets the server to
//! run the demo on and a maker of session managers on fresh stores.

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use dynamodb_sessions::http::TrustForwardedProto;
use dynamodb_sessions::{Secure, SessionConfig, SessionManager};

use super::browser::{Browser, COOKIE};
use super::{Demo, ServerKind};

/// Makes a session manager with the given settings on a fresh, empty store.
pub type Backend<'a> = &'a dyn Fn(SessionConfig) -> SessionManager;

/// One scenario: runs the demo on a server with managers from a backend.
type Scenario = fn(ServerKind, Backend<'_>);

/// Every scenario, run one after another on `server` with managers from
/// `backend`; panics naming each scenario that failed. `None` skips (the
/// backend said why).
pub fn run_all(server: ServerKind, backend: Option<impl Fn(SessionConfig) -> SessionManager>) {
    let Some(backend) = backend else { return };
    let scenarios: [(&str, Scenario); 9] = [
        ("counter_persists", counter_persists),
        ("logout_kills_the_old_cookie", logout_kills_the_old_cookie),
        ("login_rotates_the_cookie", login_rotates_the_cookie),
        ("flash_shows_exactly_once", flash_shows_exactly_once),
        ("forged_csrf_post_is_refused", forged_csrf_post_is_refused),
        (
            "garbage_cookie_gives_a_fresh_session",
            garbage_cookie_gives_a_fresh_session,
        ),
        (
            "set_cookie_attributes_by_default",
            set_cookie_attributes_by_default,
        ),
        (
            "secure_only_behind_a_trusted_proxy",
            secure_only_behind_a_trusted_proxy,
        ),
        (
            "secure_and_max_age_when_configured",
            secure_and_max_age_when_configured,
        ),
    ];
    let failed: Vec<&str> = scenarios
        .iter()
        .filter(|(name, scenario)| {
            let passed =
                panic::catch_unwind(AssertUnwindSafe(|| scenario(server, &backend))).is_ok();
            println!(
                "{server:?} scenario {name} ... {}",
                if passed { "ok" } else { "FAILED" }
            );
            !passed
        })
        .map(|(name, _)| *name)
        .collect();
    assert!(
        failed.is_empty(),
        "{server:?}: scenarios failed: {}",
        failed.join(", ")
    );
}

/// The demo with the library's default settings, ignoring X-Forwarded-Proto.
fn default_demo(server: ServerKind, backend: Backend<'_>) -> Demo {
    Demo::start(
        server,
        backend(SessionConfig::default()),
        TrustForwardedProto::No,
    )
}

/// The token part of a `session_id=<token>/<version>` cookie.
fn token(cookie: &str) -> &str {
    let value = cookie.split_once('=').map_or(cookie, |(_, value)| value);
    value.split('/').next().unwrap_or(value)
}

pub fn counter_persists(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let browser = demo.browser();
    let first = browser.home();
    assert_eq!(first.visits(), 1);
    let cookie = first.session_cookie();
    for expected in 2..=4 {
        assert_eq!(browser.home().visits(), expected);
    }
    // The counter lives on the server: the same cookie from another client
    // continues it, and a client without it starts at one.
    let other = demo.browser();
    assert_eq!(other.get_with("/", &[("Cookie", &cookie)]).visits(), 5);
    assert_eq!(demo.browser().home().visits(), 1);
    // Requests that never use the session set no cookie.
    let missing = browser.get("/favicon.ico");
    assert_eq!(missing.status, 404);
    assert!(missing.sets_no_cookie(), "{missing:?}");
}

pub fn logout_kills_the_old_cookie(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let browser = demo.browser();
    browser.home();
    let login = browser.post_form("/login", &[("username", "ada")]);
    let cookie = login.session_cookie();
    let page = browser.home();
    assert_eq!(page.user().as_deref(), Some("ada"));
    assert!(page.visits() >= 2);

    let logout = browser.post_form("/logout", &[]);
    // The cookie is expired in the browser...
    assert_eq!(logout.session_cookie(), format!("{COOKIE}="), "{logout:?}");
    assert!(logout
        .session_cookie_attributes()
        .contains(&"Max-Age=0".to_owned()));
    let after = browser.home();
    assert_eq!(after.user(), None);
    assert_eq!(after.visits(), 1);
    assert_ne!(token(&after.session_cookie()), token(&cookie));

    // ...and dead on the server: replaying it gives a fresh session.
    let replay = demo.browser().get_with("/", &[("Cookie", &cookie)]);
    assert_eq!(replay.status, 200);
    assert_eq!(replay.user(), None);
    assert_eq!(replay.visits(), 1);
    assert_ne!(token(&replay.session_cookie()), token(&cookie));
}

pub fn login_rotates_the_cookie(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let browser = demo.browser();
    let before = browser.home().session_cookie();
    assert_eq!(browser.home().visits(), 2);
    let login = browser.post_form("/login", &[("username", "grace")]);
    let after = login.session_cookie();
    assert_ne!(
        token(&after),
        token(&before),
        "login must move the session to a new ID"
    );

    // The data moved with it...
    let page = browser.home();
    assert_eq!(page.user().as_deref(), Some("grace"));
    assert_eq!(page.visits(), 4, "the GET before the POST counted too");
    // ...and the pre-login cookie opens nothing any more.
    let replay = demo.browser().get_with("/", &[("Cookie", &before)]);
    assert_eq!(replay.user(), None);
    assert_eq!(replay.visits(), 1);
}

pub fn flash_shows_exactly_once(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let browser = demo.browser();
    assert!(browser.home().flashes().is_empty());
    browser.post_form("/message", &[("message", "Hello <b>world</b> & co")]);
    let shown = browser.get("/");
    assert_eq!(
        shown.flashes(),
        vec!["Hello &lt;b&gt;world&lt;/b&gt; &amp; co".to_owned()]
    );
    assert!(browser.home().flashes().is_empty(), "a flash shows once");

    // Several messages queue up until the next page; login greets once.
    let token = browser.home().csrf_token();
    for message in ["one", "two"] {
        let posted = browser.post("/message", &[("csrf_token", &token), ("message", message)]);
        assert_eq!(posted.status, 303);
    }
    assert_eq!(browser.home().flashes(), vec!["one", "two"]);
    browser.post_form("/login", &[("username", "ada")]);
    assert_eq!(browser.home().flashes(), vec!["Welcome, ada!"]);
    assert!(browser.home().flashes().is_empty());
}

pub fn forged_csrf_post_is_refused(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let browser = demo.browser();
    let token = browser.home().csrf_token();
    let mut forged = token.clone();
    forged.replace_range(..1, if token.starts_with('0') { "1" } else { "0" });
    let other_session = demo.browser().home().csrf_token();

    for (path, fields) in [
        ("/message", vec![("message", "forged")]),
        ("/message", vec![("message", "forged"), ("csrf_token", "")]),
        (
            "/message",
            vec![("message", "forged"), ("csrf_token", &forged)],
        ),
        (
            "/message",
            vec![("message", "forged"), ("csrf_token", &other_session)],
        ),
        (
            "/login",
            vec![("username", "mallory"), ("csrf_token", &forged)],
        ),
        ("/logout", vec![("csrf_token", &forged)]),
    ] {
        let refused = browser.post(path, &fields);
        assert_eq!(refused.status, 403, "POST {path} {fields:?}: {refused:?}");
        assert!(refused.sets_no_cookie(), "{refused:?}");
    }
    // Without any session, no token is right.
    let stranger = demo.browser().post("/message", &[("csrf_token", &token)]);
    assert_eq!(stranger.status, 403);

    // Nothing happened: no flash, no login, the session lives on.
    let page = browser.home();
    assert!(page.flashes().is_empty(), "{page:?}");
    assert_eq!(page.user(), None);
    assert_eq!(page.visits(), 2);
    // The right token still works.
    assert_eq!(
        browser
            .post(
                "/message",
                &[("csrf_token", &page.csrf_token()), ("message", "ok")]
            )
            .status,
        303
    );
    assert_eq!(browser.home().flashes(), vec!["ok"]);
}

pub fn garbage_cookie_gives_a_fresh_session(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let well_formed_unknown = format!("{COOKIE}={}/1", "A".repeat(43));
    let garbage = [
        format!("{COOKIE}=garbage"),
        format!("{COOKIE}="),
        format!("{COOKIE}=!!!/x"),
        format!("{COOKIE}={}", "A".repeat(43)),
        format!("{COOKIE}={}/0", "A".repeat(43)),
        format!("{COOKIE}={}/99999999999999999999999", "A".repeat(43)),
        well_formed_unknown.clone(),
        "other=1; session_id=%%%".to_owned(),
    ];
    for cookie in &garbage {
        let page = demo.browser().get_with("/", &[("Cookie", cookie.as_str())]);
        assert_eq!(page.status, 200, "{cookie:?}: {page:?}");
        assert_eq!(page.visits(), 1, "{cookie:?}");
        let fresh = page.session_cookie();
        assert_ne!(token(&fresh), token(cookie), "{cookie:?}");
        assert!(fresh.ends_with("/1"), "{fresh}");
    }
    // The unknown ID was not adopted: the fresh session's cookie works, and
    // the unknown one still opens nothing.
    let again = demo
        .browser()
        .get_with("/", &[("Cookie", well_formed_unknown.as_str())]);
    assert_eq!(again.visits(), 1);
}

/// The session `Set-Cookie` attributes of a first visit, after `headers`.
fn first_visit_attributes(browser: &Browser, headers: &[(&str, &str)]) -> Vec<String> {
    let page = browser.get_with("/", headers);
    assert_eq!(page.status, 200, "{page:?}");
    page.session_cookie_attributes()
}

pub fn set_cookie_attributes_by_default(server: ServerKind, backend: Backend<'_>) {
    let demo = default_demo(server, backend);
    let mut attributes = first_visit_attributes(&demo.browser(), &[]);
    attributes.sort();
    assert_eq!(attributes, vec!["HttpOnly", "Path=/", "SameSite=Strict"]);
    // An untrusted X-Forwarded-Proto changes nothing.
    let mut spoofed = first_visit_attributes(&demo.browser(), &[("X-Forwarded-Proto", "https")]);
    spoofed.sort();
    assert_eq!(spoofed, vec!["HttpOnly", "Path=/", "SameSite=Strict"]);
}

pub fn secure_only_behind_a_trusted_proxy(server: ServerKind, backend: Backend<'_>) {
    let demo = Demo::start(
        server,
        backend(SessionConfig::default()),
        TrustForwardedProto::Yes,
    );
    let https = first_visit_attributes(&demo.browser(), &[("X-Forwarded-Proto", "https")]);
    assert!(https.contains(&"Secure".to_owned()), "{https:?}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(https.contains(&attribute.to_owned()), "{https:?}");
    }
    assert!(!https.iter().any(|a| a.starts_with("Max-Age")), "{https:?}");
    for headers in [&[][..], &[("X-Forwarded-Proto", "http")][..]] {
        let plain = first_visit_attributes(&demo.browser(), headers);
        assert!(
            !plain.contains(&"Secure".to_owned()),
            "{headers:?}: {plain:?}"
        );
    }
}

pub fn secure_and_max_age_when_configured(server: ServerKind, backend: Backend<'_>) {
    let config = SessionConfig::builder()
        .secure(Secure::Always)
        .max_age(Some(Duration::from_secs(3600)))
        .path("/")
        .build()
        .expect("valid settings");
    let demo = Demo::start(server, backend(config), TrustForwardedProto::No);
    let mut attributes = first_visit_attributes(&demo.browser(), &[]);
    attributes.sort();
    assert_eq!(
        attributes,
        vec![
            "HttpOnly",
            "Max-Age=3600",
            "Path=/",
            "SameSite=Strict",
            "Secure"
        ]
    );
}
