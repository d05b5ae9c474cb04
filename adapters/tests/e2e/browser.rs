//! End-to-end in a real browser: the demo app on tiny_http and on rouille
//! (sessions in memory, and once on DynamoDB Local), driven by headless
//! Chromium over WebDriver, so that cookies are kept, sent and refused the
//! way Chromium does it. Each page's panel of what the library did is read
//! back and checked against the README's state table.
//!
//! Skips loudly where `chromium` or `chromedriver` is missing outside CI;
//! fails in CI.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use dynamodb_sessions_test_support::browser::{Chromium, Cookie};
use dynamodb_sessions_test_support::dynamodb_local;
use support::options::Options;
use support::{Demo, ServerKind};

/// The library's default cookie name, which the demo keeps.
const COOKIE: &str = "session_id";

/// The demo started as its command line would, on a free port.
fn demo(server: ServerKind, args: &[&str]) -> Demo {
    let args = args.iter().chain(&["--port", "0"]).map(|&a| a.to_owned());
    let options = Options::parse(args, |_| None).expect("valid demo options");
    let (manager, _) = options.manager().expect("a session manager");
    Demo::start(server, manager, options.trust())
}

/// The demo page as the browser shows it.
#[derive(Debug)]
struct Page {
    visits: u64,
    user: String,
    flashes: Vec<String>,
    /// The store calls made for this page, one line each.
    calls: Vec<String>,
    /// What happened to the cookie.
    cookie: String,
    /// When the session idles out.
    idle: String,
    store: String,
    /// The store calls of the form post that redirected here.
    posted: Option<String>,
}

/// Reads the page shown, and checks that scripts see no cookie at all.
fn read(browser: &Chromium) -> Page {
    let visits = browser.text("#visits");
    let page = Page {
        visits: visits
            .strip_prefix("Visits: ")
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("a visit count: {visits:?}")),
        user: browser.text("#user"),
        flashes: browser.texts(".flash"),
        calls: browser.texts("#calls li"),
        cookie: browser.text("#cookie"),
        idle: browser.text("#idle"),
        store: browser.text("#store"),
        posted: browser.texts("#posted").pop(),
    };
    // The demo sets no cookie but the session's, which is HttpOnly.
    assert_eq!(browser.script("return document.cookie"), "", "{page:?}");
    page
}

/// The jar's cookie named `name` for the page shown.
fn jar(browser: &Chromium, name: &str) -> Option<Cookie> {
    browser
        .cookies()
        .into_iter()
        .find(|cookie| cookie.name == name)
}

/// The session cookie in the jar, which must be there.
fn session(browser: &Chromium) -> Cookie {
    jar(browser, COOKIE).expect("the session cookie in the jar")
}

/// The `<token>` and `<version>` of a cookie value `<token>/<version>`.
fn split(value: &str) -> (&str, u64) {
    let (token, version) = value.rsplit_once('/').expect("token/version");
    (token, version.parse().expect("a version"))
}

