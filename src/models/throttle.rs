//! Per-address throttles of the public forms (Mendaftar Akun, the verify
//! page's upload). Each accepted hit is a row of `throttle_hits`; a hit
//! beyond the limit inside the sliding window is refused and not counted,
//! so the address is free again once its old hits age out.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

pub use super::_entities::throttle_hits::{ActiveModel, Column, Entity, Model};
use super::{
    audit_events::{Action, Actor, Event},
    errors::AppResult,
};

/// A limit: at most `max` hits per address within `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub scope: &'static str,
    pub max: u64,
    pub window_secs: i64,
    /// The wait, in words, for the refusal message.
    pub wait: &'static str,
}

/// Mendaftar Akun: 5 registrations per address in 10 minutes.
pub const REGISTRATION: Limit = Limit { scope: "daftar", max: 5, window_secs: 600, wait: "10 menit" };
/// Verify page uploads: 10 files per address in 10 minutes.
pub const VERIFY_UPLOAD: Limit = Limit { scope: "verifikasi", max: 10, window_secs: 600, wait: "10 menit" };

impl Limit {
    fn key(&self, ip: &str) -> String {
        format!("{}:ip:{}", self.scope, ip.chars().take(64).collect::<String>())
    }

    /// Counts one hit of `ip`; `false` (nothing counted) when the address
    /// already used up its hits in the window.
    ///
    /// # Errors
    /// On database failure.
    pub async fn hit<C: ConnectionTrait>(&self, db: &C, ip: &str) -> AppResult<bool> {
        let key = self.key(ip);
        let now = Utc::now();
        let since = now - Duration::seconds(self.window_secs);
        Entity::delete_many().filter(Column::ScopeKey.eq(key.as_str())).filter(Column::CreatedAt.lte(since)).exec(db).await?;
        let used = Entity::find().filter(Column::ScopeKey.eq(key.as_str())).filter(Column::CreatedAt.gt(since)).count(db).await?;
        if used >= self.max {
            return Ok(false);
        }
        ActiveModel { scope_key: Set(key), created_at: Set(now.into()), ..Default::default() }.insert(db).await?;
        Ok(true)
    }

    /// [`Self::hit`] in a transaction of its own; a refusal is audited as
    /// `refused` (on `subject`) in that same transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn admit(&self, db: &DatabaseConnection, ip: &str, refused: Action, subject: &'static str) -> AppResult<bool> {
        let txn = crate::models::begin_write(db).await?;
        let admitted = self.hit(&txn, ip).await?;
        if !admitted {
            Event::new(refused, subject).record(&txn, &Actor::anonymous(None, ip)).await?;
        }
        txn.commit().await?;
        Ok(admitted)
    }

    /// The sentence a refused visitor reads.
    #[must_use]
    pub fn message(&self, what: &str) -> String {
        format!("Terlalu banyak {what} dari alamat jaringan Anda. Silakan coba lagi dalam {}.", self.wait)
    }

    /// `Retry-After`, in seconds.
    #[must_use]
    pub fn retry_after(&self) -> String {
        self.window_secs.to_string()
    }
}
