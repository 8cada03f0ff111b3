//! Login throttling: failures are counted per IP and per account over a
//! sliding window; the table is the truth, so several portal processes agree.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

pub use super::_entities::login_failures::{ActiveModel, Column, Entity, Model};
use super::errors::AppResult;

/// More than this many failures inside the window lock the key out.
pub const MAX_FAILURES: u64 = 10;
/// The sliding window, in seconds (3 minutes).
pub const WINDOW_SECS: i64 = 180;

#[must_use]
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[must_use]
pub fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

/// True when either key already has `MAX_FAILURES` failures in the window.
///
/// # Errors
/// On database failure.
pub async fn is_locked<C: ConnectionTrait>(db: &C, keys: &[String]) -> AppResult<bool> {
    let since = Utc::now() - Duration::seconds(WINDOW_SECS);
    for key in keys {
        let n = Entity::find().filter(Column::ScopeKey.eq(key.as_str())).filter(Column::CreatedAt.gt(since)).count(db).await?;
        if n >= MAX_FAILURES {
            return Ok(true);
        }
    }
    Ok(false)
}

/// # Errors
/// On database failure.
pub async fn record<C: ConnectionTrait>(db: &C, keys: &[String]) -> AppResult<()> {
    let now = Utc::now();
    for key in keys {
        ActiveModel { scope_key: Set(key.clone()), created_at: Set(now.into()), ..Default::default() }.insert(db).await?;
    }
    Ok(())
}

/// A successful login forgives the account's failures (not the IP's), and
/// rows older than the window are pruned.
///
/// # Errors
/// On database failure.
pub async fn clear_account<C: ConnectionTrait>(db: &C, username: &str) -> AppResult<()> {
    Entity::delete_many().filter(Column::ScopeKey.eq(account_key(username))).exec(db).await?;
    let stale = Utc::now() - Duration::seconds(WINDOW_SECS);
    Entity::delete_many().filter(Column::CreatedAt.lt(stale)).exec(db).await?;
    Ok(())
}