/// The README's walk: visit, reload, look, flash, forged post, login,
/// replayed old cookie, logout; with the store calls of each page.
fn walk_through(
    browser: &Chromium,
    server: ServerKind,
    backend: &[&str],
    store: &str,
    screenshot: Option<&Path>,
) {
    let demo = demo(server, backend);
    let home = format!("{}/", demo.url());

    // New, data set: one create, cookie version 1.
    browser.goto(&home);
    let page = read(browser);
    assert_eq!(page.visits, 1);
    assert_eq!(page.calls, ["create → version 1"]);
    assert_eq!(page.cookie, "Set-Cookie, version 1");
    assert_eq!(page.store, store);
    // The default timeout, 20 minutes, from the commit (a second may tick
    // before the page shows it).
    assert!(
        page.idle.ends_with("in 1200 s") || page.idle.ends_with("in 1199 s"),
        "{page:?}"
    );
    let first = session(browser);
    assert!(first.http_only && !first.secure, "{first:?}");
    assert_eq!(first.same_site.as_deref(), Some("Strict"));
    assert_eq!(split(&first.value).1, 1);

    // Loaded, changed: one eventual read and a replace; the counter climbs.
    browser.goto(&home);
    let page = read(browser);
    assert_eq!(page.visits, 2);
    assert_eq!(
        page.calls,
        [
            "load (eventual) → version 1",
            "replace at version 1 → version 2"
        ]
    );
    assert_eq!(page.cookie, "Set-Cookie, version 2");
    assert_eq!(split(&session(browser).value), (split(&first.value).0, 2));

    // Loaded, unchanged, within reissue_time: one eventual read, no write,
    // no Set-Cookie.
    browser.goto(&format!("{home}peek"));
    let page = read(browser);
    assert_eq!(page.visits, 2);
    assert_eq!(page.calls, ["load (eventual) → version 2"]);
    assert_eq!(page.cookie, "no Set-Cookie; the browser keeps version 2");

    // A flash message shows exactly once, escaped.
    browser.fill(
        "form[action='/message'] input[name=message]",
        "Hi <b>you</b>",
    );
    browser.click("form[action='/message'] button");
    let page = read(browser);
    assert_eq!(page.flashes, ["Hi <b>you</b>"]);
    assert_eq!(
        page.posted.as_deref(),
        Some(
            "POST /message: load (eventual) → version 2; replace at version 2 → version 3; \
             cookie: Set-Cookie, version 3"
        )
    );
    assert_eq!(
        page.calls,
        [
            "load (eventual) → version 3",
            "replace at version 3 → version 4"
        ]
    );
    browser.goto(&home);
    assert!(read(browser).flashes.is_empty());

    // A forged CSRF token: 403, and nothing changes.
    let before = session(browser);
    browser.click("form:has(input[value=forged]) button");
    let refused = browser.text("body");
    assert!(refused.starts_with("Forbidden"), "{refused}");
    assert_eq!(session(browser), before);
    browser.goto(&home);
    assert!(read(browser).flashes.is_empty());

    // Login: 1 read + create under a new ID + end the old one at the loaded
    // version (a replace with a tombstone).
    let anonymous = session(browser);
    let (_, version) = split(&anonymous.value);
    browser.fill("input[name=username]", "ada");
    browser.click("form[action='/login'] button");
    let page = read(browser);
    assert_eq!(page.user, "Logged in as ada");
    assert_eq!(page.flashes, ["Welcome, ada!"]);
    assert_eq!(
        page.posted,
        Some(format!(
            "POST /login: load (eventual) → version {version}; user generation (strong) → 0; \
             create → version 1; replace at version {version} → ended; \
             cookie: Set-Cookie, version 1"
        ))
    );
    let logged_in = session(browser);
    assert_ne!(split(&logged_in.value).0, split(&anonymous.value).0);
    if let Some(path) = screenshot {
        browser.screenshot(path);
        eprintln!("screenshot of the demo saved to {}", path.display());
    }

    // The pre-login cookie, replayed, finds its record ended: a new session.
    browser.set_cookie(COOKIE, &anonymous.value);
    browser.goto(&home);
    let page = read(browser);
    assert_eq!((page.visits, page.user.as_str()), (1, "Not logged in"));
    assert_eq!(
        page.calls,
        ["load (eventual) → ended", "create → version 1"]
    );
    browser.set_cookie(COOKIE, &logged_in.value);
    browser.goto(&home);
    assert_eq!(read(browser).user, "Logged in as ada");

    // Logout: a read (the CSRF check) and an end; the cookie is removed, so
    // the page after it arrives without one and starts a new session.
    let (_, version) = split(&session(browser).value);
    browser.click("form[action='/logout'] button");
    let page = read(browser);
    assert_eq!(
        page.posted,
        Some(format!(
            "POST /logout: load (eventual) → version {version}; \
             load with the user's generation (strong) → user generation 0; \
             version {version}, logged in at generation 0; end → ended; \
             cookie: removed (Set-Cookie with Max-Age=0)"
        ))
    );
    assert_eq!((page.visits, page.user.as_str()), (1, "Not logged in"));
    assert_eq!(page.calls, ["create → version 1"], "no cookie was sent");
    assert_ne!(split(&session(browser).value).0, split(&logged_in.value).0);
}

