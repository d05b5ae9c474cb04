//! Session settings: names and defaults follow pyramid-dynamodb-sessions.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::regions::KeySlots;

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SameSite {
    /// Sent only on same-site requests. The default: a session cookie has no
    /// business on requests other sites start, and it blocks most CSRF.
    Strict,
    /// Also sent on top-level navigations from other sites.
    Lax,
    /// Sent on every request; browsers then require `Secure`.
    None,
}

/// When the session cookie carries the `Secure` flag, which keeps browsers
/// from sending it over plain HTTP.
///
/// ```
/// use dynamodb_sessions_core::{Secure, SessionConfig};
///
/// let config = SessionConfig::builder().secure(Secure::Always).build()?;
/// assert_eq!(config.secure(), Secure::Always);
/// assert_eq!(SessionConfig::default().secure(), Secure::FollowRequest);
/// # Ok::<(), dynamodb_sessions_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Secure {
    /// `Secure` exactly when the request came over HTTPS (the
    /// [`Scheme`](crate::Scheme) given to
    /// [`commit`](crate::SessionManager::commit)), and always with
    /// `SameSite=None`, which browsers accept only with `Secure`. The
    /// default.
    #[default]
    FollowRequest,
    /// Always `Secure`, e.g. behind a proxy that ends TLS. Required by the
    /// `__Host-` and `__Secure-` cookie name prefixes, in any
    /// capitalization.
    Always,
    /// Never `Secure`, even over HTTPS. Refused with `SameSite=None`.
    Never,
}

/// How session data is written to the store's `dat` attribute. Both are
/// always read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DataEncoding {
    /// CBOR bytes, stored as binary (`B`): compact, and holds any serde
    /// value, byte strings included. The default.
    #[default]
    Cbor,
    /// JSON text, stored as a string (`S`), as pyramid-dynamodb-sessions
    /// writes it: use it while Python and Rust share a table. Only
    /// JSON-representable values can be stored; others are refused.
    Json,
}

/// Whether session data is sealed in the store, and which records are read.
///
/// | setting | writes CBOR as | reads sealed | reads plain CBOR | reads JSON |
/// | --- | --- | --- | --- | --- |
/// | [`Sealed`](Self::Sealed) (default) | sealed | yes | **no**: a new session | yes |
/// | [`SealedAcceptingPlain`](Self::SealedAcceptingPlain) | sealed | yes | yes | yes |
/// | [`Plain`](Self::Plain) | plain | yes | yes | yes |
///
/// JSON ([`DataEncoding::Json`]) is never sealed, whatever this says, because
/// pyramid-dynamodb-sessions must read it; so JSON records always load.
///
/// ```
/// use dynamodb_sessions_core::{DataProtection, SessionConfig};
///
/// assert_eq!(SessionConfig::default().data_protection(), DataProtection::Sealed);
/// let config = SessionConfig::builder().data_protection(DataProtection::Plain).build()?;
/// assert_eq!(config.data_protection(), DataProtection::Plain);
/// # Ok::<(), dynamodb_sessions_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DataProtection {
    /// `dat` is encrypted and authenticated (XChaCha20-Poly1305) under a key
    /// derived from the session token, which only the browser holds: a
    /// leaked table, backup or export reveals no session data, and a record
    /// changed or moved in the table loads as a new session. Nobody, the
    /// server's operators included, can read `dat` without the cookie. The
    /// default: it costs about 9 µs of CPU per request at 1 KB of data and
    /// 0.2 ms at 100 KB, 0.3% and 2% of a DynamoDB Local round trip (see
    /// "Data at rest" in the `dynamodb-sessions` guide).
    ///
    /// A plain CBOR record is refused like a corrupt one (logged, a new
    /// session, the record left alone): plain data carries no proof of
    /// where it was written, so anyone who can write the table could
    /// otherwise swap plain contents into a victim's session. To read the
    /// plain records of a table written with [`Plain`](Self::Plain), use
    /// [`SealedAcceptingPlain`](Self::SealedAcceptingPlain) until they have
    /// been rewritten or have expired.
    ///
    /// Applies to [`DataEncoding::Cbor`] only. [`DataEncoding::Json`] is
    /// always written plain, because pyramid-dynamodb-sessions must read it.
    #[default]
    Sealed,
    /// Writes sealed, as [`Sealed`](Self::Sealed), and still reads plain
    /// CBOR: for the migration window after switching a table from
    /// [`Plain`](Self::Plain). Each session is sealed on its next write;
    /// once every plain session has been written or has expired (the idle
    /// `timeout`, at most the absolute lifetime), switch to `Sealed`.
    /// Meanwhile, whoever can write the table can plant plain data in any
    /// session.
    SealedAcceptingPlain,
    /// `dat` is plain CBOR: readable by anyone who can read the table, as
    /// before this setting existed. Choose it only if something other than
    /// this library must read session data from the table (an analytics job,
    /// an admin tool, a support script); whoever reads the table then reads
    /// every session's data, and whoever writes it can change any session's
    /// data unnoticed. Reads sealed and plain records, so switching to it
    /// needs no migration.
    Plain,
}

