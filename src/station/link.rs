//! The Redis side of stations (Sidekiq job format, `rusty-sidekiq`): pools,
//! pushing batches and reports, a report sink that never drops a report, and
//! the loop that takes jobs off one queue.
//!
//! Rules:
//! - Every key lives under the configured namespace, in the stations' own
//!   Redis database; Loco's queue never shares it.
//! - Batches are pushed without Sidekiq retries: a lost batch is reclaimed by
//!   the portal's lease, and a retried batch must not run twice at once.
//! - A station report is pushed in order and retried until Redis takes it
//!   (Redis may restart mid-run); only a killed agent loses unsent reports,
//!   and the lease plus the card read-back recover those.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use sidekiq::{Processor, RedisConnectionManager, RedisPool, Scheduled};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{
    agent::Sink,
    protocol::{station_queue, Batch, Report, BATCH_CLASS, PORTAL_QUEUE, REPORT_CLASS},
};

/// A pool on `url` whose keys all start with `namespace:`. Connects lazily:
/// a Redis that is down at boot is retried on use.
///
/// # Errors
/// When the URL is not a Redis URL.
pub fn pool(url: &str, namespace: &str) -> Result<RedisPool, String> {
    let manager = RedisConnectionManager::new(url).map_err(|e| format!("STATIONS redis_url {url:?}: {e}"))?;
    Ok(bb8::Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(3))
        .connection_customizer(sidekiq::with_custom_namespace(namespace.to_string()))
        .build_unchecked(manager))
}

/// Pushes a batch to its station's queue.
///
/// # Errors
/// When Redis cannot be reached.
pub async fn push_batch(pool: &RedisPool, batch: &Batch) -> Result<(), String> {
    sidekiq::opts().queue(station_queue(&batch.station)).retry(false).perform_async(pool, BATCH_CLASS.to_string(), batch).await.map_err(|e| e.to_string())
}

/// Runs whose batch still waits in a station's queue (not taken by an
/// agent yet).
///
/// # Errors
/// When Redis cannot be reached.
pub async fn queued_runs(pool: &RedisPool, station: &str) -> Result<Vec<i64>, String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    let cmd = conn.cmd_with_key("LRANGE", format!("queue:{}", station_queue(station))).arg(0).arg(-1).to_owned();
    let jobs: Vec<String> = cmd.query_async(conn.unnamespaced_borrow_mut()).await.map_err(|e| e.to_string())?;
    Ok(jobs.iter().filter_map(|j| serde_json::from_str::<serde_json::Value>(j).ok()).filter_map(|j| j["args"][0]["run"].as_i64()).collect())
}

/// Pushes one report to the portal's queue.
///
/// # Errors
/// When Redis cannot be reached.
pub async fn push_report(pool: &RedisPool, report: &Report) -> Result<(), String> {
    sidekiq::opts().queue(PORTAL_QUEUE).retry(false).perform_async(pool, REPORT_CLASS.to_string(), report).await.map_err(|e| e.to_string())
}

/// A [`Sink`] that hands reports to a task pushing them to Redis in order,
/// retrying each until Redis takes it.
pub struct RedisSink {
    tx: mpsc::UnboundedSender<Report>,
    unsent: Arc<AtomicUsize>,
}

impl RedisSink {
    /// Starts the pushing task on the current runtime.
    #[must_use]
    pub fn spawn(pool: RedisPool) -> Arc<Self> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Report>();
        let unsent = Arc::new(AtomicUsize::new(0));
        let left = unsent.clone();
        tokio::spawn(async move {
            while let Some(report) = rx.recv().await {
                let mut wait = Duration::from_millis(100);
                while let Err(err) = push_report(&pool, &report).await {
                    tracing::warn!(err, run = report.run(), "report not pushed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                left.fetch_sub(1, Ordering::SeqCst);
            }
        });
        Arc::new(Self { tx, unsent })
    }

    /// Waits until every report handed over so far is in Redis.
    pub async fn drained(&self) {
        while self.unsent.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Sink for RedisSink {
    fn send(&self, report: Report) {
        self.unsent.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(report).is_err() {
            self.unsent.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Takes jobs off `queue` one at a time until `cancel`, surviving Redis
/// outages (waits and tries again). Due Sidekiq retries are moved back to
/// their queue every few seconds.
pub async fn consume(mut processor: Processor, pool: RedisPool, cancel: CancellationToken) {
    let scheduled = Scheduled::new(pool);
    let mut last_poll = std::time::Instant::now();
    loop {
        if cancel.is_cancelled() {
            return;
        }
        // Never abandoned half-way: a report taken off the queue is applied
        // before the loop looks at `cancel` again (the wait for one lasts
        // two seconds at most).
        let tick = processor.process_one_tick_once().await;
        if let Err(err) = tick {
            tracing::warn!(err = err.to_string(), "station queue: Redis unavailable; retrying");
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
        if last_poll.elapsed() > Duration::from_secs(5) {
            last_poll = std::time::Instant::now();
            let moved = scheduled.enqueue_jobs(chrono::Utc::now(), &vec!["retry".to_string()]).await.map_err(|e| e.to_string());
            if let Err(err) = moved {
                tracing::warn!(err, "station queue: retry poll failed");
            }
        }
    }
}

/// Gives the readers to run a batch on (listed afresh for each batch).
pub type ReaderSource = Arc<dyn Fn(&Batch) -> Vec<Box<dyn super::Reader>> + Send + Sync>;

/// The reader agent's job: a batch from `station:<code>`, personalized on
/// the readers `readers` returns, reported through a [`RedisSink`].
pub struct BatchWorker {
    pool: RedisPool,
    readers: ReaderSource,
}

impl BatchWorker {
    #[must_use]
    pub fn new(pool: RedisPool, readers: ReaderSource) -> Self {
        Self { pool, readers }
    }

    /// A processor of `station:<code>` running this worker.
    #[must_use]
    pub fn processor(self, code: &str) -> Processor {
        let mut p = Processor::new(self.pool.clone(), vec![station_queue(code)]);
        p.register(self);
        p
    }
}

#[async_trait::async_trait]
impl sidekiq::Worker<serde_json::Value> for BatchWorker {
    fn class_name() -> String {
        BATCH_CLASS.to_string()
    }

    fn max_retries(&self) -> usize {
        0
    }

    async fn perform(&self, args: serde_json::Value) -> sidekiq::Result<()> {
        let batch: Batch = match serde_json::from_value(args) {
            Ok(b) => b,
            Err(err) => {
                tracing::error!(err = err.to_string(), "malformed batch job dropped");
                return Ok(());
            }
        };
        tracing::info!(run = batch.run, attempt = batch.attempt, cards = batch.cards.len(), "batch received");
        let sink = RedisSink::spawn(self.pool.clone());
        let readers = (self.readers)(&batch);
        let for_thread = sink.clone();
        let summary = tokio::task::spawn_blocking(move || super::agent::run_batch(&batch, readers, for_thread)).await;
        if let Err(err) = summary {
            tracing::error!(err = err.to_string(), "batch thread panicked");
        }
        sink.drained().await;
        Ok(())
    }
}

/// Whether the stations' Redis answers.
///
/// # Errors
/// When it cannot be reached.
pub async fn ping(pool: &RedisPool) -> Result<(), String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    let pong: String = sidekiq::redis_rs::cmd("PING").query_async(conn.unnamespaced_borrow_mut()).await.map_err(|e| e.to_string())?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(format!("unexpected answer {pong:?}"))
    }
}
