//! rusoto under the shared logic (`crate::table`): its attribute values,
//! its three data-plane requests with their errors classified, and its four
//! control-plane requests. Nothing here retries or decides.

use std::error::Error;

use dynamodb_sessions_core::store::BoxError;
use rusoto_core::RusotoError;
use rusoto_dynamodb::{
    AttributeDefinition, AttributeValue, CreateTableError, CreateTableInput, DeleteItemError,
    DescribeTableError, DescribeTableInput, DescribeTimeToLiveInput, DynamoDb, DynamoDbClient,
    GetItemError, GetItemInput, KeySchemaElement, PutItemError, PutItemInput, TableDescription,
    TimeToLiveSpecification, UpdateItemError, UpdateItemInput, UpdateTimeToLiveInput,
};

use crate::table::item::SID;
use crate::table::{
    classify_code, Attribute, Expression, Failure, Item, ProvisionWire, TableState, TtlState, Wire,
};

/// The rusoto client a [`DynamoDbBackend`](super::DynamoDbBackend) sends
/// through.
pub(crate) struct RusotoWire(pub(crate) DynamoDbClient);

impl Attribute for AttributeValue {
    fn binary(bytes: &[u8]) -> Self {
        AttributeValue {
            b: Some(bytes.to_vec().into()),
            ..AttributeValue::default()
        }
    }

    fn number_text(text: String) -> Self {
        AttributeValue {
            n: Some(text),
            ..AttributeValue::default()
        }
    }

    fn string(text: &str) -> Self {
        AttributeValue {
            s: Some(text.to_owned()),
            ..AttributeValue::default()
        }
    }

    fn as_binary(&self) -> Option<&[u8]> {
        self.b.as_deref()
    }

    fn as_number(&self) -> Option<&str> {
        self.n.as_deref()
    }

    fn as_string(&self) -> Option<&str> {
        self.s.as_deref()
    }
}

impl Wire for RusotoWire {
    type Value = AttributeValue;

    async fn get_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        consistent: bool,
    ) -> Result<Option<Item<AttributeValue>>, Failure> {
        let input = GetItemInput {
            table_name: table.to_owned(),
            key,
            consistent_read: Some(consistent),
            ..GetItemInput::default()
        };
        let output = self.0.get_item(input).await.map_err(classify)?;
        Ok(output.item)
    }

    async fn put_item(
        &self,
        table: &str,
        item: Item<AttributeValue>,
        condition: &Expression<AttributeValue>,
    ) -> Result<(), Failure> {
        let input = PutItemInput {
            table_name: table.to_owned(),
            item,
            condition_expression: Some(condition.condition.clone()),
            expression_attribute_names: Some(condition.names.clone()),
            expression_attribute_values: condition.values_if_any(),
            ..PutItemInput::default()
        };
        self.0.put_item(input).await.map_err(classify)?;
        Ok(())
    }

    async fn update_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        update: &str,
        condition: &Expression<AttributeValue>,
    ) -> Result<(), Failure> {
        let input = UpdateItemInput {
            table_name: table.to_owned(),
            key,
            update_expression: Some(update.to_owned()),
            condition_expression: Some(condition.condition.clone()),
            expression_attribute_names: Some(condition.names.clone()),
            expression_attribute_values: condition.values_if_any(),
            ..UpdateItemInput::default()
        };
        self.0.update_item(input).await.map_err(classify)?;
        Ok(())
    }
}

fn table_state(description: TableDescription) -> TableState {
    TableState {
        status: description.table_status,
        keys: description.key_schema.map(|keys| {
            keys.into_iter()
                .map(|key| (key.attribute_name, key.key_type))
                .collect()
        }),
        types: description
            .attribute_definitions
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.attribute_name, d.attribute_type))
            .collect(),
    }
}

impl ProvisionWire for RusotoWire {
    async fn describe_table(&self, table: &str) -> Result<Option<TableState>, BoxError> {
        let input = DescribeTableInput {
            table_name: table.to_owned(),
        };
        match self.0.describe_table(input).await {
            Ok(output) => Ok(Some(output.table.map(table_state).unwrap_or_default())),
            Err(RusotoError::Service(DescribeTableError::ResourceNotFound(_))) => Ok(None),
            Err(error) => Err(Box::new(error)),
        }
    }

