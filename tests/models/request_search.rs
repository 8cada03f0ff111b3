//! The request list's search finds exactly the rows whose number, title or
//! institution holds the term (any substring, any case), on SQLite's trigram
//! index and PostgreSQL's alike, whether the term is rare, common or short;
//! and any page of a long list holds the rows that an `OFFSET` over the
//! whole ordered list would give, however the pages are visited.
use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use sifilma::models::{
    _entities::personalization_requests as requests,
    paging::PageNo,
    requests::{search_text, ListQuery, Status, Viewer},
};

use crate::support::{scenario::world, with_db};

/// (number, title) of the rows: a common word in every title, numbers with
/// shared prefixes, mixed case, a quote and a percent sign.
fn rows(n: usize) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = (0..n).map(|i| (format!("00109OKT/{i:04}/2026"), format!("Permohonan Kartu SAM kantor cabang {i}"))).collect();
    rows.push(("470/\"Q\"/2026".into(), "Kartu 100% untuk \"Pusat\"".into()));
    rows.push(("470/É/2026".into(), "Kantor Wilayah Éntrée".into()));
    rows
}

async fn seed(ctx: &loco_rs::app::AppContext) -> i32 {
    seed_n(ctx, 300).await
}

async fn seed_n(ctx: &loco_rs::app::AppContext, n: usize) -> i32 {
    let w = world(ctx).await;
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let models = rows(n).into_iter().enumerate().map(|(i, (number, title))| requests::ActiveModel {
        organisation_id: Set(w.bank.organisation_id.unwrap()),
        producer_id: Set(w.producer.id),
        machine_type_id: Set(w.machine.id),
        created_by: Set(w.bank.id),
        search_text: Set(search_text(&number, &title, "Bank ABC")),
        number: Set(number),
        title: Set(title),
        request_date: Set(day + Days::new((i % 37) as u64)),
        quantity: Set(1),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(10),
        status: Set(Status::Submitted),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    });
    for chunk in models.collect::<Vec<_>>().chunks(500) {
        requests::Entity::insert_many(chunk.to_vec()).exec(&ctx.db).await.unwrap();
    }
    w.producer.id
}

/// Every row's id, newest first, whose search text holds `term` (the oracle).
async fn expected(ctx: &loco_rs::app::AppContext, term: &str) -> Vec<i32> {
    let all = requests::Entity::find().order_by_desc(requests::Column::RequestDate).order_by_desc(requests::Column::Id).all(&ctx.db).await.unwrap();
    all.into_iter().filter(|r| r.search_text.contains(&term.trim().to_lowercase())).map(|r| r.id).collect()
}

async fn found(ctx: &loco_rs::app::AppContext, producer: i32, term: &str) -> Vec<i32> {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let q = ListQuery { q: term.into(), page: PageNo::from(page), ..ListQuery::default() };
        let (rows, window) = q.page(&ctx.db, Viewer::Producer(producer), 50).await.unwrap();
        ids.extend(rows.iter().map(|r| r.id));
        if window.number >= window.last() {
            assert_eq!(ids.len() as u64, window.total, "{term:?}: the count matches the rows");
            return ids;
        }
        page += 1;
    }
}

