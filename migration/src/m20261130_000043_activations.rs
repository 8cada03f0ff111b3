//! Sistem Aktivasi Kartu SAM: activation requests (Permohonan Aktivasi
//! Card Reader Terintegrasi) and their readers. A reader line that binds
//! (pending or active) holds its SAM serial and reader S/N in `live_sam` /
//! `live_reader`, both unique: one SAM and one reader are in at most one
//! live activation, whoever files at the same moment. Revoked and void
//! lines clear them, which frees the SAM for a new reader.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("activation_requests"))
                .col(pk_auto("id"))
                .col(integer("applicant_id"))
                .col(integer("institution_id"))
                .col(integer("created_by"))
                .col(string_len("letter_number", 100))
                .col(date("letter_date"))
                .col(string_len("file_key", 64))
                .col(string_len("file_kind", 10))
                .col(string_len("file_name", 200))
                .col(integer("file_size"))
                .col(string_len("status", 20))
                .col(text_null("decision_note"))
                .col(integer_null("decided_by"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-activation-requests-institution")
                        .from(Alias::new("activation_requests"), Alias::new("institution_id"))
                        .to(Alias::new("organisations"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-activation-requests-institution")
                .table(Alias::new("activation_requests"))
                .col(Alias::new("institution_id"))
                .col(Alias::new("status"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-activation-requests-status")
                .table(Alias::new("activation_requests"))
                .col(Alias::new("status"))
                .col(Alias::new("id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("activation_readers"))
                .col(pk_auto("id"))
                .col(integer("request_id"))
                .col(integer("row_no"))
                .col(integer("machine_type_id"))
                .col(string_len("reader_serial", 100))
                .col(string_len("sam_serial", 60))
                .col(string_len("perso_number", 60))
                .col(integer("card_id"))
                .col(string_len("province", 100))
                .col(string_len("city", 100))
                .col(text_null("note"))
                .col(string_len("status", 20))
                .col(string_len_null("live_sam", 60))
                .col(string_len_null("live_reader", 100))
                .col(string_len_null("activation_number", 40))
                .col(date_null("valid_from"))
                .col(date_null("valid_until"))
                .col(timestamp_with_time_zone_null("issued_at"))
                .col(date_null("revoked_on"))
                .col(text_null("revoke_reason"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk-activation-readers-request")
                        .from(Alias::new("activation_readers"), Alias::new("request_id"))
                        .to(Alias::new("activation_requests"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, col, unique) in [
            ("uniq-activation-readers-live-sam", "live_sam", true),
            ("uniq-activation-readers-live-reader", "live_reader", true),
            ("uniq-activation-readers-number", "activation_number", true),
            ("idx-activation-readers-request", "request_id", false),
            ("idx-activation-readers-status", "status", false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new("activation_readers")).col(Alias::new(col));
            if unique {
                index.unique();
            }
            m.create_index(index.to_owned()).await?;
        }
        // Cards by serial: the activation checks look SAMs up by it.
        m.create_index(Index::create().if_not_exists().name("idx-cards-serial").table(Alias::new("cards")).col(Alias::new("serial")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx-cards-serial").table(Alias::new("cards")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("activation_readers")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("activation_requests")).to_owned()).await
    }
}
