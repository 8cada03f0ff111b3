//! One number that changes whenever what a session cookie resolves to may
//! have changed: a session deleted or its owner, token or age changed, a
//! user or an organisation changed or deleted. Triggers bump it in the transaction of the change,
//! on both engines, whichever process or tool makes the change. Portal
//! processes keep the sessions they resolved in memory only while this
//! number stays as they last read it (`models::sessions`).
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The changes that alter what a cookie resolves to. A session's
/// `last_seen_at` alone is left out: every active session writes it each
/// minute, and it would make every process forget every session each time.
const WATCHED: [(&str, &str); 6] = [
    ("sessions", "UPDATE OF user_id, token_hash, csrf_token, created_at"),
    ("sessions", "DELETE"),
    ("users", "UPDATE"),
    ("users", "DELETE"),
    ("organisations", "UPDATE"),
    ("organisations", "DELETE"),
];

/// SQLite has row triggers only: one per watched table and change.
fn sqlite_triggers() -> impl Iterator<Item = (String, &'static str, &'static str)> {
    WATCHED.into_iter().map(|(table, op)| (format!("sign_in_generation_{table}_{}", if op == "DELETE" { "delete" } else { "update" }), op, table))
}

// Once per statement: a statement that closes many sessions bumps it once.
const POSTGRES_UP: &str = r"
CREATE FUNCTION sign_in_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sign_in_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER sign_in_generation_sessions AFTER UPDATE OF user_id, token_hash, csrf_token, created_at OR DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sign_in_generation_bump();
CREATE TRIGGER sign_in_generation_users AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sign_in_generation_bump();
CREATE TRIGGER sign_in_generation_organisations AFTER UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION sign_in_generation_bump();
";

const POSTGRES_DOWN: &str = r"
DROP TRIGGER IF EXISTS sign_in_generation_organisations ON organisations;
DROP TRIGGER IF EXISTS sign_in_generation_users ON users;
DROP TRIGGER IF EXISTS sign_in_generation_sessions ON sessions;
DROP FUNCTION IF EXISTS sign_in_generation_bump();
";

#[derive(DeriveIden)]
enum SignInGeneration {
    Table,
    Id,
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
                .table(SignInGeneration::Table)
                .col(ColumnDef::new(SignInGeneration::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(SignInGeneration::N).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO sign_in_generation (id, n) VALUES (1, 0)").await?;
        match m.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, op, table) in sqlite_triggers() {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN UPDATE sign_in_generation SET n = n + 1 WHERE id = 1; END"
                    ))
                    .await?;
                }
                Ok(())
            }
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_UP).await.map(drop),
            _ => Ok(()),
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, _, _) in sqlite_triggers() {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}")).await?;
                }
            }
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DOWN).await.map(drop)?,
            _ => {}
        }
        m.drop_table(Table::drop().table(SignInGeneration::Table).to_owned()).await
    }
}
