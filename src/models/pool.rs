//! The database pool, as every pooled connection sees it.
//!
//! Loco opens the pool and then runs its SQLite `PRAGMA`s (WAL, `synchronous
//! = NORMAL`, `busy_timeout`, ...) as one statement on **one** connection of
//! it; the others keep SQLite's and sqlx's defaults (`synchronous = FULL`,
//! sqlx's own 5 s busy timeout). On SQLite the pool is therefore opened again
//! here with the settings on every connection, from the same configuration,
//! and with a short acquire timeout ([`ACQUIRE_TIMEOUT_MS`] unless
//! `database.acquire_timeout` says otherwise): a saturated pool answers "busy"
//! (503, see [`super::errors::is_busy`]) in seconds instead of holding the
//! request for sqlx's 30 s. Writers are serialised by SQLite itself: every
//! write transaction starts with `BEGIN IMMEDIATE` ([`super::begin_write`])
//! and waits up to [`BUSY_TIMEOUT_MS`] for the write lock.
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// How long a request waits for a pooled connection before it is answered
/// busy (503), when the configuration does not say.
pub const ACQUIRE_TIMEOUT_MS: u64 = 3_000;

/// How long an SQLite connection waits for the write lock (or a reader for a
/// checkpoint) before "database is locked" (answered busy, 503). Write
/// transactions are short (no hashing, parsing or file writing inside), so
/// waiting this long means the server is saturated.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;

/// The acquire timeout the configuration asks for, or [`ACQUIRE_TIMEOUT_MS`].
#[must_use]
pub fn acquire_timeout(config: &loco_rs::config::Database) -> Duration {
    Duration::from_millis(config.acquire_timeout.unwrap_or(ACQUIRE_TIMEOUT_MS))
}

/// The pool for `config`: on SQLite with every connection set up alike
/// (WAL, `synchronous = NORMAL`, foreign keys, [`BUSY_TIMEOUT_MS`]); `None`
/// on other databases, whose pool Loco already opened as configured.
///
/// # Errors
/// When the database cannot be opened.
pub async fn open_sqlite(config: &loco_rs::config::Database) -> Result<Option<DatabaseConnection>, DbErr> {
    if !config.uri.starts_with("sqlite:") {
        return Ok(None);
    }
    let mut opt = ConnectOptions::new(&config.uri);
    opt.max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .connect_timeout(Duration::from_millis(config.connect_timeout))
        .idle_timeout(Duration::from_millis(config.idle_timeout))
        .acquire_timeout(acquire_timeout(config))
        .sqlx_logging(config.enable_logging)
        .map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
                .pragma("mmap_size", "134217728")
                .pragma("journal_size_limit", "67108864")
                .pragma("cache_size", "2000")
        });
    Database::connect(opt).await.map(Some)
}

/// Set after a bulk write (an import); the optimizer then runs soon.
static BULK_WRITTEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How often the optimizer looks whether a bulk write happened.
const OPTIMIZE_CHECK: Duration = Duration::from_secs(30);
/// The optimizer runs at least this often.
const OPTIMIZE_EVERY: Duration = Duration::from_secs(3600);

/// Notes a bulk write (thousands of rows in one go): SQLite's planner
/// statistics are brought up to date within [`OPTIMIZE_CHECK`].
pub fn after_bulk_write() {
    BULK_WRITTEN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Keeps SQLite's planner statistics current: `PRAGMA optimize` (which
/// analyses only the tables that changed much) at start, after bulk writes
/// and hourly. PostgreSQL's autovacuum does the same there.
pub fn start_optimizer(db: &DatabaseConnection) {
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(OPTIMIZE_CHECK);
        let mut last: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            let bulk = BULK_WRITTEN.swap(false, std::sync::atomic::Ordering::Relaxed);
            if bulk || last.is_none_or(|at| at.elapsed() >= OPTIMIZE_EVERY) {
                match sea_orm::ConnectionTrait::execute_unprepared(&db, "PRAGMA optimize").await {
                    Ok(_) => last = Some(std::time::Instant::now()),
                    Err(err) => tracing::warn!(err = err.to_string(), "PRAGMA optimize failed"),
                }
            }
        }
    });
}