impl DataProtection {
    /// Whether CBOR is written sealed.
    pub(crate) fn seals(self) -> bool {
        match self {
            DataProtection::Sealed | DataProtection::SealedAcceptingPlain => true,
            DataProtection::Plain => false,
        }
    }

    /// Whether a plain CBOR record loads.
    pub(crate) fn reads_plain_cbor(self) -> bool {
        match self {
            DataProtection::Sealed => false,
            DataProtection::SealedAcceptingPlain | DataProtection::Plain => true,
        }
    }
}

/// The default absolute lifetime, 8 hours: see
/// [`SessionConfigBuilder::absolute_lifetime`] for why.
const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// Validated session settings. Build them with [`SessionConfig::builder`];
/// [`SessionConfig::default`] gives the defaults below.
///
/// | setting | default | why |
/// | --- | --- | --- |
/// | `cookie_name` | `session_id` | the name pyramid-dynamodb-sessions uses, so one table and cookie can serve both |
/// | `max_age` | none | a browser-session cookie: closing the browser ends the session client-side |
/// | `path` | `/` | the whole site shares one session |
/// | `domain` | none | host-only: subdomains never see the cookie |
/// | `secure` | [`Secure::FollowRequest`] | set the `Secure` flag exactly when the request came over HTTPS |
/// | `http_only` | true | scripts cannot read the token, so XSS cannot steal it |
/// | `same_site` | `Strict` | no cross-site requests carry the session |
/// | `timeout` | 1200 s | 20 minutes of inactivity end a session, OWASP's range for low-risk apps |
/// | `reissue_time` | 120 s | a reissue is a write; one per 2 minutes of activity keeps the timeout fresh at a tenth of the cost |
/// | `absolute_lifetime` | 8 h | OWASP's absolute timeout for an app used through a working day (4–8 h): never cuts a user off within one, yet bounds a stolen or script-kept session, which the idle timeout alone never ends; `crt` is bound to sealed data, so a table writer cannot stretch it (see [`SessionConfigBuilder::absolute_lifetime`]) |
/// | `data_encoding` | CBOR | compact and lossless; JSON only while sharing a table with pyramid-dynamodb-sessions |
/// | `data_protection` | [`DataProtection::Sealed`] | a leaked table reveals no session data, for a few microseconds per request, and plain CBOR planted in it never loads; JSON is always plain |
/// | `key_slots` | [`KeySlots::ALL`] | one region: session IDs are drawn exactly as without regions; with several, the local region's slots (see [`regions`](crate::regions)) |
/// | `expiry_margin` | 0 s | one region: a session lasts exactly its timeout; on an MREC global table with TTL, longer than the replication lag plus a store call's deadline (see [`SessionConfigBuilder::expiry_margin`]) |
///
/// ```
/// use std::time::Duration;
/// use dynamodb_sessions_core::SessionConfig;
///
/// let config = SessionConfig::builder()
///     .cookie_name("sid")
///     .timeout(Duration::from_secs(3600))
///     .reissue_time(Duration::from_secs(360))
///     .build()
///     .unwrap();
/// assert_eq!(config.cookie_name(), "sid");
/// assert_eq!(SessionConfig::default().timeout(), Duration::from_secs(1200));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    cookie_name: String,
    max_age: Option<Duration>,
    path: String,
    domain: Option<String>,
    secure: Secure,
    http_only: bool,
    same_site: Option<SameSite>,
    timeout: Duration,
    reissue_time: Duration,
    absolute_lifetime: Option<Duration>,
    data_encoding: DataEncoding,
    data_protection: DataProtection,
    key_slots: KeySlots,
    expiry_margin: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            cookie_name: "session_id".to_owned(),
            max_age: None,
            path: "/".to_owned(),
            domain: None,
            secure: Secure::FollowRequest,
            http_only: true,
            same_site: Some(SameSite::Strict),
            timeout: Duration::from_secs(1200),
            reissue_time: Duration::from_secs(120),
            absolute_lifetime: Some(DEFAULT_ABSOLUTE_LIFETIME),
            data_encoding: DataEncoding::Cbor,
            data_protection: DataProtection::Sealed,
            key_slots: KeySlots::ALL,
            expiry_margin: Duration::ZERO,
        }
    }
}

