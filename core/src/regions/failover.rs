//! What happens to the sessions of a home region that is down.

/// What a [`HomeRouted`](super::HomeRouted) backend does with the sessions
/// of a home region that is down. Whatever the setting, nothing is ever
/// written for a session anywhere but in its home region, so nothing
/// conflicts when the region comes back.
///
/// ```
/// use dynamodb_sessions_core::regions::Failover;
///
/// assert_eq!(Failover::default(), Failover::Wait);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Failover {
    /// The sessions wait for their region (the default). A call to a home
    /// region that does not answer fails as it would with a single region
    /// (`BackendError::Unavailable` or `Timeout`, which the server glue
    /// answers with 503 and `Retry-After`), and so does every call for a
    /// region [marked down](super::HomeRouted::mark_down), at once and
    /// without sending anything. Nothing is lost: the users of that region
    /// come back to their sessions when it does. New visitors still get
    /// sessions in the local region.
    #[default]
    Wait,
    /// The sessions of a region [marked down](super::HomeRouted::mark_down)
    /// are given up while it is down: loading one finds no session, so the
    /// manager starts a fresh one under a new ID in the local region (the
    /// user must log in again). Writes for them still fail
    /// (`BackendError::Unavailable` whose source is
    /// [`RegionsError::HomeRegionDown`](super::RegionsError::HomeRegionDown)),
    /// and nothing is written elsewhere in their place.
    ///
    /// Only an explicit `mark_down` abandons a region, never a failed call:
    /// one timeout says little about a region, and a guess would log users
    /// out for a blip. A user loses the whole session, never part of it,
    /// and no ended session comes back. What stays exposed: an abandoned
    /// session cannot be ended while its home is down, so it stays live in
    /// its home until it expires, or until a logout once the region is
    /// back; whoever holds a copy of its cookie can use it then. A logout
    /// meanwhile answers 503 when it ends the session by its cookie
    /// without reading it first (like any write to it), and clears only
    /// the browser's cookie when the handler read the session first (it
    /// was no session then).
    Abandon,
}
