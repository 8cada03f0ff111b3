//! Mails about Cetak Dokumen BAST.
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::models::{
    _entities::{organisations, personalization_requests as requests},
    archived_documents, mail_outbox,
    submissions::Model as Submission,
    AppResult,
};

/// Tells the institution and the producer that a BAST is ready: a link to
/// the hand-over page, never the file itself.
///
/// # Errors
/// On database or template failure.
#[allow(clippy::too_many_arguments)]
pub async fn bast_ready<C: ConnectionTrait>(
    conn: &C,
    base_url: &str,
    s: &Submission,
    doc: &archived_documents::Model,
    producer: &organisations::Model,
    institution: &organisations::Model,
    request: &requests::Model,
    to: &[String],
) -> AppResult<Vec<i32>> {
    let message = crate::mailers::render(
        "bast_ready",
        &json!({
            "institution": institution.name, "producer": producer.name, "ticket": s.ticket_code.clone().unwrap_or_default(),
            "request": request.number, "number": doc.number, "url": format!("{}/bast/{}", base_url.trim_end_matches('/'), s.id),
            "verify": doc.verify_url(base_url),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}
