//! The database's migrations against this binary's: several portal
//! processes share one database, and a process built before the newest
//! migration must refuse to start (and its readiness fail) instead of
//! writing rows the newer schema does not expect.
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The migrations this binary knows.
fn known() -> Vec<String> {
    migration::Migrator::migrations().iter().map(|m| m.name().to_string()).collect()
}

/// `Ok` when every migration applied to `db` is one this binary knows (a
/// database behind the binary is fine: the first start migrates it).
///
/// # Errors
/// A sentence naming the unknown migrations and what to do.
pub async fn check(db: &DatabaseConnection) -> Result<(), String> {
    let backend = db.get_database_backend();
    // A fresh database has no migration table yet (asked first, so the
    // server log shows no error for it).
    let exists = match backend {
        sea_orm::DbBackend::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        _ => "SELECT COUNT(*)::bigint AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'seaql_migrations'",
    };
    let found = db.query_one_raw(Statement::from_string(backend, exists)).await.map_err(|e| format!("database: {e}"))?;
    if found.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0) == 0 {
        return Ok(());
    }
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations ORDER BY version"))
        .await
        .map_err(|e| format!("database: {e}"))?;
    let known = known();
    let unknown: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "version").ok()).filter(|v| !known.contains(v)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the database has migrations this build of SI-FILMA does not know ({}): it was migrated by a newer version; start that version (or upgrade this one) instead",
        unknown.join(", ")
    ))
}
