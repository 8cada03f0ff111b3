//! The personalization queue: Kode Tiket numbering and the estimates of
//! every accepted or running submission (Estimasi Mulai/Selesai), computed
//! by `schedule` from the stations' capacity and the holiday calendar.
use chrono::{NaiveDate, Utc};
use sea_orm::{prelude::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    schedule::{self, Calendar, QueueEntry, Rules},
    Column, Entity, Status,
};
use crate::models::{
    _entities::{holidays, stations},
    AppResult,
};

/// The next Kode Tiket of `today`'s year.
pub(super) async fn next_ticket<C: ConnectionTrait>(txn: &C, today: NaiveDate) -> AppResult<String> {
    use chrono::Datelike;
    let prefix = format!("PERSO-{}-", today.year());
    let last = Entity::find()
        .filter(Column::TicketCode.starts_with(&prefix))
        .order_by_desc(Column::TicketCode)
        .one(txn)
        .await?
        .and_then(|s| s.ticket_code)
        .and_then(|c| c.trim_start_matches(&prefix).parse::<u32>().ok())
        .unwrap_or(0);
    Ok(format!("{prefix}{:05}", last + 1))
}

/// The working-day calendar from master data (active holidays).
///
/// # Errors
/// On database failure.
pub async fn calendar<C: ConnectionTrait>(db: &C) -> AppResult<Calendar> {
    let days = holidays::Entity::find().filter(holidays::Column::Active.eq(true)).all(db).await?;
    Ok(Calendar::new(days.into_iter().map(|h| h.date)))
}

/// Recomputes Estimasi Mulai/Selesai of every accepted or running
/// submission, in acceptance order, from the active stations' capacity.
///
/// # Errors
/// On database failure.
pub async fn reschedule<C: ConnectionTrait>(txn: &C, disposition_days: u32) -> AppResult<()> {
    let capacity: i64 = stations::Entity::find().filter(stations::Column::Active.eq(true)).all(txn).await?.iter().map(|s| i64::from(s.capacity_per_day)).sum();
    let capacity = if capacity > 0 { capacity } else { i64::from(crate::models::stations::DEFAULT_CAPACITY) };
    let queue = Entity::find()
        .filter(Column::Status.is_in([Status::Accepted, Status::InProgress]))
        .order_by_asc(Column::AcceptedAt)
        .order_by_asc(Column::Id)
        .all(txn)
        .await?;
    let wib = crate::locale::wib();
    let entries: Vec<QueueEntry> = queue
        .iter()
        .map(|s| QueueEntry {
            id: s.id,
            accepted_on: s.accepted_at.map_or_else(|| Utc::now().with_timezone(&wib).date_naive(), |t| t.with_timezone(&wib).date_naive()),
            cards: u32::try_from(s.card_count).unwrap_or(0),
        })
        .collect();
    let rules = Rules { capacity_per_day: u32::try_from(capacity).unwrap_or(u32::MAX), disposition_days };
    let plan = schedule::plan(&entries, &rules, &calendar(txn).await?, Utc::now().with_timezone(&wib).date_naive());
    for estimate in plan {
        Entity::update_many()
            .col_expr(Column::EstimatedStart, Expr::value(estimate.start))
            .col_expr(Column::EstimatedFinish, Expr::value(estimate.finish))
            .col_expr(Column::EstimatedHandover, Expr::value(estimate.handover))
            .filter(Column::Id.eq(estimate.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
