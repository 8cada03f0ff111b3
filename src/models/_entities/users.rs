use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub name: String,
    #[sea_orm(unique)]
    pub email: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub photo_key: Option<String>,
    pub photo_type: Option<String>,
    pub role: String,
    pub organisation_id: Option<i32>,
    pub status: super::sea_orm_active_enums::UserStatus,
    pub last_login_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::organisations::Entity", from = "Column::OrganisationId", to = "super::organisations::Column::Id")]
    Organisations,
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisations.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
