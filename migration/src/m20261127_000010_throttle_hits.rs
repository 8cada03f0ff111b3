//! Hits of the public forms that are throttled per address (registration,
//! the verify page's upload): one row per accepted hit, counted over a
//! sliding window, so several portal processes agree.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("throttle_hits"))
                .col(pk_auto("id"))
                .col(string_len("scope_key", 120))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-throttle-hits-key")
                .table(Alias::new("throttle_hits"))
                .col(Alias::new("scope_key"))
                .col(Alias::new("created_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("throttle_hits")).to_owned()).await
    }
}