impl SessionConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> SessionConfigBuilder {
        SessionConfigBuilder {
            config: SessionConfig::default(),
        }
    }

    /// Name of the session cookie.
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// `Max-Age` of the cookie; `None` for a browser-session cookie.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// `Path` of the cookie.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `Domain` of the cookie; `None` for a host-only cookie.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// When the cookie carries the `Secure` flag.
    pub fn secure(&self) -> Secure {
        self.secure
    }

    /// Whether the cookie is `HttpOnly`.
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// `SameSite` attribute; `None` omits it.
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }

    /// Inactivity after which a session expires.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Age of the last write after which a read-only request reissues the session.
    pub fn reissue_time(&self) -> Duration {
        self.reissue_time
    }

    /// Age since creation after which a session expires whatever its
    /// activity (default 8 hours); `None` if sessions have no such limit.
    pub fn absolute_lifetime(&self) -> Option<Duration> {
        self.absolute_lifetime
    }

    /// How session data is written.
    pub fn data_encoding(&self) -> DataEncoding {
        self.data_encoding
    }

    /// Whether CBOR session data is sealed ([`DataEncoding::Json`] is always
    /// plain).
    pub fn data_protection(&self) -> DataProtection {
        self.data_protection
    }

    /// The key slots new session IDs are drawn in.
    pub fn key_slots(&self) -> KeySlots {
        self.key_slots
    }

    /// How long before its `exp` a session already counts as idle-expired.
    pub fn expiry_margin(&self) -> Duration {
        self.expiry_margin
    }

    pub(crate) fn margin_secs(&self) -> i64 {
        seconds(self.expiry_margin)
    }

    pub(crate) fn timeout_secs(&self) -> i64 {
        seconds(self.timeout)
    }

    pub(crate) fn reissue_secs(&self) -> i64 {
        seconds(self.reissue_time)
    }

    pub(crate) fn absolute_secs(&self) -> Option<i64> {
        self.absolute_lifetime.map(seconds)
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Builds a [`SessionConfig`], checking it as a whole in [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionConfigBuilder {
    config: SessionConfig,
}

impl SessionConfigBuilder {
    /// Name of the session cookie (default `session_id`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.config.cookie_name = name.into();
        self
    }

    /// `Max-Age` of the cookie in whole seconds (default none: a browser-session cookie).
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.config.max_age = max_age;
        self
    }

    /// `Path` of the cookie (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }

    /// `Domain` of the cookie (default none: host-only).
    pub fn domain(mut self, domain: Option<String>) -> Self {
        self.config.domain = domain;
        self
    }

    /// When the cookie carries the `Secure` flag (default
    /// [`Secure::FollowRequest`]: when the request came over HTTPS).
    pub fn secure(mut self, secure: Secure) -> Self {
        self.config.secure = secure;
        self
    }

    /// Whether the cookie is `HttpOnly` (default true).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.config.http_only = http_only;
        self
    }

    /// `SameSite` attribute, `None` to omit it (default `Strict`).
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.config.same_site = same_site;
        self
    }

    /// Inactivity timeout in whole seconds (default 1200 s). At most the
    /// absolute lifetime (8 hours unless set): a longer one is refused by
    /// [`build`](Self::build), so set
    /// [`absolute_lifetime`](Self::absolute_lifetime) too.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Reissue time in whole seconds (default 120 s); zero reissues on every request.
    pub fn reissue_time(mut self, reissue_time: Duration) -> Self {
        self.config.reissue_time = reissue_time;
        self
    }

    /// Absolute lifetime: the age since the session's creation after which
    /// it ends whatever its activity, in whole seconds; `None` for no such
    /// limit, an explicit opt-out. Default 8 hours.
    ///
    /// **Why 8 hours.** OWASP's Session Management Cheat Sheet sizes the
    /// absolute timeout to how long users work in the application in one
    /// go: 4 to 8 hours for an application used through an office day. A
    /// library cannot know the application, so the default takes the top of
    /// that range: a user who signs in at the start of a working day is not
    /// signed out before its end, and a stolen session, or one a script or
    /// an open tab keeps active, still ends within a day, where the idle
    /// timeout alone never ends it. The default cookie lasts for the
    /// browser session, but browsers that restore their tabs on restart
    /// keep such cookies for weeks, so this is the only bound on how long
    /// an active session lives. Choose less for high-value applications
    /// (OWASP's 2–5 minute idle timeouts go with them).
    ///
    /// **Why it holds against the table.** A session's `exp` is not bound
    /// to its sealed data (a reissue rewrites `iss` and `exp` without
    /// `dat`), so whoever can write the table can move `exp` ahead for
    /// ever; the idle timeout cannot stop that. The creation time `crt` is
    /// bound, so with [`DataProtection::Sealed`] (the default) or
    /// [`DataProtection::SealedAcceptingPlain`] a record whose `crt` was
    /// moved or removed does not open, and the absolute lifetime counts
    /// from a time nobody can move. In [`DataEncoding::Json`] mode and with
    /// [`DataProtection::Plain`] nothing in a record is bound: a table
    /// writer can move `crt` and `exp` alike and keep a session alive for
    /// ever. Records pyramid-dynamodb-sessions wrote carry no `crt`; for
    /// them the lifetime counts from this library's first write.
    ///
    /// **An idle `timeout` longer than the absolute lifetime** (the default
    /// one included) is refused by [`build`](Self::build) with
    /// [`ConfigError::TimeoutOverAbsoluteLifetime`] rather than silently
    /// capped: such a timeout could never be reached, so the settings would
    /// say something other than what happens. Set the absolute lifetime
    /// too, at least as long, or `None`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use dynamodb_sessions_core::{ConfigError, SessionConfig};
    ///
    /// let day = Duration::from_secs(24 * 3600);
    /// let refused = SessionConfig::builder().timeout(day).build();
    /// assert!(matches!(refused, Err(ConfigError::TimeoutOverAbsoluteLifetime { .. })));
    /// let config = SessionConfig::builder()
    ///     .timeout(day)
    ///     .absolute_lifetime(Some(7 * day))
    ///     .build()?;
    /// assert_eq!(config.absolute_lifetime(), Some(7 * day));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn absolute_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.config.absolute_lifetime = lifetime;
        self
    }

    /// How session data is written (default CBOR; JSON while sharing a
    /// table with pyramid-dynamodb-sessions).
    pub fn data_encoding(mut self, encoding: DataEncoding) -> Self {
        self.config.data_encoding = encoding;
        self
    }

    /// Whether CBOR session data is sealed (default
    /// [`DataProtection::Sealed`]; [`DataProtection::Plain`] only if
    /// something else must read `dat` from the table). JSON is always plain.
    pub fn data_protection(mut self, protection: DataProtection) -> Self {
        self.config.data_protection = protection;
        self
    }

    /// The key slots new session IDs are drawn in (default
    /// [`KeySlots::ALL`]): with a
    /// [`HomeRouted`](crate::regions::HomeRouted) backend, its
    /// [`local_slots`](crate::regions::HomeRouted::local_slots), so that
    /// every session this process creates, and every ID a login moves a
    /// session to, is homed in the region it runs in. The default draws
    /// IDs exactly as without regions; any other set costs `16 /
    /// slots.count()` draws per new ID on average (see
    /// [`Token::generate_in`](crate::store::Token::generate_in)).
    ///
    /// Slots that the backend's regions do not hold make every new session
    /// fail to be stored ([`BackendError::Rejected`](crate::BackendError::Rejected)):
    /// pass the backend's own `local_slots`.
    ///
    /// ```
    /// use dynamodb_sessions_core::regions::KeySlots;
    /// use dynamodb_sessions_core::SessionConfig;
    ///
    /// let config = SessionConfig::builder().key_slots(KeySlots::range(0..8)?).build()?;
    /// assert_eq!(config.key_slots(), KeySlots::range(0..8)?);
    /// assert_eq!(SessionConfig::default().key_slots(), KeySlots::ALL);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_slots(mut self, slots: KeySlots) -> Self {
        self.config.key_slots = slots;
        self
    }

    /// How long before its `exp` a session already counts as idle-expired
    /// (default 0: a session lasts exactly its timeout), in whole seconds
    /// (a fraction is dropped). No request loads, writes or reissues a
    /// session within this margin of the `exp` stored for it.
    ///
    /// Why: on a DynamoDB global table in multi-Region eventual
    /// consistency, each region's TTL deletes items past the `exp` its own
    /// replica holds, and the delete replicates and wins over older writes.
    /// A reissue made in a session's home region just before its `exp` may
    /// not have reached another region when that region's TTL finds the
    /// old `exp` passed; the delete then comes back and ends the session
    /// its user had just extended. A write typically lands within a store
    /// call's deadline of the manager's decision to make it, and reaches
    /// the other regions a replication lag later; with a margin longer than
    /// both together, every reissue reaches every replica before the `exp`
    /// it replaces. Set it to the replication lag you alarm on (DynamoDB's
    /// `ReplicationLatency` metric; typically under a second) plus the
    /// backend's call deadline (`RetryConfig::call_timeout`, 5 s by
    /// default): 10 s is a reasonable start. A longer lag (an isolated
    /// region), or a write held up longer than its deadline, can still end
    /// sessions early, never bring one back. The
    /// cost: sessions idle out this much sooner.
    ///
    /// ```
    /// use std::time::Duration;
    /// use dynamodb_sessions_core::SessionConfig;
    ///
    /// let config = SessionConfig::builder().expiry_margin(Duration::from_secs(10)).build()?;
    /// assert_eq!(config.expiry_margin(), Duration::from_secs(10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expiry_margin(mut self, margin: Duration) -> Self {
        self.config.expiry_margin = margin;
        self
    }

    /// Checks the settings and returns them.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first setting that makes no sense: an
    /// invalid cookie name, path or domain, a timeout under one second, a
    /// reissue time not below the timeout, a zero absolute lifetime or
    /// `Max-Age`, a timeout longer than the absolute lifetime, a reissue
    /// time plus expiry margin not below the timeout,
    /// `SameSite=None` with [`Secure::Never`], or a `__Host-` or `__Secure-`
    /// name (in any capitalization) without [`Secure::Always`] (or a
    /// `__Host-` name with a path other than `/` or a domain).
    pub fn build(self) -> Result<SessionConfig, ConfigError> {
        let c = self.config;
        if !is_cookie_name(&c.cookie_name) {
            return Err(ConfigError::InvalidCookieName);
        }
        if !c.path.starts_with('/') || !is_attribute_value(&c.path) {
            return Err(ConfigError::InvalidPath);
        }
        if let Some(domain) = &c.domain {
            if domain.is_empty() || !is_attribute_value(domain) || domain.contains(' ') {
                return Err(ConfigError::InvalidDomain);
            }
        }
        if c.timeout.as_secs() == 0 {
            return Err(ConfigError::ZeroTimeout);
        }
        if c.reissue_time.as_secs() >= c.timeout.as_secs() {
            return Err(ConfigError::ReissueNotBelowTimeout {
                reissue_time: c.reissue_time,
                timeout: c.timeout,
            });
        }
        let reissue_and_margin = c
            .reissue_time
            .as_secs()
            .checked_add(c.expiry_margin.as_secs());
        if reissue_and_margin.is_none_or(|sum| sum >= c.timeout.as_secs()) {
            return Err(ConfigError::ExpiryMarginTooLong {
                expiry_margin: c.expiry_margin,
                reissue_time: c.reissue_time,
                timeout: c.timeout,
            });
        }
        if let Some(lifetime) = c.absolute_lifetime {
            if lifetime.as_secs() == 0 {
                return Err(ConfigError::ZeroAbsoluteLifetime);
            }
            if c.timeout.as_secs() > lifetime.as_secs() {
                return Err(ConfigError::TimeoutOverAbsoluteLifetime {
                    timeout: c.timeout,
                    absolute_lifetime: lifetime,
                });
            }
        }
        if c.max_age.is_some_and(|m| m.as_secs() == 0) {
            return Err(ConfigError::ZeroMaxAge);
        }
        if c.same_site == Some(SameSite::None) && c.secure == Secure::Never {
            return Err(ConfigError::SameSiteNoneWithoutSecure);
        }
        // Browsers reject prefixed cookies that break the prefix's rules.
        let host_prefix = has_prefix(&c.cookie_name, "__Host-");
        if (host_prefix || has_prefix(&c.cookie_name, "__Secure-")) && c.secure != Secure::Always {
            return Err(ConfigError::PrefixRequiresSecure);
        }
        if host_prefix && (c.path != "/" || c.domain.is_some()) {
            return Err(ConfigError::HostPrefixRequiresRootHostOnly);
        }
        Ok(c)
    }
}

