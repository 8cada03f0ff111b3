//! Planner statistics on PostgreSQL: every bulk import asks for them, but
//! a burst of asks runs `ANALYZE` once; the next run waits for the
//! interval (under load one run per card list took most of the database's
//! CPU). SQLite runs none (see `models::pool`).
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sifilma::models::pool::{refresh_statistics, STATISTICS_EVERY};

use crate::support::with_db;

/// Manual `ANALYZE`s of `cards` so far (autovacuum's are counted apart).
async fn analyses(db: &DatabaseConnection) -> i64 {
    let sql = "SELECT COALESCE(MAX(analyze_count), 0)::bigint AS n FROM pg_stat_user_tables WHERE relname = 'cards'";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_bulk_imports_analyzes_once_per_interval() {
    with_db(|ctx| async move {
        let db = ctx.db.clone();
        if db.get_database_backend() != DbBackend::Postgres {
            refresh_statistics(&db, &["cards"]);
            return;
        }
        assert!(STATISTICS_EVERY >= Duration::from_secs(60));
        let before = analyses(&db).await;
        for _ in 0..20 {
            refresh_statistics(&db, &["cards"]);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while analyses(&db).await == before {
            assert!(Instant::now() < deadline, "no ANALYZE followed the asks");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // More asks now wait for the interval; none runs meanwhile.
        for _ in 0..20 {
            refresh_statistics(&db, &["cards"]);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(analyses(&db).await, before + 1, "one ANALYZE for the whole burst");
    })
    .await;
}
