//! The uploaded card-list Excel itself is kept (under a server-generated
//! key), so Pengajuan can offer it for download as the producer sent it.
//! Submissions created before have no key: their list is rebuilt from the
//! imported rows.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("submissions")).add_column(ColumnDef::new(Alias::new("cards_file_key")).string_len(64).null()).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("submissions")).drop_column(Alias::new("cards_file_key")).to_owned()).await
    }
}
