//! The request tallies (`requests::tally`) count exactly what the request
//! table holds — after filing, every move of the status machine, deletion
//! and a change of producer — per viewer and status filter, before and
//! after folding, while requests are written during a fold, and for the
//! requests a database held before the tallies existed.
use chrono::NaiveDate;
use loco_rs::app::AppContext;
use migration::MigratorTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, Statement};
use sifilma::models::{
    _entities::personalization_requests as requests,
    audit_events::Actor,
    begin_write,
    requests::{tally, transition, Move, Status, Viewer},
};

use crate::support::{
    scenario::{seed_request, world, World},
    with_db,
};

const STATUSES: [Status; 8] =
    [Status::Submitted, Status::Approved, Status::Rejected, Status::Withdrawn, Status::Bundled, Status::InProgress, Status::Done, Status::Received];

/// Every viewer of the world, each status alone, the list's groups and all
/// at once: the tally equals a count of the rows.
async fn tallies_agree(ctx: &AppContext, w: &World) {
    let viewers = [
        Viewer::Producer(w.producer.id),
        Viewer::Producer(w.other_producer.id),
        Viewer::Requester(w.bank.organisation_id.unwrap()),
        Viewer::Admin,
        Viewer::Nobody,
    ];
    let mut filters: Vec<Vec<Status>> = STATUSES.iter().map(|s| vec![*s]).collect();
    filters.push(vec![]);
    filters.push(vec![Status::Approved, Status::Bundled, Status::InProgress, Status::Done, Status::Received]);
    for viewer in viewers {
        for statuses in &filters {
            let mut rows = requests::Entity::find();
            rows = match viewer {
                Viewer::Producer(p) => rows.filter(requests::Column::ProducerId.eq(p)),
                Viewer::Requester(o) => rows.filter(requests::Column::OrganisationId.eq(o)),
                Viewer::Nobody => rows.filter(requests::Column::Id.eq(-1)),
                Viewer::Admin => rows,
            };
            if !statuses.is_empty() {
                rows = rows.filter(requests::Column::Status.is_in(statuses.clone()));
            }
            let counted = rows.count(&ctx.db).await.unwrap();
            assert_eq!(tally::read(&ctx.db, viewer, statuses).await.unwrap(), counted, "{viewer:?} {statuses:?}");
        }
    }
}

async fn rows(ctx: &AppContext) -> i64 {
    let row = ctx.db.query_one_raw(Statement::from_string(ctx.db.get_database_backend(), "SELECT COUNT(*) AS n FROM request_tallies")).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

/// A producer's decision through the machine's transition.
async fn shift(ctx: &AppContext, ids: &[i32], from: Status, to: Status) {
    let actor = Actor::system();
    let m = Move { from, to, actor: &actor, note: Some("uji"), submission: None, base_url: "", audiences: None };
    let txn = begin_write(&ctx.db).await.unwrap();
    transition(&txn, ids, &m).await.unwrap();
    txn.commit().await.unwrap();
}

/// The status of `ids` written directly.
async fn set(ctx: &AppContext, ids: &[i32], to: Status) {
    requests::Entity::update_many()
        .col_expr(requests::Column::Status, sea_orm::prelude::Expr::value(to))
        .filter(requests::Column::Id.is_in(ids.to_vec()))
        .exec(&ctx.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn tallies_follow_every_change_and_survive_folding() {
    with_db(|ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(seed_request(&ctx, &w, &format!("470/T/{i}"), "submitted", day).await.id);
        }
        tallies_agree(&ctx, &w).await;
        shift(&ctx, &ids[0..6], Status::Submitted, Status::Approved).await;
        shift(&ctx, &ids[6..8], Status::Submitted, Status::Rejected).await;
        shift(&ctx, &ids[8..9], Status::Submitted, Status::Withdrawn).await;
        tallies_agree(&ctx, &w).await;
        // A submission's whole life, and one request freed again: written
        // here without a submission, since the triggers follow any write.
        set(&ctx, &ids[0..4], Status::Bundled).await;
        set(&ctx, &ids[3..4], Status::Approved).await;
        set(&ctx, &ids[0..3], Status::InProgress).await;
        set(&ctx, &ids[0..3], Status::Done).await;
        set(&ctx, &ids[0..2], Status::Received).await;
        tallies_agree(&ctx, &w).await;
        // Moved to another producer, and one deleted.
        let mut moved: requests::ActiveModel = requests::Entity::find_by_id(ids[9]).one(&ctx.db).await.unwrap().unwrap().into();
        moved.producer_id = Set(w.other_producer.id);
        moved.update(&ctx.db).await.unwrap();
        requests::Entity::delete_by_id(ids[10]).exec(&ctx.db).await.unwrap();
        tallies_agree(&ctx, &w).await;

        let before = rows(&ctx).await;
        let left = tally::fold(&ctx.db).await.unwrap();
        assert!(left < u64::try_from(before).unwrap(), "folded {before} rows into {left}");
        assert_eq!(i64::try_from(left).unwrap(), rows(&ctx).await);
        tallies_agree(&ctx, &w).await;
        // Folding again changes nothing.
        assert_eq!(tally::fold(&ctx.db).await.unwrap(), left);
        tallies_agree(&ctx, &w).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_written_during_folds_are_neither_lost_nor_counted_twice() {
    with_db(|ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let writer = {
            let ctx = ctx.clone();
            let w = World { producer: w.producer.clone(), other_producer: w.other_producer.clone(), bank: w.bank.clone(), machine: w.machine.clone() };
            tokio::spawn(async move {
                for i in 0..60 {
                    let id = seed_request(&ctx, &w, &format!("470/F/{i}"), "submitted", day).await.id;
                    if i % 2 == 0 {
                        shift(&ctx, &[id], Status::Submitted, Status::Approved).await;
                    }
                }
            })
        };
        while !writer.is_finished() {
            tally::fold(&ctx.db).await.unwrap();
            tokio::task::yield_now().await;
        }
        writer.await.unwrap();
        tallies_agree(&ctx, &w).await;
        assert_eq!(tally::read(&ctx.db, Viewer::Producer(w.producer.id), &[Status::Approved]).await.unwrap(), 30);
    })
    .await;
}

#[tokio::test]
async fn requests_filed_before_the_tallies_existed_are_counted() {
    with_db(|ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let names: Vec<String> = migration::Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
        let at = names.iter().position(|n| n.ends_with("request_tallies")).expect("the tallies' migration");
        let after = u32::try_from(names.len() - at).unwrap();
        seed_request(&ctx, &w, "470/P/1", "approved", day).await;
        migration::Migrator::down(&ctx.db, Some(after)).await.unwrap();
        for i in 2..5 {
            seed_request(&ctx, &w, &format!("470/P/{i}"), if i == 2 { "rejected" } else { "submitted" }, day).await;
        }
        migration::Migrator::up(&ctx.db, None).await.unwrap();
        tallies_agree(&ctx, &w).await;
        assert_eq!(tally::read(&ctx.db, Viewer::Producer(w.producer.id), &[]).await.unwrap(), 4);
    })
    .await;
}
