//! Builds ordered hand-over documents (BAST, card list, Surat Balasan) off
//! the request path, then sends the BAST mails.
use async_trait::async_trait;
use loco_rs::{app::AppContext, bgworker::BackgroundWorker, Result};
use serde::{Deserialize, Serialize};

use crate::{models::documents, settings::Settings, workers::mail_delivery::MailDelivery};

pub struct DocumentBuilder {
    ctx: AppContext,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentBuilderArgs {
    pub ids: Vec<i32>,
}

impl DocumentBuilder {
    /// Builds each document in turn.
    ///
    /// # Errors
    /// On database failure (a document that cannot be built is marked failed).
    pub async fn build_all(ctx: &AppContext, ids: &[i32]) -> Result<()> {
        let settings = Settings::get(ctx);
        let env = settings.env("");
        for id in ids {
            let mails = documents::build(&ctx.db, &env, *id).await.map_err(|e| loco_rs::Error::string(&e.to_string()))?;
            MailDelivery::dispatch(ctx, mails).await;
        }
        Ok(())
    }

    /// Queues the build after the order committed. An enqueue failure leaves
    /// the documents `queued`; the page offers to order them again.
    pub async fn dispatch(ctx: &AppContext, ids: Vec<i32>) {
        if ids.is_empty() {
            return;
        }
        if let Err(err) = Self::perform_later(ctx, DocumentBuilderArgs { ids }).await {
            tracing::error!(err = err.to_string(), "could not queue document build");
        }
    }
}

#[async_trait]
impl BackgroundWorker<DocumentBuilderArgs> for DocumentBuilder {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn queue() -> Option<String> {
        Some("documents".to_string())
    }

    async fn perform(&self, args: DocumentBuilderArgs) -> Result<()> {
        Self::build_all(&self.ctx, &args.ids).await
    }
}
