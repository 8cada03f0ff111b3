//! Organisations: Dukcapil pusat, producers (whose PIC signs the BAST as
//! "Pihak Kedua"), user institutions and regency/city registry offices.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use serde::{Deserialize, Serialize};

pub use super::_entities::organisations::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{sessions, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    master_data::{self, Record},
    roles::OrgKind,
};

impl Record for Model {
    type Entity = Entity;
    const SUBJECT: &'static str = "organisation";
    const SEARCH: &'static [Column] = &[Column::Name, Column::Email];
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

    /// A deactivated organisation's people are signed out at once (their
    /// logins are refused from now on, see `users::Model::login`). The admin
    /// cannot deactivate their own organisation.
    async fn on_deactivated(&self, txn: &super::WriteTxn, admin: &users::Model, ip: &str) -> AppResult<()> {
        if admin.organisation_id == Some(self.id) {
            return Err(AppError::Conflict("Anda tidak dapat menonaktifkan organisasi Anda sendiri.".into()));
        }
        let members = users::Entity::find().select_only().column(users::Column::Id).filter(users::Column::OrganisationId.eq(self.id)).into_query();
        let ended = sessions::Entity::delete_many().filter(sessions::Column::UserId.in_subquery(members)).exec(txn).await?.rows_affected;
        Event::new(Action::OrganisationSessionsEnded, <Self as Record>::SUBJECT)
            .subject(self.id, &self.name)
            .note(format!("{ended} sesi pengguna diakhiri"))
            .record(txn, &Actor::user(admin, ip))
            .await?;
        Ok(())
    }
}

impl Model {
    #[must_use]
    pub fn kind(&self) -> OrgKind {
        OrgKind::parse(&self.kind).unwrap_or(OrgKind::Lembaga)
    }

    /// Active organisations an applicant may register an account for.
    ///
    /// # Errors
    /// On database failure.
    pub async fn open_for_registration(db: &DatabaseConnection) -> AppResult<Vec<Self>> {
        Ok(Entity::find().filter(Column::Active.eq(true)).filter(Column::Kind.ne(OrgKind::Pusat.as_str())).order_by_asc(Column::Name).all(db).await?)
    }

    /// # Errors
    /// On database failure.
    pub async fn all_ordered(db: &DatabaseConnection) -> AppResult<Vec<Self>> {
        Ok(Entity::find().order_by_asc(Column::Name).all(db).await?)
    }
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub pic_name: String,
    #[serde(default)]
    pub pic_position: String,
    #[serde(default)]
    pub pic_address: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self {
            name: m.name.clone(),
            kind: m.kind.clone(),
            address: m.address.clone().unwrap_or_default(),
            phone: m.phone.clone().unwrap_or_default(),
            email: m.email.clone().unwrap_or_default(),
            pic_name: m.pic_name.clone().unwrap_or_default(),
            pic_position: m.pic_position.clone().unwrap_or_default(),
            pic_address: m.pic_address.clone().unwrap_or_default(),
        }
    }

    /// Validates and saves (`existing` = edit). A producer needs its PIC's
    /// name, position and office address: they go into every BAST.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn save(&self, db: &DatabaseConnection, admin: &super::users::Model, existing: Option<Model>, ip: &str) -> AppResult<Model> {
        let mut e = FieldErrors::new();
        let name = self.name.trim();
        master_data::check_len(&mut e, "name", "Nama organisasi", name, 1, 200);
        let kind = OrgKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "Pilih jenis organisasi.");
        }
        if let Some(existing) = &existing {
            if kind.is_some_and(|k| k.as_str() != existing.kind)
                && super::users::Entity::find().filter(super::users::Column::OrganisationId.eq(existing.id)).count(db).await? > 0
            {
                e.add("kind", "Jenis organisasi tidak dapat diubah karena sudah memiliki akun pengguna.");
            }
        }
        if kind == Some(OrgKind::Produsen) {
            master_data::check_len(&mut e, "pic_name", "Nama PIC", &self.pic_name, 1, 200);
            master_data::check_len(&mut e, "pic_position", "Jabatan PIC", &self.pic_position, 1, 200);
            master_data::check_len(&mut e, "pic_address", "Alamat kantor PIC", &self.pic_address, 1, 1000);
        }
        master_data::check_len(&mut e, "address", "Alamat", &self.address, 0, 1000);
        master_data::check_len(&mut e, "phone", "No. Telepon", &self.phone, 0, 40);
        if !self.email.trim().is_empty() && !self.email.contains('@') {
            e.add("email", "Format email tidak valid.");
        }
        let mut dup = Entity::find().filter(Column::Name.eq(name));
        if let Some(existing) = &existing {
            dup = dup.filter(Column::Id.ne(existing.id));
        }
        if !name.is_empty() && dup.count(db).await? > 0 {
            e.add("name", "Nama organisasi sudah terdaftar.");
        }
        e.into_result()?;
        let now = Utc::now();
        let mut model: ActiveModel = match existing {
            Some(m) => m.into(),
            None => ActiveModel { active: Set(true), created_at: Set(now.into()), ..Default::default() },
        };
        model.name = Set(name.to_string());
        model.kind = Set(kind.expect("checked").as_str().to_string());
        model.address = Set(opt(&self.address));
        model.phone = Set(opt(&self.phone));
        model.email = Set(opt(&self.email).map(|s| s.to_lowercase()));
        model.pic_name = Set(opt(&self.pic_name));
        model.pic_position = Set(opt(&self.pic_position));
        model.pic_address = Set(opt(&self.pic_address));
        model.updated_at = Set(now.into());
        master_data::save(db, admin, model, ip).await
    }
}
