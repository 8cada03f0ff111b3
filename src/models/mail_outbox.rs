//! The mail outbox. A notification is written here in the same transaction
//! as the state change it announces, so the change never waits on SMTP and a
//! mail is never lost: a background worker delivers it, and failed sends are
//! retried with a growing delay.
use chrono::{Duration, Utc};
use loco_rs::mailer::{Email, EmailSender};
use std::sync::LazyLock;

use sea_orm::{
    prelude::Expr,
    sea_query::{Query, SimpleExpr},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
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

/// Tries to send one pending mail and records the outcome on the row.
///
/// # Errors
/// On database failure. A failed send is not an error: it is recorded.
pub async fn deliver(db: &DatabaseConnection, sender: &EmailSender, from: &str, log_body: bool, id: i32) -> AppResult<bool> {
    let Some(mail) = Entity::find_by_id(id).filter(Column::Status.eq(Status::Pending)).one(db).await? else {
        return Ok(false);
    };
    let outcome = try_send(sender, from, log_body, &mail).await;
    let sent = outcome.error.is_none();
    record(db, &[outcome]).await?;
    Ok(sent)
}

/// `<sifilma-outbox-<id>@<sender's domain>>`: the same for every try of one
/// outbox row, so a mail sent again after a crash (at-least-once delivery)
/// is one message to the recipient's mail program.
#[must_use]
pub fn message_id(id: i32, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("sifilma.local", |(_, d)| d.trim_end_matches('>').trim());
    format!("<sifilma-outbox-{id}@{domain}>")
}

/// One try of a claimed (or pending) mail: which mail, how many tries it
/// had before, and why it failed (none: it went out).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: i32,
    pub tried_before: i32,
    pub error: Option<String>,
}

/// Sends `mail` once; nothing is written (see [`record`]).
pub async fn try_send(sender: &EmailSender, from: &str, log_body: bool, mail: &Model) -> Outcome {
    let email = Email {
        from: Some(from.to_string()),
        to: mail.to_address.clone(),
        subject: mail.subject.clone(),
        text: mail.text_body.clone(),
        html: mail.html_body.clone(),
        headers: Some(loco_rs::mailer::EmailHeaders { message_id: Some(message_id(mail.id, from)), ..Default::default() }),
        ..Default::default()
    };
    if log_body {
        tracing::info!(to = mail.to_address, subject = mail.subject, body = mail.text_body, "mail (development: not sent over SMTP)");
    }
    let error = sender.mail(&email).await.err().map(|err| {
        tracing::warn!(mail_id = mail.id, attempts = mail.attempts + 1, err = err.to_string(), "mail send failed; will retry");
        err.to_string().chars().take(500).collect()
    });
    Outcome { id: mail.id, tried_before: mail.attempts, error }
}

/// Records tries in one write transaction: a sent mail becomes `sent`; a
/// failed one waits for its backoff, or after [`MAX_ATTEMPTS`] becomes
/// `failed`. A mail no longer pending is left as it is.
///
/// # Errors
/// On database failure (nothing is recorded then; the lease brings the
/// mails back, and a mail sent again keeps its Message-ID).
pub async fn record(db: &DatabaseConnection, outcomes: &[Outcome]) -> AppResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let now = sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now());
    let txn = super::begin_write(db).await?;
    let sent: Vec<i32> = outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.id).collect();
    let attempts = sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Attempts), 1);
    transition(&txn, &sent, Status::Sent, vec![(Column::SentAt, Some(now).into()), (Column::LastError, Option::<String>::None.into())], attempts.clone())
        .await?;
    for (o, error) in outcomes.iter().filter_map(|o| o.error.as_ref().map(|e| (o, e))) {
        let tries = o.tried_before + 1;
        let error = (Column::LastError, Some(error.clone()).into());
        if tries >= MAX_ATTEMPTS {
            transition(&txn, &[o.id], Status::Failed, vec![error], attempts.clone()).await?;
        } else {
            Entity::update_many()
                .col_expr(Column::Attempts, attempts.clone())
                .col_expr(error.0, Expr::value(error.1))
                .col_expr(Column::NextAttemptAt, Expr::value(now + backoff(tries)))
                .filter(Column::Id.eq(o.id))
                .filter(Column::Status.eq(Status::Pending))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The one place a mail's status changes: pending mails `ids` become `to`,
/// with the columns `also` and their `attempts` counted.
async fn transition<C: ConnectionTrait>(txn: &C, ids: &[i32], to: Status, also: Vec<(Column, sea_orm::Value)>, attempts: SimpleExpr) -> AppResult<u64> {
    if ids.is_empty() || !Status::Pending.can_become(to) {
        return Ok(0);
    }
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(to)).col_expr(Column::Attempts, attempts);
    for (column, value) in also {
        update = update.col_expr(column, Expr::value(value));
    }
    Ok(update.filter(Column::Id.is_in(ids.iter().copied())).filter(Column::Status.eq(Status::Pending)).exec(txn).await?.rows_affected)
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
