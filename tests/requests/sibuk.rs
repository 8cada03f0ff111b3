//! A busy server stays a polite one (issue 12, holes 3 and 6): card lists
//! and perso-data imports are read on blocking threads, at most two at once,
//! so a pathological workbook never stalls other people's pages; a third
//! import that finds no slot free within a second, or a request that finds
//! every database connection taken, is answered promptly with 503 "sedang
//! sibuk" and `Retry-After`, nothing saved.
use std::time::{Duration, Instant};

use sea_orm::{EntityTrait, PaginatorTrait, TransactionTrait};
use sifilma::models::{
    _entities::{cards, personalization_requests as requests, submissions},
    imports::Slots,
};

use crate::support::{
    fixtures::{good_rows, tiny_strings_card_list, xlsx},
    scenario::{approved_pair, submission_form, world},
    unescape, with_app, with_app_config, Client,
};

/// Two million one-letter shared strings: about 4.6 MB zipped, 34 MB
/// unzipped; every size and ratio limit is met.
const TINY_STRINGS: usize = 2_000_000;

#[tokio::test]
async fn two_pathological_card_lists_at_once_leave_the_login_page_answering() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, b) = approved_pair(&ctx, &w).await;
        let bad = tiny_strings_card_list(TINY_STRINGS);
        let mut one = Client::signed_in(&server, "pt_nyra").await;
        let mut two = Client::signed_in(&server, "pt_nyra").await;
        one.get("/pengajuan/baru").await;
        two.get("/pengajuan/baru").await;
        let form_one = submission_form(&one, &w, &[a.id, b.id], "SP/BERAT/1", "5", Some(bad.clone()));
        let form_two = submission_form(&two, &w, &[a.id, b.id], "SP/BERAT/2", "5", Some(bad));
        let mut visitor = Client::new(&server);

        // The test runs on one thread: a parse on it would hold the login
        // page until both uploads were refused.
        let start = Instant::now();
        let uploads = async {
            let answers = tokio::join!(one.post_multipart("/pengajuan", form_one), two.post_multipart("/pengajuan", form_two));
            (answers, start.elapsed())
        };
        let login = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            let asked = Instant::now();
            let page = visitor.get("/login").await;
            (page, asked.elapsed(), start.elapsed())
        };
        let (((first, second), uploads_done), (page, waited, login_done)) = tokio::join!(uploads, login);
        println!("uploads answered after {uploads_done:?}; GET /login waited {waited:?} (answered at {login_done:?})");

        assert_eq!(page.status_code(), 200);
        assert!(waited < Duration::from_secs(1), "GET /login waited {waited:?} while two card lists were read");
        for r in [first, second] {
            assert_eq!(r.status_code(), 422, "{}", r.text());
            let text = unescape(&r.text());
            assert!(text.contains("teks berbeda") && text.contains("50.000 baris"), "{text}");
        }
        assert!(uploads_done < Duration::from_secs(10), "refusing took {uploads_done:?}");
        assert_eq!(submissions::Entity::find().count(&ctx.db).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_third_import_at_once_is_answered_busy_and_nothing_is_saved() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, b) = approved_pair(&ctx, &w).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/pengajuan/baru").await;

        // Two imports are being read (their slots held here).
        let slots = Slots::of(&ctx);
        let held = (slots.take().await.expect("first slot"), slots.take().await.expect("second slot"));
        let start = Instant::now();
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id, b.id], "SP/SIBUK/2026", "5", Some(xlsx(&good_rows())))).await;
        assert_eq!(r.status_code(), 503, "{}", r.text());
        assert!(start.elapsed() < Duration::from_secs(2), "answered after {:?}", start.elapsed());
        assert_eq!(r.header("retry-after"), "5");
        let text = unescape(&r.text());
        assert!(text.contains("Server sedang sibuk") && text.contains("coba lagi") && text.contains("tidak ada data yang disimpan"), "{text}");
        assert_eq!(submissions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(cards::Entity::find().count(&ctx.db).await.unwrap(), 0);
        for id in [a.id, b.id] {
            assert_eq!(requests::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status.as_str(), "approved");
        }

        // Once a slot is free the same upload goes through.
        drop(held);
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id, b.id], "SP/SIBUK/2026", "5", Some(xlsx(&good_rows())))).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let id = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;

        // The perso-data import takes the same slots.
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        admin.get(&format!("/pengajuan/{id}")).await;
        assert_eq!(admin.post(&format!("/pengajuan/{id}/terima"), &[]).await.status_code(), 303);
        admin.get(&format!("/personalisasi/{id}")).await;
        let held = (slots.take().await.expect("first slot"), slots.take().await.expect("second slot"));
        let form = axum_test::multipart::MultipartForm::new()
            .add_text("_csrf", admin.csrf.clone().unwrap())
            .add_part("perso", axum_test::multipart::Part::bytes(xlsx(&good_rows())).file_name("perso.xlsx"));
        let r = admin.post_multipart(&format!("/personalisasi/{id}/import"), form).await;
        assert_eq!(r.status_code(), 503, "{}", r.text());
        assert_eq!(r.header("retry-after"), "5");
        drop(held);
    })
    .await;
}

