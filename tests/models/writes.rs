//! On SQLite this process's writers take turns before `BEGIN IMMEDIATE`:
//! a writer waiting for its turn holds no pooled connection, so pages keep
//! reading while a burst of writers queues; every writer of the burst gets
//! its turn, in order, and none fails. PostgreSQL writers do not queue.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sifilma::models::{begin_write, errors::is_busy};

use crate::support::with_db;

/// More writers than the test pool has connections (4).
const WRITERS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_writers_hold_no_connection_and_each_gets_its_turn() {
    with_db(|ctx| async move {
        let db = ctx.db.clone();
        db.execute_unprepared("CREATE TABLE turn_log (n INTEGER NOT NULL)").await.unwrap();
        let first = begin_write(&db).await.unwrap();
        let mut writers = Vec::new();
        for n in 0..WRITERS {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await?;
                txn.execute_unprepared(&format!("INSERT INTO turn_log (n) VALUES ({n})")).await?;
                txn.commit().await
            }));
            // Queued in this order.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if db.get_database_backend() == DbBackend::Sqlite {
            // The burst waits for `first`, yet a page's read still gets a
            // connection at once.
            let read =
                tokio::time::timeout(Duration::from_secs(2), db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) FROM turn_log")))
                    .await
                    .expect("a read is not starved by queued writers")
                    .unwrap();
            assert!(read.is_some());
        }
        first.commit().await.unwrap();
        for w in writers {
            w.await.unwrap().expect("every queued writer commits");
        }
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT n FROM turn_log")).await.unwrap();
        let order: Vec<i32> = rows.iter().map(|r| r.try_get_by_index::<i32>(0).unwrap()).collect();
        assert_eq!(order.len(), WRITERS, "none lost");
        if db.get_database_backend() == DbBackend::Sqlite {
            assert_eq!(order, (0..WRITERS as i32).collect::<Vec<_>>(), "turns are first come, first served");
        }
    })
    .await;
}

#[tokio::test]
async fn a_turn_never_given_is_answered_busy_not_a_hang() {
    with_db(|ctx| async move {
        if ctx.db.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let held = begin_write(&ctx.db).await.unwrap();
        let started = std::time::Instant::now();
        let second = begin_write(&ctx.db).await;
        let err = second.err().expect("the second writer of one task cannot get the turn");
        assert!(is_busy(&err), "answered busy (503): {err}");
        assert!(started.elapsed() < Duration::from_secs(30));
        held.rollback().await.unwrap();
        begin_write(&ctx.db).await.expect("the turn is free again after a rollback").commit().await.unwrap();
    })
    .await;
}
