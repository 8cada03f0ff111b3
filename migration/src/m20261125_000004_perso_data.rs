//! Personalization data per card (perso number, PCID, manifest number) and
//! the personalization dates of a submission.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [string_len_null("perso_number", 30), string_len_null("pcid", 32), string_len_null("manifest_number", 40), text_null("failure")] {
            m.alter_table(Table::alter().table(Alias::new("cards")).add_column(col).to_owned()).await?;
        }
        // Unique system-wide (NULLs, i.e. not generated yet, do not collide).
        for (name, col) in [("uniq-cards-perso-number", "perso_number"), ("uniq-cards-pcid", "pcid"), ("uniq-cards-manifest", "manifest_number")] {
            m.create_index(Index::create().name(name).table(Alias::new("cards")).col(Alias::new(col)).unique().to_owned()).await?;
        }
        for col in ["perso_started_at", "perso_finished_at"] {
            m.alter_table(Table::alter().table(Alias::new("submissions")).add_column(timestamp_with_time_zone_null(col)).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["uniq-cards-perso-number", "uniq-cards-pcid", "uniq-cards-manifest"] {
            m.drop_index(Index::drop().name(name).table(Alias::new("cards")).to_owned()).await?;
        }
        for col in ["perso_number", "pcid", "manifest_number", "failure"] {
            m.alter_table(Table::alter().table(Alias::new("cards")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        for col in ["perso_started_at", "perso_finished_at"] {
            m.alter_table(Table::alter().table(Alias::new("submissions")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        Ok(())
    }
}
