use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "submissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub producer_id: i32,
    pub machine_type_id: i32,
    pub created_by: i32,
    pub number: String,
    pub title: String,
    pub created_on: Date,
    pub card_count: i32,
    pub note: Option<String>,
    pub file_key: String,
    pub file_kind: String,
    pub file_name: String,
    pub file_size: i32,
    pub cards_file_name: String,
    pub status: super::sea_orm_active_enums::SubmissionStatus,
    #[sea_orm(unique)]
    pub ticket_code: Option<String>,
    pub decision_note: Option<String>,
    pub accepted_at: Option<DateTimeWithTimeZone>,
    pub estimated_start: Option<Date>,
    pub estimated_finish: Option<Date>,
    pub estimated_handover: Option<Date>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub perso_started_at: Option<DateTimeWithTimeZone>,
    pub perso_finished_at: Option<DateTimeWithTimeZone>,
    pub received_at: Option<DateTimeWithTimeZone>,
    pub received_by: Option<i32>,
    /// Upload key of the card-list Excel as sent; `None` before it was kept.
    pub cards_file_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::organisations::Entity", from = "Column::ProducerId", to = "super::organisations::Column::Id")]
    Producer,
    #[sea_orm(has_many = "super::cards::Entity")]
    Cards,
}

impl Related<super::cards::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cards.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Producer.def()
    }
}
