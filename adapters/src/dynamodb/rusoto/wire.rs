//! rusoto under the shared logic (`crate::table`): its attribute values,
//! its data-plane requests with their errors classified, and its
//! control-plane requests. Nothing here retries or decides, and no text of
//! rusoto's errors leaves this file (see `client_error.rs`).

use std::error::Error;
use std::io::ErrorKind;

use dynamodb_sessions_core::store::BoxError;
use rusoto_core::RusotoError;
use rusoto_dynamodb::{
    AttributeDefinition, AttributeValue, CreateGlobalSecondaryIndexAction, CreateTableError,
    CreateTableInput, DeleteItemError, DeleteItemInput, DescribeTableError, DescribeTableInput,
    DescribeTimeToLiveError, DescribeTimeToLiveInput, DynamoDb, DynamoDbClient, GetItemError,
    GetItemInput, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, Projection,
    ProvisionedThroughput, Put, PutItemError, PutItemInput, QueryError, QueryInput, ScanError,
    ScanInput, TableDescription, TimeToLiveSpecification, TransactWriteItem,
    TransactWriteItemsError, TransactWriteItemsInput, Update, UpdateItemError, UpdateItemInput,
    UpdateTableError, UpdateTableInput, UpdateTimeToLiveError, UpdateTimeToLiveInput,
};

use super::super::client_error::ClientError;
use crate::table::item::{SID, USR};
use crate::table::user_items::{USER_INDEX, USER_INDEX_PROJECTION};
use crate::table::{
    cancellation, classify_code, codes_in_message, is_missing_index_message, provisioned,
    Attribute, ConditionsFailed, Expression, Failure, Item, Page, ProvisionWire, Scan, ScanPage,
    TableState, TransactWrite, TtlRefused, TtlState, Wire,
};

