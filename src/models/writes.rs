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
//! - Producers' decisions go through [`combined`]: on SQLite those queued
//!   at one moment share a transaction, and a failure of one of them runs
//!   each again alone.
use std::{
    collections::HashMap,
    future::Future,
    path::PathBuf,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::Duration,
};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};
use tokio::sync::{oneshot, Mutex as Turn, OwnedMutexGuard};

use super::errors::{AppError, AppResult};

/// Write transactions begun by this process: a cache keyed by it is never
/// older than the last change made here (other processes: issue of several
/// portals; their changes show after the cache's expiry).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// How many write transactions this process has begun.
#[must_use]
pub fn writes() -> u64 {
    WRITES.load(Ordering::Relaxed)
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
        WRITES.fetch_add(1, Ordering::Relaxed);
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
    WRITES.fetch_add(1, Ordering::Relaxed);
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

/// A write that may share one transaction with others of its kind queued at
/// the same moment (see [`combined`]). It may run twice: once in a shared
/// transaction that was rolled back, then alone.
pub type Combinable<T> = Arc<dyn for<'a> Fn(&'a WriteTxn) -> Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'a>> + Send + Sync>;

type Erased = Box<dyn std::any::Any + Send>;

/// A queued write and where its outcome goes.
struct Queued {
    write: Combinable<Erased>,
    done: oneshot::Sender<AppResult<Erased>>,
}

/// The writes of one SQLite database file waiting for the combiner, and
/// whether its task runs.
#[derive(Default)]
struct Combiner {
    queue: Mutex<Vec<Queued>>,
    running: AtomicBool,
}

/// Writes taken into one shared transaction at most.
const COMBINED_AT_MOST: usize = 64;

/// Shared transactions committed so far (all databases of this process).
static COMBINED: AtomicU64 = AtomicU64::new(0);

/// How many shared transactions of [`combined`] writes committed.
#[must_use]
pub fn combined_commits() -> u64 {
    COMBINED.load(Ordering::Relaxed)
}

fn combiner_of(db: &DatabaseConnection) -> Option<Arc<Combiner>> {
    static COMBINERS: OnceLock<Mutex<HashMap<PathBuf, Arc<Combiner>>>> = OnceLock::new();
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let mut combiners = COMBINERS.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(Arc::clone(combiners.entry(file).or_default()))
}

/// Runs `write` in a write transaction. On SQLite, writes queued while
/// another one holds the write turn are run together in one transaction
/// by one task (group commit): each of them costs its own statements only,
/// and the turn, `BEGIN` and `COMMIT` are shared. If any of them fails the
/// shared transaction is rolled back and each is run again alone, so one
/// write's error never touches another. PostgreSQL runs each alone.
///
/// The task is spawned, so a caller that goes away (a closed connection)
/// does not cancel the writes of others.
///
/// # Errors
/// The error of `write` when run alone, or the database's.
pub async fn combined<T: Send + 'static>(db: &DatabaseConnection, write: Combinable<T>) -> AppResult<T> {
    let Some(combiner) = combiner_of(db) else {
        return alone(db, &write).await;
    };
    let (done, outcome) = oneshot::channel();
    let erased: Combinable<Erased> = Arc::new(move |txn| {
        let write = Arc::clone(&write);
        Box::pin(async move { write(txn).await.map(|t| Box::new(t) as Erased) })
    });
    combiner.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Queued { write: erased, done });
    if !combiner.running.swap(true, Ordering::AcqRel) {
        tokio::spawn(drain(db.clone(), combiner));
    }
    let erased = outcome.await.map_err(|_| AppError::Internal("the combined write was dropped".into()))??;
    erased.downcast::<T>().map(|t| *t).map_err(|_| AppError::Internal("a combined write answered with another type".into()))
}

async fn alone<T>(db: &DatabaseConnection, write: &Combinable<T>) -> AppResult<T> {
    let txn = begin_write(db).await?;
    let t = write(&txn).await?;
    txn.commit().await?;
    Ok(t)
}

/// Lets the next write start a combiner task again if this one panicked
/// (its batch's callers get an error; later writes must not wait forever).
struct Running(Arc<Combiner>);

impl Drop for Running {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.running.store(false, Ordering::Release);
        }
    }
}

/// The combiner's task: runs what is queued, batch after batch, until the
/// queue is empty.
async fn drain(db: DatabaseConnection, combiner: Arc<Combiner>) {
    let _running = Running(Arc::clone(&combiner));
    loop {
        let batch: Vec<Queued> = {
            let mut queue = combiner.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = queue.len().min(COMBINED_AT_MOST);
            queue.drain(..n).collect()
        };
        if batch.is_empty() {
            combiner.running.store(false, Ordering::Release);
            // A write queued between the look and the store finds the task gone.
            let queued = !combiner.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty();
            if queued && !combiner.running.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        }
        run_batch(&db, batch).await;
    }
}

async fn run_batch(db: &DatabaseConnection, batch: Vec<Queued>) {
    if batch.len() > 1 {
        if let Ok(txn) = begin_write(db).await {
            let mut outcomes = Vec::with_capacity(batch.len());
            for q in &batch {
                match (q.write)(&txn).await {
                    Ok(t) => outcomes.push(t),
                    Err(_) => break,
                }
            }
            if outcomes.len() == batch.len() {
                if txn.commit().await.is_ok() {
                    COMBINED.fetch_add(1, Ordering::Relaxed);
                    for (q, t) in batch.into_iter().zip(outcomes) {
                        q.done.send(Ok(t)).ok();
                    }
                    return;
                }
            } else {
                txn.rollback().await.ok();
            }
        }
    }
    for q in batch {
        q.done.send(alone(db, &q.write).await).ok();
    }
}
