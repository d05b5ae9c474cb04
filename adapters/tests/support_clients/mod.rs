//! Running one test file's cases on each DynamoDB client, from the same
//! code: [`on_each_client!`].

/// Compiles the cases module `tests/cases/$file` once per DynamoDB client,
/// as `rusoto::cases` and `aws_sdk::cases`. The cases name the backend as
/// `super::Backend` and its builder as `super::Builder`, and may say which
/// client runs them with `super::CLIENT`.
///
/// `cargo fmt` does not reach modules declared by a macro; CI checks
/// `tests/cases/` with rustfmt directly.
macro_rules! on_each_client {
    ($file:literal) => {
        /// The cases on rusoto ([`DynamoDbBackend`](dynamodb_sessions::DynamoDbBackend)).
        #[path = "cases"]
        mod rusoto {
            #[allow(unused_imports)]
            use dynamodb_sessions::dynamodb::{
                DynamoDbBackend as Backend, DynamoDbBackendBuilder as Builder,
            };
            #[allow(dead_code)]
            const CLIENT: &str = "rusoto";
            #[path = $file]
            mod cases;
        }

        /// The same cases on the AWS SDK ([`AwsSdkBackend`](dynamodb_sessions::AwsSdkBackend)).
        #[path = "cases"]
        mod aws_sdk {
            #[allow(unused_imports)]
            use dynamodb_sessions::dynamodb::{
                AwsSdkBackend as Backend, AwsSdkBackendBuilder as Builder,
            };
            #[allow(dead_code)]
            const CLIENT: &str = "aws-sdk";
            #[path = $file]
            mod cases;
        }
    };
}
