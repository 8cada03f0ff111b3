//! Request counts by scope and status, kept by the database itself.
//!
//! `request_tallies` holds signed deltas: every insert, delete or change of
//! status (or of producer or institution) of a request adds rows — `+1` for
//! the new key, `-1` for the old — through triggers, in the transaction of
//! the change. Nothing is ever updated in place, so concurrent changes take
//! no lock on a shared counter row (and cannot deadlock on one). A count is
//! the sum of its key's rows; the rows are folded into one per key from
//! time to time (`requests::tally::fold`). The table starts with the counts
//! of the requests already there.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &str = r"
CREATE TRIGGER request_tallies_insert AFTER INSERT ON personalization_requests BEGIN
    INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (new.producer_id, new.organisation_id, new.status, 1);
END;
CREATE TRIGGER request_tallies_delete AFTER DELETE ON personalization_requests BEGIN
    INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (old.producer_id, old.organisation_id, old.status, -1);
END;
CREATE TRIGGER request_tallies_update AFTER UPDATE OF status, producer_id, organisation_id ON personalization_requests
WHEN old.status IS NOT new.status OR old.producer_id IS NOT new.producer_id OR old.organisation_id IS NOT new.organisation_id BEGIN
    INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (old.producer_id, old.organisation_id, old.status, -1);
    INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (new.producer_id, new.organisation_id, new.status, 1);
END;
";

const SQLITE_DOWN: &str = r"
DROP TRIGGER IF EXISTS request_tallies_update;
DROP TRIGGER IF EXISTS request_tallies_delete;
DROP TRIGGER IF EXISTS request_tallies_insert;
";

const POSTGRES_UP: &str = r"
CREATE FUNCTION request_tallies_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (OLD.producer_id, OLD.organisation_id, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO request_tallies (producer_id, organisation_id, status, n) VALUES (NEW.producer_id, NEW.organisation_id, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER request_tallies_insert_delete AFTER INSERT OR DELETE ON personalization_requests
    FOR EACH ROW EXECUTE FUNCTION request_tallies_follow();
CREATE TRIGGER request_tallies_update AFTER UPDATE OF status, producer_id, organisation_id ON personalization_requests
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.producer_id IS DISTINCT FROM NEW.producer_id OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
    EXECUTE FUNCTION request_tallies_follow();
";

const POSTGRES_DOWN: &str = r"
DROP TRIGGER IF EXISTS request_tallies_update ON personalization_requests;
DROP TRIGGER IF EXISTS request_tallies_insert_delete ON personalization_requests;
DROP FUNCTION IF EXISTS request_tallies_follow();
";

const BACKFILL: &str = "INSERT INTO request_tallies (producer_id, organisation_id, status, n) \
     SELECT producer_id, organisation_id, status, COUNT(*) FROM personalization_requests GROUP BY producer_id, organisation_id, status";

#[derive(DeriveIden)]
enum RequestTallies {
    Table,
    Id,
    ProducerId,
    OrganisationId,
    Status,
    N,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RequestTallies::Table)
                .col(ColumnDef::new(RequestTallies::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(RequestTallies::ProducerId).integer().not_null())
                .col(ColumnDef::new(RequestTallies::OrganisationId).integer().not_null())
                .col(ColumnDef::new(RequestTallies::Status).string().not_null())
                .col(ColumnDef::new(RequestTallies::N).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        for (name, scope) in [("idx-request-tallies-producer", RequestTallies::ProducerId), ("idx-request-tallies-org", RequestTallies::OrganisationId)] {
            m.create_index(Index::create().name(name).table(RequestTallies::Table).col(scope).col(RequestTallies::Status).col(RequestTallies::N).to_owned())
                .await?;
        }
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Sqlite => db.execute_unprepared(SQLITE_UP).await.map(drop)?,
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_UP).await.map(drop)?,
            _ => {}
        }
        db.execute_unprepared(BACKFILL).await.map(drop)
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Sqlite => db.execute_unprepared(SQLITE_DOWN).await.map(drop)?,
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DOWN).await.map(drop)?,
            _ => {}
        }
        m.drop_table(Table::drop().table(RequestTallies::Table).to_owned()).await
    }
}
