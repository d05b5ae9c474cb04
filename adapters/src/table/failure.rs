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
    /// Refused for capacity; nothing was written. Worth retrying.
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

/// Error codes that mean throttling: nothing was written, try later.
pub(crate) const THROTTLING_CODES: [&str; 3] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
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
