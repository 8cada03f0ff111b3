//! Delivers queued mails from the outbox. Enqueued after each state change
//! that wrote mails; a sweeper started with the worker process picks up
//! everything whose retry is due, so nothing waits on a lost job.
use async_trait::async_trait;
use loco_rs::{app::AppContext, bgworker::BackgroundWorker, Result};
use serde::{Deserialize, Serialize};

use crate::{models::mail_outbox, settings::Settings};

pub struct MailDelivery {
    ctx: AppContext,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailDeliveryArgs {
    pub ids: Vec<i32>,
}

/// How often the sweeper looks for due retries.
pub const SWEEP_EVERY_SECS: u64 = 30;

impl MailDelivery {
    /// Sends the given outbox rows now (the worker's job).
    ///
    /// # Errors
    /// On database failure; send failures are recorded on the rows.
    pub async fn send(ctx: &AppContext, ids: &[i32]) -> Result<usize> {
        let Some(sender) = &ctx.mailer else {
            tracing::warn!("no mailer configured: mails stay in the outbox");
            return Ok(0);
        };
        let from = Settings::get(ctx).mail_from;
        let log_body = ctx.config.mailer.as_ref().is_some_and(|m| m.stub);
        let mut sent = 0;
        for id in ids {
            if mail_outbox::deliver(&ctx.db, sender, &from, log_body, *id).await.map_err(|e| loco_rs::Error::string(&e.to_string()))? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Sends every mail whose (re)try is due.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sweep(ctx: &AppContext) -> Result<usize> {
        let ids = mail_outbox::due(&ctx.db, 100).await.map_err(|e| loco_rs::Error::string(&e.to_string()))?;
        Self::send(ctx, &ids).await
    }

    /// Queues delivery of `ids` after the transaction that wrote them
    /// committed. An enqueue failure is logged: the sweeper will send them.
    pub async fn dispatch(ctx: &AppContext, ids: Vec<i32>) {
        if ids.is_empty() {
            return;
        }
        if let Err(err) = Self::perform_later(ctx, MailDeliveryArgs { ids }).await {
            tracing::error!(err = err.to_string(), "could not queue mail delivery; the sweeper will retry");
        }
    }

    /// Runs `sweep` forever on an interval (started with the worker).
    pub fn start_sweeper(ctx: &AppContext) {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(SWEEP_EVERY_SECS));
            loop {
                tick.tick().await;
                if let Err(err) = Self::sweep(&ctx).await {
                    tracing::error!(err = err.to_string(), "mail sweep failed");
                }
            }
        });
    }
}

#[async_trait]
impl BackgroundWorker<MailDeliveryArgs> for MailDelivery {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn queue() -> Option<String> {
        Some("mail".to_string())
    }

    async fn perform(&self, args: MailDeliveryArgs) -> Result<()> {
        Self::send(&self.ctx, &args.ids).await?;
        Ok(())
    }
}
