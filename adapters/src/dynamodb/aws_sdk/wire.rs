//! The AWS SDK for Rust under the shared logic (`crate::table`): its
//! attribute values, its three data-plane requests with their errors
//! classified, and its four control-plane requests. Nothing here retries or
//! decides; the SDK's own retries and timeouts are off (see `config.rs`).

use std::error::Error;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableDescription, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use dynamodb_sessions_core::store::BoxError;

use crate::table::item::SID;
use crate::table::{
    classify_code, Attribute, Expression, Failure, Item, ProvisionWire, TableState, TtlState, Wire,
};

/// The SDK client an [`AwsSdkBackend`](super::AwsSdkBackend) sends through.
pub(crate) struct SdkWire(pub(crate) Client);

impl Attribute for AttributeValue {
    fn binary(bytes: &[u8]) -> Self {
        AttributeValue::B(Blob::new(bytes))
    }

    fn number_text(text: String) -> Self {
        AttributeValue::N(text)
    }

    fn string(text: &str) -> Self {
        AttributeValue::S(text.to_owned())
    }

    fn as_binary(&self) -> Option<&[u8]> {
        self.as_b().ok().map(Blob::as_ref)
    }

    fn as_number(&self) -> Option<&str> {
        self.as_n().ok().map(String::as_str)
    }

    fn as_string(&self) -> Option<&str> {
        self.as_s().ok().map(String::as_str)
    }
}

/// What one failed attempt means. A service error is classified by the
/// code DynamoDB sent, exactly as for rusoto, and keeps the typed error
/// (e.g. `ResourceNotFoundException: ...`) as its source.
///
/// Only what was never sent and never can be is final at once: a request
/// that could not be built, or a credentials configuration no retry mends.
/// Credentials not found this time are retried as never sent. Anything else may
/// have reached DynamoDB (a connection lost after the request was written,
/// a timeout, an answer cut off or unreadable) and is retried as maybe
/// applied, including kinds of failure later SDK versions add.
fn classify<E>(error: SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let error = match error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let service = context.into_err();
            let code = service.code().map(str::to_owned);
            let message = service.message().map(str::to_owned);
            return classify_code(
                code.as_deref(),
                Some(status),
                message.as_deref(),
                Box::new(service),
            );
        }
        other => other,
    };
    let unbuildable = matches!(error, SdkError::ConstructionFailure(_));
    // Some(true): a credentials configuration no retry mends.
    let unsigned = credentials_problem(&error)
        .map(|problem| matches!(problem, CredentialsError::InvalidConfiguration(_)));
    // The cause only: the error itself prints the raw answer, whose body
    // holds the item (its key and data) when it could not be parsed.
    let cause = error
        .into_source()
        .unwrap_or_else(|_| "the AWS SDK failed and gave no cause".into());
    match (unbuildable, unsigned) {
        (true, _) | (_, Some(true)) => Failure::Rejected(cause),
        // Credentials not found this time (the instance metadata service
        // may have blinked), or a provider that failed or timed out: it
        // may pass, and nothing was sent.
        (false, Some(false)) => Failure::NotSent(cause),
        (false, None) => Failure::Transient(cause),
    }
}

/// The credentials error that kept the request from being signed, and so
/// from being sent, if that is why it failed.
fn credentials_problem<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a CredentialsError> {
    let mut next = error.source();
    while let Some(cause) = next {
        if let Some(credentials) = cause.downcast_ref::<CredentialsError>() {
            return Some(credentials);
        }
        next = cause.source();
    }
    None
}

impl Wire for SdkWire {
    type Value = AttributeValue;

    async fn get_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        consistent: bool,
    ) -> Result<Option<Item<AttributeValue>>, Failure> {
        let output = self
            .0
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    async fn put_item(
        &self,
        table: &str,
        item: Item<AttributeValue>,
        condition: &Expression<AttributeValue>,
    ) -> Result<(), Failure> {
        self.0
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(&condition.condition)
            .set_expression_attribute_names(Some(condition.names.clone()))
            .set_expression_attribute_values(condition.values_if_any())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn update_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        update: &str,
        condition: &Expression<AttributeValue>,
    ) -> Result<(), Failure> {
        self.0
            .update_item()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression(&condition.condition)
            .set_expression_attribute_names(Some(condition.names.clone()))
            .set_expression_attribute_values(condition.values_if_any())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

fn table_state(description: &TableDescription) -> TableState {
    let keys = description.key_schema();
    TableState {
        status: description.table_status().map(|s| s.as_str().to_owned()),
        keys: (!keys.is_empty()).then(|| {
            keys.iter()
                .map(|key| {
                    (
                        key.attribute_name().to_owned(),
                        key.key_type().as_str().to_owned(),
                    )
                })
                .collect()
        }),
        types: description
            .attribute_definitions()
            .iter()
            .map(|d| {
                (
                    d.attribute_name().to_owned(),
                    d.attribute_type().as_str().to_owned(),
                )
            })
            .collect(),
    }
}

/// A request's error as the source of a provisioning error: the typed
/// service error when there is one, which names its code.
fn request_error<E>(error: SdkError<E>) -> BoxError
where
    E: Error + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(context) => Box::new(context.into_err()),
        other => Box::new(other),
    }
}

