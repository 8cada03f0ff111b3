//! Personalization stations: a host with PC/SC readers and a daily capacity
//! (cards per 8-hour working day) that the scheduler counts on.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};

pub mod operators;

pub use super::_entities::stations::{ActiveModel, Column, Entity, Model};
use super::{
    errors::{AppResult, FieldErrors},
    master_data::{self, Record},
};

/// FAQ: one station personalizes about 250 cards in an 8-hour day.
pub const DEFAULT_CAPACITY: i32 = 250;

impl Record for Model {
    type Entity = Entity;
    const SUBJECT: &'static str = "station";
    const SEARCH: &'static [Column] = &[Column::Code, Column::Name];
    const ORDER: Column = Column::Code;
    const ACTIVE: Column = Column::Active;
    const UPDATED_AT: Column = Column::UpdatedAt;

    fn id(&self) -> i32 {
        self.id
    }
    fn label(&self) -> String {
        format!("{} ({})", self.name, self.code)
    }
    fn is_active(&self) -> bool {
        self.active
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub readers: String,
    #[serde(default)]
    pub capacity_per_day: String,
}

impl Default for Form {
    fn default() -> Self {
        Self { code: String::new(), name: String::new(), readers: "4".into(), capacity_per_day: DEFAULT_CAPACITY.to_string() }
    }
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self { code: m.code.clone(), name: m.name.clone(), readers: m.readers.to_string(), capacity_per_day: m.capacity_per_day.to_string() }
    }

    /// The code names the station's Redis queue (`station:<code>`), so it is
    /// restricted to upper-case letters, digits and '-'.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn save(&self, db: &DatabaseConnection, admin: &super::users::Model, existing: Option<Model>, ip: &str) -> AppResult<Model> {
        let mut e = FieldErrors::new();
        let code = self.code.trim().to_uppercase();
        master_data::check_len(&mut e, "code", "Kode stasiun", &code, 2, 40);
        if !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-') {
            e.add("code", "Kode stasiun hanya berisi huruf, angka dan tanda '-'.");
        }
        master_data::check_len(&mut e, "name", "Nama stasiun", &self.name, 1, 200);
        let readers = master_data::parse_int(&mut e, "readers", "Jumlah reader", &self.readers, 1, 16);
        let capacity = master_data::parse_int(&mut e, "capacity_per_day", "Kapasitas per hari", &self.capacity_per_day, 1, 100_000);
        let mut dup = Entity::find().filter(Column::Code.eq(code.as_str()));
        if let Some(existing) = &existing {
            dup = dup.filter(Column::Id.ne(existing.id));
        }
        if !code.is_empty() && dup.count(db).await? > 0 {
            e.add("code", "Kode stasiun sudah dipakai.");
        }
        e.into_result()?;
        let now = Utc::now();
        let mut model: ActiveModel = match existing {
            Some(m) => m.into(),
            None => ActiveModel { active: Set(true), created_at: Set(now.into()), ..Default::default() },
        };
        model.code = Set(code);
        model.name = Set(self.name.trim().to_string());
        model.readers = Set(readers.expect("checked"));
        model.capacity_per_day = Set(capacity.expect("checked"));
        model.updated_at = Set(now.into());
        master_data::save(db, admin, model, ip).await
    }
}
