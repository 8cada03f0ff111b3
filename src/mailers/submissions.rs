//! Mails about Pengajuan SAM Rekam Cetak.
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{
    locale,
    models::{
        _entities::organisations, mail_outbox, submissions::{Model as Submission, Status}, AppResult,
    },
};

fn url(base_url: &str, s: &Submission) -> String {
    format!("{}/pengajuan/{}", base_url.trim_end_matches('/'), s.id)
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(locale::long_date).unwrap_or_default()
}

/// Tells the producer that the admin accepted (with Kode Tiket and the
/// estimated dates) or rejected (with the reason) its submission.
///
/// # Errors
/// On database or template failure.
pub async fn decided<C: ConnectionTrait>(conn: &C, base_url: &str, s: &Submission, producer: &organisations::Model, to: &[String]) -> AppResult<Vec<i32>> {
    let template = if s.status() == Status::Accepted { "submission_accepted" } else { "submission_rejected" };
    let message = super::render(
        template,
        &json!({
            "producer": producer.name, "number": s.number, "title": s.title, "ticket": s.ticket_code.clone().unwrap_or_default(),
            "cards": locale::group_thousands(u64::try_from(s.card_count).unwrap_or(0)), "start": date(s.estimated_start), "finish": date(s.estimated_finish),
            "reason": s.decision_note.clone().unwrap_or_default(), "url": url(base_url, s),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}

/// Tells an institution that a submission carrying its requests was accepted.
///
/// # Errors
/// On database or template failure.
pub async fn accepted_for_institution<C: ConnectionTrait>(
    conn: &C,
    base_url: &str,
    s: &Submission,
    producer: &organisations::Model,
    institution: &organisations::Model,
    request_numbers: &[String],
    to: &[String],
) -> AppResult<Vec<i32>> {
    let message = super::render(
        "submission_accepted_institution",
        &json!({
            "institution": institution.name, "producer": producer.name, "ticket": s.ticket_code.clone().unwrap_or_default(),
            "requests": request_numbers.join(", "), "start": date(s.estimated_start), "finish": date(s.estimated_finish), "url": url(base_url, s),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}

/// Tells an institution that its cards are personalized (Status Done).
///
/// # Errors
/// On database or template failure.
#[allow(clippy::too_many_arguments)]
pub async fn done_for_institution<C: ConnectionTrait>(
    conn: &C,
    base_url: &str,
    s: &Submission,
    producer: &organisations::Model,
    institution: &organisations::Model,
    request_numbers: &[String],
    clear: u64,
    total: u64,
    to: &[String],
) -> AppResult<Vec<i32>> {
    let message = super::render(
        "submission_done_institution",
        &json!({
            "institution": institution.name, "producer": producer.name, "ticket": s.ticket_code.clone().unwrap_or_default(),
            "requests": request_numbers.join(", "), "clear": locale::group_thousands(clear), "total": locale::group_thousands(total),
            "handover": date(s.estimated_handover), "url": url(base_url, s),
        }),
    )?;
    mail_outbox::enqueue(conn, to, &message).await
}
