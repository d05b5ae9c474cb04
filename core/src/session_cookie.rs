//! The session cookie: reading it from a `Cookie` header and writing `Set-Cookie` values.
//!
//! The value is `<token>/<version>`. Anything that does not have exactly that
//! shape is treated as no cookie at all: it costs no store call and is never
//! an error, because clients send all kinds of junk.

use cookie::{Cookie, CookieBuilder};

use crate::config::{SameSite, Secure, SessionConfig};
use crate::{Scheme, Token};

/// A well-formed session cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieValue {
    pub(crate) token: Token,
    pub(crate) version: u64,
}

impl CookieValue {
    /// Parses `<token>/<version>`: a 43-character base64url token and a
    /// positive decimal version without sign or leading zeros.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (token, version) = value.split_once('/')?;
        let token = Token::parse(token)?;
        let canonical = !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_digit())
            && !version.starts_with('0');
        let version = if canonical {
            version.parse().ok()?
        } else {
            return None;
        };
        Some(CookieValue { token, version })
    }

    pub(crate) fn render(token: &Token, version: u64) -> String {
        format!("{}/{version}", token.as_str())
    }
}

/// Finds the first well-formed cookie called `name` in a `Cookie` header.
///
/// Browsers send the cookie with the most specific path first, so when a name
/// repeats, the first valid one is the one this site set.
pub(crate) fn find(header: &str, name: &str) -> Option<CookieValue> {
    Cookie::split_parse(header)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name)
        .find_map(|cookie| CookieValue::parse(cookie.value_trimmed()))
}

