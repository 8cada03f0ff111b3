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
//! request for sqlx's 30 s. PostgreSQL's pool is opened again too, to ping
//! only connections that sat idle ([`open`]). Writers are serialised by SQLite itself: every
//! write transaction starts with `BEGIN IMMEDIATE` ([`super::begin_write`])
//! and waits up to [`BUSY_TIMEOUT_MS`] for the write lock.
//!
//! No `ANALYZE` (nor `PRAGMA optimize`) is run on SQLite. Without statistics
//! its planner takes every table for large and serves the portal's queries
//! from the indexes they were written for; with statistics it trusts row
//! counts that age as tables grow: counted when a table held 2 rows, it then
//! scanned 100,000 requests per list page instead of reading 20 (measured:
//! 97 pages/s instead of 2,500). The plans therefore rest on indexes, not on
//! statistics. PostgreSQL keeps its statistics current itself (autovacuum).
use std::time::Duration;

use sea_orm::{sqlx::SqliteConnection, ConnectOptions, Database, DatabaseConnection, DbErr};

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

/// A pooled PostgreSQL connection idle for this long is pinged before it
/// is handed out: one dropped meanwhile (a restarted server, a proxy or
/// firewall closing idle connections) is replaced instead of failing the
/// request. A connection in use more often goes out without the ping.
pub const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The pool for `config`, opened in place of Loco's.
///
/// - SQLite: every connection set up alike (WAL, `synchronous = NORMAL`,
///   foreign keys, [`BUSY_TIMEOUT_MS`]), and no ping before a connection is
///   handed out: an SQLite connection cannot be dropped by a server, and
///   sqlx's ping is one more hand-off to the connection's thread for every
///   query.
/// - PostgreSQL: Loco's options, but only a connection idle for
///   [`PING_IDLE_AFTER`] is pinged; sqlx pings every acquired connection by
///   default, one more round trip to the server for every query (a list page
///   runs one query; acquiring with the ping cost about 10 % of its CPU).
///
/// # Errors
/// When the database cannot be opened.
pub async fn open(config: &loco_rs::config::Database) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(&config.uri);
    opt.max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .connect_timeout(Duration::from_millis(config.connect_timeout))
        .idle_timeout(Duration::from_millis(config.idle_timeout))
        .sqlx_logging(config.enable_logging);
    if !config.uri.starts_with("sqlite:") {
        if let Some(ms) = config.acquire_timeout {
            opt.acquire_timeout(Duration::from_millis(ms));
        }
        opt.test_before_acquire_if_idle_for(PING_IDLE_AFTER);
        let db = Database::connect(opt).await?;
        if let Some(sql) = &config.run_on_start {
            sea_orm::ConnectionTrait::execute_unprepared(&db, sql).await?;
        }
        return Ok(db);
    }
    opt.acquire_timeout(acquire_timeout(config))
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
                // No memory map: a connection whose read finds the WAL
                // changed unmaps the whole file (SQLite resets its pager),
                // and under a stream of commits every pooled connection
                // unmapped and mapped again at each read, interrupting the
                // other cores to flush their TLBs. Measured with approvals
                // running: 565–693 POST/s mapped, 742–818 unmapped; list
                // pages alike.
                .pragma("mmap_size", "0")
                .pragma("journal_size_limit", "67108864")
                .pragma("cache_size", "2000")
        })
        .map_sqlx_sqlite_pool_opts(|p| p.after_connect(|conn, _| Box::pin(fix_plans(conn))));
    Database::connect(opt).await
}

/// Sets SQLite's query planner stability guarantee on `conn`: a statement's
/// plan no longer depends on the values bound to it. Without it, a statement
/// whose `LIMIT`, `LIKE` pattern or partial-index condition is a bound value
/// is marked expired at every bind and parsed and planned again at its next
/// step, so the statement cache kept nothing for the list pages (each binds
/// its `LIMIT`). The portal's plans rest on indexes, not on values (see the
/// module's note).
async fn fix_plans(conn: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    qpsg(conn, 1).await.map(|_| ())
}

/// Whether `conn` plans its statements independently of bound values (see
/// [`fix_plans`]).
///
/// # Errors
/// When the connection's worker is gone.
pub async fn plans_fixed(conn: &mut SqliteConnection) -> Result<bool, sea_orm::sqlx::Error> {
    qpsg(conn, -1).await
}

/// `SQLITE_DBCONFIG_ENABLE_QPSG` of `conn`: set to `on` (1 or 0) or only
/// read (-1); answers the setting after the call.
async fn qpsg(conn: &mut SqliteConnection, on: i32) -> Result<bool, sea_orm::sqlx::Error> {
    use libsqlite3_sys as ffi;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut now: std::ffi::c_int = 0;
    // SAFETY: `db` is this connection's open handle, locked for us until
    // `handle` drops; the call reads and sets one flag of that connection.
    let rc = unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, on, &raw mut now) };
    if rc == ffi::SQLITE_OK {
        Ok(now == 1)
    } else {
        Err(sea_orm::sqlx::Error::Protocol(format!("SQLITE_DBCONFIG_ENABLE_QPSG answered {rc}")))
    }
}

/// `ANALYZE` of the same tables starts at most once per this interval;
/// asks in between are folded into one run at its end. Each run samples
/// the tables (about half a second of a core for 500,000 cards): run after
/// every bulk import under load it took most of the database's CPU, and
/// every 30 s it still stalled pages for a few hundred milliseconds. The
/// plans rest on indexes; statistics only have to follow growth.
pub const STATISTICS_EVERY: Duration = Duration::from_secs(300);

/// Per database and set of tables: whether a run is waiting, and when the
/// last one started.
#[derive(Default)]
struct Refresh {
    waiting: bool,
    last: Option<std::time::Instant>,
}

static REFRESHES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Refresh>>> = std::sync::LazyLock::new(Default::default);

/// PostgreSQL only: brings the planner statistics and the visibility map
/// of `tables` (all when empty) up to date in the background — at start
/// and after a bulk import, so that neither a plan nor an index-only scan
/// waits for autovacuum's next round (until then each entry a list reads
/// on its index is looked up in the table as well) — at most once
/// per [`STATISTICS_EVERY`], the last ask always followed by a run. A no-op
/// on SQLite (see the module's note).
pub fn refresh_statistics(db: &DatabaseConnection, tables: &'static [&'static str]) {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let key = format!("{:x} {tables:?}", super::paging::database_of(db));
    let wait = {
        let mut refreshes = REFRESHES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let refresh = refreshes.entry(key.clone()).or_default();
        if refresh.waiting {
            return;
        }
        refresh.waiting = true;
        refresh.last.map_or(Duration::ZERO, |at| STATISTICS_EVERY.saturating_sub(at.elapsed()))
    };
    let db = db.clone();
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        if let Some(refresh) = REFRESHES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_mut(&key) {
            // Asks from now on may need what this run will not see.
            refresh.waiting = false;
            refresh.last = Some(std::time::Instant::now());
        }
        // VACUUM reads only the pages changed since the last one.
        let statement = if tables.is_empty() { "VACUUM (ANALYZE)".to_string() } else { format!("VACUUM (ANALYZE) {}", tables.join(", ")) };
        if let Err(err) = sea_orm::ConnectionTrait::execute_unprepared(&db, &statement).await {
            tracing::warn!(err = err.to_string(), statement, "refreshing planner statistics failed");
        }
    });
}
