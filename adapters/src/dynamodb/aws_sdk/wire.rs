//! The AWS SDK for Rust under the shared logic (`crate::table`): its
//! attribute values, its data-plane requests with their errors
//! classified, and its control-plane requests. Nothing here retries or
//! decides; the SDK's own retries and timeouts are off (see `config.rs`).
//! No text of the SDK's errors leaves this file (see `client_error.rs`).

use std::error::Error;
use std::io::ErrorKind;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::QueryError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CreateGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection,
    ProjectionType, ProvisionedThroughput, Put, ReturnConsumedCapacity, ScalarAttributeType,
    TableDescription, TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError;
use aws_smithy_runtime_api::client::result::DispatchFailure;
use dynamodb_sessions_core::store::BoxError;

use super::super::client_error::ClientError;
use crate::table::item::{SID, USR};
use crate::table::user_items::{USER_INDEX, USER_INDEX_PROJECTION};
use crate::table::{
    cancellation, classify_code, is_missing_index_message, provisioned, Attribute,
    ConditionsFailed, Expression, Failure, Item, Page, ProvisionWire, Scan, ScanPage, TableState,
    TransactWrite, TtlState, Wire,
};

/// The SDK client an [`AwsSdkBackend`](crate::dynamodb::AwsSdkBackend) sends
/// through.
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

/// What one failed attempt means, with its cause told in fixed words
/// ([`ClientError`]): the SDK's errors print DynamoDB's messages, raw
/// answers and, when an endpoint cannot be applied, the whole request.
///
/// A service error is classified by the code DynamoDB sent, exactly as for
/// rusoto. Only what was never sent is never retried as maybe applied: a
/// request that could not be built, whose endpoint could not be resolved or
/// applied, or that could not be signed for want of credentials; and a
/// connection that was refused. Of those, what no retry mends (construction,
/// endpoint, an invalid credentials configuration) is final at once; the
/// rest is retried as never sent. Anything else may have reached DynamoDB
/// (a connection lost after the request was written, a timeout, an answer
/// cut off or unreadable) and is retried as maybe applied, including kinds
/// of failure later SDK versions add.
fn classify<E>(error: SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let service = context.into_err();
            let source = ClientError::answered(service.code(), Some(status)).boxed();
            classify_code(service.code(), Some(status), service.message(), source)
        }
        SdkError::ConstructionFailure(_) => {
            Failure::Rejected(ClientError::new("the AWS SDK could not build the request").boxed())
        }
        SdkError::TimeoutError(_) => {
            Failure::Transient(ClientError::new("the AWS SDK timed out the request").boxed())
        }
        SdkError::ResponseError(context) => Failure::Transient(
            ClientError::new("DynamoDB's answer could not be read")
                .with_status(context.raw().status().as_u16())
                .boxed(),
        ),
        SdkError::DispatchFailure(failure) => dispatch_failure(&failure),
        // Kinds a later SDK adds: maybe applied.
        _ => Failure::Transient(ClientError::new("the AWS SDK failed").boxed()),
    }
}

/// A request that failed before an answer came: never sent (endpoint,
/// credentials, a refused connection), or lost in transport.
fn dispatch_failure(failure: &DispatchFailure) -> Failure {
    let Some(connector) = failure.as_connector_error() else {
        return Failure::Transient(ClientError::new("the request failed in transport").boxed());
    };
    if let Some(problem) = find::<CredentialsError>(connector) {
        let what = match problem {
            CredentialsError::InvalidConfiguration(_) => {
                let what = "the AWS credentials configuration is invalid";
                return Failure::Rejected(ClientError::new(what).boxed());
            }
            CredentialsError::CredentialsNotLoaded(_) => "no AWS credentials were found",
            CredentialsError::ProviderTimedOut(_) => "the AWS credentials provider timed out",
            _ => "the AWS credentials provider failed",
        };
        // Credentials not found this time (the instance metadata service
        // may have blinked), or a provider that failed or timed out: it
        // may pass, and nothing was sent.
        return Failure::NotSent(ClientError::new(what).boxed());
    }
    if find::<ResolveEndpointError>(connector).is_some() {
        let what = "the AWS SDK could not resolve or apply the endpoint";
        return Failure::Rejected(ClientError::new(what).boxed());
    }
    let what = if connector.is_timeout() {
        "the connection timed out"
    } else if connector.is_user() {
        "the HTTP client dropped the request"
    } else {
        "the request failed in transport"
    };
    let error = ClientError::new(what).with_io_from(connector);
    match error.io() {
        Some(ErrorKind::ConnectionRefused) => Failure::NotSent(
            ClientError::new("could not connect to DynamoDB")
                .with_io(ErrorKind::ConnectionRefused)
                .boxed(),
        ),
        _ => Failure::Transient(error.boxed()),
    }
}