#[test]
fn tiny_http_in_memory() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo.png");
    walk_through(
        &browser,
        ServerKind::TinyHttp,
        &[],
        "MemoryBackend",
        Some(&screenshot),
    );
}

#[test]
fn rouille_in_memory() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    walk_through(&browser, ServerKind::Rouille, &[], "MemoryBackend", None);
}

#[test]
fn tiny_http_on_dynamodb_local() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    let Some(endpoint) = dynamodb_local::endpoint() else {
        return;
    };
    let table = dynamodb_local::unique_table_name("e2e-browser");
    let args = ["--endpoint", &endpoint, "--table", &table, "--create-table"];
    let store = format!("DynamoDbBackend, table {table} at {endpoint}");
    walk_through(&browser, ServerKind::TinyHttp, &args, &store, None);
}

/// One user logged in from two independent browsers (two profiles, two
/// cookie jars): each sees both sessions on "your sessions"; the first ends
/// the other, which is logged out on its next page, while the first stays
/// logged in. Then "log out everywhere" from the first ends it too.
#[test]
fn one_user_in_two_browsers_ends_the_other() {
    let (Some(laptop), Some(phone)) = (Chromium::start(), Chromium::start()) else {
        return;
    };
    let demo = demo(ServerKind::TinyHttp, &[]);
    let home = format!("{}/", demo.url());
    for (browser, device) in [(&laptop, "laptop"), (&phone, "phone")] {
        browser.goto(&home);
        browser.fill("input[name=username]", "ada");
        browser.fill("input[name=device]", device);
        browser.click("form[action='/login'] button");
        assert_eq!(read(browser).user, "Logged in as ada");
    }
    laptop.click("#sessions");
    let mut labels = laptop.texts("#user-sessions .label");
    labels.sort();
    assert_eq!(labels, ["laptop", "phone"]);
    assert_eq!(laptop.texts(".current"), ["this browser"]);

    // The laptop ends the phone's session by its handle.
    laptop.click("#user-sessions button.end");
    assert_eq!(laptop.texts(".flash"), ["Logged out that session."]);
    assert_eq!(laptop.texts("#user-sessions .label"), ["laptop"]);
    phone.goto(&home);
    assert_eq!(read(&phone).user, "Not logged in");
    laptop.goto(&home);
    assert_eq!(read(&laptop).user, "Logged in as ada");

    // The phone logs in again; "log out everywhere else" from the laptop.
    phone.fill("input[name=username]", "ada");
    phone.click("form[action='/login'] button");
    assert_eq!(read(&phone).user, "Logged in as ada");
    laptop.click("#sessions");
    laptop.click("#end-others");
    assert_eq!(laptop.texts(".flash"), ["Logged out everywhere else."]);
    phone.goto(&home);
    assert_eq!(read(&phone).user, "Not logged in");
    laptop.goto(&home);
    assert_eq!(read(&laptop).user, "Logged in as ada");

    // "Log out everywhere": the laptop too.
    laptop.click("#sessions");
    laptop.click("#end-all");
    laptop.goto(&home);
    assert_eq!(read(&laptop).user, "Not logged in");
}

