//! The mail outbox. A notification is written here in the same transaction
//! as the state change it announces, so the change never waits on SMTP and a
//! mail is never lost: a background worker delivers it, and failed sends are
//! retried with a growing delay.
use chrono::{Duration, Utc};
use loco_rs::mailer::{Email, EmailSender};
use std::sync::LazyLock;

use sea_orm::{
    prelude::Expr, sea_query::Query, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
};
use tokio::sync::Notify;

pub use super::_entities::mail_outbox::{ActiveModel, Column, Entity, Model};
use super::errors::AppResult;

pub use super::_entities::sea_orm_active_enums::MailStatus as Status;
pub use crate::mailers::Message;

/// Tries before a mail is given up (`failed`, visible to the admin).
pub const MAX_ATTEMPTS: i32 = 8;

impl Status {
    /// `pending → sent | failed`; nothing leaves `sent` or `failed`.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::Pending, Self::Sent | Self::Failed))
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pending => "Menunggu dikirim",
            Self::Sent => "Terkirim",
            Self::Failed => "Gagal dikirim",
        }
    }
}

/// Queues `message` for every address in `to` (duplicates and blanks
/// skipped) on `conn` — pass the transaction of the change.
///
/// # Errors
/// On database failure (the caller's transaction then rolls back).
pub async fn enqueue<C: ConnectionTrait>(conn: &C, to: &[String], message: &Message) -> AppResult<Vec<i32>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut ids = Vec::new();
    let now = Utc::now();
    for address in to.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
        if !seen.insert(address.clone()) {
            continue;
        }
        let row = ActiveModel {
            to_address: Set(address),
            subject: Set(message.subject.clone()),
            text_body: Set(message.text.clone()),
            html_body: Set(message.html.clone()),
            status: Set(Status::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now.into()),
            created_at: Set(now.into()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        ids.push(row.id);
    }
    Ok(ids)
}

/// Delay before the next try after `attempts` failures: 30 s, 1 min, 2 min,
/// … capped at one hour.
#[must_use]
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds((30_i64 << attempts.clamp(0, 7)).min(3600))
}

/// Tries to send one pending mail; records the outcome on the row.
///
/// # Errors
/// On database failure. A failed send is not an error: it is recorded.
pub async fn deliver(db: &DatabaseConnection, sender: &EmailSender, from: &str, log_body: bool, id: i32) -> AppResult<bool> {
    let Some(mail) = Entity::find_by_id(id).filter(Column::Status.eq(Status::Pending)).one(db).await? else {
        return Ok(false);
    };
    send(db, sender, from, log_body, mail).await
}

/// `<sifilma-outbox-<id>@<sender's domain>>`: the same for every try of one
/// outbox row, so a mail sent again after a crash (at-least-once delivery)
/// is one message to the recipient's mail program.
#[must_use]
pub fn message_id(id: i32, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("sifilma.local", |(_, d)| d.trim_end_matches('>').trim());
    format!("<sifilma-outbox-{id}@{domain}>")
}

/// Sends `mail` (claimed or just read as pending) and records the outcome.
///
/// # Errors
/// On database failure.
pub async fn send(db: &DatabaseConnection, sender: &EmailSender, from: &str, log_body: bool, mail: Model) -> AppResult<bool> {
    let id = mail.id;
    let email = Email {
        from: Some(from.to_string()),
        to: mail.to_address.clone(),
        subject: mail.subject.clone(),
        text: mail.text_body.clone(),
        html: mail.html_body.clone(),
        headers: Some(loco_rs::mailer::EmailHeaders { message_id: Some(message_id(id, from)), ..Default::default() }),
        ..Default::default()
    };
    if log_body {
        tracing::info!(to = mail.to_address, subject = mail.subject, body = mail.text_body, "mail (development: not sent over SMTP)");
    }
    let result = sender.mail(&email).await;
    let attempts = mail.attempts + 1;
    let mut row: ActiveModel = mail.into();
    row.attempts = Set(attempts);
    match result {
        Ok(()) => {
            row.status = Set(Status::Sent);
            row.sent_at = Set(Some(Utc::now().into()));
            row.last_error = Set(None);
            row.update(db).await?;
            Ok(true)
        }
        Err(err) => {
            tracing::warn!(mail_id = id, attempts, err = err.to_string(), "mail send failed; will retry");
            row.last_error = Set(Some(err.to_string().chars().take(500).collect()));
            if attempts >= MAX_ATTEMPTS {
                row.status = Set(Status::Failed);
            } else {
                row.next_attempt_at = Set((Utc::now() + backoff(attempts)).into());
            }
            row.update(db).await?;
            Ok(false)
        }
    }
}

/// A claimed mail is left to the sweeper that claimed it for this long; if
/// that process dies before recording the outcome, another one sends it.
pub const LEASE_SECS: i64 = 300;

/// Claims up to `limit` mails whose (re)try is due, oldest first, for this
/// sweeper: their next try moves [`LEASE_SECS`] ahead, so a sweeper of
/// another process does not take them too (the outer condition is checked
/// again on each row after any concurrent claim).
///
/// # Errors
/// On database failure.
pub async fn claim_due(db: &DatabaseConnection, limit: u64) -> AppResult<Vec<Model>> {
    let now = Utc::now();
    let due = Query::select()
        .column(Column::Id)
        .from(Entity)
        .and_where(Column::Status.eq(Status::Pending))
        .and_where(Column::NextAttemptAt.lte(now))
        .order_by(Column::NextAttemptAt, Order::Asc)
        .order_by(Column::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    let txn = super::begin_write(db).await?;
    let mut claimed = Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(now + Duration::seconds(LEASE_SECS)))
        .filter(Column::Id.in_subquery(due))
        .filter(Column::Status.eq(Status::Pending))
        .filter(Column::NextAttemptAt.lte(now))
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// Hands claimed mails `ids` that are still pending back: due now.
///
/// # Errors
/// On database failure.
pub async fn release(db: &DatabaseConnection, ids: &[i32]) -> AppResult<u64> {
    let txn = super::begin_write(db).await?;
    let done = Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now())))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::Status.eq(Status::Pending))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}

/// Wakes this process's sweeper after a transaction that queued mails
/// committed (a wake-up with no sweeper waiting is kept for the next wait).
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

pub fn wake() {
    WAKE.notify_one();
}

/// Waits for [`wake`].
pub async fn woken() {
    WAKE.notified().await;
}
