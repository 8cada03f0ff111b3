//! Upkeep of Loco's job queue table (BAST documents are built through it).
//!
//! Loco creates the table without an index on the job id, by which every
//! job is claimed and finished, and never removes finished jobs; its SQLite
//! queue file stays in rollback-journal mode (an fsync per claim and per
//! finish). Worker processes therefore put the SQLite file in WAL mode, add
//! the id index (and on PostgreSQL the index Loco's claim query needs), and
//! remove jobs finished more than `settings.retention.finished_jobs_hours`
//! ago every hour, in batches.
use std::time::Duration;

use loco_rs::config::QueueConfig;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// How often finished jobs are removed.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The queue's connection and table, when it lives in a database.
async fn open(config: &QueueConfig) -> Option<(DatabaseConnection, &'static str)> {
    let (uri, table) = match config {
        QueueConfig::Sqlite(c) => (c.uri.clone(), "sqlt_loco_queue"),
        QueueConfig::Postgres(c) => (c.uri.clone(), "pg_loco_queue"),
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    match Database::connect(sea_orm::ConnectOptions::new(uri).max_connections(1).min_connections(0).sqlx_logging(false).to_owned()).await {
        Ok(db) => Some((db, table)),
        Err(err) => {
            tracing::warn!(err = err.to_string(), "job queue upkeep: cannot open the queue database");
            None
        }
    }
}

/// The statements that make the queue table fit for its queries.
fn tuning(backend: DbBackend, table: &str) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => vec!["PRAGMA journal_mode = WAL".into(), format!("CREATE INDEX IF NOT EXISTS idx_{table}_id ON {table} (id)")],
        _ => vec![
            format!("CREATE INDEX IF NOT EXISTS idx_{table}_id ON {table} (id)"),
            format!("CREATE INDEX IF NOT EXISTS idx_{table}_status_run_at ON {table} (status, run_at)"),
        ],
    }
}

/// The statement that removes one batch of jobs finished more than `hours`
/// ago (Loco writes `updated_at` as `CURRENT_TIMESTAMP` text on SQLite).
fn purge(backend: DbBackend, table: &str, hours: i64) -> String {
    let before = match backend {
        DbBackend::Sqlite => format!("datetime('now', '-{hours} hours')"),
        _ => format!("now() - interval '{hours} hours'"),
    };
    let batch = super::housekeeping::BATCH;
    format!("DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE status IN ('completed', 'cancelled') AND updated_at < {before} LIMIT {batch})")
}

/// Removes the jobs finished more than `hours` ago, a batch at a time.
async fn purge_all(db: &DatabaseConnection, table: &str, hours: i64) -> Result<u64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let mut removed = 0;
    loop {
        let done = db.execute_unprepared(&purge(backend, table, hours)).await?.rows_affected();
        removed += done;
        if done < super::housekeeping::BATCH {
            return Ok(removed);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One purge now (the `housekeeping` task); `None` when the queue does not
/// live in a database.
///
/// # Errors
/// On database failure.
pub async fn purge_once(config: &QueueConfig, hours: i64) -> Result<Option<u64>, sea_orm::DbErr> {
    let Some((db, table)) = open(config).await else { return Ok(None) };
    let removed = purge_all(&db, table, hours).await?;
    db.close().await?;
    Ok(Some(removed))
}

/// Tunes the queue table now and purges it every hour (started with the
/// worker; the queue must already be set up, as Loco does at boot).
pub async fn start_upkeep(config: &QueueConfig, finished_jobs_hours: i64) {
    let Some((db, table)) = open(config).await else { return };
    let backend = db.get_database_backend();
    for statement in tuning(backend, table) {
        if let Err(err) = db.execute_unprepared(&statement).await {
            tracing::warn!(err = err.to_string(), statement, "job queue upkeep failed");
        }
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            match purge_all(&db, table, finished_jobs_hours).await {
                Ok(removed) if removed > 0 => tracing::info!(removed, "finished jobs removed from the queue"),
                Ok(_) => {}
                Err(err) => tracing::warn!(err = err.to_string(), "job queue purge failed"),
            }
        }
    });
}

/// Jobs due and waiting, and the age of the oldest of them.
#[derive(Debug, Default, sea_orm::FromQueryResult)]
pub struct Depth {
    pub queued: i64,
    pub oldest_secs: Option<f64>,
}

/// A connection of its own to the queue's table, for the metrics endpoint.
pub struct Probe {
    db: DatabaseConnection,
    table: &'static str,
}

impl Probe {
    /// `None` when the queue does not live in a database or cannot be
    /// opened (logged).
    pub async fn open(config: &QueueConfig) -> Option<Self> {
        open(config).await.map(|(db, table)| Self { db, table })
    }

    /// # Errors
    /// On database failure.
    pub async fn depth(&self) -> Result<Depth, sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let (age, now, cast) = match backend {
            DbBackend::Sqlite => ("(julianday('now') - julianday(MIN(run_at))) * 86400.0", "julianday(run_at) <= julianday('now')", ""),
            _ => ("EXTRACT(EPOCH FROM (now() - MIN(run_at)))::float8", "run_at <= now()", "::bigint"),
        };
        let sql = format!("SELECT COUNT(*){cast} AS queued, {age} AS oldest_secs FROM {} WHERE status = 'queued' AND {now}", self.table);
        use sea_orm::FromQueryResult;
        Ok(Depth::find_by_statement(sea_orm::Statement::from_string(backend, sql)).one(&self.db).await?.unwrap_or_default())
    }

    /// # Errors
    /// When the queue's database does not answer.
    pub async fn ping(&self) -> Result<(), sea_orm::DbErr> {
        self.db.ping().await
    }
}