#[tokio::test]
async fn a_saturated_pool_answers_503_with_retry_after_quickly() {
    // One pooled connection, and a short wait for it.
    let tiny_pool = |config: &mut loco_rs::config::Config| {
        config.database.min_connections = 1;
        config.database.max_connections = 1;
        config.database.acquire_timeout = Some(300);
    };
    with_app_config(tiny_pool, |server, ctx| async move {
        world(&ctx).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(nyra.get("/dashboard").await.status_code(), 200);

        // Someone holds the only connection.
        let held = ctx.db.begin().await.expect("the pool's only connection");
        for (method, path) in [("GET", "/dashboard"), ("GET", "/pengajuan"), ("POST", "/login")] {
            let start = Instant::now();
            let r = if method == "GET" {
                nyra.get(path).await
            } else {
                let mut visitor = Client::new(&server);
                visitor.login("pt_nyra", crate::support::PASSWORD).await
            };
            let took = start.elapsed();
            assert_eq!(r.status_code(), 503, "{method} {path}: {}", r.text());
            assert_eq!(r.header("retry-after"), "5", "{method} {path}");
            assert!(unescape(&r.text()).contains("Server sedang sibuk, coba lagi sebentar"), "{method} {path}");
            assert!(took < Duration::from_secs(3), "{method} {path} answered after {took:?}");
        }
        drop(held);
        assert_eq!(nyra.get("/dashboard").await.status_code(), 200);
    })
    .await;
}

#[tokio::test]
async fn every_pooled_sqlite_connection_waits_for_the_write_lock_alike() {
    with_app(|_server, ctx| async move {
        if !matches!(ctx.db.get_database_backend(), sea_orm::DatabaseBackend::Sqlite) {
            return;
        }
        // Hold every connection of the pool at once, and ask each.
        let max = ctx.config.database.max_connections as usize;
        let mut held = Vec::new();
        for _ in 0..max {
            held.push(ctx.db.begin().await.expect("a pooled connection"));
        }
        for txn in &held {
            let pragma = |name: &str| {
                let sql = format!("PRAGMA {name}");
                async move {
                    use sea_orm::ConnectionTrait;
                    let row = txn.query_one_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, sql)).await.unwrap().unwrap();
                    row.try_get_by_index::<i64>(0).unwrap()
                }
            };
            assert_eq!(pragma("busy_timeout").await, i64::try_from(sifilma::models::pool::BUSY_TIMEOUT_MS).unwrap());
            assert_eq!(pragma("synchronous").await, 1, "NORMAL on every connection");
            assert_eq!(pragma("foreign_keys").await, 1);
        }
    })
    .await;
}

#[tokio::test]
async fn every_pooled_sqlite_connection_plans_independently_of_bound_values() {
    with_app(|_server, ctx| async move {
        if !matches!(ctx.db.get_database_backend(), sea_orm::DatabaseBackend::Sqlite) {
            return;
        }
        // Hold every connection of the pool at once (new ones are opened
        // for this), and ask each.
        let pool = ctx.db.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..ctx.config.database.max_connections {
            held.push(pool.acquire().await.expect("a pooled connection"));
        }
        for conn in &mut held {
            assert!(sifilma::models::pool::plans_fixed(conn).await.unwrap(), "a bound LIMIT would re-prepare every list query");
        }
    })
    .await;
}

#[tokio::test]
async fn a_connection_in_use_goes_out_unpinged_and_one_the_server_dropped_is_replaced() {
    with_app(|server, ctx| async move {
        world(&ctx).await;
        // sqlx's default pings every connection it hands out: one more round
        // trip (PostgreSQL) or thread hand-off (SQLite) for every query.
        let pinged_always = match ctx.db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => ctx.db.get_sqlite_connection_pool().options().get_test_before_acquire(),
            _ => ctx.db.get_postgres_connection_pool().options().get_test_before_acquire(),
        };
        assert!(!pinged_always, "a connection in use is handed out without a ping");
        if !matches!(ctx.db.get_database_backend(), sea_orm::DatabaseBackend::Postgres) {
            return;
        }
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(nyra.get("/permintaan").await.status_code(), 200);

        // The server drops every connection of the portal's pool (a restart,
        // a proxy's idle limit); the pool is not told.
        let admin = sea_orm::Database::connect(&ctx.config.database.uri).await.unwrap();
        use sea_orm::ConnectionTrait;
        let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        let dropped = admin.query_all_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql)).await.unwrap();
        assert!(!dropped.is_empty(), "the portal's pool had connections to drop");
        admin.close().await.ok();

        // Idle past the threshold, each is pinged, found gone and replaced.
        tokio::time::sleep(sifilma::models::pool::PING_IDLE_AFTER + Duration::from_millis(300)).await;
        for path in ["/permintaan", "/pengajuan", "/dashboard"] {
            let r = nyra.get(path).await;
            assert_eq!(r.status_code(), 200, "{path}: {}", r.text());
        }
    })
    .await;
}
