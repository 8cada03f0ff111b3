//! Cetak Dokumen BAST: cards received per request line, and the archive of
//! generated documents (BAST, card list, Surat Balasan) with their SHA-256.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("personalization_requests")).add_column(integer_null("received_count")).to_owned()).await?;
        for col in [timestamp_with_time_zone_null("received_at"), integer_null("received_by")] {
            m.alter_table(Table::alter().table(Alias::new("submissions")).add_column(col).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(Alias::new("documents"))
                .col(pk_auto("id"))
                .col(integer("submission_id"))
                .col(integer_null("request_id"))
                // bast | card_list | reply
                .col(string_len("kind", 20))
                .col(string_len("number", 60))
                // queued | ready | failed
                .col(string_len("status", 20))
                .col(string_len("verify_code", 32))
                .col(string_len_null("sha256", 64))
                .col(string_len_null("file_key", 64))
                .col(string_len("file_name", 255))
                .col(integer_null("file_size"))
                .col(text_null("error"))
                .col(integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("ready_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("uniq-documents-number").table(Alias::new("documents")).col(Alias::new("number")).unique().to_owned()).await?;
        m.create_index(Index::create().name("idx-documents-submission").table(Alias::new("documents")).col(Alias::new("submission_id")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("documents")).to_owned()).await?;
        for col in ["received_at", "received_by"] {
            m.alter_table(Table::alter().table(Alias::new("submissions")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(Alias::new("personalization_requests")).drop_column(Alias::new("received_count")).to_owned()).await?;
        Ok(())
    }
}
