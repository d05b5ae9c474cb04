//! Classifying rusoto's errors: what is a condition failure, what is worth
//! retrying, what is final. The classes become `BackendError`s in `retry.rs`.

use std::error::Error;

use dynamodb_sessions_core::store::BoxError;
use rusoto_core::RusotoError;
use rusoto_dynamodb::{DeleteItemError, GetItemError, PutItemError, UpdateItemError};

/// What kind of failure a service-specific (typed) DynamoDB error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceKind {
    /// `ConditionalCheckFailedException`.
    ConditionFailed,
    /// `ProvisionedThroughputExceededException`, `RequestLimitExceeded`.
    Throttled,
    /// `InternalServerError`: the request may or may not have been applied.
    ServerError,
    /// Anything else (missing table, transaction conflict, ...).
    Other,
}

/// The typed errors of the four data-plane operations.
pub(crate) trait ServiceError: Error + Send + Sync + 'static {
    /// This error's kind.
    fn kind(&self) -> ServiceKind;
}

impl ServiceError for GetItemError {
    fn kind(&self) -> ServiceKind {
        match self {
            GetItemError::ProvisionedThroughputExceeded(_)
            | GetItemError::RequestLimitExceeded(_) => ServiceKind::Throttled,
            GetItemError::InternalServerError(_) => ServiceKind::ServerError,
            GetItemError::ResourceNotFound(_) => ServiceKind::Other,
        }
    }
}

impl ServiceError for PutItemError {
    fn kind(&self) -> ServiceKind {
        match self {
            PutItemError::ConditionalCheckFailed(_) => ServiceKind::ConditionFailed,
            PutItemError::ProvisionedThroughputExceeded(_)
            | PutItemError::RequestLimitExceeded(_) => ServiceKind::Throttled,
            PutItemError::InternalServerError(_) => ServiceKind::ServerError,
            PutItemError::ItemCollectionSizeLimitExceeded(_)
            | PutItemError::ResourceNotFound(_)
            | PutItemError::TransactionConflict(_) => ServiceKind::Other,
        }
    }
}

impl ServiceError for UpdateItemError {
    fn kind(&self) -> ServiceKind {
        match self {
            UpdateItemError::ConditionalCheckFailed(_) => ServiceKind::ConditionFailed,
            UpdateItemError::ProvisionedThroughputExceeded(_)
            | UpdateItemError::RequestLimitExceeded(_) => ServiceKind::Throttled,
            UpdateItemError::InternalServerError(_) => ServiceKind::ServerError,
            UpdateItemError::ItemCollectionSizeLimitExceeded(_)
            | UpdateItemError::ResourceNotFound(_)
            | UpdateItemError::TransactionConflict(_) => ServiceKind::Other,
        }
    }
}

impl ServiceError for DeleteItemError {
    fn kind(&self) -> ServiceKind {
        match self {
            // Deletes here are unconditional, so this cannot happen; if it
            // does, it is a condition failure all the same.
            DeleteItemError::ConditionalCheckFailed(_) => ServiceKind::ConditionFailed,
            DeleteItemError::ProvisionedThroughputExceeded(_)
            | DeleteItemError::RequestLimitExceeded(_) => ServiceKind::Throttled,
            DeleteItemError::InternalServerError(_) => ServiceKind::ServerError,
            DeleteItemError::ItemCollectionSizeLimitExceeded(_)
            | DeleteItemError::ResourceNotFound(_)
            | DeleteItemError::TransactionConflict(_) => ServiceKind::Other,
        }
    }
}

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
    /// DynamoDB's `ValidationException` about the item's size.
    TooLarge,
    /// Anything else; retrying will not help.
    Rejected(BoxError),
}

/// Error type names (the part after `#` in `__type`) that mean throttling
/// but that rusoto's per-operation enums do not model.
const THROTTLING_TYPES: [&str; 3] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
];

