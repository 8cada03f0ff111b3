use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "perso_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub submission_id: i32,
    pub station_id: i32,
    pub started_by: i32,
    pub status: super::sea_orm_active_enums::RunStatus,
    #[sea_orm(unique)]
    pub active_key: Option<i32>,
    pub attempt: i32,
    pub card_count: i32,
    pub lease_until: DateTimeWithTimeZone,
    pub readers: Option<String>,
    pub heartbeat_at: Option<DateTimeWithTimeZone>,
    pub started_at: DateTimeWithTimeZone,
    pub finished_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::stations::Entity", from = "Column::StationId", to = "super::stations::Column::Id")]
    Station,
}

impl Related<super::stations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Station.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
