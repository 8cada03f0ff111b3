//! The number of an approved activation request's reply letter (Surat
//! Balasan Aktivasi), `AKT-<year>-<00001>`: unique, given at approval; each
//! activated reader's number is it plus the reader's line.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Alias::new("activation_requests")).add_column(ColumnDef::new(Alias::new("reply_number")).string_len(40).null()).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("uniq-activation-requests-reply").table(Alias::new("activation_requests")).col(Alias::new("reply_number")).unique().to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("uniq-activation-requests-reply").table(Alias::new("activation_requests")).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new("activation_requests")).drop_column(Alias::new("reply_number")).to_owned()).await
    }
}
