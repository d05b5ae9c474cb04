//! Creating the sessions table: `sid` (B) hash key, on-demand billing, TTL
//! on `exp`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use dynamodb_sessions_core::store::BoxError;
use rusoto_core::RusotoError;
use rusoto_dynamodb::{
    AttributeDefinition, CreateTableError, CreateTableInput, DescribeTableError,
    DescribeTableInput, DescribeTimeToLiveInput, DynamoDb, DynamoDbClient, KeySchemaElement,
    TableDescription, TimeToLiveSpecification, UpdateTimeToLiveInput,
};

use super::item::{EXP, SID};

/// How long to wait for a new table to become `ACTIVE`.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
/// How often to look while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What [`DynamoDbBackend::create_table_if_missing`] did.
///
/// [`DynamoDbBackend::create_table_if_missing`]: super::DynamoDbBackend::create_table_if_missing
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProvisionReport {
    /// Whether this call created the table (false: it existed already).
    pub table_created: bool,
    /// Whether this call enabled TTL on `exp` (false: it was on already).
    pub ttl_enabled: bool,
}

/// Why provisioning the table failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProvisionError {
    /// An AWS request failed; `source` is rusoto's error.
    Request {
        /// The DynamoDB action, e.g. `"CreateTable"`.
        action: &'static str,
        /// The error.
        source: BoxError,
    },
    /// An AWS request did not answer within the backend's attempt timeout.
    Timeout {
        /// The DynamoDB action.
        action: &'static str,
        /// The limit that ran out.
        after: Duration,
    },
    /// The table exists with another key schema than a single `sid` (B)
    /// hash key, so it cannot hold sessions.
    WrongKeySchema {
        /// The table.
        table: String,
        /// The schema found, e.g. `id HASH (S)`.
        found: String,
    },
    /// The table's TTL is enabled on another attribute than `exp`; a table
    /// has only one TTL attribute, so sessions would never expire by TTL.
    TtlOnOtherAttribute {
        /// The table.
        table: String,
        /// The attribute TTL is on.
        attribute: String,
    },
    /// The table did not become `ACTIVE` in time.
    NotActive {
        /// The table.
        table: String,
        /// Its last status.
        status: String,
        /// How long was waited.
        waited: Duration,
    },
    /// No thread could be started to run the requests (only when called
    /// from inside a tokio runtime).
    Thread(std::io::Error),
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProvisionError::Request { action, source } => {
                write!(f, "DynamoDB {action} failed: {source}")
            }
            ProvisionError::Timeout { action, after } => {
                write!(f, "DynamoDB {action} timed out after {after:?}")
            }
            ProvisionError::WrongKeySchema { table, found } => write!(
                f,
                "table {table} has key schema [{found}], not the single hash key `{SID}` of type B \
                 that sessions need"
            ),
            ProvisionError::TtlOnOtherAttribute { table, attribute } => write!(
                f,
                "table {table} has TTL enabled on `{attribute}`, not on `{EXP}`"
            ),
            ProvisionError::NotActive {
                table,
                status,
                waited,
            } => write!(
                f,
                "table {table} is still {status} after {waited:?}, not ACTIVE"
            ),
            ProvisionError::Thread(_) => f.write_str("cannot start a thread for provisioning"),
        }
    }
}

impl Error for ProvisionError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ProvisionError::Request { source, .. } => Some(source.as_ref()),
            ProvisionError::Thread(e) => Some(e),
            _ => None,
        }
    }
}

/// Runs one request under the attempt timeout, mapping its error.
async fn request<T, E>(
    action: &'static str,
    timeout: Duration,
    future: impl Future<Output = Result<T, RusotoError<E>>>,
) -> Result<Result<T, RusotoError<E>>, ProvisionError> {
    tokio::time::timeout(timeout, future)
        .await
        .map_err(|_| ProvisionError::Timeout {
            action,
            after: timeout,
        })
}

fn failed<E: Error + Send + Sync + 'static>(
    action: &'static str,
    error: RusotoError<E>,
) -> ProvisionError {
    ProvisionError::Request {
        action,
        source: Box::new(error),
    }
}

/// The table's description, or `None` when it does not exist.
async fn describe(
    client: &DynamoDbClient,
    table: &str,
    timeout: Duration,
) -> Result<Option<TableDescription>, ProvisionError> {
    let input = DescribeTableInput {
        table_name: table.to_owned(),
    };
    match request("DescribeTable", timeout, client.describe_table(input)).await? {
        Ok(output) => Ok(output.table),
        Err(RusotoError::Service(DescribeTableError::ResourceNotFound(_))) => Ok(None),
        Err(error) => Err(failed("DescribeTable", error)),
    }
}