/// A request's output, or `None` when it failed with the service error
/// `expected` recognises (e.g. no such table).
fn unless<T, E>(
    result: Result<T, SdkError<E>>,
    expected: impl Fn(&E) -> bool,
) -> Result<Option<T>, BoxError>
where
    E: Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.as_service_error().is_some_and(&expected) => Ok(None),
        Err(error) => Err(request_error(error)),
    }
}

impl ProvisionWire for SdkWire {
    async fn describe_table(&self, table: &str) -> Result<Option<TableState>, BoxError> {
        match self.0.describe_table().table_name(table).send().await {
            Ok(output) => Ok(Some(output.table().map(table_state).unwrap_or_default())),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(error) => Err(request_error(error)),
        }
    }

    async fn create_table(&self, table: &str) -> Result<Option<TableState>, BoxError> {
        let key = KeySchemaElement::builder()
            .attribute_name(SID)
            .key_type(KeyType::Hash)
            .build()?;
        let definition = AttributeDefinition::builder()
            .attribute_name(SID)
            .attribute_type(ScalarAttributeType::B)
            .build()?;
        let created = self
            .0
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(definition)
            .key_schema(key)
            .send()
            .await;
        unless(created, |e| e.is_resource_in_use_exception()).map(|output| {
            output.map(|o| o.table_description().map(table_state).unwrap_or_default())
        })
    }

    async fn describe_ttl(&self, table: &str) -> Result<TtlState, BoxError> {
        let output = self
            .0
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(request_error)?;
        let description = output.time_to_live_description();
        Ok(TtlState {
            status: description
                .and_then(|d| d.time_to_live_status())
                .map(|s| s.as_str().to_owned()),
            attribute: description
                .and_then(|d| d.attribute_name())
                .map(str::to_owned),
        })
    }

    async fn enable_ttl(&self, table: &str, attribute: &str) -> Result<(), BoxError> {
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()?;
        self.0
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(request_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::item::{from_item, to_item};
    use dynamodb_sessions_core::store::{Record, StorageKey, StoredData};
    use dynamodb_sessions_core::Operation;

    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::ConnectorError;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_types::body::SdkBody;

    fn kind(failure: Failure) -> &'static str {
        match failure {
            Failure::Rejected(_) => "rejected",
            Failure::Transient(_) => "transient",
            Failure::NotSent(_) => "not sent",
            Failure::Throttled(_) => "throttled",
            Failure::ConditionFailed => "condition failed",
            Failure::TooLarge => "too large",
        }
    }

    #[test]
    fn only_what_was_never_sent_is_final() {
        let cases: Vec<(SdkError<GetItemError, HttpResponse>, &str)> = vec![
            (SdkError::construction_failure("no table name"), "rejected"),
            (
                SdkError::dispatch_failure(ConnectorError::other(
                    CredentialsError::invalid_configuration("a role_arn loop").into(),
                    None,
                )),
                "rejected",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::other(
                    CredentialsError::not_loaded("no credentials in the chain").into(),
                    None,
                )),
                "not sent",
            ),
            // A dropped connection task (hyper's "user" kind) may come
            // after the request was written.
            (
                SdkError::dispatch_failure(ConnectorError::user("dispatch gone".into())),
                "transient",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io("reset".into())),
                "transient",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout("read".into())),
                "transient",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::other(
                    CredentialsError::provider_timed_out(std::time::Duration::from_secs(5)).into(),
                    None,
                )),
                "not sent",
            ),
            (SdkError::timeout_error("attempt"), "transient"),
        ];
        for (error, expected) in cases {
            let shown = format!("{error:?}");
            assert_eq!(kind(classify(error)), expected, "{shown}");
        }
    }

    #[test]
    fn an_unreadable_answer_is_maybe_applied_and_never_printed() {
        let raw = HttpResponse::new(
            200.try_into().expect("a status"),
            SdkBody::from(r#"{"Item":{"dat":{"S":"SECRET-DATA"}}"#),
        );
        let error: SdkError<GetItemError, HttpResponse> =
            SdkError::response_error("unexpected end of input", raw);
        let Failure::Transient(cause) = classify(error) else {
            panic!("an answer that came may follow an applied write");
        };
        let shown = format!("{cause} {cause:?}");
        assert!(!shown.contains("SECRET-DATA"), "{shown}");
    }

    #[test]
    fn items_round_trip_in_sdk_attribute_values() {
        let key = StorageKey::from_bytes([3; 32]);
        for data in [
            StoredData::Cbor(vec![0xa0]),
            StoredData::Json("{}".to_owned()),
        ] {
            let record = Record::new(4, 10, 20, data).with_created_at(Some(9));
            let item: Item<AttributeValue> =
                to_item(Operation::Create, &key, &record).expect("storable");
            assert_eq!(item[SID], AttributeValue::B(Blob::new([3; 32])));
            assert_eq!(item["ver"], AttributeValue::N("4".to_owned()));
            assert_eq!(from_item(&item).expect("well-formed"), record);
        }
        let mut item: Item<AttributeValue> = to_item(
            Operation::Create,
            &key,
            &Record::new(1, 1, 2, StoredData::Cbor(vec![])),
        )
        .expect("storable");
        item.insert("ver".to_owned(), AttributeValue::Bool(true));
        assert!(from_item(&item).is_err());
    }
}
