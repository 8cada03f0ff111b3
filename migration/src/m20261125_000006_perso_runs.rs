//! Runs of a submission's cards on a reader station, and per card the run it
//! belongs to, the reader that handled it and an admin's override.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("perso_runs"))
                .col(pk_auto("id"))
                .col(integer("submission_id"))
                .col(integer("station_id"))
                .col(integer("started_by"))
                .col(string_len("status", 20))
                // Equals submission_id while the run is running, NULL after:
                // the unique index allows one running run per submission.
                .col(integer_null("active_key"))
                .col(integer("attempt"))
                .col(integer("card_count"))
                .col(timestamp_with_time_zone("lease_until"))
                .col(text_null("readers"))
                .col(timestamp_with_time_zone_null("heartbeat_at"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("uniq-perso-runs-active").table(Alias::new("perso_runs")).col(Alias::new("active_key")).unique().to_owned())
            .await?;
        m.create_index(Index::create().name("idx-perso-runs-submission").table(Alias::new("perso_runs")).col(Alias::new("submission_id")).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("idx-perso-runs-status-lease")
                .table(Alias::new("perso_runs"))
                .col(Alias::new("status"))
                .col(Alias::new("lease_until"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("perso_run_events"))
                .col(pk_auto("id"))
                .col(integer("run_id"))
                .col(string_len("kind", 20))
                .col(string_len("reader", 100))
                .col(text("message"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx-perso-run-events-run").table(Alias::new("perso_run_events")).col(Alias::new("run_id")).to_owned()).await?;

        for col in [
            integer_null("run_id"),
            string_len_null("reader", 100),
            timestamp_with_time_zone_null("result_at"),
            integer_null("millis"),
            text_null("override_note"),
            timestamp_with_time_zone_null("acknowledged_at"),
        ] {
            m.alter_table(Table::alter().table(Alias::new("cards")).add_column(col).to_owned()).await?;
        }
        m.create_index(Index::create().name("idx-cards-run-status").table(Alias::new("cards")).col(Alias::new("run_id")).col(Alias::new("status")).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("idx-cards-submission-status")
                .table(Alias::new("cards"))
                .col(Alias::new("submission_id"))
                .col(Alias::new("status"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx-cards-run-status", "idx-cards-submission-status"] {
            m.drop_index(Index::drop().name(name).table(Alias::new("cards")).to_owned()).await?;
        }
        for col in ["run_id", "reader", "result_at", "millis", "override_note", "acknowledged_at"] {
            m.alter_table(Table::alter().table(Alias::new("cards")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(Alias::new("perso_run_events")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("perso_runs")).to_owned()).await?;
        Ok(())
    }
}
