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
        on_each_client!(@client rusoto, "rusoto", DynamoDbBackend, DynamoDbBackendBuilder, $file);
        on_each_client!(@client aws_sdk, "aws-sdk", AwsSdkBackend, AwsSdkBackendBuilder, $file);
    };
    (@client $module:ident, $name:literal, $backend:ident, $builder:ident, $file:literal) => {
        #[doc = concat!("The cases on the ", $name, " client (`", stringify!($backend), "`).")]
        #[path = "cases"]
        mod $module {
            #[allow(unused_imports)]
            use dynamodb_sessions::dynamodb::{$backend as Backend, $builder as Builder};
            #[allow(dead_code)]
            const CLIENT: &str = $name;
            // Once per client, on purpose.
            #[allow(clippy::duplicate_mod)]
            #[path = $file]
            mod cases;
        }
    };
}

/// Keeps a case from running beside its twin on the other client, for
/// cases that need the machine to themselves: a private DynamoDB Local
/// killed and restarted, or the process's thread count sampled. Hold the
/// guard for the whole case.
#[allow(dead_code)]
pub fn one_client_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
