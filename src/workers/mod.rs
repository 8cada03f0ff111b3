pub mod documents;
pub mod mail_delivery;
pub mod stations;

use std::{sync::LazyLock, time::Duration};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Cancelled when this process shuts down (SIGTERM, Ctrl-C): the mail
/// sweeper hands its unsent claims back, the station consumer finishes the
/// report in hand and stops.
static SHUTDOWN: LazyLock<CancellationToken> = LazyLock::new(CancellationToken::new);
/// The background loops [`stop`] waits for.
static TASKS: LazyLock<TaskTracker> = LazyLock::new(TaskTracker::new);

/// A token cancelled at shutdown.
#[must_use]
pub fn shutdown_token() -> CancellationToken {
    SHUTDOWN.child_token()
}

/// Spawns a background loop that [`stop`] waits for.
pub fn spawn<F>(task: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    TASKS.spawn(task);
}

/// Cancels the background loops and waits for them, at most `grace`.
pub async fn stop(grace: Duration) {
    SHUTDOWN.cancel();
    TASKS.close();
    if tokio::time::timeout(grace, TASKS.wait()).await.is_err() {
        tracing::warn!("background tasks still running after the grace period");
    }
}
