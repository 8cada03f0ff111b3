//! Settings of the portal that the admin edits as master data, one row per
//! key (the first is `whatsapp_number`: the admin's WhatsApp number behind
//! the floating chat button). No row, or an empty value, means "not set".
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("portal_settings"))
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("key", 60))
                .col(text_null("value"))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("portal_settings")).to_owned()).await
    }
}
