//! The tokio runtime a blocking backend owns and runs its requests on.

use std::future::Future;

/// The backend's runtime. Dropped without waiting for its tasks, so that
/// dropping the last backend handle is safe even inside another runtime.
pub(crate) struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    /// A multi-threaded runtime with `worker_threads` workers (at least 1).
    pub(crate) fn start(worker_threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name("dynamodb-sessions")
            .enable_all()
            .build()?;
        Ok(OwnedRuntime(Some(runtime)))
    }

    /// Enters the runtime, so that what a client sets up on creation
    /// belongs to it.
    pub(crate) fn enter(&self) -> Option<tokio::runtime::EnterGuard<'_>> {
        self.0.as_ref().map(tokio::runtime::Runtime::enter)
    }

    /// Runs `future` to completion on this runtime, blocking the caller.
    ///
    /// Inside another tokio runtime, `Runtime::block_on` would panic; there
    /// the future is driven from a scoped helper thread instead.
    pub(crate) fn block_on<F>(&self, future: F) -> Result<F::Output, std::io::Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.0.as_ref() else {
            return Err(std::io::Error::other("the backend's runtime is shut down"));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(future));
        }
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("dynamodb-sessions-call".to_owned())
                .spawn_scoped(scope, || runtime.block_on(future))?;
            match helper.join() {
                Ok(output) => Ok(output),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
