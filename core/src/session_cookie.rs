//! The session cookie: reading it from a `Cookie` header and writing `Set-Cookie` values.
//!
//! The value is `<token>/<version>`. Anything that does not have exactly that
//! shape is treated as no cookie at all: it costs no store call and is never
//! an error, because clients send all kinds of junk.

use cookie::Cookie;

use crate::config::{SameSite, SessionConfig};
use crate::Token;

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
/// Written directly rather than through `cookie::Cookie`, which costs a few
/// owned strings per response: the text is exactly what `cookie` renders (a
/// test compares the two over every combination of settings), and every part
/// of it was validated when the settings were built.
pub(crate) fn issue(config: &SessionConfig, value: String, is_https: bool) -> String {
    use std::fmt::Write as _;

    let mut header = String::with_capacity(128);
    header.push_str(config.cookie_name());
    header.push('=');
    header.push_str(&value);
    if config.http_only() {
        header.push_str("; HttpOnly");
    }
    match config.same_site() {
        Some(SameSite::Strict) => header.push_str("; SameSite=Strict"),
        Some(SameSite::Lax) => header.push_str("; SameSite=Lax"),
        Some(SameSite::None) => header.push_str("; SameSite=None"),
        None => {}
    }
    if secure(config, is_https) {
        header.push_str("; Secure");
    }
    header.push_str("; Path=");
    header.push_str(config.path());
    if let Some(domain) = config.domain() {
        header.push_str("; Domain=");
        header.push_str(domain.strip_prefix('.').unwrap_or(domain));
    }
    if let Some(max_age) = config.max_age() {
        let _ = write!(
            header,
            "; Max-Age={}",
            max_age.as_secs().min(i64::MAX as u64)
        );
    }
    header
}

/// Browsers drop `SameSite=None` cookies without `Secure`, so `None` implies it.
fn secure(config: &SessionConfig, is_https: bool) -> bool {
    let same_site_none = config.same_site() == Some(SameSite::None);
    config.secure().unwrap_or(is_https || same_site_none)
}

/// A `Set-Cookie` value that makes the browser drop the session cookie.
pub(crate) fn expire(config: &SessionConfig, is_https: bool) -> String {
    let mut cookie = base(config, String::new(), is_https);
    cookie.make_removal();
    cookie.to_string()
}

fn base(config: &SessionConfig, value: String, is_https: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(config.cookie_name().to_owned(), value);
    cookie.set_path(config.path().to_owned());
    if let Some(domain) = config.domain() {
        cookie.set_domain(domain.to_owned());
    }
    cookie.set_secure(secure(config, is_https));
    cookie.set_http_only(config.http_only());
    cookie.set_same_site(config.same_site().map(|s| match s {
        SameSite::Strict => cookie::SameSite::Strict,
        SameSite::Lax => cookie::SameSite::Lax,
        SameSite::None => cookie::SameSite::None,
    }));
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
        let header = issue(&config, "v/1".into(), false);
        assert_eq!(header, "session_id=v/1; HttpOnly; SameSite=Strict; Path=/");
        let https = issue(&config, "v/1".into(), true);
        assert!(https.contains("; Secure"), "{https}");

        let config = SessionConfig::builder()
            .max_age(Some(Duration::from_secs(60)))
            .domain(Some("example.com".into()))
            .path("/app")
            .secure(Some(true))
            .http_only(false)
            .same_site(None)
            .build()
            .unwrap();
        let header = issue(&config, "v/1".into(), false);
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
        let header = issue(&none, "v/1".into(), false);
        assert!(header.contains("SameSite=None"), "{header}");
        assert!(header.contains("Secure"), "{header}");
        let lax = SessionConfig::builder()
            .same_site(Some(SameSite::Lax))
            .build()
            .unwrap();
        let header = issue(&lax, "v/1".into(), false);
        assert!(header.contains("SameSite=Lax"), "{header}");
        assert!(!header.contains("Secure"), "{header}");
    }

    /// `issue` writes exactly what the `cookie` crate renders.
    #[test]
    fn issued_text_matches_the_cookie_crate() {
        for http_only in [true, false] {
            for same_site in [
                None,
                Some(SameSite::Strict),
                Some(SameSite::Lax),
                Some(SameSite::None),
            ] {
                for secure in [None, Some(true), Some(false)] {
                    for domain in [None, Some("example.com"), Some(".example.com")] {
                        for max_age in [None, Some(Duration::from_secs(3600))] {
                            let Ok(config) = SessionConfig::builder()
                                .http_only(http_only)
                                .same_site(same_site)
                                .secure(secure)
                                .domain(domain.map(str::to_owned))
                                .max_age(max_age)
                                .path("/app")
                                .build()
                            else {
                                continue;
                            };
                            for https in [false, true] {
                                let value = "tok/7".to_owned();
                                let mut expected = base(&config, value.clone(), https);
                                if let Some(max_age) = config.max_age() {
                                    expected.set_max_age(cookie::time::Duration::seconds(
                                        max_age.as_secs() as i64,
                                    ));
                                }
                                assert_eq!(issue(&config, value, https), expected.to_string());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn secure_can_be_forced_off_over_https() {
        let config = SessionConfig::builder()
            .secure(Some(false))
            .build()
            .unwrap();
        assert!(!issue(&config, "v/1".into(), true).contains("Secure"));
    }

    #[test]
    fn expired_cookie_has_zero_max_age() {
        let header = expire(&SessionConfig::default(), false);
        assert!(header.starts_with("session_id=;"), "{header}");
        assert!(header.contains("Max-Age=0"), "{header}");
        assert!(header.contains("Path=/"), "{header}");
    }
}