#[tokio::test]
async fn search_finds_exactly_the_rows_holding_the_term() {
    with_db(|ctx| async move {
        let producer = seed(&ctx).await;
        for term in
            ["cabang 42", "00109okt/01", "00109OKT", "/0299/", "kartu", "ab", "a", "\"q\"", "100%", "%", "_", "éntrée", "ÉNTRÉE", "tidak ada", "  cabang 7  "]
        {
            assert_eq!(found(&ctx, producer, term).await, expected(&ctx, term).await, "{term:?}");
        }
        // Another producer's list finds none of them.
        let (rows, _) = ListQuery { q: "cabang".into(), ..ListQuery::default() }.page(&ctx.db, Viewer::Producer(producer + 1000), 50).await.unwrap();
        assert!(rows.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_term_in_most_rows_is_found_by_walking_the_list() {
    with_db(|ctx| async move {
        // More rows hold "kantor" than the trigram index is asked to narrow.
        let producer = seed_n(&ctx, 5_200).await;
        for term in ["kantor cabang 51", "kantor", "permohonan kartu sam kantor cabang 5199"] {
            assert_eq!(found(&ctx, producer, term).await, expected(&ctx, term).await, "{term:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_edited_or_deleted_request_is_searched_as_it_is_now() {
    with_db(|ctx| async move {
        let producer = seed(&ctx).await;
        let first = requests::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        let id = first.id;
        let mut edited: requests::ActiveModel = first.into();
        edited.search_text = Set(search_text("999/ZETA/2026", "Judul baru sekali", "Bank ABC"));
        edited.update(&ctx.db).await.unwrap();
        assert_eq!(found(&ctx, producer, "zeta/2026").await, vec![id]);
        assert!(!found(&ctx, producer, "00109okt/0000/").await.contains(&id), "the old text no longer matches");
        requests::Entity::delete_by_id(id).exec(&ctx.db).await.unwrap();
        assert!(found(&ctx, producer, "zeta").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn every_page_holds_what_an_offset_would_give_in_any_visiting_order() {
    with_db(|ctx| async move {
        let producer = seed(&ctx).await;
        let newest: Vec<i32> = expected(&ctx, "").await;
        let per_page = 7;
        let pages = newest.len().div_ceil(per_page) as u64;
        // Deep pages first, then back and forth: each walk starts from the
        // nearest page start met before, from the start or from the end.
        let mut order: Vec<u64> = (1..=pages).rev().collect();
        order.extend((1..=pages).step_by(3));
        order.extend([pages / 2, pages / 2 + 1, pages / 2 - 1, 11, 12, 10, pages]);
        for sort in ["", "asc"] {
            let truth: Vec<i32> = if sort == "asc" { newest.iter().rev().copied().collect() } else { newest.clone() };
            for &page in &order {
                let q = ListQuery { sort: sort.into(), page: PageNo::from(page), ..ListQuery::default() };
                let (rows, window) = q.page(&ctx.db, Viewer::Producer(producer), per_page as u64).await.unwrap();
                let from = (page as usize - 1) * per_page;
                let want = &truth[from..(from + per_page).min(truth.len())];
                assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), want, "sort {sort:?} page {page}");
                assert_eq!(window.total, truth.len() as u64);
            }
        }
    })
    .await;
}

/// A page of the list is one statement whose LIMIT and OFFSET are written
/// into its SQL, so PostgreSQL plans it once and reuses the plan; the whole
/// list's page reads its rows straight from the table. With a
/// bound LIMIT it planned the statement at every view (0.4 ms of planning
/// for 0.1 ms of work). SQLite's side of this is QPSG (`requests::sibuk`).
#[tokio::test]
async fn a_page_of_the_list_is_planned_once_on_postgresql() {
    use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
    with_db(|ctx| async move {
        let producer = seed_n(&ctx, 20_000).await;
        // One connection: the prepared statements below are all its own.
        let mut options = ConnectOptions::new(ctx.config.database.uri.clone());
        options.max_connections(1).min_connections(1);
        let one = Database::connect(options).await.unwrap();
        if one.get_database_backend() == DbBackend::Postgres {
            // As the product leaves it: statistics refreshed after a bulk load.
            one.execute_unprepared("ANALYZE personalization_requests").await.unwrap();
        }
        let q = ListQuery::default();
        let ids = |rows: Vec<sifilma::models::requests::Row>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let first = ids(q.page(&one, Viewer::Producer(producer), 20).await.unwrap().0);
        assert_eq!(first.len(), 20);
        for _ in 0..10 {
            assert_eq!(ids(q.page(&one, Viewer::Producer(producer), 20).await.unwrap().0), first);
        }
        if one.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let sql = "SELECT COALESCE(SUM(generic_plans), 0)::bigint AS generic, COALESCE(SUM(custom_plans), 0)::bigint AS custom \
                   FROM pg_prepared_statements WHERE statement LIKE '%LIMIT 20 OFFSET 0%'";
        let row = one.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
        let (generic, custom): (i64, i64) = (row.try_get("", "generic").unwrap(), row.try_get("", "custom").unwrap());
        assert!(generic >= 5 && custom <= 5, "the page's statement was planned {custom} times and reused {generic} times in 11 views");
        // The whole list's page is read straight from the table in the
        // index's order; a status filter stays in the ids' index-only walk.
        let approved = ListQuery { status: "approved".into(), ..ListQuery::default() };
        approved.page(&one, Viewer::Producer(producer), 20).await.unwrap();
        let shapes = "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%OFFSET 0%'";
        let shapes: Vec<String> =
            one.query_all_raw(Statement::from_string(DbBackend::Postgres, shapes)).await.unwrap().iter().map(|r| r.try_get("", "statement").unwrap()).collect();
        assert!(shapes.iter().any(|s| !s.contains("IN (SELECT") && !s.contains("\"status\" IN")), "{shapes:#?}");
        assert!(shapes.iter().any(|s| s.contains("IN (SELECT") && s.contains("\"status\" IN")), "{shapes:#?}");
    })
    .await;
}

/// PostgreSQL: requests added in bulk go straight into the trigram index;
/// no pending list is left for every search to read until a vacuum.
#[tokio::test]
async fn requests_added_in_bulk_leave_no_pending_list_for_searches_on_postgresql() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    with_db(|ctx| async move {
        if ctx.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        seed_n(&ctx, 20_000).await;
        let one = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_string());
        let options = ctx
            .db
            .query_one_raw(one("SELECT array_to_string(reloptions, ',') AS o FROM pg_class WHERE relname = 'idx-requests-search-trgm'"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(options.try_get::<String>("", "o").unwrap(), "fastupdate=off");
        ctx.db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pgstattuple").await.unwrap();
        let gin = ctx.db.query_one_raw(one("SELECT pending_tuples FROM pgstatginindex('\"idx-requests-search-trgm\"'::regclass)")).await.unwrap().unwrap();
        assert_eq!(gin.try_get::<i64>("", "pending_tuples").unwrap(), 0, "20,000 new requests, none waiting outside the index");
    })
    .await;
}
