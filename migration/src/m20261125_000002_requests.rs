//! Permintaan Personalisasi (LP requests) and the mail outbox that carries
//! every notification of a state change.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("personalization_requests"))
                .col(pk_auto("id"))
                .col(integer("organisation_id"))
                .col(integer("producer_id"))
                .col(integer("machine_type_id"))
                .col(integer("created_by"))
                .col(string_len("number", 100))
                .col(string_len("title", 200))
                .col(date("request_date"))
                .col(integer("quantity"))
                .col(text_null("remarks"))
                .col(string_len("file_key", 64))
                .col(string_len("file_kind", 10))
                .col(string_len("file_name", 255))
                .col(integer("file_size"))
                .col(string_len("status", 20))
                .col(text_null("decision_note"))
                // Lower-cased "number title institution": the search box
                // scans one column instead of three through a join.
                .col(text("search_text"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-requests-organisation")
                        .from(Alias::new("personalization_requests"), Alias::new("organisation_id"))
                        .to(Alias::new("organisations"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-requests-producer")
                        .from(Alias::new("personalization_requests"), Alias::new("producer_id"))
                        .to(Alias::new("organisations"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-requests-machine-type")
                        .from(Alias::new("personalization_requests"), Alias::new("machine_type_id"))
                        .to(Alias::new("machine_types"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-requests-created-by")
                        .from(Alias::new("personalization_requests"), Alias::new("created_by"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // The letter number is unique within the requesting organisation.
        m.create_index(
            Index::create()
                .name("uniq-requests-org-number")
                .table(Alias::new("personalization_requests"))
                .col(Alias::new("organisation_id"))
                .col(Alias::new("number"))
                .unique()
                .to_owned(),
        )
        .await?;
        // The producer's table: filtered by producer (and status), newest
        // first. `search_text` rides along so a search scans the index alone,
        // without fetching each row.
        m.create_index(
            Index::create()
                .name("idx-requests-producer-date")
                .table(Alias::new("personalization_requests"))
                .col(Alias::new("producer_id"))
                .col(Alias::new("request_date"))
                .col(Alias::new("id"))
                .col(Alias::new("search_text"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-requests-producer-status-date")
                .table(Alias::new("personalization_requests"))
                .col(Alias::new("producer_id"))
                .col(Alias::new("status"))
                .col(Alias::new("request_date"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-requests-org-date")
                .table(Alias::new("personalization_requests"))
                .col(Alias::new("organisation_id"))
                .col(Alias::new("request_date"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("mail_outbox"))
                .col(pk_auto("id"))
                .col(string_len("to_address", 200))
                .col(string_len("subject", 300))
                .col(text("text_body"))
                .col(text("html_body"))
                .col(string_len("status", 20))
                .col(integer("attempts").default(0))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx-outbox-due").table(Alias::new("mail_outbox")).col(Alias::new("status")).col(Alias::new("next_attempt_at")).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("mail_outbox")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("personalization_requests")).to_owned()).await?;
        Ok(())
    }
}
