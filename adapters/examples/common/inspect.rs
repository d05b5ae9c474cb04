//! What the library did for a request, shown on the page it drew: the store
//! calls (the rows of the README's state table, live), the cookie's
//! version, when the session idles out, and which backend serves it.
//!
//! [`Recording`] wraps the demo's backend and notes every call it passes on
//! in a thread-local list; each server handles a request on one thread from
//! [`begin`] to [`finish`], so the list holds that request's calls only.
#![allow(dead_code)]

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use dynamodb_sessions::store::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

use dynamodb_sessions::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};

use super::app::{escape, Reply, LIBRARY_PANEL};

/// What one request made the store do.
#[derive(Debug, Default)]
struct Activity {
    /// The label of the backend that served the calls.
    store: Option<Arc<str>>,
    /// One line per store call, in order: what was asked and the answer.
    calls: Vec<String>,
    /// The version of the last live record a load found: the cookie's, as
    /// a strong read after a stale eventual one settles it.
    loaded_version: Option<u64>,
    /// The idle expiry (`exp`, unix seconds) the last call read or wrote.
    expires_at: Option<i64>,
    /// Whether the last write ended the session.
    ended: bool,
}

thread_local! {
    /// `None` outside a request, so calls made elsewhere are not kept.
    static ACTIVITY: RefCell<Option<Activity>> = const { RefCell::new(None) };
}

/// Starts recording the store calls of the request this thread handles.
pub fn begin() {
    ACTIVITY.with(|activity| *activity.borrow_mut() = Some(Activity::default()));
}

fn note(store: &Arc<str>, change: impl FnOnce(&mut Activity)) {
    ACTIVITY.with(|activity| {
        if let Some(activity) = activity.borrow_mut().as_mut() {
            activity.store = Some(Arc::clone(store));
            change(activity);
        }
    });
}

/// A backend that notes every call in the current request's activity.
pub struct Recording<B> {
    inner: B,
    label: Arc<str>,
}

impl<B: Backend> Recording<B> {
    /// Wraps `inner`; the page names it `label`.
    pub fn new(inner: B, label: &str) -> Recording<B> {
        Recording {
            inner,
            label: label.into(),
        }
    }

    fn call<T>(
        &self,
        what: String,
        result: Result<T, BackendError>,
        describe: impl FnOnce(&T, &mut Activity) -> String,
    ) -> Result<T, BackendError> {
        note(&self.label, |activity| {
            let answer = match &result {
                Ok(value) => describe(value, activity),
                Err(error) => format!("error: {error}"),
            };
            activity.calls.push(format!("{what} → {answer}"));
        });
        result
    }
}

impl<B: Backend> Backend for Recording<B> {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        let what = match consistency {
            Consistency::Eventual => "load (eventual)",
            Consistency::Strong => "load (strong)",
        };
        let result = self.inner.load(key, consistency);
        self.call(what.to_owned(), result, |record, activity| match record {
            LoadOutcome::Missing => "nothing".to_owned(),
            LoadOutcome::Ended(_) => "ended".to_owned(),
            LoadOutcome::Live(record) => {
                activity.loaded_version = Some(record.version);
                activity.expires_at = Some(record.expires_at);
                format!("version {}", record.version)
            }
        })
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        let result = self.inner.create(key, record);
        self.call(
            "create".to_owned(),
            result,
            |outcome, activity| match outcome {
                CreateOutcome::Created => {
                    activity.expires_at = Some(record.expires_at);
                    activity.ended = false;
                    format!("version {}", record.version)
                }
                CreateOutcome::AlreadyExists => "ID taken".to_owned(),
            },
        )
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        let result = self.inner.replace(key, expected_version, record);
        let what = format!("replace at version {expected_version}");
        self.call(what, result, |outcome, activity| match outcome {
            // A login ends the old ID by a replace with a tombstone.
            ReplaceOutcome::Replaced if record.is_ended() => "ended".to_owned(),
            ReplaceOutcome::Replaced => {
                activity.expires_at = Some(record.expires_at);
                format!("version {}", record.version)
            }
            ReplaceOutcome::Conflict => "conflict".to_owned(),
        })
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        let result = self
            .inner
            .touch(key, expected_version, issued_at, expires_at);
        let what = format!("touch at version {expected_version}");
        self.call(what, result, |outcome, activity| match outcome {
            TouchOutcome::Touched => {
                activity.expires_at = Some(expires_at);
                "touched".to_owned()
            }
            TouchOutcome::Conflict => "conflict".to_owned(),
        })
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        let result = self.inner.end(key, tombstone);
        self.call("end".to_owned(), result, |outcome, activity| {
            activity.ended = true;
            match outcome {
                EndOutcome::Ended => "ended".to_owned(),
                EndOutcome::AlreadyEnded { .. } => "already ended".to_owned(),
                EndOutcome::Missing => "missing".to_owned(),
            }
        })
    }
}