/// The first error of type `T` in `error`'s chain, itself included.
fn find<'a, T: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
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

    async fn transact_write(
        &self,
        table: &str,
        writes: Vec<TransactWrite<AttributeValue>>,
        token: &str,
    ) -> Result<Result<(), ConditionsFailed>, Failure> {
        let items = writes
            .into_iter()
            .map(|write| transact_item(table, write))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                Failure::Rejected(
                    ClientError::new("the AWS SDK could not build the request").boxed(),
                )
            })?;
        let sent = self
            .0
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Ok(())),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    // Only the reasons' codes, never their messages (which
                    // may quote the items).
                    let reasons = cancelled.cancellation_reasons();
                    let codes = (!reasons.is_empty()).then(|| {
                        reasons
                            .iter()
                            .map(|reason| reason.code().unwrap_or("None").to_owned())
                            .collect()
                    });
                    let source =
                        ClientError::answered(Some("TransactionCanceledException"), None).boxed();
                    cancellation(codes, source).map(Err)
                }
                _ => Err(classify(error)),
            },
        }
    }

    async fn query(
        &self,
        table: &str,
        index: &str,
        key_condition: &Expression<AttributeValue>,
        start: Option<Item<AttributeValue>>,
    ) -> Result<Option<Page<AttributeValue>>, Failure> {
        let sent = self
            .0
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression(&key_condition.condition)
            .set_expression_attribute_names(Some(key_condition.names.clone()))
            .set_expression_attribute_values(key_condition.values_if_any())
            .set_exclusive_start_key(start)
            .send()
            .await;
        match sent {
            Ok(output) => Ok(Some(Page {
                items: output.items.unwrap_or_default(),
                next: output.last_evaluated_key,
            })),
            Err(error) if error.as_service_error().is_some_and(is_missing_index) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    async fn scan(
        &self,
        table: &str,
        scan: &Scan<AttributeValue>,
    ) -> Result<ScanPage<AttributeValue>, Failure> {
        let (segment, total) = match scan.segment {
            Some((segment, total)) => (Some(segment), Some(total)),
            None => (None, None),
        };
        let output = self
            .0
            .scan()
            .table_name(table)
            .projection_expression(&scan.projection)
            .filter_expression(&scan.filter.condition)
            .set_expression_attribute_names(Some(scan.filter.names.clone()))
            .set_expression_attribute_values(scan.filter.values_if_any())
            .set_exclusive_start_key(scan.start.clone())
            .limit(i32::try_from(scan.limit).unwrap_or(i32::MAX))
            .set_segment(segment.map(|s| i32::try_from(s).unwrap_or(i32::MAX)))
            .set_total_segments(total.map(|t| i32::try_from(t).unwrap_or(i32::MAX)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(classify)?;
        Ok(ScanPage {
            scanned: u64::try_from(output.scanned_count()).unwrap_or(0),
            read_units: output
                .consumed_capacity()
                .and_then(|capacity| capacity.capacity_units()),
            next: output.last_evaluated_key,
            items: output.items.unwrap_or_default(),
        })
    }

    async fn delete_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        condition: &Expression<AttributeValue>,
    ) -> Result<Option<f64>, Failure> {
        let output = self
            .0
            .delete_item()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression(&condition.condition)
            .set_expression_attribute_names(Some(condition.names.clone()))
            .set_expression_attribute_values(condition.values_if_any())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(classify)?;
        Ok(output
            .consumed_capacity()
            .and_then(|capacity| capacity.capacity_units()))
    }
}

/// Whether a Query failed for want of the index.
fn is_missing_index(error: &QueryError) -> bool {
    error.code() == Some("ValidationException")
        && error.message().is_some_and(is_missing_index_message)
}

/// One action of a transaction as the SDK sends it.
fn transact_item(
    table: &str,
    write: TransactWrite<AttributeValue>,
) -> Result<TransactWriteItem, aws_sdk_dynamodb::error::BuildError> {
    Ok(match write {
        TransactWrite::Update {
            key,
            update,
            condition,
        } => TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key))
                    .update_expression(update)
                    .condition_expression(&condition.condition)
                    .set_expression_attribute_names(Some(condition.names.clone()))
                    .set_expression_attribute_values(condition.values_if_any())
                    .build()?,
            )
            .build(),
        TransactWrite::Put { item, condition } => TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression(&condition.condition)
                    .set_expression_attribute_names(Some(condition.names.clone()))
                    .set_expression_attribute_values(condition.values_if_any())
                    .build()?,
            )
            .build(),
    })
}

/// The user index's key schema and projection.
fn user_index_parts() -> Result<(KeySchemaElement, Projection), BoxError> {
    let key = KeySchemaElement::builder()
        .attribute_name(USR)
        .key_type(KeyType::Hash)
        .build()?;
    let projection = Projection::builder()
        .projection_type(ProjectionType::Include)
        .set_non_key_attributes(Some(
            USER_INDEX_PROJECTION
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        ))
        .build();
    Ok((key, projection))
}