    async fn create_table(&self, table: &str) -> Result<Option<TableState>, BoxError> {
        let input = CreateTableInput {
            table_name: table.to_owned(),
            billing_mode: Some("PAY_PER_REQUEST".to_owned()),
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: SID.to_owned(),
                attribute_type: "B".to_owned(),
            }],
            key_schema: vec![KeySchemaElement {
                attribute_name: SID.to_owned(),
                key_type: "HASH".to_owned(),
            }],
            ..CreateTableInput::default()
        };
        match self.0.create_table(input).await {
            Ok(output) => Ok(Some(
                output
                    .table_description
                    .map(table_state)
                    .unwrap_or_default(),
            )),
            Err(RusotoError::Service(CreateTableError::ResourceInUse(_))) => Ok(None),
            Err(error) => Err(Box::new(error)),
        }
    }

    async fn describe_ttl(&self, table: &str) -> Result<TtlState, BoxError> {
        let input = DescribeTimeToLiveInput {
            table_name: table.to_owned(),
        };
        let description = self
            .0
            .describe_time_to_live(input)
            .await?
            .time_to_live_description
            .unwrap_or_default();
        Ok(TtlState {
            status: description.time_to_live_status,
            attribute: description.attribute_name,
        })
    }

    async fn enable_ttl(&self, table: &str, attribute: &str) -> Result<(), BoxError> {
        let input = UpdateTimeToLiveInput {
            table_name: table.to_owned(),
            time_to_live_specification: TimeToLiveSpecification {
                attribute_name: attribute.to_owned(),
                enabled: true,
            },
        };
        self.0.update_time_to_live(input).await?;
        Ok(())
    }
}

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

/// Classifies one failed attempt.
fn classify<E: ServiceError>(error: RusotoError<E>) -> Failure {
    match &error {
        RusotoError::Service(service) => match service.kind() {
            ServiceKind::ConditionFailed => Failure::ConditionFailed,
            ServiceKind::Throttled => Failure::Throttled(Box::new(error)),
            ServiceKind::ServerError => Failure::Transient(Box::new(error)),
            ServiceKind::Other => Failure::Rejected(Box::new(error)),
        },
        RusotoError::HttpDispatch(_) => Failure::Transient(Box::new(error)),
        RusotoError::Validation(message) => {
            let message = message.clone();
            classify_code(
                Some("ValidationException"),
                None,
                Some(&message),
                Box::new(error),
            )
        }
        // An error rusoto's per-operation enums do not model (e.g.
        // `ThrottlingException`): classified by the code in the body.
        RusotoError::Unknown(response) => {
            let body = response.body_as_str().to_owned();
            let status = response.status.as_u16();
            classify_code(error_type(&body), Some(status), None, Box::new(error))
        }
        // An answer came that could not be read: the request reached
        // DynamoDB and may have been applied.
        RusotoError::ParseError(_) => Failure::Transient(Box::new(error)),
        // Not signed, so not sent; a credential chain may find them on
        // the next attempt (an instance metadata service can blink).
        RusotoError::Credentials(_) => Failure::NotSent(Box::new(error)),
        RusotoError::Blocking => Failure::Rejected(Box::new(error)),
    }
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
        ] {
            match classify(error) {
                Failure::Rejected(source) => assert!(!source.to_string().is_empty()),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn an_unreadable_answer_may_follow_an_applied_write() {
        let error = RusotoError::<PutItemError>::ParseError("bad".into());
        assert!(matches!(classify(error), Failure::Transient(_)));
    }

    #[test]
    fn no_credentials_is_retried_as_never_sent() {
        let error = RusotoError::<PutItemError>::Credentials(
            rusoto_core::credential::CredentialsError::new("none in the chain"),
        );
        assert!(matches!(classify(error), Failure::NotSent(_)));
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