/// The rusoto client a [`DynamoDbBackend`](crate::dynamodb::DynamoDbBackend)
/// sends through.
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

    async fn transact_write(
        &self,
        table: &str,
        writes: Vec<TransactWrite<AttributeValue>>,
        token: &str,
    ) -> Result<Result<(), ConditionsFailed>, Failure> {
        let transact_items = writes
            .into_iter()
            .map(|write| transact_item(table, write))
            .collect();
        let input = TransactWriteItemsInput {
            client_request_token: Some(token.to_owned()),
            transact_items,
            ..TransactWriteItemsInput::default()
        };
        match self.0.transact_write_items(input).await {
            Ok(_) => Ok(Ok(())),
            // rusoto keeps only the message, which names the reasons.
            Err(RusotoError::Service(TransactWriteItemsError::TransactionCanceled(message))) => {
                let source =
                    ClientError::answered(Some("TransactionCanceledException"), None).boxed();
                cancellation(codes_in_message(&message), source).map(Err)
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn query(
        &self,
        table: &str,
        index: &str,
        key_condition: &Expression<AttributeValue>,
        start: Option<Item<AttributeValue>>,
    ) -> Result<Option<Page<AttributeValue>>, Failure> {
        let input = QueryInput {
            table_name: table.to_owned(),
            index_name: Some(index.to_owned()),
            key_condition_expression: Some(key_condition.condition.clone()),
            expression_attribute_names: Some(key_condition.names.clone()),
            expression_attribute_values: key_condition.values_if_any(),
            exclusive_start_key: start,
            ..QueryInput::default()
        };
        match self.0.query(input).await {
            Ok(output) => Ok(Some(Page {
                items: output.items.unwrap_or_default(),
                next: output.last_evaluated_key,
            })),
            Err(RusotoError::Validation(message)) if is_missing_index_message(&message) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    async fn scan(
        &self,
        table: &str,
        scan: &Scan<AttributeValue>,
    ) -> Result<ScanPage<AttributeValue>, Failure> {
        let input = ScanInput {
            table_name: table.to_owned(),
            projection_expression: Some(scan.projection.clone()),
            filter_expression: Some(scan.filter.condition.clone()),
            expression_attribute_names: Some(scan.filter.names.clone()),
            expression_attribute_values: scan.filter.values_if_any(),
            exclusive_start_key: scan.start.clone(),
            limit: Some(i64::from(scan.limit)),
            segment: scan.segment.map(|(segment, _)| i64::from(segment)),
            total_segments: scan.segment.map(|(_, total)| i64::from(total)),
            return_consumed_capacity: Some("TOTAL".to_owned()),
            ..ScanInput::default()
        };
        let output = self.0.scan(input).await.map_err(classify)?;
        Ok(ScanPage {
            items: output.items.unwrap_or_default(),
            next: output.last_evaluated_key,
            scanned: output
                .scanned_count
                .and_then(|count| u64::try_from(count).ok())
                .unwrap_or(0),
            read_units: output
                .consumed_capacity
                .and_then(|capacity| capacity.capacity_units),
        })
    }

    async fn delete_item(
        &self,
        table: &str,
        key: Item<AttributeValue>,
        condition: &Expression<AttributeValue>,
    ) -> Result<Option<f64>, Failure> {
        let input = DeleteItemInput {
            table_name: table.to_owned(),
            key,
            condition_expression: Some(condition.condition.clone()),
            expression_attribute_names: Some(condition.names.clone()),
            expression_attribute_values: condition.values_if_any(),
            return_consumed_capacity: Some("TOTAL".to_owned()),
            ..DeleteItemInput::default()
        };
        let output = self.0.delete_item(input).await.map_err(classify)?;
        Ok(output
            .consumed_capacity
            .and_then(|capacity| capacity.capacity_units))
    }
}

/// One action of a transaction as rusoto sends it.
fn transact_item(table: &str, write: TransactWrite<AttributeValue>) -> TransactWriteItem {
    match write {
        TransactWrite::Update {
            key,
            update,
            condition,
        } => TransactWriteItem {
            update: Some(Update {
                table_name: table.to_owned(),
                key,
                update_expression: update,
                condition_expression: Some(condition.condition.clone()),
                expression_attribute_names: Some(condition.names.clone()),
                expression_attribute_values: condition.values_if_any(),
                ..Update::default()
            }),
            ..TransactWriteItem::default()
        },
        TransactWrite::Put { item, condition } => TransactWriteItem {
            put: Some(Put {
                table_name: table.to_owned(),
                item,
                condition_expression: Some(condition.condition.clone()),
                expression_attribute_names: Some(condition.names.clone()),
                expression_attribute_values: condition.values_if_any(),
                ..Put::default()
            }),
            ..TransactWriteItem::default()
        },
    }
}

/// The user index's key schema and projection.
fn user_index_parts() -> (Vec<KeySchemaElement>, Projection) {
    let keys = vec![KeySchemaElement {
        attribute_name: USR.to_owned(),
        key_type: "HASH".to_owned(),
    }];
    let projection = Projection {
        projection_type: Some("INCLUDE".to_owned()),
        non_key_attributes: Some(
            USER_INDEX_PROJECTION
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        ),
    };
    (keys, projection)
}

fn binary_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition {
        attribute_name: name.to_owned(),
        attribute_type: "B".to_owned(),
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
        indexes: description
            .global_secondary_indexes
            .unwrap_or_default()
            .into_iter()
            .map(|index| (index.index_name.unwrap_or_default(), index.index_status))
            .collect(),
        provisioned: provisioned(
            description
                .billing_mode_summary
                .and_then(|summary| summary.billing_mode)
                .as_deref(),
            description.provisioned_throughput.map(|throughput| {
                (
                    throughput.read_capacity_units.unwrap_or(0),
                    throughput.write_capacity_units.unwrap_or(0),
                )
            }),
        ),
        replicas: description
            .replicas
            .unwrap_or_default()
            .into_iter()
            .filter_map(|replica| replica.region_name)
            .collect(),
        // rusoto 0.48 predates multi-Region strong consistency: its
        // TableDescription has no MultiRegionConsistency.
        strong_consistency: None,
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
            Err(error) => Err(request_error(error)),
        }
    }

    async fn create_table(&self, table: &str) -> Result<Option<TableState>, BoxError> {
        let (key_schema, projection) = user_index_parts();
        let input = CreateTableInput {
            table_name: table.to_owned(),
            billing_mode: Some("PAY_PER_REQUEST".to_owned()),
            attribute_definitions: vec![binary_attribute(SID), binary_attribute(USR)],
            key_schema: vec![KeySchemaElement {
                attribute_name: SID.to_owned(),
                key_type: "HASH".to_owned(),
            }],
            global_secondary_indexes: Some(vec![GlobalSecondaryIndex {
                index_name: USER_INDEX.to_owned(),
                key_schema,
                projection,
                provisioned_throughput: None,
            }]),
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
            Err(error) => Err(request_error(error)),
        }
    }

    async fn describe_ttl(&self, table: &str) -> Result<TtlState, BoxError> {
        let input = DescribeTimeToLiveInput {
            table_name: table.to_owned(),
        };
        let description = self
            .0
            .describe_time_to_live(input)
            .await
            .map_err(request_error)?
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
        self.0.update_time_to_live(input).await.map_err(|error| {
            let error = request_error(error);
            let code = error
                .downcast_ref::<ClientError>()
                .and_then(ClientError::code);
            match code {
                // As DynamoDB refuses a table in strong consistency.
                Some("ValidationException") => Box::new(TtlRefused(error)),
                _ => error,
            }
        })?;
        Ok(())
    }

    async fn add_user_index(
        &self,
        table: &str,
        provisioned: Option<(i64, i64)>,
    ) -> Result<(), BoxError> {
        let (key_schema, projection) = user_index_parts();
        let input = UpdateTableInput {
            table_name: table.to_owned(),
            attribute_definitions: Some(vec![binary_attribute(USR)]),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                create: Some(CreateGlobalSecondaryIndexAction {
                    index_name: USER_INDEX.to_owned(),
                    key_schema,
                    projection,
                    provisioned_throughput: provisioned.map(|(read, write)| {
                        ProvisionedThroughput {
                            read_capacity_units: read,
                            write_capacity_units: write,
                        }
                    }),
                }),
                ..GlobalSecondaryIndexUpdate::default()
            }]),
            ..UpdateTableInput::default()
        };
        self.0.update_table(input).await.map_err(request_error)?;
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

/// rusoto's typed errors of the operations used here: their kind and
/// DynamoDB's code for them. Their messages are DynamoDB's text and never
/// leave this file.
pub(crate) trait ServiceError: Error + Send + Sync + 'static {
    /// This error's kind and code.
    fn kind(&self) -> (ServiceKind, &'static str);
}

const INTERNAL: (ServiceKind, &str) = (ServiceKind::ServerError, "InternalServerError");
const NOT_FOUND: (ServiceKind, &str) = (ServiceKind::Other, "ResourceNotFoundException");
const IN_USE: (ServiceKind, &str) = (ServiceKind::Other, "ResourceInUseException");
const LIMIT: (ServiceKind, &str) = (ServiceKind::Other, "LimitExceededException");
const CONDITION: (ServiceKind, &str) = (
    ServiceKind::ConditionFailed,
    "ConditionalCheckFailedException",
);
const THROUGHPUT: (ServiceKind, &str) = (
    ServiceKind::Throttled,
    "ProvisionedThroughputExceededException",
);
const REQUEST_LIMIT: (ServiceKind, &str) = (ServiceKind::Throttled, "RequestLimitExceeded");
const COLLECTION: (ServiceKind, &str) = (
    ServiceKind::Other,
    "ItemCollectionSizeLimitExceededException",
);
const CONFLICT: (ServiceKind, &str) = (ServiceKind::Other, "TransactionConflictException");

impl ServiceError for GetItemError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            GetItemError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            GetItemError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            GetItemError::InternalServerError(_) => INTERNAL,
            GetItemError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for PutItemError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            PutItemError::ConditionalCheckFailed(_) => CONDITION,
            PutItemError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            PutItemError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            PutItemError::InternalServerError(_) => INTERNAL,
            PutItemError::ItemCollectionSizeLimitExceeded(_) => COLLECTION,
            PutItemError::ResourceNotFound(_) => NOT_FOUND,
            PutItemError::TransactionConflict(_) => CONFLICT,
        }
    }
}

