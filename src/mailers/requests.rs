//! Mails about Permintaan Personalisasi.
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{
    locale,
    models::{
        _entities::organisations, mail_outbox, personalization_requests::{Model as Request, Status}, AppResult,
    },
};

fn url(base_url: &str, request: &Request) -> String {
    format!("{}/permintaan/{}", base_url.trim_end_matches('/'), request.id)
}

/// Tells the producer that a request was addressed to it.
///
/// # Errors
/// On database or template failure.
pub async fn created<C: ConnectionTrait>(
    conn: &C,
    base_url: &str,
    request: &Request,
    institution: &organisations::Model,
    producer: &organisations::Model,
    machine_type: &str,
    to: &[String],
) -> AppResult<Vec<i32>> {
    let message = super::render(
        "request_created",
        &json!({
            "producer": producer.name, "institution": institution.name, "number": request.number, "title": request.title,
            "date": locale::date(request.request_date), "quantity": locale::group_thousands(u64::try_from(request.quantity).unwrap_or(0)),
            "machine_type": machine_type, "url": url(base_url, request),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}

/// Tells the institution that the producer approved or rejected its request.
///
/// # Errors
/// On database or template failure.
pub async fn decided<C: ConnectionTrait>(
    conn: &C,
    base_url: &str,
    request: &Request,
    institution: &organisations::Model,
    producer: &organisations::Model,
    to: &[String],
) -> AppResult<Vec<i32>> {
    let template = if request.status() == Status::Approved { "request_approved" } else { "request_rejected" };
    let message = super::render(
        template,
        &json!({
            "producer": producer.name, "institution": institution.name, "number": request.number, "title": request.title,
            "quantity": locale::group_thousands(u64::try_from(request.quantity).unwrap_or(0)),
            "reason": request.decision_note.clone().unwrap_or_default(), "url": url(base_url, request),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}
