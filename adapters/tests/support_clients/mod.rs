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

/// A case's share of the machine, held for the whole case: see [`alone`].
#[allow(dead_code)]
pub enum Share {
    /// Beside the other cases that share.
    Shared(std::sync::RwLockReadGuard<'static, ()>),
    /// Alone in this test process.
    Alone(std::sync::RwLockWriteGuard<'static, ()>),
}

static MACHINE: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Waits until no other case of this test process runs, for cases that
/// need the machine to themselves: a private DynamoDB Local killed and
/// restarted, or the process's thread count sampled (the twin on the other
/// client, and every case that runs [`beside_others`], would blur it).
#[allow(dead_code)]
pub fn alone() -> Share {
    Share::Alone(
        MACHINE
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Runs beside other such cases, but never beside one that is [`alone`].
#[allow(dead_code)]
pub fn beside_others() -> Share {
    Share::Shared(
        MACHINE
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}