impl ServiceError for UpdateItemError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            UpdateItemError::ConditionalCheckFailed(_) => CONDITION,
            UpdateItemError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            UpdateItemError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            UpdateItemError::InternalServerError(_) => INTERNAL,
            UpdateItemError::ItemCollectionSizeLimitExceeded(_) => COLLECTION,
            UpdateItemError::ResourceNotFound(_) => NOT_FOUND,
            UpdateItemError::TransactionConflict(_) => CONFLICT,
        }
    }
}

impl ServiceError for DeleteItemError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            DeleteItemError::ConditionalCheckFailed(_) => CONDITION,
            DeleteItemError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            DeleteItemError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            DeleteItemError::InternalServerError(_) => INTERNAL,
            DeleteItemError::ItemCollectionSizeLimitExceeded(_) => COLLECTION,
            DeleteItemError::ResourceNotFound(_) => NOT_FOUND,
            DeleteItemError::TransactionConflict(_) => CONFLICT,
        }
    }
}

impl ServiceError for ScanError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            ScanError::InternalServerError(_) => INTERNAL,
            ScanError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            ScanError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            ScanError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for TransactWriteItemsError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            TransactWriteItemsError::IdempotentParameterMismatch(_) => {
                (ServiceKind::Other, "IdempotentParameterMismatchException")
            }
            TransactWriteItemsError::InternalServerError(_) => INTERNAL,
            TransactWriteItemsError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            TransactWriteItemsError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            TransactWriteItemsError::ResourceNotFound(_) => NOT_FOUND,
            TransactWriteItemsError::TransactionCanceled(_) => {
                (ServiceKind::Other, "TransactionCanceledException")
            }
            // A transaction under this token is still running: it may land.
            TransactWriteItemsError::TransactionInProgress(_) => {
                (ServiceKind::ServerError, "TransactionInProgressException")
            }
        }
    }
}

