//! Waiting for a condition instead of sleeping for a guessed time.
use std::{future::Future, time::Duration};

/// Pause between two looks while waiting.
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Polls `f` every `interval` until it returns `Some` and returns that value,
/// or `Err(elapsed)` once `timeout` has passed. `f` is always called at least
/// once, and once more after the deadline (a slow last look does not turn a
/// success into a failure). For code that must not panic (the browser tests
/// close their browser first); tests use [`eventually`].
pub async fn poll<T, F, Fut>(timeout: Duration, interval: Duration, mut f: F) -> Result<T, Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        let past_deadline = started.elapsed() >= timeout;
        if let Some(value) = f().await {
            return Ok(value);
        }
        if past_deadline {
            return Err(started.elapsed());
        }
        tokio::time::sleep(interval).await;
    }
}

/// Polls `f` every [`POLL_INTERVAL`] until it returns `Some`, and returns that
/// value. Panics with `what` and the elapsed time when `timeout` passes first.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll(timeout, POLL_INTERVAL, f).await.unwrap_or_else(|elapsed| panic!("timed out after {elapsed:?} (limit {timeout:?}) waiting for: {what}"))
}

/// [`poll`] for blocking code (plain `#[test]`s, child processes): looks on
/// the current thread every `interval`; `Err(elapsed)` after `timeout`.
pub fn poll_blocking<T>(timeout: Duration, interval: Duration, mut f: impl FnMut() -> Option<T>) -> Result<T, Duration> {
    let started = std::time::Instant::now();
    loop {
        let past_deadline = started.elapsed() >= timeout;
        if let Some(value) = f() {
            return Ok(value);
        }
        if past_deadline {
            return Err(started.elapsed());
        }
        std::thread::sleep(interval);
    }
}