/// Classifies one failed attempt.
pub(crate) fn classify<E: ServiceError>(error: RusotoError<E>) -> Failure {
    match &error {
        RusotoError::Service(service) => match service.kind() {
            ServiceKind::ConditionFailed => Failure::ConditionFailed,
            ServiceKind::Throttled => Failure::Throttled(Box::new(error)),
            ServiceKind::ServerError => Failure::Transient(Box::new(error)),
            ServiceKind::Other => Failure::Rejected(Box::new(error)),
        },
        RusotoError::HttpDispatch(_) => Failure::Transient(Box::new(error)),
        RusotoError::Validation(message) if is_item_size_message(message) => Failure::TooLarge,
        RusotoError::Unknown(response) => {
            let error_type = error_type(response.body_as_str());
            if error_type.is_some_and(|t| THROTTLING_TYPES.contains(&t)) {
                Failure::Throttled(Box::new(error))
            } else if response.status.is_server_error() {
                Failure::Transient(Box::new(error))
            } else {
                Failure::Rejected(Box::new(error))
            }
        }
        RusotoError::Validation(_)
        | RusotoError::Credentials(_)
        | RusotoError::ParseError(_)
        | RusotoError::Blocking => Failure::Rejected(Box::new(error)),
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

/// The error type named in a DynamoDB JSON error body, without its namespace:
/// `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException", ...}`
/// gives `ThrottlingException`.
fn error_type(body: &str) -> Option<&str> {
    let after_key = &body[body.find("\"__type\"")? + "\"__type\"".len()..];
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = after_colon.strip_prefix('"')?;
    let value = &value[..value.find('"')?];
    Some(value.rsplit('#').next().unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusoto_core::request::BufferedHttpResponse;
    use rusoto_core::HttpDispatchError;

    fn unknown(status: u16, body: &str) -> RusotoError<PutItemError> {
        RusotoError::Unknown(BufferedHttpResponse {
            status: status.try_into().expect("valid status"),
            body: body.as_bytes().to_vec().into(),
            headers: Default::default(),
        })
    }

    #[test]
    fn condition_failures_are_outcomes() {
        let error = RusotoError::Service(PutItemError::ConditionalCheckFailed("no".into()));
        assert!(matches!(classify(error), Failure::ConditionFailed));
        let error = RusotoError::Service(UpdateItemError::ConditionalCheckFailed("no".into()));
        assert!(matches!(classify(error), Failure::ConditionFailed));
    }

    #[test]
    fn throttling_is_retried() {
        for error in [
            RusotoError::Service(PutItemError::ProvisionedThroughputExceeded("x".into())),
            RusotoError::Service(PutItemError::RequestLimitExceeded("x".into())),
            unknown(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"}"#,
            ),
        ] {
            assert!(matches!(classify(error), Failure::Throttled(_)));
        }
    }

    #[test]
    fn server_and_transport_errors_are_transient() {
        for error in [
            RusotoError::Service(PutItemError::InternalServerError("x".into())),
            RusotoError::HttpDispatch(HttpDispatchError::new("connection reset".into())),
            unknown(503, r#"{"__type":"ServiceUnavailable"}"#),
            unknown(500, "<html>oops</html>"),
        ] {
            assert!(matches!(classify(error), Failure::Transient(_)));
        }
    }

    #[test]
    fn item_size_validation_is_too_large() {
        for message in [
            "Item size has exceeded the maximum allowed size",
            "Item size to update has exceeded the maximum allowed size",
        ] {
            let error = RusotoError::<PutItemError>::Validation(message.into());
            assert!(matches!(classify(error), Failure::TooLarge));
        }
        let error = RusotoError::<PutItemError>::Validation(
            "One or more parameter values were invalid".into(),
        );
        assert!(matches!(classify(error), Failure::Rejected(_)));
    }

    #[test]
    fn everything_else_is_rejected_and_keeps_the_source() {
        for error in [
            RusotoError::Service(PutItemError::ResourceNotFound("no table".into())),
            unknown(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException"}"#,
            ),
            unknown(403, "not json"),
            RusotoError::ParseError("bad".into()),
        ] {
            match classify(error) {
                Failure::Rejected(source) => assert!(!source.to_string().is_empty()),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn error_type_parsing() {
        assert_eq!(
            error_type(r#"{"__type" : "a.b#ThrottlingException"}"#),
            Some("ThrottlingException")
        );
        assert_eq!(error_type(r#"{"__type":"Plain"}"#), Some("Plain"));
        assert_eq!(error_type(r#"{"__type":"#), None);
        assert_eq!(error_type("garbage"), None);
        assert_eq!(error_type(""), None);
    }
}
