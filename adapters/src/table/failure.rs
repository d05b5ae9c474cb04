//! What one failed attempt means, whichever client made it: a condition
//! failure, worth retrying, or final. Each client maps its own errors to a
//! [`Failure`], mostly through [`classify_code`] on the error code DynamoDB
//! sent; `retry.rs` turns the classes into `BackendError`s. A failure's
//! source becomes the error's source, which reaches logs: it never holds a
//! client's text (see `dynamodb/client_error.rs`).

use dynamodb_sessions_core::store::BoxError;

/// What one failed attempt means for the call.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The write's condition was false; nothing was written.
    ConditionFailed,
    /// Refused for now (capacity, or another region writing the same item
    /// of a strongly consistent global table); nothing was written. Worth
    /// retrying.
    Throttled(BoxError),
    /// A transport error or a 5xx: the request may or may not have been
    /// applied. Worth retrying.
    Transient(BoxError),
    /// The request was certainly never sent, for a reason that may pass
    /// (credentials not found this time, a provider that timed out, a
    /// connection refused): worth retrying, and nothing was written.
    NotSent(BoxError),
    /// DynamoDB's `ValidationException` about the item's size.
    TooLarge,
    /// Anything else; retrying will not help. This includes requests never
    /// sent for a reason no retry mends (one that cannot be built, an
    /// endpoint that cannot be resolved or applied): never "maybe applied".
    Rejected(BoxError),
}

/// The error code of a failed conditional write.
pub(crate) const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// Error codes that mean "refused for now": nothing was written, try
/// later. Throttling, and on a global table in multi-Region strong
/// consistency a write refused because another region is writing the same
/// item (`ReplicatedWriteConflictException`, which AWS marks safe to retry).
pub(crate) const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ReplicatedWriteConflictException",
];

/// Classifies an error answer by DynamoDB's error `code` (the part after
/// `#` in `__type`, e.g. `ThrottlingException`), the HTTP `status` and the
/// `message`, keeping `source` as the cause.
pub(crate) fn classify_code(
    code: Option<&str>,
    status: Option<u16>,
    message: Option<&str>,
    source: BoxError,
) -> Failure {
    match code {
        Some(CONDITION_FAILED) => Failure::ConditionFailed,
        Some(code) if THROTTLING_CODES.contains(&code) => Failure::Throttled(source),
        Some("ValidationException") if message.is_some_and(is_item_size_message) => {
            Failure::TooLarge
        }
        // A 5xx, or DynamoDB's own `InternalServerError` whatever the status:
        // the request may have been applied.
        Some("InternalServerError") => Failure::Transient(source),
        // A transaction under the same token is still running: it may land.
        Some("TransactionInProgressException") => Failure::Transient(source),
        _ if status.is_some_and(|status| (500..600).contains(&status)) => {
            Failure::Transient(source)
        }
        _ => Failure::Rejected(source),
    }
}

/// Whether a `ValidationException`'s message says the item is too large.
///
/// DynamoDB says "Item size has exceeded the maximum allowed size" for puts
/// and "Item size to update has exceeded the maximum allowed size" for
/// updates.
pub(crate) fn is_item_size_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("item size") && message.contains("exceed")
}

/// For each client's tests: text standing for a request's storage key
/// (base64) and data, planted in the errors a client's classifier is fed.
#[cfg(test)]
pub(crate) const PLANTED_TEXT: &str = "c2VjcmV0LWtleQ== DAT-MARKER";

/// For each client's tests: `failure` (classified from an error that
/// quoted [`PLANTED_TEXT`]) shows no part of it, in its `Debug`, its
/// source's `Display` nor its source's `Debug`.
#[cfg(test)]
pub(crate) fn assert_hides_planted_text(failure: Failure) {
    let shown = format!("{failure:?}");
    let source = match failure {
        Failure::Throttled(s)
        | Failure::Transient(s)
        | Failure::NotSent(s)
        | Failure::Rejected(s) => s,
        other => panic!("{other:?}"),
    };
    let shown = format!("{shown} {source} {source:?}");
    assert!(
        !shown.contains("c2VjcmV0") && !shown.contains("DAT-MARKER"),
        "{shown}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(code: Option<&str>, status: u16, message: &str) -> Failure {
        classify_code(code, Some(status), Some(message), "the cause".into())
    }

    #[test]
    fn codes_map_to_classes() {
        assert!(matches!(
            classify(Some(CONDITION_FAILED), 400, "no"),
            Failure::ConditionFailed
        ));
        for code in THROTTLING_CODES {
            assert!(matches!(
                classify(Some(code), 400, "slow"),
                Failure::Throttled(_)
            ));
        }
        assert!(matches!(
            classify(Some("InternalServerError"), 500, ""),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(Some("ServiceUnavailable"), 503, ""),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(None, 502, "<html>"),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(
                Some("ValidationException"),
                400,
                "Item size has exceeded the maximum allowed size"
            ),
            Failure::TooLarge
        ));
        for (code, status) in [
            (Some("ValidationException"), 400),
            (Some("ResourceNotFoundException"), 400),
            (Some("AccessDeniedException"), 400),
            (None, 403),
        ] {
            match classify(code, status, "One or more parameter values were invalid") {
                Failure::Rejected(source) => assert_eq!(source.to_string(), "the cause"),
                other => panic!("{code:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn item_size_messages() {
        assert!(is_item_size_message(
            "Item size to update has exceeded the maximum allowed size"
        ));
        assert!(!is_item_size_message(
            "One or more parameter values were invalid"
        ));
    }
}
