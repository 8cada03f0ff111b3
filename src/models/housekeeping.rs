//! Housekeeping: rows whose purpose has passed are removed on a schedule —
//! expired sessions, old login failures and throttle hits, delivered mails,
//! used or expired set-password links, and (through `job_queue`) finished
//! queue jobs.
//!
//! Rules:
//! - Removal goes in batches of at most [`BATCH`] rows, each its own short
//!   statement, with a pause between batches: the tables stay writable.
//! - Failed and pending mails are never removed (the admin must see them),
//!   nor anything that still counts: a login failure inside the throttle
//!   window, a session still valid, a link still usable.
//! - A run that removed something writes one audit row with the counts.
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;

use super::{
    _entities::{login_failures, mail_outbox, password_setups, sessions, throttle_hits},
    audit_events::{Action, Actor, Event},
    errors::AppResult,
};

/// Rows removed per statement.
pub const BATCH: u64 = 1_000;
/// Pause between two batches.
const PAUSE: StdDuration = StdDuration::from_millis(20);

/// `settings.retention`: how long finished rows are kept.
#[derive(Clone, Debug, Deserialize)]
pub struct Retention {
    /// Minutes between two housekeeping runs in a worker process.
    #[serde(default = "default_every_minutes")]
    pub every_minutes: u64,
    /// Login failures and throttle hits, once outside their window.
    #[serde(default = "default_failures_hours")]
    pub login_failures_hours: i64,
    /// Delivered mails.
    #[serde(default = "default_sent_mail_days")]
    pub sent_mail_days: i64,
    /// Finished (completed, cancelled) queue jobs.
    #[serde(default = "default_finished_jobs_hours")]
    pub finished_jobs_hours: i64,
    /// Used or expired set-password links.
    #[serde(default = "default_links_days")]
    pub password_links_days: i64,
}

const fn default_every_minutes() -> u64 {
    60
}
const fn default_failures_hours() -> i64 {
    24
}
const fn default_sent_mail_days() -> i64 {
    30
}
const fn default_finished_jobs_hours() -> i64 {
    24
}
const fn default_links_days() -> i64 {
    7
}

impl Default for Retention {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every field has a default")
    }
}

/// What one run removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Removed {
    pub sessions: u64,
    pub login_failures: u64,
    pub throttle_hits: u64,
    pub sent_mails: u64,
    pub password_links: u64,
}

impl Removed {
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.sessions + self.login_failures + self.throttle_hits + self.sent_mails + self.password_links
    }

    /// "12 sesi, 3 kegagalan login, …" for the audit note and the console.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} sesi kedaluwarsa, {} kegagalan login, {} catatan pembatasan, {} email terkirim, {} tautan atur password",
            self.sessions, self.login_failures, self.throttle_hits, self.sent_mails, self.password_links
        )
    }
}

/// Deletes the rows of `E` matching `cond`, [`BATCH`] at a time.
async fn in_batches<E>(db: &DatabaseConnection, id: E::Column, cond: Condition) -> AppResult<u64>
where
    E: EntityTrait,
{
    let mut removed = 0;
    loop {
        let ids: Vec<i32> = E::find().select_only().column(id).filter(cond.clone()).limit(BATCH).into_tuple().all(db).await?;
        if ids.is_empty() {
            return Ok(removed);
        }
        let done = E::delete_many().filter(id.is_in(ids.iter().copied())).exec(db).await?;
        removed += done.rows_affected;
        if (ids.len() as u64) < BATCH {
            return Ok(removed);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// One housekeeping run over the portal's own tables.
///
/// # Errors
/// On database failure (what was removed before stays removed).
pub async fn run(db: &DatabaseConnection, retention: &Retention, actor: &Actor) -> AppResult<Removed> {
    let now = Utc::now();
    let idle = now - Duration::seconds(super::sessions::IDLE_TIMEOUT_SECS);
    let absolute = now - Duration::seconds(super::sessions::ABSOLUTE_TIMEOUT_SECS);
    // A failure still inside the throttle window keeps counting.
    let failures_before = now - Duration::hours(retention.login_failures_hours).max(Duration::seconds(super::login_failures::WINDOW_SECS));
    let mail_before = now - Duration::days(retention.sent_mail_days);
    let links_before = now - Duration::days(retention.password_links_days);
    let removed = Removed {
        sessions: in_batches::<sessions::Entity>(
            db,
            sessions::Column::Id,
            Condition::any().add(sessions::Column::LastSeenAt.lt(idle)).add(sessions::Column::CreatedAt.lt(absolute)),
        )
        .await?,
        login_failures: in_batches::<login_failures::Entity>(
            db,
            login_failures::Column::Id,
            Condition::all().add(login_failures::Column::CreatedAt.lt(failures_before)),
        )
        .await?,
        // The longest throttle window is 10 minutes; the same retention as login failures.
        throttle_hits: in_batches::<throttle_hits::Entity>(
            db,
            throttle_hits::Column::Id,
            Condition::all().add(throttle_hits::Column::CreatedAt.lt(failures_before)),
        )
        .await?,
        sent_mails: in_batches::<mail_outbox::Entity>(
            db,
            mail_outbox::Column::Id,
            Condition::all().add(mail_outbox::Column::Status.eq(super::mail_outbox::Status::Sent)).add(mail_outbox::Column::SentAt.lt(mail_before)),
        )
        .await?,
        password_links: in_batches::<password_setups::Entity>(
            db,
            password_setups::Column::Id,
            Condition::all()
                .add(Condition::any().add(password_setups::Column::UsedAt.is_not_null()).add(password_setups::Column::ExpiresAt.lt(now)))
                .add(password_setups::Column::CreatedAt.lt(links_before)),
        )
        .await?,
    };
    if removed.total() > 0 {
        let txn = super::begin_write(db).await?;
        Event::new(Action::Housekeeping, "system").note(removed.summary()).record(&txn, actor).await?;
        txn.commit().await?;
        tracing::info!(removed = removed.summary(), "housekeeping");
    }
    Ok(removed)
}

/// Runs housekeeping every `retention.every_minutes` in this (worker)
/// process; several worker processes may each run it, the deletes are
/// idempotent.
pub fn start(db: &DatabaseConnection, retention: Retention) {
    let db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(retention.every_minutes.max(1) * 60));
        loop {
            tick.tick().await;
            if let Err(err) = run(&db, &retention, &Actor::system()).await {
                tracing::warn!(err = err.to_string(), "housekeeping failed");
            }
            // The request tallies are folded even when no list asked for them.
            if let Err(err) = super::requests::tally::fold(&db).await {
                tracing::warn!(err = err.to_string(), "folding request tallies failed");
            }
        }
    });
}
