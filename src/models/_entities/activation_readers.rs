use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activation_readers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub row_no: i32,
    pub machine_type_id: i32,
    pub reader_serial: String,
    pub sam_serial: String,
    pub perso_number: String,
    pub card_id: i32,
    pub province: String,
    pub city: String,
    pub note: Option<String>,
    pub status: String,
    #[sea_orm(unique)]
    pub live_sam: Option<String>,
    #[sea_orm(unique)]
    pub live_reader: Option<String>,
    #[sea_orm(unique)]
    pub activation_number: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub issued_at: Option<DateTimeWithTimeZone>,
    pub revoked_on: Option<Date>,
    pub revoke_reason: Option<String>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
