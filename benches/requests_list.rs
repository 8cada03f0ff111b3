//! Permintaan benchmark: the producer's Tabel Permohonan Personalisasi with
//! 100,000 requests — unfiltered (All), a status filter, a search term, a
//! deep page, deep pages in turn — req/s and p99 over loopback, plus approve
//! POSTs (CSRF, audit row, mail) on distinct requests, with the audit rows
//! counted against the answers. The bench runs no `ANALYZE` of its own:
//! only what the product runs (at start, on PostgreSQL).
//! Run: `cargo bench --bench requests_list` (SQLite), or with
//! `SIFILMA_BENCH_DATABASE_URL=postgres://…/any` on PostgreSQL.
mod support;

use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DbBackend, EntityTrait, QuerySelect, QueryTrait, Statement};
use sifilma::models::{
    _entities::{organisations, personalization_requests as requests, users},
    requests::{search_text, ListQuery, Status as RequestStatus, Viewer},
};
use support::{bench_database, csrf, drop_bench_database, exchange, free_port, load, load_each, login, migrate_and_seed, report, start, wait_ready};

const REQUESTS: usize = 100_000;
const SECONDS: u64 = 10;
const CONNECTIONS: usize = 8;
const FLOOR_SECONDS: u64 = 5;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-req-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (db_url, engine) = bench_database(&dir, "requests").await;
    let backend = if engine == "SQLite" { DbBackend::Sqlite } else { DbBackend::Postgres };
    let port = free_port();
    migrate_and_seed(&db_url, port, &dir).await;

    let db = Database::connect(&db_url).await.unwrap();
    let org_id = |name: &'static str| {
        let db = db.clone();
        async move {
            use sea_orm::{ColumnTrait, QueryFilter};
            organisations::Entity::find().filter(organisations::Column::Name.eq(name)).one(&db).await.unwrap().unwrap().id
        }
    };
    let producer = org_id("PT Nyra").await;
    let bank = org_id("Bank ABC").await;
    let bandung = org_id("Dinas Dukcapil Kota Bandung").await;
    let creator = users::Entity::find().one(&db).await.unwrap().unwrap().id;
    let machine: i32 =
        db.query_one_raw(Statement::from_string(backend, "SELECT id FROM machine_types LIMIT 1")).await.unwrap().unwrap().try_get("", "id").unwrap();
    let start_day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let now = Utc::now();
    let t = std::time::Instant::now();
    for chunk in (0..REQUESTS).collect::<Vec<_>>().chunks(1000) {
        let rows = chunk.iter().map(|&i| requests::ActiveModel {
            organisation_id: Set(if i % 3 == 0 { bandung } else { bank }),
            producer_id: Set(producer),
            machine_type_id: Set(machine),
            created_by: Set(creator),
            number: Set(format!("470/{i:06}/{}", if i % 3 == 0 { "BDG" } else { "ABC" })),
            title: Set(format!("Kartu SAM kantor cabang {i}")),
            search_text: Set(search_text(
                &format!("470/{i:06}/{}", if i % 3 == 0 { "BDG" } else { "ABC" }),
                &format!("Kartu SAM kantor cabang {i}"),
                if i % 3 == 0 { "Dinas Dukcapil Kota Bandung" } else { "Bank ABC" },
            )),
            request_date: Set(start_day + Days::new((i % 700) as u64)),
            quantity: Set((i % 500 + 1) as i32),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(1000),
            status: Set([RequestStatus::Submitted, RequestStatus::Approved, RequestStatus::Rejected, RequestStatus::Bundled][i % 4]),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        });
        requests::Entity::insert_many(rows).exec(&db).await.unwrap();
    }
    println!("seeded {REQUESTS} requests in {:.2?}", t.elapsed());
    for (label, q) in [("All", ListQuery::default()), ("search", ListQuery { q: "cabang 4242".into(), ..ListQuery::default() })] {
        let sql = q.select(&db, Viewer::Producer(producer)).await.unwrap().limit(21).build(backend).to_string();
        let explain = if backend == DbBackend::Sqlite { "EXPLAIN QUERY PLAN" } else { "EXPLAIN" };
        let plan = db.query_all_raw(Statement::from_string(backend, format!("{explain} {sql}"))).await.unwrap();
        println!("query plan ({label}):");
        for row in plan {
            let detail: String = row.try_get("", "detail").or_else(|_| row.try_get("", "QUERY PLAN")).unwrap_or_default();
            println!("  {detail}");
        }
    }
    db.close().await.ok();

    let mut portal = start(&db_url, port, &dir);
    wait_ready(port, std::time::Duration::from_secs(30)).await.expect("start");
    let session = login(port, "pt_nyra").await.expect("producer login");
    let get = {
        let session = session.clone();
        move |path: &str| format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\n\r\n")
    };
    // Warm-up, not reported: the pool opens its connections (one thread
    // and one statement cache each) as the load asks for them.
    load(port, get("/permintaan"), CONNECTIONS, 2).await;
    println!("{engine}, {REQUESTS} requests, {CONNECTIONS} connections, {SECONDS} s each:");
    // What every page pays before its own work: the server alone, then
    // with the session lookup of a signed-in request.
    let health = format!("GET /_health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    report("floor: /_health, no session", &load(port, health, CONNECTIONS, FLOOR_SECONDS).await, FLOOR_SECONDS);
    report("floor: /_health, signed in", &load(port, get("/_health"), CONNECTIONS, FLOOR_SECONDS).await, FLOOR_SECONDS);
    // The goal for a list page: 5,000 req/s on SQLite, 4,000 on PostgreSQL.
    let list_goal = if engine == "SQLite" { "goal >= 5000 req/s, p99 < 20 ms" } else { "goal >= 4000 req/s, p99 < 20 ms" };
    for (label, path, goal) in [
        ("producer list, All", "/permintaan", list_goal),
        ("producer list, Approved", "/permintaan?status=approved", list_goal),
        ("producer list, search \"cabang 4242\"", "/permintaan?q=cabang+4242", "goal >= 2000 req/s, p99 < 20 ms"),
        ("producer list, page 4000", "/permintaan?page=4000", "goal: as page 1"),
        ("producer list, page 2500 (the middle)", "/permintaan?page=2500", "goal: as page 1"),
    ] {
        let all = load(port, get(path), CONNECTIONS, SECONDS).await;
        report(&format!("{label} [{goal}]"), &all, SECONDS);
    }
    // Deep pages one after another (2000, 2001, …): each starts from the
    // page before it, as a user paging through the list does.
    let paged = load_each(port, CONNECTIONS, SECONDS, 200, {
        let get = get.clone();
        move |n| get(&format!("/permintaan?page={}", 2000 + n % 2000))
    })
    .await;
    report("producer list, pages 2000-3999 in turn [goal: as page 1]", &paged, SECONDS);

    // Approve: each POST a different submitted request.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (_, _, body) = exchange(&mut s, get("/dashboard")).await.unwrap();
    let token = csrf(&body);
    let open: Vec<i32> = db_ids(&db_url, producer).await;
    let audit_before = approvals(&db_url).await;
    let approve = load_each(port, CONNECTIONS, SECONDS, 303, {
        let open = open.clone();
        move |n| {
            let body = format!("_csrf={token}");
            format!(
                "POST /permintaan/{}/setujui HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                open[n % open.len()],
                body.len()
            )
        }
    })
    .await;
    report("approve POST, distinct requests [goal >= 1000 req/s, p99 < 50 ms]", &approve, SECONDS);
    let written = approvals(&db_url).await - audit_before;
    println!("  approvals answered 303: {}, audit rows written: {written} (lost or doubled: {})", approve.len(), written.abs_diff(approve.len() as i64));
    assert!(approve.len() < open.len(), "more approvals than open requests: add requests");
    portal.kill().ok();
    portal.wait().ok();
    drop_bench_database(&db_url).await;
    std::fs::remove_dir_all(&dir).ok();
}

/// The producer's submitted requests, oldest first.
async fn db_ids(db_url: &str, producer: i32) -> Vec<i32> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let db = Database::connect(db_url).await.unwrap();
    let ids = requests::Entity::find()
        .filter(requests::Column::ProducerId.eq(producer))
        .filter(requests::Column::Status.eq(RequestStatus::Submitted))
        .order_by_asc(requests::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    db.close().await.ok();
    ids
}

/// Audit rows of approvals so far.
async fn approvals(db_url: &str) -> i64 {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    use sifilma::models::_entities::audit_events;
    let db = Database::connect(db_url).await.unwrap();
    let n = audit_events::Entity::find().filter(audit_events::Column::Action.eq("request.approved")).count(&db).await.unwrap();
    db.close().await.ok();
    n as i64
}
