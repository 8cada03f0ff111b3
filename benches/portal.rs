//! Portal benchmark (foundation issue): seeds 10,000 users, starts the real
//! binary on loopback and prints cold start, idle RSS, dashboard GET req/s and
//! p99 with a valid session, and login POST/s. Run: `cargo bench --bench portal`.
//! Bounded: every load phase stops after a fixed time.
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use sifilma::models::{_entities::users, demo::DEMO_PASSWORD, users::hash_password};
use support::{free_port, load, login, report, rss_kib, start, wait_ready};

const USERS: usize = 10_000;
const GET_SECONDS: u64 = 10;
const LOGIN_SECONDS: u64 = 5;
const CONNECTIONS: usize = 8;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
    let port = free_port();

    // First start migrates and seeds the demo accounts.
    let mut first = start(&db_url, port, &dir);
    wait_ready(port, Duration::from_secs(60)).await.expect("first start");
    first.kill().ok();
    first.wait().ok();

    let db = Database::connect(&db_url).await.unwrap();
    let hash = hash_password(DEMO_PASSWORD);
    let now = Utc::now();
    let org = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT id FROM organisations WHERE kind = 'lembaga' LIMIT 1"))
        .await
        .unwrap()
        .unwrap();
    let org_id: i32 = org.try_get("", "id").unwrap();
    let seed_start = Instant::now();
    for batch in (0..USERS).collect::<Vec<_>>().chunks(500) {
        let rows = batch.iter().map(|i| users::ActiveModel {
            username: Set(format!("pengguna{i:05}")),
            password_hash: Set(hash.clone()),
            name: Set(format!("Pengguna Uji {i}")),
            email: Set(format!("pengguna{i:05}@bench.go.id")),
            role: Set("lembaga".into()),
            organisation_id: Set(Some(org_id)),
            status: Set(sifilma::models::users::Status::Active),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        });
        users::Entity::insert_many(rows).exec(&db).await.unwrap();
    }
    println!("seeded {USERS} users in {:.2?}", seed_start.elapsed());
    db.close().await.ok();

    let t0 = Instant::now();
    let mut portal = start(&db_url, port, &dir);
    let cold = wait_ready(port, Duration::from_secs(30)).await.map(|()| t0.elapsed()).expect("cold start");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(portal.id());

    let session = login(port, "admin_pusat").await.expect("admin login");
    let request = format!("GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\n\r\n");
    let all = load(port, request, CONNECTIONS, GET_SECONDS).await;
    let loaded_rss = rss_kib(portal.id());

    let deadline = Instant::now() + Duration::from_secs(LOGIN_SECONDS);
    let mut tasks = Vec::new();
    for c in 0..4 {
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < deadline {
                if login(port, &format!("pengguna{:05}", c * 2000 + n)).await.is_some() {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut logins = 0;
    for t in tasks {
        logins += t.await.unwrap();
    }

    portal.kill().ok();
    portal.wait().ok();
    std::fs::remove_dir_all(&dir).ok();

    println!("cold start (spawn → first 200 on /login, migrated db): {:.0} ms", cold.as_secs_f64() * 1000.0);
    println!("idle RSS: {:.1} MB (after load: {:.1} MB)", idle_rss as f64 / 1024.0, loaded_rss as f64 / 1024.0);
    report(&format!("dashboard GET with session, {CONNECTIONS} connections, {GET_SECONDS} s"), &all, GET_SECONDS);
    println!("login POST (argon2id), 4 clients, {LOGIN_SECONDS} s: {:.1} logins/s", logins as f64 / LOGIN_SECONDS as f64);
}
