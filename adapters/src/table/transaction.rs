//! TransactWriteItems as the shared logic sends it, and what a cancelled
//! transaction means, from DynamoDB's cancellation reasons: one code per
//! action, in the order of the actions (`None` for an action that was
//! fine).

use super::attribute::Item;
use super::failure::Failure;
use super::wire::Expression;
use dynamodb_sessions_core::store::BoxError;

/// One action of a transaction, on the backend's table.
#[derive(Debug, Clone)]
pub(crate) enum TransactWrite<A> {
    /// A conditional UpdateItem; `update` may use the condition's
    /// placeholders.
    Update {
        /// The item's key.
        key: Item<A>,
        /// The update expression.
        update: String,
        /// Its condition.
        condition: Expression<A>,
    },
    /// A conditional PutItem.
    Put {
        /// The whole item.
        item: Item<A>,
        /// Its condition.
        condition: Expression<A>,
    },
}

/// A transaction that was cancelled because conditions failed: nothing was
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionsFailed {
    /// For each action, whether its condition failed; `None` when DynamoDB
    /// did not say (then the caller reads what it needs).
    pub(crate) failed: Option<Vec<bool>>,
}

impl ConditionsFailed {
    /// Whether the condition of action `index` failed: `None` when unknown.
    pub(crate) fn failed(&self, index: usize) -> Option<bool> {
        self.failed
            .as_ref()
            .map(|failed| failed.get(index).copied().unwrap_or(false))
    }
}

/// The reason code DynamoDB gives an action whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// Reason codes after which nothing was written and a new attempt may pass.
const PASSING: [&str; 4] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

/// What a `TransactionCanceledException` means, from its reason codes
/// (`None`: the client did not give them). Nothing was written in any case:
/// a condition failure is an outcome; a conflict with another transaction
/// or throttling is worth another attempt; anything else is final, with
/// `source` (the client's error in fixed words) as its cause. A client
/// passes only the codes, never DynamoDB's messages.
pub(crate) fn cancellation(
    codes: Option<Vec<String>>,
    source: BoxError,
) -> Result<ConditionsFailed, Failure> {
    let Some(codes) = codes else {
        return Ok(ConditionsFailed { failed: None });
    };
    let failed: Vec<bool> = codes.iter().map(|code| code == CONDITION_FAILED).collect();
    let blocking = codes
        .iter()
        .find(|code| !matches!(code.as_str(), "None" | "NONE" | CONDITION_FAILED));
    match blocking {
        // Conditions failed, or no action said why: the conditions decide
        // (read back by the caller when none failed by these codes).
        None if failed.contains(&true) => Ok(ConditionsFailed {
            failed: Some(failed),
        }),
        None => Ok(ConditionsFailed { failed: None }),
        Some(code) => {
            if PASSING.contains(&code.as_str()) {
                Err(Failure::Throttled(source))
            } else {
                Err(Failure::Rejected(source))
            }
        }
    }
}

/// The reason codes in the message of a `TransactionCanceledException`,
/// for a client that keeps only the message (rusoto): DynamoDB writes
/// "Transaction cancelled, please refer cancellation reasons for specific
/// reasons [ConditionalCheckFailed, None]". `None` unless every code is one
/// DynamoDB documents, so that nothing else of the message is kept.
#[cfg(any(feature = "dynamodb", test))]
pub(crate) fn codes_in_message(message: &str) -> Option<Vec<String>> {
    const KNOWN: [&str; 10] = [
        "None",
        "NONE",
        CONDITION_FAILED,
        "ItemCollectionSizeLimitExceeded",
        "TransactionConflict",
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
        "RequestLimitExceeded",
        "ValidationError",
        "DuplicateItem",
    ];
    let start = message.rfind('[')?;
    let list = message[start + 1..].strip_suffix(']')?;
    list.split(',')
        .map(str::trim)
        .map(|code| KNOWN.contains(&code).then(|| code.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancellation_of(codes: Option<Vec<String>>) -> Result<ConditionsFailed, Failure> {
        cancellation(codes, "cancelled".into())
    }

    fn codes(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|code| (*code).to_owned()).collect())
    }

    #[test]
    fn conditions_failed_say_which() {
        let outcome = cancellation_of(codes(&["ConditionalCheckFailed", "None"])).expect("outcome");
        assert_eq!(outcome.failed(0), Some(true));
        assert_eq!(outcome.failed(1), Some(false));
        let outcome = cancellation_of(codes(&["NONE", "ConditionalCheckFailed"])).expect("outcome");
        assert_eq!(outcome.failed(0), Some(false));
        assert_eq!(outcome.failed(1), Some(true));
        let unknown = cancellation_of(None).expect("outcome");
        assert_eq!(unknown.failed(0), None);
        let unsaid = cancellation_of(codes(&["None", "None"])).expect("outcome");
        assert_eq!(unsaid.failed(1), None);
    }

    #[test]
    fn conflicts_pass_and_the_rest_is_final() {
        assert!(matches!(
            cancellation_of(codes(&["TransactionConflict", "None"])),
            Err(Failure::Throttled(_))
        ));
        assert!(matches!(
            cancellation_of(codes(&["ConditionalCheckFailed", "ThrottlingError"])),
            Err(Failure::Throttled(_))
        ));
        assert!(matches!(
            cancellation_of(codes(&["None", "ValidationError"])),
            Err(Failure::Rejected(_))
        ));
    }

    #[test]
    fn codes_are_read_from_dynamodbs_message_and_nothing_else() {
        assert_eq!(
            codes_in_message(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"
            ),
            codes(&["ConditionalCheckFailed", "None"])
        );
        assert_eq!(
            codes_in_message("Transaction cancelled [secret-key, None]"),
            None
        );
        assert_eq!(codes_in_message("no list"), None);
    }
}
