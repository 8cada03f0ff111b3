//! Fewer index entries per new card. A card list of 1,000 rows wrote
//! 12,000 index entries, and under load its `INSERT` was the database's
//! largest cost (PostgreSQL indexes `NULL`s too). Now:
//! - the perso-data numbers (`perso_number`, `pcid`, `manifest_number`)
//!   stay unique, but only once set: partial indexes `WHERE … IS NOT NULL`;
//! - `idx-cards-run-status` holds only cards given to a run;
//! - `idx-cards-request` goes: `idx-cards-request-recap` starts with the
//!   same column and serves every lookup by request (and the foreign key).
//!
//! Every query on these columns compares them with a value, which implies
//! `IS NOT NULL` on both engines, so the partial indexes keep serving them.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, columns, unique) made partial on the first column being set.
const PARTIAL: [(&str, &str, bool); 4] = [
    ("uniq-cards-perso-number", "perso_number", true),
    ("uniq-cards-pcid", "pcid", true),
    ("uniq-cards-manifest", "manifest_number", true),
    ("idx-cards-run-status", "run_id, status", false),
];

fn create(name: &str, columns: &str, unique: bool, partial: bool) -> String {
    let unique = if unique { "UNIQUE " } else { "" };
    let first = columns.split(',').next().unwrap_or(columns).trim();
    let filter = if partial { format!(" WHERE {first} IS NOT NULL") } else { String::new() };
    format!("CREATE {unique}INDEX \"{name}\" ON cards ({columns}){filter}")
}

/// Runs `statements` in order, in the migration's transaction: one
/// connection, all or nothing (outside it, another pooled SQLite
/// connection may still read the schema from before a drop and refuse the
/// new index as existing).
async fn run(m: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    for statement in statements {
        m.get_connection().execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = Vec::new();
        for (name, columns, unique) in PARTIAL {
            statements.push(format!("DROP INDEX \"{name}\""));
            statements.push(create(name, columns, unique, true));
        }
        statements.push("DROP INDEX \"idx-cards-request\"".to_string());
        run(m, statements).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = vec![create("idx-cards-request", "request_id", false, false)];
        for (name, columns, unique) in PARTIAL {
            statements.push(format!("DROP INDEX \"{name}\""));
            statements.push(create(name, columns, unique, false));
        }
        run(m, statements).await
    }
}
