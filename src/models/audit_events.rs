//! The audit trail: one row per state change, login decision and master-data
//! change, always written through the same connection (transaction) as the
//! change it records.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;

pub use super::_entities::audit_events::{ActiveModel, Column, Entity, Model};
use super::{_entities::users, errors::AppResult};

/// Who did it and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i32>,
    pub name: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    #[must_use]
    pub fn user(user: &users::Model, ip: &str) -> Self {
        Self { id: Some(user.id), name: Some(user.username.clone()), ip: Some(ip.to_string()) }
    }

    #[must_use]
    pub fn anonymous(name: Option<String>, ip: &str) -> Self {
        Self { id: None, name, ip: Some(ip.to_string()) }
    }
}

/// One audit row under construction.
#[derive(Debug, Clone)]
pub struct Event {
    action: &'static str,
    subject_type: &'static str,
    subject_id: Option<i32>,
    subject_label: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    note: Option<String>,
}

impl Event {
    #[must_use]
    pub fn new(action: &'static str, subject_type: &'static str) -> Self {
        Self {
            action,
            subject_type,
            subject_id: None,
            subject_label: None,
            from_state: None,
            to_state: None,
            note: None,
        }
    }

    #[must_use]
    pub fn subject(mut self, id: i32, label: impl Into<String>) -> Self {
        self.subject_id = Some(id);
        self.subject_label = Some(label.into());
        self
    }

    #[must_use]
    pub fn transition(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.from_state = Some(from.into());
        self.to_state = Some(to.into());
        self
    }

    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Writes the row on `conn`: pass the transaction of the change.
    ///
    /// # Errors
    /// When the insert fails; the caller's transaction then rolls back too.
    pub async fn record<C: ConnectionTrait>(self, conn: &C, actor: &Actor) -> AppResult<()> {
        ActiveModel {
            actor_id: Set(actor.id),
            actor_name: Set(actor.name.clone()),
            action: Set(self.action.to_string()),
            subject_type: Set(self.subject_type.to_string()),
            subject_id: Set(self.subject_id),
            subject_label: Set(self.subject_label),
            from_state: Set(self.from_state),
            to_state: Set(self.to_state),
            note: Set(self.note),
            ip: Set(actor.ip.clone()),
            created_at: Set(Utc::now().into()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        Ok(())
    }
}

/// Filters of the admin's audit page and export.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<u64>,
}

impl AuditFilter {
    fn query(&self) -> sea_orm::Select<Entity> {
        let mut q = Entity::find();
        if !self.actor.trim().is_empty() {
            q = q.filter(Column::ActorName.contains(self.actor.trim().to_lowercase()));
        }
        if !self.action.trim().is_empty() {
            q = q.filter(Column::Action.starts_with(self.action.trim()));
        }
        if !self.subject.trim().is_empty() {
            q = q.filter(Column::SubjectType.eq(self.subject.trim()));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(self.from.trim(), "%Y-%m-%d") {
            let start = d.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(crate::views::filters::wib());
            if let Some(start) = start.single() {
                q = q.filter(Column::CreatedAt.gte(start.with_timezone(&Utc)));
            }
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(self.to.trim(), "%Y-%m-%d") {
            let end = (d + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(crate::views::filters::wib());
            if let Some(end) = end.single() {
                q = q.filter(Column::CreatedAt.lt(end.with_timezone(&Utc)));
            }
        }
        q.order_by_desc(Column::Id)
    }

    /// One page of events, newest first, and the number of pages.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page<C: ConnectionTrait>(&self, db: &C, per_page: u64) -> AppResult<(Vec<Model>, u64, u64)> {
        let paginator = self.query().paginate(db, per_page);
        let total = paginator.num_pages().await?;
        let page = self.page.unwrap_or(1).max(1);
        let rows = paginator.fetch_page(page - 1).await?;
        Ok((rows, page, total))
    }

    /// Every matching event, capped so an export cannot exhaust memory.
    ///
    /// # Errors
    /// On database failure.
    pub async fn all<C: ConnectionTrait>(&self, db: &C, cap: u64) -> AppResult<Vec<Model>> {
        Ok(self.query().limit(cap).all(db).await?)
    }
}