impl ServiceError for QueryError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            QueryError::InternalServerError(_) => INTERNAL,
            QueryError::ProvisionedThroughputExceeded(_) => THROUGHPUT,
            QueryError::RequestLimitExceeded(_) => REQUEST_LIMIT,
            QueryError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for UpdateTableError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            UpdateTableError::InternalServerError(_) => INTERNAL,
            UpdateTableError::LimitExceeded(_) => LIMIT,
            UpdateTableError::ResourceInUse(_) => IN_USE,
            UpdateTableError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for DescribeTableError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            DescribeTableError::InternalServerError(_) => INTERNAL,
            DescribeTableError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for CreateTableError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            CreateTableError::InternalServerError(_) => INTERNAL,
            CreateTableError::LimitExceeded(_) => LIMIT,
            CreateTableError::ResourceInUse(_) => IN_USE,
        }
    }
}

impl ServiceError for DescribeTimeToLiveError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            DescribeTimeToLiveError::InternalServerError(_) => INTERNAL,
            DescribeTimeToLiveError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

impl ServiceError for UpdateTimeToLiveError {
    fn kind(&self) -> (ServiceKind, &'static str) {
        match self {
            UpdateTimeToLiveError::InternalServerError(_) => INTERNAL,
            UpdateTimeToLiveError::LimitExceeded(_) => LIMIT,
            UpdateTimeToLiveError::ResourceInUse(_) => IN_USE,
            UpdateTimeToLiveError::ResourceNotFound(_) => NOT_FOUND,
        }
    }
}

/// Classifies one failed attempt. The failure's source says what happened
/// in fixed words ([`ClientError`]): rusoto's errors print DynamoDB's
/// messages and, for an answer it does not model, the answer's whole body.
fn classify<E: ServiceError>(error: RusotoError<E>) -> Failure {
    match error {
        RusotoError::Service(service) => {
            let (kind, code) = service.kind();
            let source = ClientError::answered(Some(code), None).boxed();
            match kind {
                ServiceKind::ConditionFailed => Failure::ConditionFailed,
                ServiceKind::Throttled => Failure::Throttled(source),
                ServiceKind::ServerError => Failure::Transient(source),
                ServiceKind::Other => Failure::Rejected(source),
            }
        }
        RusotoError::HttpDispatch(error) => dispatch_failure(&error.to_string()),
        // DynamoDB's ValidationException (or rusoto's own check): its
        // message tells an oversized item, and is not kept.
        RusotoError::Validation(message) => classify_code(
            Some("ValidationException"),
            None,
            Some(&message),
            ClientError::answered(Some("ValidationException"), None).boxed(),
        ),
        // An error rusoto's per-operation enums do not model (e.g.
        // `ThrottlingException`): classified by the code in the body.
        RusotoError::Unknown(response) => {
            let status = response.status.as_u16();
            let code = error_type(response.body_as_str());
            let source = ClientError::answered(code, Some(status)).boxed();
            classify_code(code, Some(status), None, source)
        }
        // An answer came that could not be read: the request reached
        // DynamoDB and may have been applied.
        RusotoError::ParseError(_) => {
            Failure::Transient(ClientError::new("DynamoDB's answer could not be read").boxed())
        }
        // Not signed, so not sent; a credential chain may find them on
        // the next attempt (an instance metadata service can blink).
        RusotoError::Credentials(_) => Failure::NotSent(
            ClientError::new("no AWS credentials were found (rusoto's credential chain)").boxed(),
        ),
        RusotoError::Blocking => {
            Failure::Rejected(ClientError::new("rusoto refused a blocking call").boxed())
        }
    }
}

