//! The portal's side of the stations: dispatching batches, taking station
//! reports off the `portal` queue, and reclaiming runs whose lease expired.
//!
//! With `settings.stations.redis_url` empty the portal runs a simulated
//! station in-process: virtual cards in simulated readers, driven by the same
//! agent as a real station, reporting through the same [`runs::apply`].
use std::{sync::Arc, time::Duration};

use loco_rs::app::AppContext;
use sea_orm::DatabaseConnection;
use sidekiq::{Processor, RedisPool};
use tokio_util::sync::CancellationToken;

use crate::{
    models::{runs, AppError, AppResult},
    settings::{Settings, StationSettings},
    station::{
        agent::{self, Sink},
        link,
        protocol::{Batch, Report, PORTAL_QUEUE, REPORT_CLASS},
        sim, vsam,
    },
};

/// How batches reach a station.
#[derive(Clone)]
pub enum Link {
    Redis(RedisPool),
    Simulated,
}

/// Stored in the shared store at boot.
#[derive(Clone)]
pub struct Stations {
    pub link: Link,
    pub settings: StationSettings,
}

impl Stations {
    /// # Errors
    /// When the Redis URL is malformed.
    pub fn from_settings(settings: &StationSettings) -> Result<Self, String> {
        let link =
            if settings.redis_url.trim().is_empty() { Link::Simulated } else { Link::Redis(link::pool(settings.redis_url.trim(), &settings.namespace)?) };
        Ok(Self { link, settings: settings.clone() })
    }

    /// The stations link stored at boot (built from the settings if absent).
    #[must_use]
    pub fn get(ctx: &AppContext) -> Self {
        if let Some(s) = ctx.shared_store.get::<Self>() {
            return s;
        }
        let s = Self::from_settings(&Settings::get(ctx).stations).unwrap_or(Self { link: Link::Simulated, settings: Settings::get(ctx).stations.clone() });
        ctx.shared_store.insert(s.clone());
        s
    }

    /// Sends a batch on its way. A batch that cannot be pushed now is not
    /// lost: the run's lease expires and the sweeper sends it again.
    pub async fn dispatch(&self, db: &DatabaseConnection, batch: Batch) {
        match &self.link {
            Link::Redis(pool) => {
                if let Err(err) = link::push_batch(pool, &batch).await {
                    tracing::error!(err, run = batch.run, "batch not pushed; the lease sweeper will send it again");
                }
            }
            Link::Simulated => self.simulate(db.clone(), batch),
        }
    }

    /// Personalizes the batch on virtual cards in simulated readers.
    fn simulate(&self, db: DatabaseConnection, batch: Batch) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
        let settings = self.settings.clone();
        tokio::spawn(async move {
            while let Some(report) = rx.recv().await {
                // A busy database (pool or lock timeout) must not lose a
                // card's result: the report is applied again, a few times.
                for attempt in 1..=SIM_APPLY_TRIES {
                    match apply_logged(&db, &report, &settings).await {
                        Some(AppError::Busy(_) | AppError::Db(_)) if attempt < SIM_APPLY_TRIES => {
                            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                        }
                        _ => break,
                    }
                }
            }
        });
        let readers = self.settings.simulated_readers.max(1);
        let delay = Duration::from_millis(self.settings.simulated_apdu_ms);
        tokio::task::spawn_blocking(move || {
            let hopper = vsam::Hopper::new(batch.cards.iter().map(|c| vsam::VirtualSam::new(&c.serial)));
            let sink: Arc<dyn Sink> = Arc::new(ChannelSink(tx));
            agent::run_batch(&batch, sim::sim_readers(readers, hopper, delay), sink);
        });
    }

    /// Takes station reports off the `portal` queue until `cancel`.
    pub fn start_consumer(&self, db: &DatabaseConnection, cancel: CancellationToken) {
        if let Link::Redis(pool) = &self.link {
            let mut processor = Processor::new(pool.clone(), vec![PORTAL_QUEUE.to_string()]);
            processor.register(ReportWorker { db: db.clone(), settings: self.settings.clone() });
            super::spawn(link::consume(processor, pool.clone(), cancel));
        }
    }

    /// Reclaims expired runs every third of a lease, until `cancel`.
    pub fn start_sweeper(&self, db: &DatabaseConnection, cancel: CancellationToken) {
        let this = self.clone();
        let db = db.clone();
        tokio::spawn(async move {
            let every = Duration::from_secs((this.settings.lease_secs / 3).max(1));
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                if let Err(err) = this.sweep(&db).await {
                    tracing::error!(err = err.to_string(), "station lease sweep failed");
                }
            }
        });
    }

    /// One sweep: reclaims expired runs and dispatches their batches again.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sweep(&self, db: &DatabaseConnection) -> AppResult<usize> {
        let batches = runs::reclaim_due(db, chrono::Utc::now(), &self.settings).await?;
        let n = batches.len();
        for batch in batches {
            // A batch no agent has taken yet is not pushed again: a station
            // that is off would otherwise find one copy per lease waiting.
            if let Link::Redis(pool) = &self.link {
                if link::queued_runs(pool, &batch.station).await.is_ok_and(|runs| runs.contains(&batch.run)) {
                    tracing::warn!(run = batch.run, station = batch.station, "batch still waits in the station's queue; is the station's agent running?");
                    continue;
                }
            }
            tracing::warn!(run = batch.run, attempt = batch.attempt, cards = batch.cards.len(), "run reclaimed after its lease expired");
            self.dispatch(db, batch).await;
        }
        Ok(n)
    }
}

/// Tries of one simulated report against a busy database.
const SIM_APPLY_TRIES: u32 = 8;

struct ChannelSink(tokio::sync::mpsc::UnboundedSender<Report>);

impl Sink for ChannelSink {
    fn send(&self, report: Report) {
        let _ = self.0.send(report);
    }
}

async fn apply_logged(db: &DatabaseConnection, report: &Report, settings: &StationSettings) -> Option<AppError> {
    match runs::apply(db, report, settings).await {
        Ok(runs::Applied::Recorded) => None,
        Ok(runs::Applied::Dropped(why)) => {
            tracing::warn!(why, "station report dropped");
            None
        }
        Err(err) => {
            tracing::error!(err = err.to_string(), "station report not applied");
            Some(err)
        }
    }
}

/// The `StationReport` job of the `portal` queue.
pub struct ReportWorker {
    pub db: DatabaseConnection,
    pub settings: StationSettings,
}

#[async_trait::async_trait]
impl sidekiq::Worker<serde_json::Value> for ReportWorker {
    fn class_name() -> String {
        REPORT_CLASS.to_string()
    }

    /// A malformed payload is logged and dropped (a retry cannot fix it); a
    /// database failure is retried by Sidekiq.
    async fn perform(&self, args: serde_json::Value) -> sidekiq::Result<()> {
        let report: Report = match serde_json::from_value(args) {
            Ok(r) => r,
            Err(err) => {
                tracing::error!(err = err.to_string(), "malformed station report dropped");
                return Ok(());
            }
        };
        match apply_logged(&self.db, &report, &self.settings).await {
            None => Ok(()),
            Some(err) => Err(sidekiq::Error::Message(err.to_string())),
        }
    }
}
