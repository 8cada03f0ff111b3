//! Portal benchmark (foundation issue): seeds 10,000 users, starts the real
//! binary on loopback and prints cold start, idle RSS, dashboard GET req/s and
//! p99 with a valid session, and login POST/s. Run: `cargo bench --bench portal`.
//! Bounded: every load phase stops after a fixed time.
use std::{
    net::TcpListener as StdListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use sifilma::models::{_entities::users, demo::DEMO_PASSWORD, users::hash_password};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const USERS: usize = 10_000;
const GET_SECONDS: u64 = 10;
const LOGIN_SECONDS: u64 = 5;
const CONNECTIONS: usize = 8;

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(db_url: &str, port: u16, upload_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
        .args(["start", "--no-banner"])
        .env("LOCO_ENV", "development")
        .env("DATABASE_URL", db_url)
        .env("QUEUE_URL", db_url)
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .env("UPLOAD_DIR", upload_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start portal")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// One HTTP/1.1 exchange on a kept-alive connection; returns (status, headers, body).
async fn exchange(stream: &mut TcpStream, request: &str) -> std::io::Result<(u16, String, String)> {
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let body = String::from_utf8_lossy(&buf[end + 4..(end + 4 + len).min(buf.len())]).to_string();
            return Ok((status, head, body));
        }
    }
}

fn cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
}

fn csrf(body: &str) -> String {
    let at = body.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
    body[at..].split('"').next().unwrap().to_string()
}

async fn login(port: u16, username: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let (_, head, body) = exchange(&mut s, &format!("GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")).await.ok()?;
    let anon = cookie(&head, "sifilma_csrf")?;
    let form = format!("_csrf={}&username={username}&password={DEMO_PASSWORD}&next=", csrf(&body));
    let req = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_csrf={anon}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let (status, head, _) = exchange(&mut s, &req).await.ok()?;
    (status == 303).then(|| cookie(&head, "sifilma_session")).flatten()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

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
    let org = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT id FROM organisations WHERE kind = 'lembaga' LIMIT 1")).await.unwrap().unwrap();
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
            status: Set("active".into()),
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
    let deadline = Instant::now() + Duration::from_secs(GET_SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.set_nodelay(true).ok();
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, _, _) = exchange(&mut s, &request).await.expect("dashboard");
                assert_eq!(status, 200);
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let rps = all.len() as f64 / GET_SECONDS as f64;
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
    println!(
        "dashboard GET with session, {CONNECTIONS} connections, {GET_SECONDS} s: {rps:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests)",
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
        all.len()
    );
    println!("login POST (argon2id), 4 clients, {LOGIN_SECONDS} s: {:.1} logins/s", logins as f64 / LOGIN_SECONDS as f64);
}

async fn wait_ready(port: u16, limit: Duration) -> Option<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await {
            if let Ok((200, _, _)) = exchange(&mut s, &format!("GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")).await {
                return Some(());
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}
