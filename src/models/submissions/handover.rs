//! Cetak Dokumen BAST: hand-over of personalized cards. Lists submissions
//! that are Done or Received; the producer enters Jumlah Diterima for each
//! request line (Submit Penerimaan → `received`).
//!
//! Reconciliation per line: requested (Qty) → listed (cards in the list) →
//! clear (personalized) → received. A line whose received count differs
//! from its clear cards is flagged on the page and in reports.
use std::collections::HashMap;

use sea_orm::{prelude::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

/// The list's query string: `status` is `done`, `received` or all.
pub use super::ListQuery;
use super::{Move, Status, Viewer};
use crate::models::{
    _entities::{cards, machine_types, organisations, personalization_requests as requests, submissions, users},
    audit_events::Actor,
    cards::Status as CardStatus,
    errors::{AppError, AppResult, FieldErrors},
    Env,
};

/// One page of Done/Received submissions the viewer may see, newest
/// finished first, and whether more follow.
///
/// # Errors
/// On database failure.
pub async fn page(
    db: &DatabaseConnection,
    q: &ListQuery,
    viewer: Viewer,
    per_page: u64,
) -> AppResult<(Vec<(submissions::Model, Option<organisations::Model>)>, crate::models::paging::Window)> {
    let statuses = match q.status.as_str() {
        "done" => vec![Status::Done],
        "received" => vec![Status::Received],
        _ => vec![Status::Done, Status::Received],
    };
    let order = [(submissions::Column::PersoFinishedAt, sea_orm::Order::Desc), (submissions::Column::Id, sea_orm::Order::Desc)];
    super::search_page(db, viewer.condition(), &statuses, q, &order, per_page).await
}

/// One request line of a submission, reconciled.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub request: requests::Model,
    pub institution: String,
    pub machine: String,
    pub requested: u64,
    pub listed: u64,
    pub clear: u64,
    pub received: Option<u64>,
    /// Received differs from clear.
    pub mismatch: bool,
}

/// The request lines of a submission, in request-number order.
///
/// # Errors
/// On database failure.
pub async fn lines<C: ConnectionTrait>(db: &C, submission: i32) -> AppResult<Vec<Line>> {
    let bundle = requests::Entity::find()
        .find_also_related(organisations::Entity)
        .filter(requests::Column::SubmissionId.eq(submission))
        .order_by_asc(requests::Column::Number)
        .all(db)
        .await?;
    let counts: Vec<(i32, CardStatus, i64)> = cards::Entity::find()
        .select_only()
        .column(cards::Column::RequestId)
        .column(cards::Column::Status)
        .column_as(cards::Column::Id.count(), "n")
        .filter(cards::Column::SubmissionId.eq(submission))
        .group_by(cards::Column::RequestId)
        .group_by(cards::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut listed: HashMap<i32, u64> = HashMap::new();
    let mut clear: HashMap<i32, u64> = HashMap::new();
    for (request, status, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        *listed.entry(request).or_default() += n;
        if status == CardStatus::Clear {
            *clear.entry(request).or_default() += n;
        }
    }
    let machines: HashMap<i32, String> = machine_types::Entity::find().all(db).await?.into_iter().map(|m| (m.id, m.name)).collect();
    Ok(bundle
        .into_iter()
        .map(|(r, org)| {
            let clear = clear.get(&r.id).copied().unwrap_or(0);
            let received = r.received_count.and_then(|n| u64::try_from(n).ok());
            Line {
                institution: org.map(|o| o.name).unwrap_or_default(),
                machine: machines.get(&r.machine_type_id).cloned().unwrap_or_default(),
                requested: u64::try_from(r.quantity).unwrap_or(0),
                listed: listed.get(&r.id).copied().unwrap_or(0),
                clear,
                mismatch: received.is_some_and(|n| n != clear),
                received,
                request: r,
            }
        })
        .collect())
}

/// Submit Penerimaan: the producer's Jumlah Diterima per line, fields
/// `received_<request id>`; 0 ≤ value ≤ the line's clear cards.
///
/// # Errors
/// `NotFound` for anyone but the submission's producer; `Invalid` with a
/// message per line; `Conflict` unless the submission is Done (received
/// twice, not finished yet).
pub async fn receive(db: &DatabaseConnection, user: &users::Model, id: i32, form: &HashMap<String, String>, env: &Env<'_>) -> AppResult<submissions::Model> {
    let Viewer::Producer(_) = Viewer::of(user) else {
        return Err(AppError::NotFound);
    };
    let txn = crate::models::begin_write(db).await?;
    let s = submissions::Model::find_for(&txn, Viewer::of(user), id).await?;
    match s.status {
        Status::Done => {}
        Status::Received => {
            return Err(AppError::Conflict(format!("Penerimaan pengajuan {} sudah dicatat; Jumlah Diterima tidak dapat diubah lagi.", s.number)))
        }
        other => {
            return Err(AppError::Conflict(format!(
                "Pengajuan {} berstatus {}; penerimaan dicatat setelah personalisasi selesai (Done).",
                s.number,
                other.label()
            )))
        }
    }
    let lines = lines(&txn, id).await?;
    let mut errors = FieldErrors::new();
    let mut values = Vec::new();
    for line in &lines {
        let field = format!("received_{}", line.request.id);
        let raw = form.get(&field).map_or("", |v| v.trim());
        let number = &line.request.number;
        let parsed = if raw.is_empty() {
            Err(format!("Jumlah Diterima untuk {number} wajib diisi."))
        } else if raw.starts_with('-') && raw[1..].chars().all(|c| c.is_ascii_digit()) && raw.len() > 1 {
            Err(format!("Jumlah Diterima untuk {number} tidak boleh negatif."))
        } else if !raw.chars().all(|c| c.is_ascii_digit()) || raw.len() > 9 {
            Err(format!("Jumlah Diterima untuk {number} harus berupa angka bulat 0 sampai {}.", line.clear))
        } else {
            let n: u64 = raw.parse().unwrap_or(u64::MAX);
            if n > line.clear {
                Err(format!("Jumlah Diterima untuk {number} ({n}) melebihi kartu yang berhasil dipersonalisasi (Clear: {}).", line.clear))
            } else {
                Ok(n)
            }
        };
        match parsed {
            Ok(n) => values.push((line.request.id, n)),
            Err(message) => errors.add(&field, message),
        }
    }
    errors.into_result()?;
    for (request, n) in &values {
        requests::Entity::update_many()
            .col_expr(requests::Column::ReceivedCount, Expr::value(i32::try_from(*n).unwrap_or(i32::MAX)))
            .filter(requests::Column::Id.eq(*request))
            .exec(&txn)
            .await?;
    }
    let summary: Vec<String> = lines
        .iter()
        .zip(&values)
        .map(|(l, (_, n))| format!("{}: diterima {n} dari {} clear{}", l.request.number, l.clear, if *n == l.clear { "" } else { " (selisih)" }))
        .collect();
    let summary = summary.join("; ");
    let actor = Actor::user(user, env.ip);
    let also = vec![(submissions::Column::ReceivedBy, user.id.into())];
    let (received, _) = super::transition(&txn, &s, Move { to: Status::Received, actor: &actor, note: Some(&summary), env, also }).await?;

    txn.commit().await?;
    Ok(received)
}