/// Loaded, unchanged, older than `reissue_time` (0 here): read + touch,
/// and no Set-Cookie without a Max-Age.
#[test]
fn a_read_past_the_reissue_time_touches() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    let demo = demo(ServerKind::Rouille, &["--reissue-time", "0"]);
    browser.goto(&format!("{}/", demo.url()));
    // `iss` counts whole seconds, and a write is older than a reissue
    // time of 0 only a second later.
    thread::sleep(std::time::Duration::from_millis(1100));
    browser.goto(&format!("{}/peek", demo.url()));
    let page = read(&browser);
    assert_eq!(
        page.calls,
        [
            "load (eventual) → version 1",
            "touch at version 1 → touched"
        ]
    );
    assert_eq!(page.cookie, "no Set-Cookie; the browser keeps version 1");
}

/// A page on another site (127.0.0.2: another host, so another site) with
/// a link to the demo.
struct OtherSite {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl OtherSite {
    fn linking_to(target: &str) -> OtherSite {
        let server = Arc::new(tiny_http::Server::http("127.0.0.2:0").expect("bind 127.0.0.2"));
        let url = format!("http://{}/", server.server_addr());
        let page = format!("<!doctype html><a id=\"to-demo\" href=\"{target}\">the demo</a>");
        let serving = Arc::clone(&server);
        let thread = thread::spawn(move || {
            for request in serving.incoming_requests() {
                let header = "Content-Type: text/html".parse::<tiny_http::Header>();
                let response = tiny_http::Response::from_string(page.clone())
                    .with_header(header.expect("a header"));
                let _ = request.respond(response);
            }
        });
        OtherSite {
            url,
            server,
            thread: Some(thread),
        }
    }
}

impl Drop for OtherSite {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A link from another site arrives without the session under `Strict`
/// (and the new session it starts replaces the browser's cookie), with it
/// under `Lax` and under `None` (which adds `Secure`; Chromium keeps that
/// over http://127.0.0.1).
#[test]
fn a_link_from_another_site_carries_the_session_only_if_same_site_allows() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    for (same_site, jar_says, arrives) in [
        ("strict", "Strict", false),
        ("lax", "Lax", true),
        ("none", "None", true),
    ] {
        let demo = demo(ServerKind::TinyHttp, &["--same-site", same_site]);
        let home = format!("{}/", demo.url());
        let other = OtherSite::linking_to(&home);
        // Demos on other ports share the host's cookies: start afresh.
        browser.goto(&home);
        browser.delete_cookies();
        browser.goto(&home);
        browser.goto(&home);
        let before = session(&browser);
        assert_eq!(read(&browser).visits, 2, "{same_site}");
        assert_eq!(before.same_site.as_deref(), Some(jar_says));
        assert_eq!(before.secure, same_site == "none", "{before:?}");

        browser.goto(&other.url);
        browser.click("#to-demo");
        let page = read(&browser);
        let after = session(&browser);
        if arrives {
            assert_eq!(page.visits, 3, "{same_site}: {page:?}");
            assert_eq!(split(&after.value).0, split(&before.value).0);
        } else {
            assert_eq!(page.visits, 1, "{same_site}: {page:?}");
            assert_eq!(page.calls, ["create → version 1"], "{same_site}");
            // Chromium stores a Strict cookie set by the answer to a
            // cross-site navigation: the user's session cookie is gone.
            assert_ne!(split(&after.value).0, split(&before.value).0);
        }
    }
}

/// A `__Host-` name needs `Secure`, which browsers honour only on secure
/// origins; Chromium counts http://127.0.0.1 as one, so the demo's
/// `--secure` cookie is kept and sent back there.
#[test]
fn a_host_prefixed_secure_cookie_works_on_loopback_http() {
    let Some(browser) = Chromium::start() else {
        return;
    };
    let demo = demo(
        ServerKind::Rouille,
        &["--cookie-name", "__Host-sid", "--secure"],
    );
    let home = format!("{}/", demo.url());
    browser.goto(&home);
    browser.goto(&home);
    let page = read(&browser);
    assert_eq!(page.visits, 2, "the cookie came back: {page:?}");
    let cookie = jar(&browser, "__Host-sid").expect("the __Host- cookie in the jar");
    assert!(cookie.secure && cookie.http_only, "{cookie:?}");
}
