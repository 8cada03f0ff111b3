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

/// Decisions arriving together: on SQLite they share write transactions
/// (fewer commits than decisions), yet each one is checked, recorded and
/// answered on its own — one already taken elsewhere is a 409 for its
/// producer alone, and every other decision commits with its audit row and
/// its mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_arriving_together_share_commits_and_keep_their_own_outcome() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use sifilma::models::{
        _entities::{audit_events, mail_outbox, personalization_requests as requests, users},
        requests::{ActiveModel, Status},
        writes::combined_commits,
        AppError, Env,
    };

    use crate::support::scenario::{seed_request, world};

    const DECISIONS: usize = 40;
    with_db(|ctx| async move {
        let w = world(&ctx).await;
        let nyra = users::Entity::find().filter(users::Column::Username.eq("pt_nyra")).one(&ctx.db).await.unwrap().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut ids = Vec::new();
        for n in 0..DECISIONS {
            ids.push(seed_request(&ctx, &w, &format!("470/{n:03}/GC"), "submitted", day).await.id);
        }
        // One of them is decided before the burst: its second decision must fail alone.
        let env = Env { base_url: "http://portal.test", upload_dir: "", ip: "127.0.0.1", disposition_days: 3 };
        ActiveModel::decide_as_producer(&ctx.db, &nyra, &[ids[7]], Status::Rejected, "Sudah diputuskan lebih dulu", &env).await.unwrap();
        let commits_before = combined_commits();
        // Held turn: the burst queues behind it, as under load.
        let held = begin_write(&ctx.db).await.unwrap();
        let mut burst = Vec::new();
        for id in ids.clone() {
            let (db, nyra) = (ctx.db.clone(), nyra.clone());
            burst.push(tokio::spawn(async move {
                let env = Env { base_url: "http://portal.test", upload_dir: "", ip: "127.0.0.1", disposition_days: 3 };
                ActiveModel::decide_as_producer(&db, &nyra, &[id], Status::Approved, "", &env).await.map(|(r, _)| r[0].id)
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        held.rollback().await.unwrap();
        let mut approved = 0;
        for (id, outcome) in ids.iter().zip(burst) {
            match outcome.await.unwrap() {
                Ok(decided) => {
                    assert_eq!(decided, *id, "each decision answers for its own request");
                    approved += 1;
                }
                Err(AppError::Conflict(message)) => assert_eq!(*id, ids[7], "only the request decided before fails: {message}"),
                Err(e) => panic!("request {id}: {e}"),
            }
        }
        assert_eq!(approved, DECISIONS - 1);
        let rows = requests::Entity::find().filter(requests::Column::Status.eq(Status::Approved)).count(&ctx.db).await.unwrap();
        assert_eq!(rows as usize, DECISIONS - 1, "every other decision is stored");
        let audits = audit_events::Entity::find().filter(audit_events::Column::Action.eq("request.approved")).count(&ctx.db).await.unwrap();
        assert_eq!(audits as usize, DECISIONS - 1, "one audit row per decision, none doubled by a rerun");
        let mails = mail_outbox::Entity::find().filter(mail_outbox::Column::Subject.contains("disetujui")).count(&ctx.db).await.unwrap();
        assert!(mails as usize >= DECISIONS - 1, "each approval queued its mail ({mails})");
        if ctx.db.get_database_backend() == DbBackend::Sqlite {
            let shared = combined_commits() - commits_before;
            assert!(shared >= 1, "the burst shared at least one commit");
        }
    })
    .await;
}
