//! Wrappers that pass calls on to another backend, changing only some.

use crate::users::{AdvanceOutcome, Keep, Listed, UserRef, UserSessions};
use crate::{
    Backend, BackendError, Consistency, CreateOutcome, EndOutcome, LoadOutcome, Record,
    ReplaceOutcome, StorageKey, TouchOutcome,
};

/// A backend that passes every call on to another one, [`forward_to`],
/// except the calls it says otherwise about: implement this instead of
/// [`Backend`] for a wrapper (a counter, a fault injector, a cache) that
/// changes one call or a few, and override only those. Every type that
/// implements `Forward` is a [`Backend`].
///
/// Unlike [`Backend`], which has no provided methods because no default
/// would be right for a store (one that emulated `create` with an
/// unconditional put would quietly overwrite sessions), every method here
/// is provided: for a wrapper, passing a call on unchanged is the right
/// default, and the store below still decides every condition.
///
/// The methods are named apart from [`Backend`]'s so that a type's
/// `load` is never ambiguous, whichever traits are in scope.
///
/// [`forward_to`]: Forward::forward_to
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use dynamodb_sessions_core::store::{Backend, Forward, CreateOutcome, Record, StorageKey};
/// use dynamodb_sessions_core::{BackendError, store::Operation};
///
/// /// Refuses new sessions while `closed` is set; everything else goes through.
/// struct Closable<B> {
///     inner: B,
///     closed: AtomicBool,
/// }
///
/// impl<B: Backend> Forward for Closable<B> {
///     type Inner = B;
///
///     fn forward_to(&self) -> &B {
///         &self.inner
///     }
///
///     fn forward_create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
///         if self.closed.load(Ordering::Relaxed) {
///             return Err(BackendError::Full { operation: Operation::Create, limit: "closed".into() });
///         }
///         self.inner.create(key, record)
///     }
/// }
/// ```
pub trait Forward: Send + Sync {
    /// The backend calls go on to.
    type Inner: Backend + ?Sized;

    /// The backend calls go on to.
    fn forward_to(&self) -> &Self::Inner;

    /// What [`Backend::load`] does: passes the call on, unless overridden.
    ///
    /// # Errors
    ///
    /// As [`Backend::load`].
    fn forward_load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.forward_to().load(key, consistency)
    }

    /// What [`Backend::create`] does: passes the call on, unless overridden.
    ///
    /// # Errors
    ///
    /// As [`Backend::create`].
    fn forward_create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> Result<CreateOutcome, BackendError> {
        self.forward_to().create(key, record)
    }

    /// What [`Backend::replace`] does: passes the call on, unless
    /// overridden.
    ///
    /// # Errors
    ///
    /// As [`Backend::replace`].
    fn forward_replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.forward_to().replace(key, expected_version, record)
    }

    /// What [`Backend::touch`] does: passes the call on, unless overridden.
    ///
    /// # Errors
    ///
    /// As [`Backend::touch`].
    fn forward_touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.forward_to()
            .touch(key, expected_version, issued_at, expires_at)
    }

    /// What [`Backend::end`] does: passes the call on, unless overridden.
    ///
    /// # Errors
    ///
    /// As [`Backend::end`].
    fn forward_end(
        &self,
        key: &StorageKey,
        tombstone: &Record,
    ) -> Result<EndOutcome, BackendError> {
        self.forward_to().end(key, tombstone)
    }

    /// [`UserSessions::load_checked`], passed on unchanged. Like the other
    /// user methods below, it exists only when the inner backend offers
    /// [`UserSessions`], and then so does the wrapper.
    fn forward_load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError>
    where
        Self::Inner: UserSessions,
    {
        self.forward_to().load_checked(key, user)
    }

    /// [`UserSessions::generation`], passed on unchanged.
    fn forward_generation(&self, user: &UserRef) -> Result<u64, BackendError>
    where
        Self::Inner: UserSessions,
    {
        self.forward_to().generation(user)
    }

    /// [`UserSessions::advance`], passed on unchanged.
    fn forward_advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError>
    where
        Self::Inner: UserSessions,
    {
        self.forward_to().advance(user, expected, keep)
    }

    /// [`UserSessions::list`], passed on unchanged.
    fn forward_list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError>
    where
        Self::Inner: UserSessions,
    {
        self.forward_to().list(user)
    }
}

impl<W: Forward + ?Sized> Backend for W {
    fn load(
        &self,
        key: &StorageKey,
        consistency: Consistency,
    ) -> Result<LoadOutcome, BackendError> {
        self.forward_load(key, consistency)
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<CreateOutcome, BackendError> {
        self.forward_create(key, record)
    }

    fn replace(
        &self,
        key: &StorageKey,
        expected_version: u64,
        record: &Record,
    ) -> Result<ReplaceOutcome, BackendError> {
        self.forward_replace(key, expected_version, record)
    }

    fn touch(
        &self,
        key: &StorageKey,
        expected_version: u64,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<TouchOutcome, BackendError> {
        self.forward_touch(key, expected_version, issued_at, expires_at)
    }

    fn end(&self, key: &StorageKey, tombstone: &Record) -> Result<EndOutcome, BackendError> {
        self.forward_end(key, tombstone)
    }
}

/// A wrapper offers [`UserSessions`] exactly when the backend it wraps does.
impl<W: Forward + ?Sized> UserSessions for W
where
    W::Inner: UserSessions,
{
    fn load_checked(
        &self,
        key: &StorageKey,
        user: &UserRef,
    ) -> Result<(u64, LoadOutcome), BackendError> {
        self.forward_load_checked(key, user)
    }

    fn generation(&self, user: &UserRef) -> Result<u64, BackendError> {
        self.forward_generation(user)
    }

    fn advance(
        &self,
        user: &UserRef,
        expected: u64,
        keep: Option<Keep<'_>>,
    ) -> Result<AdvanceOutcome, BackendError> {
        self.forward_advance(user, expected, keep)
    }

    fn list(&self, user: &UserRef) -> Result<Vec<Listed>, BackendError> {
        self.forward_list(user)
    }
}

/// A borrowed backend is a backend, e.g. to wrap one without giving it up.
impl<B: Backend + ?Sized> Forward for &B {
    type Inner = B;

    fn forward_to(&self) -> &B {
        self
    }
}

/// A boxed backend is a backend, e.g. one chosen at run time.
impl<B: Backend + ?Sized> Forward for Box<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        self
    }
}

/// A shared backend is a backend, so one store can serve several managers.
impl<B: Backend + ?Sized> Forward for std::sync::Arc<B> {
    type Inner = B;

    fn forward_to(&self) -> &B {
        self
    }
}