/// A transport failure, from hyper's text (all rusoto keeps of it). A
/// connection that could not be made carried no request: "error trying to
/// connect" is hyper 0.14's fixed text for that. Anything else may have
/// been sent, and answered, before it failed.
fn dispatch_failure(text: &str) -> Failure {
    let lower = text.to_ascii_lowercase();
    let io = [
        ("connection refused", ErrorKind::ConnectionRefused),
        ("connection reset", ErrorKind::ConnectionReset),
        ("broken pipe", ErrorKind::BrokenPipe),
        ("timed out", ErrorKind::TimedOut),
    ]
    .into_iter()
    .find(|(words, _)| lower.contains(words));
    let connected = !lower.starts_with("error trying to connect");
    let mut error = ClientError::new(match connected {
        true => "the request failed in transport",
        false => "could not connect to DynamoDB",
    });
    if let Some((_, kind)) = io {
        error = error.with_io(kind);
    }
    match connected {
        true => Failure::Transient(error.boxed()),
        false => Failure::NotSent(error.boxed()),
    }
}

/// A control-plane request's error as the source of a provisioning error,
/// in fixed words as for the data plane.
fn request_error<E: ServiceError>(error: RusotoError<E>) -> BoxError {
    match classify(error) {
        Failure::Throttled(source)
        | Failure::Transient(source)
        | Failure::NotSent(source)
        | Failure::Rejected(source) => source,
        Failure::ConditionFailed => ClientError::answered(Some(CONDITION.1), None).boxed(),
        Failure::TooLarge => ClientError::answered(Some("ValidationException"), None).boxed(),
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
    use crate::table::{assert_hides_planted_text, PLANTED_TEXT};
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
                Failure::Rejected(source) => {
                    assert!(source.to_string().starts_with("DynamoDB answered"))
                }
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
    fn a_connection_never_made_sent_nothing() {
        let error = RusotoError::<PutItemError>::HttpDispatch(HttpDispatchError::new(
            "error trying to connect: tcp connect error: Connection refused (os error 111)".into(),
        ));
        match classify(error) {
            Failure::NotSent(source) => assert_eq!(
                source.to_string(),
                "could not connect to DynamoDB: connection refused"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// rusoto's errors print DynamoDB's messages and unknown answers'
    /// bodies, which may quote the request; none of it is kept.
    #[test]
    fn no_text_of_rusotos_errors_is_kept() {
        const PLANTED: &str = PLANTED_TEXT;
        let body = format!(r#"{{"__type":"x#NewException","message":"{PLANTED}"}}"#);
        let errors: Vec<RusotoError<PutItemError>> = vec![
            RusotoError::Service(PutItemError::ResourceNotFound(PLANTED.into())),
            RusotoError::Service(PutItemError::InternalServerError(PLANTED.into())),
            RusotoError::Service(PutItemError::RequestLimitExceeded(PLANTED.into())),
            RusotoError::Validation(PLANTED.into()),
            RusotoError::ParseError(PLANTED.into()),
            RusotoError::HttpDispatch(HttpDispatchError::new(PLANTED.into())),
            RusotoError::Credentials(rusoto_core::credential::CredentialsError::new(PLANTED)),
            unknown(400, &body),
            unknown(500, PLANTED),
        ];
        for error in errors {
            assert_hides_planted_text(classify(error));
        }
        assert_eq!(
            request_error(RusotoError::Service(
                DescribeTableError::InternalServerError(PLANTED.into())
            ))
            .to_string(),
            "DynamoDB answered with an error: InternalServerError"
        );
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
