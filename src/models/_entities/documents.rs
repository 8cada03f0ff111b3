use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub submission_id: Option<i32>,
    pub request_id: Option<i32>,
    pub kind: String,
    #[sea_orm(unique)]
    pub number: String,
    pub status: super::sea_orm_active_enums::DocumentStatus,
    pub verify_code: String,
    pub sha256: Option<String>,
    pub file_key: Option<String>,
    pub file_name: String,
    pub file_size: Option<i32>,
    pub error: Option<String>,
    pub created_by: i32,
    pub created_at: DateTimeWithTimeZone,
    pub ready_at: Option<DateTimeWithTimeZone>,
    pub activation_request_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
