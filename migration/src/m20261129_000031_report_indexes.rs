//! Indexes for Rekapitulasi (Reports). A recap starts from the request lines
//! of a period and reaches their cards through `request_id`:
//! - `idx-requests-date`: the admin's period without a producer or
//!   institution (theirs use `idx-requests-producer-date` / `-org-date`);
//! - `idx-cards-request-recap`: every card figure (status, station through
//!   the run, day of the result) is read from this index alone, never from
//!   the card rows (measured in `benches/reports.rs`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 2] = [
    ("idx-requests-date", "personalization_requests", &["request_date"]),
    ("idx-cards-request-recap", "cards", &["request_id", "status", "run_id", "result_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.if_not_exists().name(name).table(Alias::new(table));
            for col in cols {
                index.col(Alias::new(*col));
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