/// Checks that `description` has exactly the `sid` (B) hash key.
fn check_key_schema(table: &str, description: &TableDescription) -> Result<(), ProvisionError> {
    let keys = description.key_schema.as_deref().unwrap_or_default();
    let definitions = description
        .attribute_definitions
        .as_deref()
        .unwrap_or_default();
    let type_of = |name: &str| {
        definitions
            .iter()
            .find(|d| d.attribute_name == name)
            .map_or("?", |d| d.attribute_type.as_str())
    };
    let right = matches!(keys, [only] if only.attribute_name == SID
        && only.key_type == "HASH"
        && type_of(SID) == "B");
    if right {
        return Ok(());
    }
    let found = keys
        .iter()
        .map(|k| {
            format!(
                "{} {} ({})",
                k.attribute_name,
                k.key_type,
                type_of(&k.attribute_name)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(ProvisionError::WrongKeySchema {
        table: table.to_owned(),
        found,
    })
}

/// Creates `table` unless it exists, waits for it to be `ACTIVE`, and turns
/// on TTL on `exp` unless it is on.
pub(crate) async fn provision(
    client: &DynamoDbClient,
    table: &str,
    timeout: Duration,
) -> Result<ProvisionReport, ProvisionError> {
    let mut table_created = false;
    let mut description = describe(client, table, timeout).await?;
    if description.is_none() {
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
        match request("CreateTable", timeout, client.create_table(input)).await? {
            Ok(output) => {
                table_created = true;
                description = output.table_description;
            }
            // Someone else created it meanwhile: fine if its schema is right.
            Err(RusotoError::Service(CreateTableError::ResourceInUse(_))) => {}
            Err(error) => return Err(failed("CreateTable", error)),
        }
    }
    let started = Instant::now();
    loop {
        let current = match description.take() {
            Some(current) => current,
            None => describe(client, table, timeout).await?.unwrap_or_default(),
        };
        if current.key_schema.is_some() {
            check_key_schema(table, &current)?;
        }
        let status = current.table_status.unwrap_or_default();
        if status == "ACTIVE" {
            break;
        }
        if started.elapsed() > ACTIVE_TIMEOUT {
            return Err(ProvisionError::NotActive {
                table: table.to_owned(),
                status: if status.is_empty() {
                    "missing".to_owned()
                } else {
                    status
                },
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let ttl_enabled = enable_ttl(client, table, timeout).await?;
    Ok(ProvisionReport {
        table_created,
        ttl_enabled,
    })
}

/// Enables TTL on `exp` unless it is on; says whether it did.
async fn enable_ttl(
    client: &DynamoDbClient,
    table: &str,
    timeout: Duration,
) -> Result<bool, ProvisionError> {
    let input = DescribeTimeToLiveInput {
        table_name: table.to_owned(),
    };
    let current = request(
        "DescribeTimeToLive",
        timeout,
        client.describe_time_to_live(input),
    )
    .await?
    .map_err(|error| failed("DescribeTimeToLive", error))?
    .time_to_live_description
    .unwrap_or_default();
    let status = current.time_to_live_status.as_deref().unwrap_or("DISABLED");
    if matches!(status, "ENABLED" | "ENABLING") {
        return match current.attribute_name {
            Some(attribute) if attribute != EXP => Err(ProvisionError::TtlOnOtherAttribute {
                table: table.to_owned(),
                attribute,
            }),
            _ => Ok(false),
        };
    }
    let input = UpdateTimeToLiveInput {
        table_name: table.to_owned(),
        time_to_live_specification: TimeToLiveSpecification {
            attribute_name: EXP.to_owned(),
            enabled: true,
        },
    };
    request(
        "UpdateTimeToLive",
        timeout,
        client.update_time_to_live(input),
    )
    .await?
    .map_err(|error| failed("UpdateTimeToLive", error))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description(keys: &[(&str, &str)], types: &[(&str, &str)]) -> TableDescription {
        TableDescription {
            key_schema: Some(
                keys.iter()
                    .map(|(name, key_type)| KeySchemaElement {
                        attribute_name: (*name).into(),
                        key_type: (*key_type).into(),
                    })
                    .collect(),
            ),
            attribute_definitions: Some(
                types
                    .iter()
                    .map(|(name, t)| AttributeDefinition {
                        attribute_name: (*name).into(),
                        attribute_type: (*t).into(),
                    })
                    .collect(),
            ),
            ..TableDescription::default()
        }
    }

    #[test]
    fn only_a_single_binary_sid_hash_key_is_right() {
        assert!(check_key_schema("t", &description(&[("sid", "HASH")], &[("sid", "B")])).is_ok());
        for (keys, types) in [
            (vec![("sid", "HASH")], vec![("sid", "S")]),
            (vec![("id", "HASH")], vec![("id", "B")]),
            (
                vec![("sid", "HASH"), ("ver", "RANGE")],
                vec![("sid", "B"), ("ver", "N")],
            ),
            (vec![], vec![]),
        ] {
            let error = check_key_schema("t", &description(&keys, &types)).unwrap_err();
            assert!(matches!(error, ProvisionError::WrongKeySchema { .. }));
            assert!(error.to_string().contains("sid"), "{error}");
        }
    }
}
