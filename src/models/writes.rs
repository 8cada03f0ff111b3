//! Write transactions, and the order in which this process's writers get
//! SQLite's one write lock.
//!
//! Rules:
//! - Every state change runs in a [`WriteTxn`] from [`begin_write`]: short,
//!   with its audit row, committed or dropped (rolled back).
//! - On SQLite the writers of this process take turns on a FIFO async
//!   mutex per database file **before** they open `BEGIN IMMEDIATE`. Left to
//!   SQLite's busy handler, a waiting writer sleeps in steps growing to
//!   100 ms and often wakes long after the lock came free, so a burst of
//!   approvals waited ten times longer than it worked; in turns, each one
//!   starts the moment the one before commits, and a waiting writer holds no
//!   pooled connection.
//! - A turn is waited for at most [`super::pool::BUSY_TIMEOUT_MS`], as long
//!   as SQLite itself would: then the write is answered busy (503), the same
//!   as "database is locked". Other processes (a worker, a console task)
//!   still meet this one at SQLite's busy handler.
//! - PostgreSQL writers do not take turns: row locks order them.
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};
use tokio::sync::{Mutex as Turn, OwnedMutexGuard};

/// Write transactions begun by this process: a cache keyed by it is never
/// older than the last change made here (other processes: issue of several
/// portals; their changes show after the cache's expiry).
static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many write transactions this process has begun.
#[must_use]
pub fn writes() -> u64 {
    WRITES.load(std::sync::atomic::Ordering::Relaxed)
}

/// The turn of each SQLite database file this process writes to.
fn turn_of(db: &DatabaseConnection) -> Option<Arc<Turn<()>>> {
    static TURNS: OnceLock<Mutex<HashMap<PathBuf, Arc<Turn<()>>>>> = OnceLock::new();
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let mut turns = TURNS.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(Arc::clone(turns.entry(file).or_default()))
}

/// A transaction that writes; on SQLite it also holds this process's write
/// turn until it is committed or dropped.
pub struct WriteTxn {
    // Declared first: dropped (rolled back) before the turn is handed on.
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// # Errors
    /// When the database refuses the commit.
    pub async fn commit(self) -> Result<(), DbErr> {
        let committed = self.txn.commit().await;
        // Counted again once visible: a fact read while this transaction
        // was open (after its begin was counted) is not kept past it.
        WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        committed
    }

    /// # Errors
    /// When the database refuses the rollback.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Starts a transaction that writes. On SQLite it waits for this process's
/// write turn, then takes the write lock at `BEGIN` (IMMEDIATE), so it never
/// fails upgrading a read lock when station results arrive while people
/// work. PostgreSQL ignores the mode.
///
/// # Errors
/// When the database cannot start the transaction; a turn not given within
/// the busy timeout is a pool time-out (answered busy).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let turn = match turn_of(db) {
        Some(turn) => Some(
            tokio::time::timeout(Duration::from_millis(super::pool::BUSY_TIMEOUT_MS), turn.lock_owned())
                .await
                .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?,
        ),
        None => None,
    };
    let txn = db
        .begin_with_options(sea_orm::TransactionOptions { sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate), ..Default::default() })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
