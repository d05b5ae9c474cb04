//! A simulated browser: a cookie jar holding at most one session cookie,
//! and the keys responses have pointed it at.

use dynamodb_sessions_core::store::{StorageKey, Token};

use super::store::KeyId;

/// What a `Set-Cookie` header asks of the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// Drop the cookie (`Max-Age=0`, or an empty value).
    Clear,
    /// Store `value` (`token/version`), the session under `key`.
    Value { value: String, key: StorageKey },
}

/// Reads the session cookie out of a `Set-Cookie` header value.
pub(crate) fn parse_set_cookie(header: &str, name: &str) -> Result<Parsed, String> {
    let mut parts = header.split(';').map(str::trim);
    let pair = parts.next().unwrap_or_default();
    let Some(value) = pair
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('='))
    else {
        return Err(format!("a Set-Cookie for another cookie: {header:?}"));
    };
    if value.is_empty() || parts.any(|attribute| attribute.eq_ignore_ascii_case("Max-Age=0")) {
        return Ok(Parsed::Clear);
    }
    let token = value.split('/').next().unwrap_or_default();
    let token =
        Token::parse(token).ok_or_else(|| format!("a malformed session cookie: {header:?}"))?;
    Ok(Parsed::Value {
        value: value.to_owned(),
        key: token.storage_key(),
    })
}

/// One browser (its tabs share the jar).
#[derive(Debug, Clone, Default)]
pub(crate) struct Browser {
    /// The cookie's value and the key it names.
    cookie: Option<(String, KeyId)>,
    /// Every key a response pointed this browser at, first delivery first.
    pub(crate) delivered: Vec<KeyId>,
}

impl Browser {
    /// The `Cookie` header a new request of this browser sends.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.cookie
            .as_ref()
            .map(|(value, _)| format!("{name}={value}"))
    }

    /// The key the cookie names.
    pub(crate) fn key(&self) -> Option<KeyId> {
        self.cookie.as_ref().map(|(_, key)| *key)
    }

    /// The cookie as `K<n>/<version>`, for the trace.
    pub(crate) fn describe(&self) -> String {
        match &self.cookie {
            Some((value, key)) => format!("K{key}/{}", value.rsplit('/').next().unwrap_or("?")),
            None => "no cookie".to_owned(),
        }
    }

    /// Keys this browser was given before, the current cookie's included.
    pub(crate) fn known_keys(&self) -> Vec<KeyId> {
        let mut keys = self.delivered.clone();
        if let Some(key) = self.key() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Applies a response's `Set-Cookie` (already parsed; `key` numbered).
    pub(crate) fn apply(&mut self, set: Option<(&Parsed, KeyId)>) {
        match set {
            None => {}
            Some((Parsed::Clear, _)) => self.cookie = None,
            Some((Parsed::Value { value, .. }, key)) => {
                self.cookie = Some((value.clone(), key));
                if !self.delivered.contains(&key) {
                    self.delivered.push(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_values_set_and_max_age_zero_clears() {
        let token = "A".repeat(43);
        let header = format!("session_id={token}/3; HttpOnly; SameSite=Strict; Secure; Path=/");
        let Ok(Parsed::Value { value, key }) = parse_set_cookie(&header, "session_id") else {
            panic!("a value");
        };
        assert_eq!(value, format!("{token}/3"));
        assert_eq!(key, Token::parse(&token).unwrap().storage_key());
        let mut browser = Browser::default();
        browser.apply(Some((&Parsed::Value { value, key }, 1)));
        assert_eq!(browser.describe(), "K1/3");
        assert_eq!(
            browser.header("session_id"),
            Some(format!("session_id={token}/3"))
        );
        let clear = "session_id=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0; \
                     Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        assert_eq!(parse_set_cookie(clear, "session_id"), Ok(Parsed::Clear));
        browser.apply(Some((&Parsed::Clear, 0)));
        assert_eq!(browser.key(), None);
        assert_eq!(browser.known_keys(), vec![1]);
        assert!(parse_set_cookie("other=1", "session_id").is_err());
    }
}