/// RFC 6265 cookie-name: a non-empty HTTP token.
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Whether `name` starts with the cookie prefix `prefix` in any
/// capitalization: browsers match `__Host-` and `__Secure-` ASCII
/// case-insensitively (RFC 6265bis) and drop a `__host-sid` sent without
/// `Secure` just as they drop a `__Host-sid`.
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Attribute values may not hold `;` or control characters.
fn is_attribute_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// A setting that makes no sense, found by [`SessionConfigBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or holds characters a cookie name may not.
    InvalidCookieName,
    /// The path does not start with `/` or holds `;` or control characters.
    InvalidPath,
    /// The domain is empty or holds `;`, spaces or control characters.
    InvalidDomain,
    /// The timeout is under one second.
    ZeroTimeout,
    /// The reissue time is not below the timeout, so sessions would expire
    /// before they are ever reissued.
    ReissueNotBelowTimeout {
        /// The configured reissue time.
        reissue_time: Duration,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The absolute lifetime is under one second.
    ZeroAbsoluteLifetime,
    /// The idle timeout is longer than the absolute lifetime (8 hours by
    /// default), so it could never be reached. Set
    /// [`absolute_lifetime`](SessionConfigBuilder::absolute_lifetime) too:
    /// at least as long as the timeout, or `None`.
    TimeoutOverAbsoluteLifetime {
        /// The configured timeout.
        timeout: Duration,
        /// The configured (or default) absolute lifetime.
        absolute_lifetime: Duration,
    },
    /// `Max-Age` is under one second, which would delete the cookie at once.
    ZeroMaxAge,
    /// The reissue time plus the expiry margin is not below the timeout,
    /// so a session would count as expired before it is ever reissued.
    ExpiryMarginTooLong {
        /// The configured expiry margin.
        expiry_margin: Duration,
        /// The configured reissue time.
        reissue_time: Duration,
        /// The configured timeout.
        timeout: Duration,
    },
    /// `SameSite=None` with [`Secure::Never`]: browsers reject such cookies.
    SameSiteNoneWithoutSecure,
    /// A `__Host-` or `__Secure-` cookie name, in any capitalization, without
    /// [`Secure::Always`]: browsers match the prefixes case-insensitively
    /// and reject such cookies over plain HTTP.
    PrefixRequiresSecure,
    /// A `__Host-` cookie name, in any capitalization, with a path other
    /// than `/` or with a domain.
    HostPrefixRequiresRootHostOnly,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidCookieName => {
                f.write_str("cookie name must be a non-empty token without separators")
            }
            ConfigError::InvalidPath => {
                f.write_str("cookie path must start with '/' and hold no ';' or control characters")
            }
            ConfigError::InvalidDomain => f.write_str(
                "cookie domain must be non-empty and hold no ';', spaces or control characters",
            ),
            ConfigError::ZeroTimeout => f.write_str("timeout must be at least one second"),
            ConfigError::ReissueNotBelowTimeout {
                reissue_time,
                timeout,
            } => write!(
                f,
                "reissue_time ({reissue_time:?}) must be below timeout ({timeout:?})"
            ),
            ConfigError::ZeroAbsoluteLifetime => {
                f.write_str("absolute lifetime must be at least one second")
            }
            ConfigError::TimeoutOverAbsoluteLifetime {
                timeout,
                absolute_lifetime,
            } => write!(
                f,
                "timeout ({timeout:?}) must not exceed absolute_lifetime \
                 ({absolute_lifetime:?}; 8 hours unless set): set absolute_lifetime too, \
                 at least as long, or None"
            ),
            ConfigError::ZeroMaxAge => f.write_str("max_age must be at least one second"),
            ConfigError::ExpiryMarginTooLong {
                expiry_margin,
                reissue_time,
                timeout,
            } => write!(
                f,
                "reissue_time ({reissue_time:?}) plus expiry_margin ({expiry_margin:?}) \
                 must be below timeout ({timeout:?})"
            ),
            ConfigError::SameSiteNoneWithoutSecure => {
                f.write_str("SameSite=None requires the Secure flag")
            }
            ConfigError::PrefixRequiresSecure => {
                f.write_str("a __Host- or __Secure- cookie name (in any capitalization) requires secure(Secure::Always)")
            }
            ConfigError::HostPrefixRequiresRootHostOnly => {
                f.write_str("a __Host- cookie name (in any capitalization) requires path \"/\" and no domain")
            }
        }
    }
}

