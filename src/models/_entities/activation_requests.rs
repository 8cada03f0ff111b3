use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activation_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub applicant_id: i32,
    pub institution_id: i32,
    pub created_by: i32,
    pub letter_number: String,
    pub letter_date: Date,
    pub file_key: String,
    pub file_kind: String,
    pub file_name: String,
    pub file_size: i32,
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(unique)]
    pub reply_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
