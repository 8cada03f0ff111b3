//! Jenis Mesin: the reader machine types a request is for.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};

pub use super::_entities::machine_types::{ActiveModel, Column, Entity, Model};
use super::{
    errors::{AppResult, FieldErrors},
    master_data::{self, Record},
};

impl Record for Model {
    type Entity = Entity;
    const SUBJECT: &'static str = "machine_type";
    const SEARCH: &'static [Column] = &[Column::Name, Column::Description];
    const ORDER: Column = Column::Name;
    const ACTIVE: Column = Column::Active;
    const UPDATED_AT: Column = Column::UpdatedAt;

    fn id(&self) -> i32 {
        self.id
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn is_active(&self) -> bool {
        self.active
    }
}

impl Model {
    /// The active machine type a form chose by id, or a message on
    /// `machine_type_id`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn chosen<C: sea_orm::ConnectionTrait>(db: &C, raw_id: &str, errors: &mut FieldErrors) -> AppResult<Option<Self>> {
        let found = match raw_id.trim().parse::<i32>() {
            Ok(id) => Entity::find_by_id(id).filter(Column::Active.eq(true)).one(db).await?,
            Err(_) => None,
        };
        if found.is_none() {
            errors.add("machine_type_id", "Pilih jenis mesin yang aktif.");
        }
        Ok(found)
    }
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self { name: m.name.clone(), description: m.description.clone().unwrap_or_default() }
    }

    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn save(&self, db: &DatabaseConnection, admin: &super::users::Model, existing: Option<Model>, ip: &str) -> AppResult<Model> {
        let mut e = FieldErrors::new();
        let name = self.name.trim();
        master_data::check_len(&mut e, "name", "Nama jenis mesin", name, 1, 200);
        master_data::check_len(&mut e, "description", "Keterangan", &self.description, 0, 1000);
        let mut dup = Entity::find().filter(Column::Name.eq(name));
        if let Some(existing) = &existing {
            dup = dup.filter(Column::Id.ne(existing.id));
        }
        if !name.is_empty() && dup.count(db).await? > 0 {
            e.add("name", "Jenis mesin dengan nama ini sudah ada.");
        }
        e.into_result()?;
        let now = Utc::now();
        let mut model: ActiveModel = match existing {
            Some(m) => m.into(),
            None => ActiveModel { active: Set(true), created_at: Set(now.into()), ..Default::default() },
        };
        model.name = Set(name.to_string());
        let d = self.description.trim();
        model.description = Set((!d.is_empty()).then(|| d.to_string()));
        model.updated_at = Set(now.into());
        master_data::save(db, admin, model, ip).await
    }
}
