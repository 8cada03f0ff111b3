//! What the benchmarks share: start the real binary, a keep-alive HTTP/1.1
//! client over loopback, login, percentiles and RSS.
#![allow(dead_code)]
use std::{
    net::TcpListener as StdListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sifilma::models::demo::DEMO_PASSWORD;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The portal alone (`start`), as behind a proxy with separate worker processes.
pub fn start(db_url: &str, port: u16, upload_dir: &Path) -> Child {
    start_as(db_url, port, upload_dir, &[])
}

/// The portal with its workers in the same process (`start --server-and-worker`,
/// the Procfile's command): job queue runners and the mail sweeper.
pub fn start_with_worker(db_url: &str, port: u16, upload_dir: &Path) -> Child {
    start_as(db_url, port, upload_dir, &["--server-and-worker"])
}

fn start_as(db_url: &str, port: u16, upload_dir: &Path, mode: &[&str]) -> Child {
    // The queue is SQLite in development; beside a PostgreSQL database it gets a file.
    let queue_url = if db_url.starts_with("sqlite") { db_url.to_string() } else { format!("sqlite://{}?mode=rwc", upload_dir.join("queue.sqlite").display()) };
    Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
        .arg("start")
        .args(mode)
        .arg("--no-banner")
        .env("LOCO_ENV", "development")
        .env("DATABASE_URL", db_url)
        .env("QUEUE_URL", queue_url)
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .env("UPLOAD_DIR", upload_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start portal")
}

/// Starts the portal once so that it migrates the database and seeds the
/// demo accounts, then stops it (the bench then adds its own rows).
pub async fn migrate_and_seed(db_url: &str, port: u16, dir: &Path) {
    let mut first = start(db_url, port, dir);
    wait_ready(port, Duration::from_secs(120)).await.expect("first start");
    first.kill().ok();
    first.wait().ok();
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// One HTTP/1.1 exchange on a kept-alive connection; returns (status, headers, body).
pub async fn exchange(stream: &mut TcpStream, request: impl AsRef<[u8]>) -> std::io::Result<(u16, String, String)> {
    stream.write_all(request.as_ref()).await?;
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
            let len: usize =
                head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))).unwrap_or(0);
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

pub fn cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
}

pub fn csrf(body: &str) -> String {
    let at = body.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
    body[at..].split('"').next().unwrap().to_string()
}

pub async fn login(port: u16, username: &str) -> Option<String> {
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

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

pub async fn wait_ready(port: u16, limit: Duration) -> Option<()> {
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

/// The database a bench runs on: a fresh PostgreSQL database next to
/// `SIFILMA_BENCH_DATABASE_URL` when that is set, else a SQLite file in
/// `dir`. Returns the URL and the engine's name.
pub async fn bench_database(dir: &Path, name: &str) -> (String, &'static str) {
    use sea_orm::{ConnectionTrait, Database};
    match std::env::var("SIFILMA_BENCH_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
        Some(url) => {
            let (root, _) = url.rsplit_once('/').expect("a database URL with a name");
            let db = format!("sifilma_{name}_{}", std::process::id());
            let admin = Database::connect(format!("{root}/postgres")).await.expect("connect to postgres");
            // A bench killed before its end left its database: its autovacuum
            // would run during this bench's figures.
            let left = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    format!("SELECT datname FROM pg_database WHERE datname LIKE 'sifilma\\_{name}\\_%'"),
                ))
                .await
                .expect("list databases");
            for row in left {
                let stale: String = row.try_get("", "datname").expect("datname");
                let pid = stale.rsplit('_').next().unwrap_or_default();
                if !Path::new("/proc").join(pid).exists() {
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {stale} WITH (FORCE)")).await.ok();
                }
            }
            admin.execute_unprepared(&format!("CREATE DATABASE {db}")).await.expect("create database");
            admin.close().await.ok();
            (format!("{root}/{db}"), "PostgreSQL")
        }
        None => (format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()), "SQLite"),
    }
}

/// Drops the PostgreSQL database [`bench_database`] made (a SQLite file
/// goes with the bench's directory): left behind, its autovacuum would run
/// during the next bench's figures.
pub async fn drop_bench_database(url: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let Some((root, name)) = url.rsplit_once('/').filter(|_| url.starts_with("postgres")) else { return };
    let admin = Database::connect(format!("{root}/postgres")).await.expect("connect to postgres");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop the bench database");
    admin.close().await.ok();
}

/// Runs `connections` keep-alive clients sending `request` for `seconds`;
/// returns the sorted latencies of the 200 answers.
pub async fn load(port: u16, request: String, connections: usize, seconds: u64) -> Vec<Duration> {
    load_each(port, connections, seconds, 200, move |_| request.clone()).await
}

/// Like [`load`], the `n`-th request (counted over all clients) being
/// `request(n)`, each answered `expected`.
pub async fn load_each(port: u16, connections: usize, seconds: u64, expected: u16, request: impl Fn(usize) -> String + Send + Sync + 'static) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let request = std::sync::Arc::new(request);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = std::sync::Arc::clone(&request);
        let next = std::sync::Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.set_nodelay(true).ok();
            while Instant::now() < deadline {
                let req = request(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                let t = Instant::now();
                let (status, _, body) = exchange(&mut s, &req).await.expect("answer");
                assert_eq!(status, expected, "{req}\n{}", body.chars().take(300).collect::<String>());
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
    all
}

/// "N req/s, p50, p99" for a load run of `seconds`.
pub fn report(label: &str, all: &[Duration], seconds: u64) {
    println!(
        "{label}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests)",
        all.len() as f64 / seconds as f64,
        percentile(all, 0.50).as_secs_f64() * 1000.0,
        percentile(all, 0.99).as_secs_f64() * 1000.0,
        all.len()
    );
}

pub const BOUNDARY: &str = "sifilmaBenchBoundary7MA4YWxk";

/// A multipart body of text fields and files.
pub fn multipart(fields: &[(&str, String)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn post(port: u16, path: &str, session: &str, token: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\nX-CSRF-Token: {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// A card list of `rows` cards for request `number`, serials unique to upload `k`.
pub fn card_list(number: &str, k: usize, rows: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Daftar Kartu SAM").unwrap();
    for (c, h) in ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, number).unwrap();
        sheet.write_string(r, 2, format!("BN{k:06}R{i:06}")).unwrap();
    }
    book.save_to_buffer().unwrap()
}
