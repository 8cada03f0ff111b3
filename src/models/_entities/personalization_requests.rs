use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "personalization_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub producer_id: i32,
    pub machine_type_id: i32,
    pub created_by: i32,
    pub number: String,
    pub title: String,
    pub request_date: Date,
    pub quantity: i32,
    pub remarks: Option<String>,
    pub file_key: String,
    pub file_kind: String,
    pub file_name: String,
    pub file_size: i32,
    pub status: super::sea_orm_active_enums::RequestStatus,
    pub decision_note: Option<String>,
    #[serde(skip)]
    pub search_text: String,
    pub decided_at: Option<DateTimeWithTimeZone>,
    pub submission_id: Option<i32>,
    pub received_count: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::organisations::Entity", from = "Column::OrganisationId", to = "super::organisations::Column::Id")]
    Organisation,
    #[sea_orm(belongs_to = "super::organisations::Entity", from = "Column::ProducerId", to = "super::organisations::Column::Id")]
    Producer,
    #[sea_orm(belongs_to = "super::machine_types::Entity", from = "Column::MachineTypeId", to = "super::machine_types::Column::Id")]
    MachineType,
}

impl ActiveModelBehavior for ActiveModel {}

/// The requesting institution (the producer is reached through `Relation::Producer`).
impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}
