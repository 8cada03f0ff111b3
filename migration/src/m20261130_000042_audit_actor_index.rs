//! `idx-audit-actor`: a user's newest audit row, read by the dashboard on
//! every view so that counters cached in one portal process are never older
//! than the viewer's own last action made through another process.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx-audit-actor")
                .table(Alias::new("audit_events"))
                .col(Alias::new("actor_id"))
                .col(Alias::new("id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx-audit-actor").table(Alias::new("audit_events")).to_owned()).await
    }
}
