//! Delivers queued mails from the outbox. One sweeper per worker process
//! sends them in batches: it is woken right after a change of this process
//! wrote mails and otherwise looks every [`POLL_EVERY_MS`] for mails written
//! by other processes and for due retries. A batch is claimed in one short
//! write ([`mail_outbox::claim_due`]), so sweepers of several processes
//! never send the same mail twice and no job row is written per mail.
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

/// How often the sweeper looks for mails nobody woke it for.
pub const POLL_EVERY_MS: u64 = 1_000;

/// Mails claimed and sent per round.
pub const BATCH: u64 = 50;

/// Longest wait between a send and the write that records it.
const RECORD_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

fn failed(e: crate::models::AppError) -> loco_rs::Error {
    loco_rs::Error::string(&e.to_string())
}

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
        let settings = Settings::get(ctx);
        let from = &settings.mail_from;
        let log_body = ctx.config.mailer.as_ref().is_some_and(|m| m.stub);
        let mut sent = 0;
        for id in ids {
            if mail_outbox::deliver(&ctx.db, sender, from, log_body, *id).await.map_err(failed)? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Claims and sends one batch of due mails; returns how many were claimed.
    /// Once `stop` is cancelled the claims not sent yet are handed back at
    /// once (not after the lease), for another process or the next start.
    ///
    /// # Errors
    /// On database failure.
    pub async fn sweep(ctx: &AppContext, stop: &tokio_util::sync::CancellationToken) -> Result<usize> {
        let Some(sender) = &ctx.mailer else {
            return Ok(0);
        };
        let claimed = mail_outbox::claim_due(&ctx.db, BATCH).await.map_err(failed)?;
        let settings = Settings::get(ctx);
        let from = &settings.mail_from;
        let log_body = ctx.config.mailer.as_ref().is_some_and(|m| m.stub);
        let n = claimed.len();
        let mut claimed = claimed.into_iter();
        let mut tried = Vec::new();
        let mut since_record = std::time::Instant::now();
        for mail in claimed.by_ref() {
            tried.push(mail_outbox::try_send(sender, from, log_body, &mail).await);
            // Outcomes are written together, at most a second after the
            // send: one write turn per batch, not one per mail.
            if since_record.elapsed() >= RECORD_EVERY {
                mail_outbox::record(&ctx.db, &std::mem::take(&mut tried)).await.map_err(failed)?;
                since_record = std::time::Instant::now();
            }
            if stop.is_cancelled() {
                break;
            }
        }
        mail_outbox::record(&ctx.db, &tried).await.map_err(failed)?;
        let unsent: Vec<i32> = claimed.map(|m| m.id).collect();
        if !unsent.is_empty() {
            mail_outbox::release(&ctx.db, &unsent).await.map_err(failed)?;
            return Ok(0);
        }
        Ok(n)
    }

    /// After the transaction that wrote mails `ids` committed: in the
    /// foreground mode (tests) they are sent now; otherwise the sweeper is
    /// woken (and the sweepers of other processes find them within
    /// [`POLL_EVERY_MS`]).
    pub async fn dispatch(ctx: &AppContext, ids: Vec<i32>) {
        if ids.is_empty() {
            return;
        }
        if matches!(ctx.config.workers.mode, loco_rs::config::WorkerMode::ForegroundBlocking) {
            if let Err(err) = Self::send(ctx, &ids).await {
                tracing::error!(err = err.to_string(), "mail delivery failed; the sweeper will retry");
            }
        } else {
            mail_outbox::wake();
        }
    }

    /// Runs the sweeper forever (started with the worker).
    pub fn start_sweeper(ctx: &AppContext) {
        let ctx = ctx.clone();
        let stop = super::shutdown_token();
        super::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = mail_outbox::woken() => {}
                    () = tokio::time::sleep(std::time::Duration::from_millis(POLL_EVERY_MS)) => {}
                }
                loop {
                    match Self::sweep(&ctx, &stop).await {
                        Ok(n) if n as u64 == BATCH => {}
                        Ok(_) => break,
                        Err(err) => {
                            tracing::error!(err = err.to_string(), "mail sweep failed");
                            break;
                        }
                    }
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
