//! Server-side sessions. The browser holds a random token; the database holds
//! only its SHA-256, so a leaked table does not log anyone in.
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

pub use super::_entities::sessions::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{organisations, users},
    errors::AppResult,
};

pub mod memory;

/// A session ends after 30 minutes without a request…
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// …and 12 hours after login, whatever happens.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;
/// `last_seen_at` is written at most this often, to keep page views read-only.
const TOUCH_EVERY_SECS: i64 = 60;

#[must_use]
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[must_use]
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A signed-in request: the session, its user and the user's organisation.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: Model,
    pub user: users::Model,
    pub organisation: Option<organisations::Model>,
}

/// Opens a session for `user_id`; returns the token for the cookie.
///
/// # Errors
/// On database failure.
pub async fn open<C: ConnectionTrait>(db: &C, user_id: i32, ip: &str, user_agent: &str) -> AppResult<String> {
    let token = random_token();
    let now = Utc::now();
    ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        csrf_token: Set(random_token()),
        ip: Set(ip.chars().take(64).collect()),
        user_agent: Set(user_agent.chars().take(300).collect()),
        created_at: Set(now.into()),
        last_seen_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn expired(session: &Model, now: DateTime<Utc>) -> bool {
    let created: DateTime<Utc> = session.created_at.into();
    let seen: DateTime<Utc> = session.last_seen_at.into();
    now - seen > Duration::seconds(IDLE_TIMEOUT_SECS) || now - created > Duration::seconds(ABSOLUTE_TIMEOUT_SECS)
}

/// The live session for a cookie token, if any. Expired sessions are deleted
/// on sight; sessions of accounts that are no longer active, or whose
/// organisation was deactivated, do not count (and are deleted too). A
/// session resolved lately comes from memory while nothing that could
/// change it has changed (see [`memory`]).
///
/// # Errors
/// On database failure.
pub async fn resolve(db: &DatabaseConnection, token: &str) -> AppResult<Option<Arc<Current>>> {
    let token_hash = hash_token(token);
    let now = Utc::now();
    let generation = memory::generation(db).await;
    if let Some(current) = generation.and_then(|g| memory::recall(db, &token_hash, g)) {
        if !expired(&current.session, now) && !touch_due(&current.session, now) {
            return Ok(Some(current));
        }
    }
    // One query: the session, its user and the user's organisation.
    let Some((session, Some(user), organisation)) = Entity::find()
        .filter(Column::TokenHash.eq(token_hash.as_str()))
        .find_also_related(users::Entity)
        .and_also_related(organisations::Entity)
        .one(db)
        .await?
    else {
        memory::forget(db, &token_hash);
        return Ok(None);
    };
    let organisation_inactive = organisation.as_ref().is_some_and(|o| !o.active);
    if expired(&session, now) || user.status != super::users::Status::Active || organisation_inactive {
        memory::forget(db, &token_hash);
        Entity::delete_by_id(session.id).exec(db).await?;
        return Ok(None);
    }
    let session = if touch_due(&session, now) {
        let mut active: ActiveModel = session.into();
        active.last_seen_at = Set(now.into());
        active.update(db).await?
    } else {
        session
    };
    let current = Arc::new(Current { session, user, organisation });
    if let Some(g) = generation {
        memory::keep(db, token_hash, &current, g);
    }
    Ok(Some(current))
}

/// Whether `last_seen_at` is due to be written again.
fn touch_due(session: &Model, now: DateTime<Utc>) -> bool {
    let seen: DateTime<Utc> = session.last_seen_at.into();
    now - seen > Duration::seconds(TOUCH_EVERY_SECS)
}

/// # Errors
/// On database failure.
pub async fn close<C: ConnectionTrait>(db: &C, session_id: i32) -> AppResult<()> {
    Entity::delete_by_id(session_id).exec(db).await?;
    Ok(())
}

/// Logs `current` out: its session row is deleted and the logout audited,
/// in one write transaction.
///
/// # Errors
/// On database failure.
pub async fn sign_out(db: &sea_orm::DatabaseConnection, current: &Current, ip: &str) -> AppResult<()> {
    use super::audit_events::{Action, Actor, Event};
    let txn = super::begin_write(db).await?;
    close(&txn, current.session.id).await?;
    Event::new(Action::Logout, "user").subject(current.user.id, &current.user.username).record(&txn, &Actor::user(&current.user, ip)).await?;
    txn.commit().await?;
    Ok(())
}

/// Revokes every session of the user except `keep` (none when `None`).
///
/// # Errors
/// On database failure.
pub async fn close_all_for_user<C: ConnectionTrait>(db: &C, user_id: i32, keep: Option<i32>) -> AppResult<u64> {
    let mut q = Entity::delete_many().filter(Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}