impl Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// The seed's defaults, except the absolute lifetime: the seed had
    /// none, this library caps a session at 8 hours.
    #[test]
    fn defaults_follow_the_seed() {
        let c = SessionConfig::default();
        assert_eq!(c.cookie_name(), "session_id");
        assert_eq!(c.max_age(), None);
        assert_eq!(c.path(), "/");
        assert_eq!(c.domain(), None);
        assert_eq!(c.secure(), Secure::FollowRequest);
        assert!(c.http_only());
        assert_eq!(c.same_site(), Some(SameSite::Strict));
        assert_eq!(c.timeout(), secs(1200));
        assert_eq!(c.reissue_time(), secs(120));
        assert_eq!(c.absolute_lifetime(), Some(secs(8 * 3600)));
        assert_eq!(c.data_protection(), DataProtection::Sealed);
        assert_eq!(c.key_slots(), KeySlots::ALL);
        assert_eq!(SessionConfig::builder().build().unwrap(), c);
    }

    #[test]
    fn every_setting_is_taken() {
        let c = SessionConfig::builder()
            .cookie_name("app")
            .max_age(Some(secs(60)))
            .path("/app")
            .domain(Some("example.com".into()))
            .secure(Secure::Always)
            .http_only(false)
            .same_site(Some(SameSite::Lax))
            .timeout(secs(600))
            .reissue_time(secs(0))
            .absolute_lifetime(Some(secs(3600)))
            .data_protection(DataProtection::Plain)
            .key_slots(KeySlots::range(3..5).unwrap())
            .build()
            .unwrap();
        assert_eq!(c.cookie_name(), "app");
        assert_eq!(c.max_age(), Some(secs(60)));
        assert_eq!(c.path(), "/app");
        assert_eq!(c.domain(), Some("example.com"));
        assert_eq!(c.secure(), Secure::Always);
        assert!(!c.http_only());
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.timeout(), secs(600));
        assert_eq!(c.reissue_time(), secs(0));
        assert_eq!(c.absolute_lifetime(), Some(secs(3600)));
        assert_eq!(c.data_protection(), DataProtection::Plain);
        assert_eq!(c.key_slots(), KeySlots::range(3..5).unwrap());
    }

    #[test]
    fn cookie_prefixes_are_accepted_when_their_rules_hold() {
        let host = b_secure("__Host-sid").build().unwrap();
        assert_eq!(host.cookie_name(), "__Host-sid");
        assert!(b_secure("__Secure-sid").path("/app").build().is_ok());
    }

    /// Browsers match the prefixes in any capitalization, so the rules
    /// hold for every one; names that only look alike are not prefixed.
    #[test]
    fn prefixes_are_checked_in_any_capitalization() {
        let b = SessionConfig::builder;
        for name in ["__host-sid", "__HOST-sid", "__hOsT-sid", "__Host-"] {
            let insecure = b().cookie_name(name).build();
            assert_eq!(insecure, Err(ConfigError::PrefixRequiresSecure), "{name}");
            let sub_path = b_secure(name).path("/app").build();
            let with_domain = b_secure(name).domain(Some("example.com".into())).build();
            for refused in [sub_path, with_domain] {
                assert_eq!(
                    refused,
                    Err(ConfigError::HostPrefixRequiresRootHostOnly),
                    "{name}"
                );
            }
            assert!(b_secure(name).build().is_ok(), "{name}");
        }
        for name in ["__secure-sid", "__SECURE-sid", "__sEcUrE-sid"] {
            let never = b().cookie_name(name).secure(Secure::Never).build();
            assert_eq!(never, Err(ConfigError::PrefixRequiresSecure), "{name}");
            assert!(b_secure(name).path("/app").build().is_ok(), "{name}");
        }
        for name in [
            "_Host-sid",
            "__Host_sid",
            "__Hostsid",
            "x__Host-sid",
            "__Secur-sid",
        ] {
            assert!(b().cookie_name(name).build().is_ok(), "{name}");
        }
    }

    /// A timeout up to the absolute lifetime is fine; past it, only with
    /// an absolute lifetime set at least as long, or none at all.
    #[test]
    fn a_timeout_up_to_the_absolute_lifetime_builds() {
        let b = SessionConfig::builder;
        let day = secs(24 * 3600);
        assert!(b().timeout(secs(8 * 3600)).build().is_ok());
        assert!(b()
            .timeout(secs(600))
            .absolute_lifetime(Some(secs(600)))
            .build()
            .is_ok());
        assert!(b()
            .timeout(day)
            .absolute_lifetime(Some(day))
            .build()
            .is_ok());
        let none = b().timeout(day).absolute_lifetime(None).build().unwrap();
        assert_eq!(none.absolute_lifetime(), None);
        let message = b().timeout(day).build().unwrap_err().to_string();
        assert!(message.contains("set absolute_lifetime too"), "{message}");
    }

    fn b_secure(name: &str) -> SessionConfigBuilder {
        SessionConfig::builder()
            .cookie_name(name)
            .secure(Secure::Always)
    }

    #[test]
    fn nonsense_is_rejected() {
        let b = SessionConfig::builder;
        let cases = [
            (b().cookie_name(""), ConfigError::InvalidCookieName),
            (b().cookie_name("a b"), ConfigError::InvalidCookieName),
            (b().cookie_name("a=b"), ConfigError::InvalidCookieName),
            (b().cookie_name("a;b"), ConfigError::InvalidCookieName),
            (b().cookie_name("sé"), ConfigError::InvalidCookieName),
            (b().path(""), ConfigError::InvalidPath),
            (b().path("app"), ConfigError::InvalidPath),
            (b().path("/a;b"), ConfigError::InvalidPath),
            (b().path("/a\nb"), ConfigError::InvalidPath),
            (b().domain(Some(String::new())), ConfigError::InvalidDomain),
            (b().domain(Some("a;b".into())), ConfigError::InvalidDomain),
            (b().timeout(Duration::ZERO), ConfigError::ZeroTimeout),
            (
                b().timeout(Duration::from_millis(500)),
                ConfigError::ZeroTimeout,
            ),
            (
                b().timeout(secs(100)).reissue_time(secs(100)),
                ConfigError::ReissueNotBelowTimeout {
                    reissue_time: secs(100),
                    timeout: secs(100),
                },
            ),
            (
                b().timeout(secs(100))
                    .reissue_time(secs(60))
                    .expiry_margin(secs(40)),
                ConfigError::ExpiryMarginTooLong {
                    expiry_margin: secs(40),
                    reissue_time: secs(60),
                    timeout: secs(100),
                },
            ),
            (
                b().expiry_margin(Duration::MAX),
                ConfigError::ExpiryMarginTooLong {
                    expiry_margin: Duration::MAX,
                    reissue_time: secs(120),
                    timeout: secs(1200),
                },
            ),
            (
                b().absolute_lifetime(Some(Duration::ZERO)),
                ConfigError::ZeroAbsoluteLifetime,
            ),
            (
                b().timeout(secs(8 * 3600 + 1)).reissue_time(secs(60)),
                ConfigError::TimeoutOverAbsoluteLifetime {
                    timeout: secs(8 * 3600 + 1),
                    absolute_lifetime: secs(8 * 3600),
                },
            ),
            (
                b().absolute_lifetime(Some(secs(600))),
                ConfigError::TimeoutOverAbsoluteLifetime {
                    timeout: secs(1200),
                    absolute_lifetime: secs(600),
                },
            ),
            (b().max_age(Some(Duration::ZERO)), ConfigError::ZeroMaxAge),
            (
                b().same_site(Some(SameSite::None)).secure(Secure::Never),
                ConfigError::SameSiteNoneWithoutSecure,
            ),
            (
                b().cookie_name("__Host-sid"),
                ConfigError::PrefixRequiresSecure,
            ),
            (
                b().cookie_name("__Secure-sid").secure(Secure::Never),
                ConfigError::PrefixRequiresSecure,
            ),
            (
                b().cookie_name("__Host-sid")
                    .secure(Secure::Always)
                    .path("/app"),
                ConfigError::HostPrefixRequiresRootHostOnly,
            ),
            (
                b().cookie_name("__Host-sid")
                    .secure(Secure::Always)
                    .domain(Some("example.com".into())),
                ConfigError::HostPrefixRequiresRootHostOnly,
            ),
        ];
        for (builder, expected) in cases {
            let err = builder.build().unwrap_err();
            assert_eq!(err, expected);
            assert!(!err.to_string().is_empty());
        }
    }
}
