//! The request list's search and deep pages, on each engine's own index.
//!
//! - Search: on SQLite an FTS5 table with the trigram tokenizer over
//!   `search_text` (external content, kept exact by triggers in the writing
//!   transaction; no positions kept: it only narrows, `LIKE` decides) and
//!   its vocabulary (how many rows hold each trigram); on PostgreSQL a
//!   `pg_trgm` GIN index, which serves the same `LIKE '%…%'` the list asks.
//!   Both serve any substring of three characters or more, so number
//!   prefixes (`00109okt…`) still match.
//! - Deep pages: the list's key (scope, `request_date`, `id`) with `status`
//!   riding along, so a page is found by walking the index alone and only
//!   its own rows are read (see `requests::ListQuery::page`).
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "personalization_requests";

const SQLITE_UP: &str = r"
CREATE VIRTUAL TABLE requests_search USING fts5(
    search_text, content='personalization_requests', content_rowid='id', tokenize='trigram', detail='none'
);
CREATE VIRTUAL TABLE requests_search_terms USING fts5vocab(requests_search, 'row');
CREATE TRIGGER requests_search_insert AFTER INSERT ON personalization_requests BEGIN
    INSERT INTO requests_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER requests_search_delete AFTER DELETE ON personalization_requests BEGIN
    INSERT INTO requests_search(requests_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER requests_search_update AFTER UPDATE OF search_text ON personalization_requests BEGIN
    INSERT INTO requests_search(requests_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO requests_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
INSERT INTO requests_search(requests_search) VALUES ('rebuild');
";

const SQLITE_DOWN: &str = r"
DROP TRIGGER IF EXISTS requests_search_update;
DROP TRIGGER IF EXISTS requests_search_delete;
DROP TRIGGER IF EXISTS requests_search_insert;
DROP TABLE IF EXISTS requests_search_terms;
DROP TABLE IF EXISTS requests_search;
";

const POSTGRES_UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "idx-requests-search-trgm" ON personalization_requests USING gin (search_text gin_trgm_ops);
"#;

fn list_index(name: &str, scope: Option<&str>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(TABLE));
    if let Some(scope) = scope {
        index.col(Alias::new(scope));
    }
    index.col(Alias::new("request_date")).col(Alias::new("id")).col(Alias::new("status")).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx-requests-producer-date").table(Alias::new(TABLE)).to_owned()).await?;
        m.drop_index(Index::drop().name("idx-requests-org-date").table(Alias::new(TABLE)).to_owned()).await?;
        m.create_index(list_index("idx-requests-producer-list", Some("producer_id"))).await?;
        m.create_index(list_index("idx-requests-org-list", Some("organisation_id"))).await?;
        m.create_index(list_index("idx-requests-list", None)).await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Sqlite => db.execute_unprepared(SQLITE_UP).await.map(drop),
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_UP).await.map(drop),
            _ => Ok(()),
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Sqlite => db.execute_unprepared(SQLITE_DOWN).await.map(drop)?,
            DbBackend::Postgres => db.execute_unprepared(r#"DROP INDEX IF EXISTS "idx-requests-search-trgm""#).await.map(drop)?,
            _ => {}
        }
        for name in ["idx-requests-list", "idx-requests-org-list", "idx-requests-producer-list"] {
            m.drop_index(Index::drop().name(name).table(Alias::new(TABLE)).to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .name("idx-requests-producer-date")
                .table(Alias::new(TABLE))
                .col(Alias::new("producer_id"))
                .col(Alias::new("request_date"))
                .col(Alias::new("id"))
                .col(Alias::new("search_text"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx-requests-org-date")
                .table(Alias::new(TABLE))
                .col(Alias::new("organisation_id"))
                .col(Alias::new("request_date"))
                .to_owned(),
        )
        .await
    }
}
