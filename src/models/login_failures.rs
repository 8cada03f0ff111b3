//! Login throttling: failures are counted per address and per (account,
//! address) over a sliding window; the table is the truth, so several
//! portal processes agree. Nothing is counted per account alone: someone
//! guessing from one address locks only that address (and that account
//! from it), never the owner logging in from elsewhere.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

pub use super::_entities::login_failures::{ActiveModel, Column, Entity, Model};
use super::errors::AppResult;

/// Failures of one account from one address that lock that pair.
pub const MAX_PER_ACCOUNT_AND_IP: u64 = 10;
/// Failures from one address, whatever the accounts, that lock the address
/// (higher: an office behind one NAT address shares it).
pub const MAX_PER_IP: u64 = 20;
/// The sliding window, in seconds (3 minutes).
pub const WINDOW_SECS: i64 = 180;

/// The counters a login attempt of `username` from `ip` touches.
#[derive(Debug, Clone)]
pub struct Keys {
    ip: String,
    pair: String,
}

impl Keys {
    #[must_use]
    pub fn new(username: &str, ip: &str) -> Self {
        let ip: String = ip.chars().take(45).collect();
        let user: String = username.trim().to_lowercase().chars().take(60).collect();
        Self { pair: format!("user:{user}|ip:{ip}"), ip: format!("ip:{ip}") }
    }

    fn limits(&self) -> [(&str, u64); 2] {
        [(self.ip.as_str(), MAX_PER_IP), (self.pair.as_str(), MAX_PER_ACCOUNT_AND_IP)]
    }
}

/// True when the address, or the account from this address, has used up
/// its failures in the window.
///
/// # Errors
/// On database failure.
pub async fn is_locked<C: ConnectionTrait>(db: &C, keys: &Keys) -> AppResult<bool> {
    let since = Utc::now() - Duration::seconds(WINDOW_SECS);
    for (key, max) in keys.limits() {
        let n = Entity::find().filter(Column::ScopeKey.eq(key)).filter(Column::CreatedAt.gt(since)).count(db).await?;
        if n >= max {
            return Ok(true);
        }
    }
    Ok(false)
}

/// # Errors
/// On database failure.
pub async fn record<C: ConnectionTrait>(db: &C, keys: &Keys) -> AppResult<()> {
    let now = Utc::now();
    for (key, _) in keys.limits() {
        ActiveModel { scope_key: Set(key.to_string()), created_at: Set(now.into()), ..Default::default() }.insert(db).await?;
    }
    Ok(())
}

/// A successful login forgives the failures of this account from this
/// address (not the address's), and rows older than the window are pruned.
///
/// # Errors
/// On database failure.
pub async fn clear_account<C: ConnectionTrait>(db: &C, keys: &Keys) -> AppResult<()> {
    Entity::delete_many().filter(Column::ScopeKey.eq(keys.pair.as_str())).exec(db).await?;
    let stale = Utc::now() - Duration::seconds(WINDOW_SECS);
    Entity::delete_many().filter(Column::CreatedAt.lt(stale)).exec(db).await?;
    Ok(())
}
