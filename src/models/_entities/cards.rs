use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub submission_id: i32,
    pub request_id: i32,
    pub row_no: i32,
    pub serial: String,
    pub live_serial: Option<String>,
    pub note: Option<String>,
    pub status: super::sea_orm_active_enums::CardStatus,
    pub created_at: DateTimeWithTimeZone,
    #[sea_orm(unique)]
    pub perso_number: Option<String>,
    #[sea_orm(unique)]
    pub pcid: Option<String>,
    #[sea_orm(unique)]
    pub manifest_number: Option<String>,
    pub failure: Option<String>,
    pub run_id: Option<i32>,
    pub reader: Option<String>,
    pub result_at: Option<DateTimeWithTimeZone>,
    pub millis: Option<i32>,
    pub override_note: Option<String>,
    pub acknowledged_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::submissions::Entity", from = "Column::SubmissionId", to = "super::submissions::Column::Id", on_delete = "Cascade")]
    Submission,
}

impl Related<super::submissions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Submission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