impl<B: UserSessions> UserSessions for Recording<B> {
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        let result = self.inner.load_checked(key, user);
        let what = "load with the user's generation (strong)".to_owned();
        self.call(what, result, |(generation, record), activity| {
            let record = match record {
                LoadOutcome::Missing => "nothing".to_owned(),
                LoadOutcome::Ended(_) => "ended".to_owned(),
                LoadOutcome::Live(record) => {
                    activity.loaded_version = Some(record.version);
                    activity.expires_at = Some(record.expires_at);
                    let stamped = record.user.as_ref().map_or(0, |stamp| stamp.generation);
                    format!(
                        "version {}, logged in at generation {stamped}",
                        record.version
                    )
                }
            };
            format!("user generation {generation}; {record}")
        })
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        let result = self.inner.generation(user);
        self.call(
            "user generation (strong)".to_owned(),
            result,
            |generation, _| generation.to_string(),
        )
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        let what = match &keep {
            Some(keep) => format!(
                "advance the user generation from {expected}, keeping this session at version {}",
                keep.record.version
            ),
            None => format!("advance the user generation from {expected}"),
        };
        let result = self.inner.advance(user, expected, keep);
        self.call(what, result, |outcome, _| match outcome {
            AdvanceOutcome::Advanced => format!("{}", expected + 1),
            AdvanceOutcome::GenerationMoved { current } => format!("moved already, to {current}"),
            AdvanceOutcome::KeptChanged => "this session changed meanwhile".to_owned(),
        })
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        let result = self.inner.list(user);
        self.call(
            "list the user's sessions".to_owned(),
            result,
            |listed, _| format!("{} records", listed.len()),
        )
    }
}

/// Ends the request's recording and shows it: a page gets the panel in
/// place of [`LIBRARY_PANEL`]; a redirect after a form post carries a
/// one-line summary to the next page in its `Location` (`?posted=...`),
/// since the browser never shows the redirect itself. Call it after the
/// commit, whose `Set-Cookie` the reply then holds.
pub fn finish(mut reply: Reply, method: &str, target: &str) -> Reply {
    let activity = ACTIVITY
        .with(|activity| activity.borrow_mut().take())
        .unwrap_or_default();
    let cookie = cookie_text(reply.set_cookie.as_deref(), &activity);
    if let Some(location) = reply.location.as_mut() {
        let path = target.split('?').next().unwrap_or(target);
        let calls = if activity.calls.is_empty() {
            "no store call".to_owned()
        } else {
            activity.calls.join("; ")
        };
        let summary = format!("{method} {path}: {calls}; cookie: {cookie}");
        let encoded: String = form_urlencoded::byte_serialize(summary.as_bytes()).collect();
        let _ = write!(location, "?posted={encoded}");
    } else if reply.body.contains(LIBRARY_PANEL) {
        let panel = panel(&activity, &cookie, posted(target).as_deref());
        reply.body = reply.body.replacen(LIBRARY_PANEL, &panel, 1);
    }
    reply
}

/// What the browser's cookie is after this response.
fn cookie_text(set_cookie: Option<&str>, activity: &Activity) -> String {
    // `name=token/version; attributes`, or `name=; Max-Age=0` to remove it.
    let value = set_cookie.map(|cookie| {
        let pair = cookie.split(';').next().unwrap_or(cookie);
        pair.split_once('=').map_or("", |(_, value)| value)
    });
    match (value, activity.loaded_version) {
        (Some(""), _) => "removed (Set-Cookie with Max-Age=0)".to_owned(),
        (Some(value), _) => {
            let version = value.rsplit_once('/').map_or("?", |(_, version)| version);
            format!("Set-Cookie, version {version}")
        }
        (None, Some(version)) => format!("no Set-Cookie; the browser keeps version {version}"),
        (None, None) => "no Set-Cookie".to_owned(),
    }
}

fn panel(activity: &Activity, cookie: &str, posted: Option<&str>) -> String {
    let store = activity
        .store
        .as_deref()
        .unwrap_or("no store call went through the recording backend");
    let mut html = String::from(
        "<section id=\"library\"><h2>What the library did for this page</h2>\n<table>\n",
    );
    let _ = writeln!(
        html,
        "<tr><th>store</th><td id=\"store\">{}</td></tr>",
        escape(store)
    );
    html.push_str("<tr><th>store calls</th><td><ol id=\"calls\">");
    for call in &activity.calls {
        let _ = write!(html, "<li>{}</li>", escape(call));
    }
    if activity.calls.is_empty() {
        html.push_str("<li>none</li>");
    }
    html.push_str("</ol></td></tr>\n");
    let _ = writeln!(
        html,
        "<tr><th>cookie</th><td id=\"cookie\">{}</td></tr>",
        escape(cookie)
    );
    let idle = match activity.expires_at {
        _ if activity.ended => "never: the session has ended".to_owned(),
        Some(expires_at) => idle_text(expires_at),
        None => "unknown: no record read or written".to_owned(),
    };
    let _ = writeln!(
        html,
        "<tr><th>idles out</th><td id=\"idle\">{}</td></tr>",
        escape(&idle)
    );
    if let Some(posted) = posted {
        let _ = writeln!(
            html,
            "<tr><th>the form post before</th><td id=\"posted\">{}</td></tr>",
            escape(posted)
        );
    }
    html.push_str("</table></section>\n");
    html
}

/// `exp` as a time of day (UTC) and how far away it is.
fn idle_text(expires_at: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let time = expires_at.rem_euclid(86_400);
    format!(
        "at {:02}:{:02}:{:02} UTC, in {} s",
        time / 3600,
        time / 60 % 60,
        time % 60,
        expires_at - now
    )
}

/// The `posted` summary a redirect put in the target's query.
fn posted(target: &str) -> Option<String> {
    let (_, query) = target.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "posted")
        .map(|(_, value)| value.into_owned())
}
