//! PostgreSQL's trigram index of the request search is written through at
//! every insert. With GIN's default `fastupdate`, new rows first go to a
//! pending list that every search then reads in full until a vacuum merges
//! it: after 100,000 requests were added, a search read megabytes of it and
//! ran at a third of its speed until autovacuum came by. Requests arrive a
//! few at a time, so writing each into the index at once costs little.
//! SQLite's trigram index (FTS5) has no such list: nothing changes there.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "\"idx-requests-search-trgm\"";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(&format!("ALTER INDEX {INDEX} SET (fastupdate = off)")).await?;
        // What is pending now goes into the index proper.
        db.execute_unprepared(&format!("SELECT gin_clean_pending_list('{INDEX}'::regclass)")).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection().execute_unprepared(&format!("ALTER INDEX {INDEX} RESET (fastupdate)")).await.map(drop)
    }
}
