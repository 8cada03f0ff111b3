//! Dukcapil officials who sign the BAST as "Pihak Pertama".
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use serde::{Deserialize, Serialize};

pub use super::_entities::officials::{ActiveModel, Column, Entity, Model};
use super::{
    errors::{AppResult, FieldErrors},
    master_data::{self, Record},
};

impl Record for Model {
    type Entity = Entity;
    const SUBJECT: &'static str = "official";
    const SEARCH: &'static [Column] = &[Column::Name, Column::Position, Column::Nip];
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

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub nip: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub office_address: String,
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self { name: m.name.clone(), nip: m.nip.clone().unwrap_or_default(), position: m.position.clone(), office_address: m.office_address.clone() }
    }

    /// NIP, when given, is the 18-digit civil-servant number.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn save(&self, db: &DatabaseConnection, admin: &super::users::Model, existing: Option<Model>, ip: &str) -> AppResult<Model> {
        let mut e = FieldErrors::new();
        master_data::check_len(&mut e, "name", "Nama pejabat", &self.name, 1, 200);
        master_data::check_len(&mut e, "position", "Jabatan", &self.position, 1, 200);
        master_data::check_len(&mut e, "office_address", "Alamat kantor", &self.office_address, 1, 1000);
        let nip = self.nip.trim().replace(' ', "");
        if !nip.is_empty() && (nip.len() != 18 || !nip.chars().all(|c| c.is_ascii_digit())) {
            e.add("nip", "NIP terdiri dari 18 angka.");
        }
        e.into_result()?;
        let now = Utc::now();
        let mut model: ActiveModel = match existing {
            Some(m) => m.into(),
            None => ActiveModel { active: Set(true), created_at: Set(now.into()), ..Default::default() },
        };
        model.name = Set(self.name.trim().to_string());
        model.nip = Set((!nip.is_empty()).then_some(nip));
        model.position = Set(self.position.trim().to_string());
        model.office_address = Set(self.office_address.trim().to_string());
        model.updated_at = Set(now.into());
        master_data::save(db, admin, model, ip).await
    }
}
