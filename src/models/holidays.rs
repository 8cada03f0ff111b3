//! The working-day calendar: weekends are never working days, and these
//! dates (national holidays, collective leave) are not either.
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};

pub use super::_entities::holidays::{ActiveModel, Column, Entity, Model};
use super::{
    errors::{AppResult, FieldErrors},
    master_data::{self, Record},
};

impl Record for Model {
    type Entity = Entity;
    const SUBJECT: &'static str = "holiday";
    const SEARCH: &'static [Column] = &[Column::Name];
    const ORDER: Column = Column::Date;
    const ACTIVE: Column = Column::Active;
    const UPDATED_AT: Column = Column::UpdatedAt;

    fn id(&self) -> i32 {
        self.id
    }
    fn label(&self) -> String {
        format!("{} ({})", self.name, self.date)
    }
    fn is_active(&self) -> bool {
        self.active
    }
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub name: String,
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self { date: m.date.to_string(), name: m.name.clone() }
    }

    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn save(&self, db: &DatabaseConnection, admin: &super::users::Model, existing: Option<Model>, ip: &str) -> AppResult<Model> {
        let mut e = FieldErrors::new();
        let date = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").ok();
        if date.is_none() {
            e.add("date", "Tanggal wajib diisi dengan format yang benar.");
        }
        master_data::check_len(&mut e, "name", "Keterangan hari libur", &self.name, 1, 200);
        if let Some(date) = date {
            let mut dup = Entity::find().filter(Column::Date.eq(date));
            if let Some(existing) = &existing {
                dup = dup.filter(Column::Id.ne(existing.id));
            }
            if dup.count(db).await? > 0 {
                e.add("date", "Tanggal ini sudah terdaftar sebagai hari libur.");
            }
        }
        e.into_result()?;
        let now = Utc::now();
        let mut model: ActiveModel = match existing {
            Some(m) => m.into(),
            None => ActiveModel { active: Set(true), created_at: Set(now.into()), ..Default::default() },
        };
        model.date = Set(date.expect("checked"));
        model.name = Set(self.name.trim().to_string());
        model.updated_at = Set(now.into());
        master_data::save(db, admin, model, ip).await
    }
}