fn binary_attribute(name: &str) -> Result<AttributeDefinition, BoxError> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::B)
        .build()?)
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
        indexes: description
            .global_secondary_indexes()
            .iter()
            .map(|index| {
                (
                    index.index_name().unwrap_or_default().to_owned(),
                    index.index_status().map(|s| s.as_str().to_owned()),
                )
            })
            .collect(),
        provisioned: provisioned(
            description
                .billing_mode_summary()
                .and_then(|summary| summary.billing_mode())
                .map(|mode| mode.as_str()),
            description.provisioned_throughput().map(|throughput| {
                (
                    throughput.read_capacity_units().unwrap_or(0),
                    throughput.write_capacity_units().unwrap_or(0),
                )
            }),
        ),
        replicas: description
            .replicas()
            .iter()
            .filter_map(|replica| replica.region_name().map(str::to_owned))
            .collect(),
        // No mode said is DynamoDB's default, eventual consistency.
        strong_consistency: Some(
            description
                .multi_region_consistency()
                .is_some_and(|mode| mode.as_str() == "STRONG"),
        ),
    }
}

/// A control-plane request's error as the source of a provisioning error,
/// in fixed words as for the data plane.
fn request_error<E>(error: SdkError<E>) -> BoxError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    match classify(error) {
        Failure::Throttled(source)
        | Failure::Transient(source)
        | Failure::NotSent(source)
        | Failure::Rejected(source) => source,
        Failure::ConditionFailed => {
            ClientError::answered(Some("ConditionalCheckFailedException"), None).boxed()
        }
        Failure::TooLarge => ClientError::answered(Some("ValidationException"), None).boxed(),
    }
}

/// A request's output, or `None` when it failed with the service error
/// `expected` recognises (e.g. no such table).
fn unless<T, E>(
    result: Result<T, SdkError<E>>,
    expected: impl Fn(&E) -> bool,
) -> Result<Option<T>, BoxError>
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
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
        let (index_key, projection) = user_index_parts()?;
        let index = GlobalSecondaryIndex::builder()
            .index_name(USER_INDEX)
            .key_schema(index_key)
            .projection(projection)
            .build()?;
        let created = self
            .0
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(binary_attribute(SID)?)
            .attribute_definitions(binary_attribute(USR)?)
            .key_schema(key)
            .global_secondary_indexes(index)
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

    async fn add_user_index(
        &self,
        table: &str,
        provisioned: Option<(i64, i64)>,
    ) -> Result<(), BoxError> {
        let (key, projection) = user_index_parts()?;
        let throughput = match provisioned {
            Some((read, write)) => Some(
                ProvisionedThroughput::builder()
                    .read_capacity_units(read)
                    .write_capacity_units(write)
                    .build()?,
            ),
            None => None,
        };
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(USER_INDEX)
            .key_schema(key)
            .projection(projection)
            .set_provisioned_throughput(throughput)
            .build()?;
        self.0
            .update_table()
            .table_name(table)
            .attribute_definitions(binary_attribute(USR)?)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
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
    use crate::table::{assert_hides_planted_text, PLANTED_TEXT};
    use dynamodb_sessions_core::store::Operation;
    use dynamodb_sessions_core::store::{Record, StorageKey, StoredData};

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
            // Endpoint resolution and application come before sending.
            (
                SdkError::dispatch_failure(ConnectorError::other(
                    ResolveEndpointError::message("failed to apply endpoint").into(),
                    None,
                )),
                "rejected",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io(Box::new(std::io::Error::new(
                    ErrorKind::ConnectionRefused,
                    "refused",
                )))),
                "not sent",
            ),
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

    /// The SDK's errors quote requests and answers; none of their text is
    /// kept. An endpoint it cannot apply puts the whole request (key,
    /// `dat`) into its error: that request was never sent.
    #[test]
    fn no_text_of_the_sdks_errors_is_kept() {
        const PLANTED: &str = PLANTED_TEXT;
        let applying = format!(
            "failed to apply endpoint `127.0.0.1:8000` to request `HttpRequest {{ body: {PLANTED} }}`"
        );
        let answer = || {
            HttpResponse::new(
                400.try_into().expect("a status"),
                SdkBody::from(format!(r#"{{"message":"{PLANTED}"}}"#)),
            )
        };
        let service = GetItemError::ResourceNotFoundException(
            aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder()
                .message(PLANTED)
                .build(),
        );
        let errors: Vec<SdkError<GetItemError, HttpResponse>> = vec![
            SdkError::dispatch_failure(ConnectorError::other(
                ResolveEndpointError::message(applying).into(),
                None,
            )),
            SdkError::construction_failure(PLANTED),
            SdkError::timeout_error(PLANTED),
            SdkError::response_error(PLANTED, answer()),
            SdkError::service_error(service, answer()),
            SdkError::dispatch_failure(ConnectorError::io(PLANTED.into())),
            SdkError::dispatch_failure(ConnectorError::other(
                CredentialsError::provider_error(PLANTED).into(),
                None,
            )),
        ];
        for error in errors {
            assert_hides_planted_text(classify(error));
        }
    }

    #[test]
    fn items_round_trip_in_sdk_attribute_values() {
        let key = StorageKey::from_bytes([3; 32]);
        for data in [
            StoredData::Cbor(vec![0xa0]),
            StoredData::Json("{}".to_owned()),
        ] {
            let record = Record::new(4, 10, 20, data).created_at(Some(9));
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
