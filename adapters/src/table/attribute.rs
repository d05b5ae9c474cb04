//! What the shared logic needs of a client's attribute value type: build
//! the three types sessions use (B, N, S) and read them back. rusoto's
//! `AttributeValue` is a struct of optional fields, the AWS SDK's an enum;
//! each backend implements this trait once for its own.

use std::collections::HashMap;

/// A DynamoDB attribute value of one client.
pub(crate) trait Attribute: Clone + Send + Sync + 'static {
    /// A binary (B) value.
    fn binary(bytes: &[u8]) -> Self;
    /// A number (N) value, from its decimal text.
    fn number_text(text: String) -> Self;
    /// A string (S) value.
    fn string(text: &str) -> Self;
    /// The bytes, if this is a binary value.
    fn as_binary(&self) -> Option<&[u8]>;
    /// The decimal text, if this is a number value.
    fn as_number(&self) -> Option<&str>;
    /// The text, if this is a string value.
    fn as_string(&self) -> Option<&str>;

    /// A number (N) value.
    fn number(value: impl ToString) -> Self {
        Self::number_text(value.to_string())
    }
}

/// A DynamoDB item or key, in a client's attribute values.
pub(crate) type Item<A> = HashMap<String, A>;

/// A client-free attribute value for the shared logic's unit tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestValue {
    B(Vec<u8>),
    N(String),
    S(String),
    /// Any other type (BOOL, NULL, a set, a list, a map).
    Other,
}

#[cfg(test)]
impl Attribute for TestValue {
    fn binary(bytes: &[u8]) -> Self {
        TestValue::B(bytes.to_vec())
    }
    fn number_text(text: String) -> Self {
        TestValue::N(text)
    }
    fn string(text: &str) -> Self {
        TestValue::S(text.to_owned())
    }
    fn as_binary(&self) -> Option<&[u8]> {
        match self {
            TestValue::B(bytes) => Some(bytes),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<&str> {
        match self {
            TestValue::N(text) => Some(text),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<&str> {
        match self {
            TestValue::S(text) => Some(text),
            _ => None,
        }
    }
}
