//! Which operators may run personalization on which station (DESIGN §1:
//! "operator — personalization runs on the stations assigned to them").
//! The admin keeps the list on the user's page; admins use any station.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("station_operators"))
                .col(pk_auto("id"))
                .col(integer("station_id"))
                .col(integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-station-operators-station")
                        .from(Alias::new("station_operators"), Alias::new("station_id"))
                        .to(Alias::new("stations"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-station-operators-user")
                        .from(Alias::new("station_operators"), Alias::new("user_id"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uniq-station-operators")
                .table(Alias::new("station_operators"))
                .col(Alias::new("user_id"))
                .col(Alias::new("station_id"))
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("station_operators")).to_owned()).await
    }
}
