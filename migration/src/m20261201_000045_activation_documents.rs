//! The archive of generated documents also holds the documents of an
//! activation request (its Surat Balasan Aktivasi): a document belongs to
//! exactly one owner, a submission (`submission_id`) or an activation
//! request (`activation_request_id`), and the table says so with a check.
//!
//! One archive rather than a second table: document numbers stay unique
//! across every kind (`uniq-documents-number`), and the public verification,
//! the worker, the backup and the SHA-256 checks keep reading one table.
//!
//! PostgreSQL drops the NOT NULL and adds the column and its constraints in
//! place. SQLite cannot change a column's nullability: the table is rebuilt
//! (copy, drop, rename) inside this migration's transaction, with its rows,
//! ids, AUTOINCREMENT high-water mark and indexes.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "documents";
const REBUILT: &str = "documents_rebuilt";
/// The columns every version of the table has, in their order.
const COLUMNS: &str =
    "id, submission_id, request_id, kind, number, status, verify_code, sha256, file_key, file_name, file_size, error, created_by, created_at, ready_at";
const OWNER_CHECK: &str = "chk-documents-one-owner";
const ACTIVATION_FK: &str = "fk-documents-activation-request";
const ACTIVATION_INDEX: &str = "idx-documents-activation-request";

/// `documents` as the SQLite rebuild creates it: as before, with
/// `submission_id` nullable when `activation` is set and the new owner
/// column, its foreign key and the one-owner check added.
fn sqlite_table(name: &str, activation: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).col(pk_auto("id"));
    if activation {
        t.col(integer_null("submission_id"));
    } else {
        t.col(integer("submission_id"));
    }
    t.col(integer_null("request_id"))
        .col(string_len("kind", 20))
        .col(string_len("number", 60))
        .col(string_len("status", 20))
        .col(string_len("verify_code", 32))
        .col(string_len_null("sha256", 64))
        .col(string_len_null("file_key", 64))
        .col(string_len("file_name", 255))
        .col(integer_null("file_size"))
        .col(text_null("error"))
        .col(integer("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("ready_at"));
    if activation {
        t.col(integer_null("activation_request_id"))
            .foreign_key(
                ForeignKey::create()
                    .name(ACTIVATION_FK)
                    .from(Alias::new(name), Alias::new("activation_request_id"))
                    .to(Alias::new("activation_requests"), Alias::new("id")),
            )
            .check((Alias::new(OWNER_CHECK), Expr::cust("(submission_id IS NULL) <> (activation_request_id IS NULL)")));
    }
    t.to_owned()
}

/// The indexes of `documents`, (name, columns, unique).
fn indexes(activation: bool) -> Vec<(&'static str, &'static str, bool)> {
    let mut all = vec![("uniq-documents-number", "number", true), ("idx-documents-submission", "submission_id", false)];
    if activation {
        all.push((ACTIVATION_INDEX, "activation_request_id", false));
    }
    all
}

/// Rebuilds SQLite's `documents` into the shape `activation` says, keeping
/// every row, its id and the AUTOINCREMENT counter, then its indexes.
async fn sqlite_rebuild(m: &SchemaManager<'_>, activation: bool) -> Result<(), DbErr> {
    let db = m.get_connection();
    if !activation {
        // The old shape has no place for an activation request's documents.
        db.execute_unprepared("DELETE FROM documents WHERE submission_id IS NULL").await?;
    }
    m.create_table(sqlite_table(REBUILT, activation)).await?;
    db.execute_unprepared(&format!("INSERT INTO {REBUILT} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE}")).await?;
    // Ids are never reused: keep the counter of the old table (a deleted
    // document's id may be above every remaining one).
    let seq = db
        .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(DbBackend::Sqlite, format!("SELECT seq FROM sqlite_sequence WHERE name = '{TABLE}'")))
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok());
    m.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await?;
    m.rename_table(Table::rename().table(Alias::new(REBUILT), Alias::new(TABLE)).to_owned()).await?;
    if let Some(seq) = seq {
        db.execute_unprepared(&format!("DELETE FROM sqlite_sequence WHERE name = '{TABLE}'")).await?;
        db.execute_unprepared(&format!("INSERT INTO sqlite_sequence (name, seq) SELECT '{TABLE}', MAX({seq}, COALESCE(MAX(id), 0)) FROM {TABLE}")).await?;
    }
    for (name, col, unique) in indexes(activation) {
        let mut index = Index::create();
        index.name(name).table(Alias::new(TABLE)).col(Alias::new(col));
        if unique {
            index.unique();
        }
        m.create_index(index.to_owned()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The SQLite rebuild is several statements: all or nothing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            return sqlite_rebuild(m, true).await;
        }
        m.get_connection().execute_unprepared(&format!("ALTER TABLE {TABLE} ALTER COLUMN submission_id DROP NOT NULL")).await?;
        m.alter_table(Table::alter().table(Alias::new(TABLE)).add_column(integer_null("activation_request_id")).to_owned()).await?;
        m.create_foreign_key(
            ForeignKey::create()
                .name(ACTIVATION_FK)
                .from(Alias::new(TABLE), Alias::new("activation_request_id"))
                .to(Alias::new("activation_requests"), Alias::new("id"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE {TABLE} ADD CONSTRAINT \"{OWNER_CHECK}\" CHECK ((submission_id IS NULL) <> (activation_request_id IS NULL))"
            ))
            .await?;
        m.create_index(Index::create().name(ACTIVATION_INDEX).table(Alias::new(TABLE)).col(Alias::new("activation_request_id")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            return sqlite_rebuild(m, false).await;
        }
        m.get_connection().execute_unprepared(&format!("DELETE FROM {TABLE} WHERE submission_id IS NULL")).await?;
        m.drop_index(Index::drop().name(ACTIVATION_INDEX).table(Alias::new(TABLE)).to_owned()).await?;
        m.get_connection().execute_unprepared(&format!("ALTER TABLE {TABLE} DROP CONSTRAINT \"{OWNER_CHECK}\"")).await?;
        m.drop_foreign_key(ForeignKey::drop().name(ACTIVATION_FK).table(Alias::new(TABLE)).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new(TABLE)).drop_column(Alias::new("activation_request_id")).to_owned()).await?;
        m.get_connection().execute_unprepared(&format!("ALTER TABLE {TABLE} ALTER COLUMN submission_id SET NOT NULL")).await.map(|_| ())
    }
}