/// A `Set-Cookie` value that stores `value` with the configured attributes.
///
/// Rendered by the `cookie` crate: `name=value; HttpOnly; SameSite=…;
/// Secure; Path=…; Domain=…; Max-Age=…` (a leading `.` of the domain
/// dropped). Every part was validated when the settings were built.
pub(crate) fn issue(config: &SessionConfig, value: String, scheme: Scheme) -> String {
    let mut cookie = build(config, value, scheme);
    if let Some(max_age) = config.max_age() {
        let seconds = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    cookie.to_string()
}

/// A `Set-Cookie` value that makes the browser drop the session cookie:
/// empty, `Max-Age=0` and an `Expires` a year ago.
pub(crate) fn expire(config: &SessionConfig, scheme: Scheme) -> String {
    build(config, String::new(), scheme).removal().to_string()
}

/// The cookie with its configured attributes, borrowing the settings.
fn build(config: &SessionConfig, value: String, scheme: Scheme) -> CookieBuilder<'_> {
    // Browsers drop `SameSite=None` cookies without `Secure`, so `None`
    // implies it.
    let same_site_none = config.same_site() == Some(SameSite::None);
    let secure = match config.secure() {
        Secure::FollowRequest => scheme == Scheme::Https || same_site_none,
        Secure::Always => true,
        Secure::Never => false,
    };
    let mut cookie = Cookie::build((config.cookie_name(), value))
        .path(config.path())
        .secure(secure)
        .http_only(config.http_only());
    if let Some(domain) = config.domain() {
        cookie = cookie.domain(domain);
    }
    if let Some(same_site) = config.same_site() {
        cookie = cookie.same_site(match same_site {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        });
    }
    cookie
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO-_";

    #[test]
    fn parses_a_plain_cookie() {
        let found = find(&format!("session_id={TOKEN}/7"), "session_id").unwrap();
        assert_eq!(found.token.as_str(), TOKEN);
        assert_eq!(found.version, 7);
    }

    #[test]
    fn finds_it_among_others_and_in_quotes() {
        let header = format!("a=1; b=\"x\"; session_id=\"{TOKEN}/2\"; c=3");
        assert_eq!(find(&header, "session_id").unwrap().version, 2);
    }

    #[test]
    fn takes_the_first_well_formed_of_repeated_names() {
        let header = format!("session_id=junk; session_id={TOKEN}/3; session_id={TOKEN}/4");
        assert_eq!(find(&header, "session_id").unwrap().version, 3);
    }

    #[test]
    fn malformed_values_are_no_session() {
        let long = "a".repeat(10_000);
        let bad = [
            String::new(),
            "session_id".into(),
            "session_id=".into(),
            format!("session_id={TOKEN}"),
            format!("session_id={TOKEN}/"),
            format!("session_id={TOKEN}/0"),
            format!("session_id={TOKEN}/01"),
            format!("session_id={TOKEN}/+1"),
            format!("session_id={TOKEN}/-1"),
            format!("session_id={TOKEN}/1.0"),
            format!("session_id={TOKEN}/18446744073709551616"),
            format!("session_id={TOKEN}/1/2"),
            format!("session_id=/{TOKEN}"),
            format!("session_id={}/1", &TOKEN[1..]),
            format!("session_id={TOKEN}A/1"),
            format!("session_id={}=/1", &TOKEN[1..]),
            format!("Session_Id={TOKEN}/1"),
            format!("session_id={long}/1"),
            "session_id=\u{0}\u{1}".into(),
            ";;;==;".into(),
            format!("session_id={TOKEN}%2F1"),
        ];
        for header in bad {
            assert_eq!(find(&header, "session_id"), None, "{header:?}");
        }
    }

    #[test]
    fn largest_version_is_accepted() {
        let header = format!("session_id={TOKEN}/{}", u64::MAX);
        assert_eq!(find(&header, "session_id").unwrap().version, u64::MAX);
    }

    #[test]
    fn issued_cookie_carries_the_configured_attributes() {
        let config = SessionConfig::default();
        let header = issue(&config, "v/1".into(), Scheme::Http);
        assert_eq!(header, "session_id=v/1; HttpOnly; SameSite=Strict; Path=/");
        let https = issue(&config, "v/1".into(), Scheme::Https);
        assert!(https.contains("; Secure"), "{https}");

        let config = SessionConfig::builder()
            .max_age(Some(Duration::from_secs(60)))
            .domain(Some("example.com".into()))
            .path("/app")
            .secure(Secure::Always)
            .http_only(false)
            .same_site(None)
            .build()
            .unwrap();
        let header = issue(&config, "v/1".into(), Scheme::Http);
        assert!(header.contains("Max-Age=60"), "{header}");
        assert!(header.contains("Domain=example.com"), "{header}");
        assert!(header.contains("Path=/app"), "{header}");
        assert!(header.contains("Secure"), "{header}");
        assert!(!header.contains("HttpOnly"), "{header}");
        assert!(!header.contains("SameSite"), "{header}");
    }

    #[test]
    fn same_site_none_is_always_secure_and_lax_is_rendered() {
        let none = SessionConfig::builder()
            .same_site(Some(SameSite::None))
            .build()
            .unwrap();
        let header = issue(&none, "v/1".into(), Scheme::Http);
        assert!(header.contains("SameSite=None"), "{header}");
        assert!(header.contains("Secure"), "{header}");
        let lax = SessionConfig::builder()
            .same_site(Some(SameSite::Lax))
            .build()
            .unwrap();
        let header = issue(&lax, "v/1".into(), Scheme::Http);
        assert!(header.contains("SameSite=Lax"), "{header}");
        assert!(!header.contains("Secure"), "{header}");
    }

    /// The exact text, attribute order included, for settings that use
    /// every attribute: what browsers and the tests of the glue see.
    #[test]
    fn issued_text_is_exact() {
        let all = SessionConfig::builder()
            .max_age(Some(Duration::from_secs(3600)))
            .domain(Some(".example.com".into()))
            .path("/app")
            .same_site(Some(SameSite::Lax))
            .build()
            .unwrap();
        assert_eq!(
            issue(&all, "tok/7".into(), Scheme::Https),
            "session_id=tok/7; HttpOnly; SameSite=Lax; Secure; Path=/app; \
             Domain=example.com; Max-Age=3600"
        );
        assert_eq!(
            issue(&all, "tok/7".into(), Scheme::Http),
            "session_id=tok/7; HttpOnly; SameSite=Lax; Path=/app; \
             Domain=example.com; Max-Age=3600"
        );
        let none = SessionConfig::builder()
            .same_site(Some(SameSite::None))
            .http_only(false)
            .build()
            .unwrap();
        assert_eq!(
            issue(&none, "tok/7".into(), Scheme::Http),
            "session_id=tok/7; SameSite=None; Secure; Path=/"
        );
        let bare = SessionConfig::builder()
            .same_site(None)
            .http_only(false)
            .secure(Secure::Never)
            .build()
            .unwrap();
        assert_eq!(
            issue(&bare, "tok/7".into(), Scheme::Https),
            "session_id=tok/7; Path=/"
        );
    }

    /// Whatever the capitalization of a `__Host-` or `__Secure-` prefix
    /// (browsers match it case-insensitively), a cookie that the settings
    /// allow goes out over plain HTTP with what the prefix demands, so no
    /// browser drops it.
    #[test]
    fn prefixed_names_in_any_capitalization_go_out_as_browsers_demand() {
        let names = [
            "__Host-sid",
            "__host-sid",
            "__HOST-sid",
            "__Secure-sid",
            "__secure-sid",
            "__SECURE-sid",
        ];
        for name in names {
            for secure in [Secure::FollowRequest, Secure::Always, Secure::Never] {
                for (path, domain) in [("/", None), ("/app", None), ("/", Some("example.com"))] {
                    let built = SessionConfig::builder()
                        .cookie_name(name)
                        .secure(secure)
                        .path(path)
                        .domain(domain.map(str::to_owned))
                        .build();
                    let Ok(config) = built else { continue };
                    let header = issue(&config, "v/1".into(), Scheme::Http);
                    assert!(header.contains("; Secure"), "{header}");
                    if name.to_ascii_lowercase().starts_with("__host-") {
                        assert!(header.contains("Path=/") && !header.contains("Path=/a"));
                        assert!(!header.contains("Domain"), "{header}");
                    }
                }
            }
        }
    }

    #[test]
    fn secure_can_be_forced_off_over_https() {
        let config = SessionConfig::builder()
            .secure(Secure::Never)
            .build()
            .unwrap();
        assert!(!issue(&config, "v/1".into(), Scheme::Https).contains("Secure"));
    }

    #[test]
    fn expired_cookie_has_zero_max_age() {
        let header = expire(&SessionConfig::default(), Scheme::Http);
        assert!(header.starts_with("session_id=;"), "{header}");
        assert!(header.contains("Max-Age=0"), "{header}");
        assert!(header.contains("Path=/"), "{header}");
    }
}
