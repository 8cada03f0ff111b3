//! Pengajuan SAM Rekam Cetak (producer submissions), their card lists, and
//! the link from a request to the submission that bundles it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(name: &str, from: (&str, &str), to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(Alias::new(from.0), Alias::new(from.1))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("submissions"))
                .col(pk_auto("id"))
                .col(integer("producer_id"))
                .col(integer("machine_type_id"))
                .col(integer("created_by"))
                .col(string_len("number", 100))
                .col(string_len("title", 200))
                .col(date("created_on"))
                .col(integer("card_count"))
                .col(text_null("note"))
                .col(string_len("file_key", 64))
                .col(string_len("file_kind", 10))
                .col(string_len("file_name", 255))
                .col(integer("file_size"))
                .col(string_len("cards_file_name", 255))
                .col(string_len("status", 20))
                .col(string_len_null("ticket_code", 30))
                .col(text_null("decision_note"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(date_null("estimated_start"))
                .col(date_null("estimated_finish"))
                .col(date_null("estimated_handover"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("fk-submissions-producer", ("submissions", "producer_id"), "organisations"))
                .foreign_key(&mut fk("fk-submissions-machine-type", ("submissions", "machine_type_id"), "machine_types"))
                .foreign_key(&mut fk("fk-submissions-created-by", ("submissions", "created_by"), "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uniq-submissions-producer-number")
                .table(Alias::new("submissions"))
                .col(Alias::new("producer_id"))
                .col(Alias::new("number"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("uniq-submissions-ticket").table(Alias::new("submissions")).col(Alias::new("ticket_code")).unique().to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("idx-submissions-status-accepted")
                .table(Alias::new("submissions"))
                .col(Alias::new("status"))
                .col(Alias::new("accepted_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("cards"))
                .col(pk_auto("id"))
                .col(integer("submission_id"))
                .col(integer("request_id"))
                .col(integer("row_no"))
                .col(string_len("serial", 20))
                // The serial while the submission is alive (not rejected):
                // unique, so one blank card is in at most one live submission.
                .col(string_len_null("live_serial", 20))
                .col(string_len_null("note", 500))
                .col(string_len("status", 20))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk-cards-submission")
                        .from(Alias::new("cards"), Alias::new("submission_id"))
                        .to(Alias::new("submissions"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(&mut fk("fk-cards-request", ("cards", "request_id"), "personalization_requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("uniq-cards-live-serial").table(Alias::new("cards")).col(Alias::new("live_serial")).unique().to_owned()).await?;
        m.create_index(
            Index::create().name("idx-cards-submission-row").table(Alias::new("cards")).col(Alias::new("submission_id")).col(Alias::new("row_no")).to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx-cards-request").table(Alias::new("cards")).col(Alias::new("request_id")).to_owned()).await?;

        m.alter_table(Table::alter().table(Alias::new("personalization_requests")).add_column(integer_null("submission_id")).to_owned()).await?;
        m.create_index(
            Index::create().name("idx-requests-submission").table(Alias::new("personalization_requests")).col(Alias::new("submission_id")).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx-requests-submission").table(Alias::new("personalization_requests")).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new("personalization_requests")).drop_column(Alias::new("submission_id")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("cards")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("submissions")).to_owned()).await?;
        Ok(())
    }
}
