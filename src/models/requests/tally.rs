//! How many requests a viewer has in some statuses, from `request_tallies`
//! (migration 000047): signed deltas the database writes by trigger in the
//! transaction of every change, so a count is exact and costs a sum over a
//! few index entries instead of reading every request of the scope (on
//! PostgreSQL, under steady approvals, counting a producer's 36,000
//! requests took 25–300 ms per dashboard or list view).
//!
//! Rules:
//! - Nothing but the triggers and [`fold`] writes the table; no code
//!   counts requests by status another way for a page.
//! - [`fold`] replaces the deltas of each key by their sum in one step that
//!   readers see whole (one statement on PostgreSQL, one write turn on
//!   SQLite), and runs when a count summed more than [`FOLD_ABOVE`] rows
//!   and with housekeeping; on PostgreSQL the table is vacuumed after it.
use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use super::{Status, Viewer};
use crate::models::errors::AppResult;

/// A count that summed more rows than this folds the table (in the background).
pub const FOLD_ABOVE: i64 = 256;
/// Folds of one database start at most this often (per process).
const FOLD_EVERY: Duration = Duration::from_secs(5);

/// The viewer's requests in `statuses` (all statuses when empty), read
/// again after this process writes or after a few seconds, as any list
/// total is (`paging::total`).
///
/// # Errors
/// On database failure.
pub async fn count(db: &DatabaseConnection, viewer: Viewer, statuses: &[Status]) -> AppResult<u64> {
    let key = format!("{:x} request tally {viewer:?} {statuses:?}", crate::models::paging::database_of(db));
    crate::models::paging::total(key, || read(db, viewer, statuses)).await
}

/// [`count`] read from the table now.
///
/// # Errors
/// On database failure.
pub async fn read(db: &DatabaseConnection, viewer: Viewer, statuses: &[Status]) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut place = |v: Value| {
        values.push(v);
        if backend == DbBackend::Postgres {
            format!("${}", values.len())
        } else {
            "?".to_string()
        }
    };
    let mut filters: Vec<String> = Vec::new();
    match viewer {
        Viewer::Requester(org) => filters.push(format!("organisation_id = {}", place(org.into()))),
        Viewer::Producer(org) => filters.push(format!("producer_id = {}", place(org.into()))),
        Viewer::Admin => {}
        Viewer::Nobody => return Ok(0),
    }
    if !statuses.is_empty() {
        let listed: Vec<String> = statuses.iter().map(|s| place(s.as_str().into())).collect();
        filters.push(format!("status IN ({})", listed.join(", ")));
    }
    let filter = if filters.is_empty() { String::new() } else { format!(" WHERE {}", filters.join(" AND ")) };
    let sql = format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total, COUNT(*) AS summed FROM request_tallies{filter}");
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let (total, summed) = row.map_or(Ok((0, 0)), |r| Ok::<_, sea_orm::DbErr>((r.try_get::<i64>("", "total")?, r.try_get::<i64>("", "summed")?)))?;
    if summed > FOLD_ABOVE {
        fold_soon(db);
    }
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Replaces the deltas of each key by their sum (keys summing to zero
/// vanish); answers the rows left.
///
/// # Errors
/// On database failure.
pub async fn fold(db: &DatabaseConnection) -> AppResult<u64> {
    const SUMS: &str = "SELECT producer_id, organisation_id, status, SUM(n) FROM request_tallies";
    const KEY: &str = "GROUP BY producer_id, organisation_id, status HAVING SUM(n) <> 0";
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        // One statement, one snapshot: a delta committed meanwhile is
        // neither summed nor deleted, so none is lost or counted twice.
        let sql = format!(
            "WITH gone AS (DELETE FROM request_tallies RETURNING producer_id, organisation_id, status, n) \
             INSERT INTO request_tallies (producer_id, organisation_id, status, n) {} {KEY}",
            SUMS.replace("request_tallies", "gone")
        );
        db.execute_raw(Statement::from_string(backend, sql)).await?;
        // The deleted deltas stay in the index until vacuumed, and every
        // count would step over them (50,000 after a bulk import: 2 ms a
        // count instead of microseconds). The table is small once folded.
        if let Err(err) = db.execute_unprepared("VACUUM (ANALYZE) request_tallies").await {
            tracing::warn!(err = err.to_string(), "vacuuming request tallies failed");
        }
    } else {
        // The write turn excludes every other writer for its three statements.
        let txn = crate::models::begin_write(db).await?;
        let last = txn.query_one_raw(Statement::from_string(backend, "SELECT COALESCE(MAX(id), 0) AS last FROM request_tallies")).await?;
        let last: i64 = last.map_or(Ok(0), |r| r.try_get("", "last"))?;
        let bound = |sql: String| Statement::from_sql_and_values(backend, sql, [Value::from(last)]);
        txn.execute_raw(bound(format!("INSERT INTO request_tallies (producer_id, organisation_id, status, n) {SUMS} WHERE id <= ? {KEY}"))).await?;
        txn.execute_raw(bound("DELETE FROM request_tallies WHERE id <= ?".to_string())).await?;
        txn.commit().await?;
    }
    let left = db.query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) AS n FROM request_tallies")).await?;
    Ok(u64::try_from(left.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?).unwrap_or(0))
}

/// When each database was last folded by this process.
static FOLDED: LazyLock<Mutex<HashMap<usize, Instant>>> = LazyLock::new(Default::default);

/// Starts a [`fold`] in the background unless one started within [`FOLD_EVERY`].
fn fold_soon(db: &DatabaseConnection) {
    let key = crate::models::paging::database_of(db);
    {
        let Ok(mut folded) = FOLDED.lock() else { return };
        if folded.get(&key).is_some_and(|at| at.elapsed() < FOLD_EVERY) {
            return;
        }
        folded.insert(key, Instant::now());
    }
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(err) = fold(&db).await {
            tracing::warn!(err = err.to_string(), "folding request tallies failed");
        }
    });
}
