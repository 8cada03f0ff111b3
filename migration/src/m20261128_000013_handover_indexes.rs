//! Indexes that fix the plans of a submission's documents whatever the
//! planner statistics say (a BAST read 100k requests with stale ones):
//! the bundle's requests by submission in number order, and its cards
//! counted per request and status from the index alone.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx-requests-submission-number")
                .table(Alias::new("personalization_requests"))
                .col(Alias::new("submission_id"))
                .col(Alias::new("number"))
                .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("idx-requests-submission").table(Alias::new("personalization_requests")).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("idx-cards-submission-request-status")
                .table(Alias::new("cards"))
                .col(Alias::new("submission_id"))
                .col(Alias::new("request_id"))
                .col(Alias::new("status"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx-cards-submission-request-status").table(Alias::new("cards")).to_owned()).await?;
        m.create_index(
            Index::create().name("idx-requests-submission").table(Alias::new("personalization_requests")).col(Alias::new("submission_id")).to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("idx-requests-submission-number").table(Alias::new("personalization_requests")).to_owned()).await
    }
}
