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

pub fn start(db_url: &str, port: u16, upload_dir: &Path) -> Child {
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

/// Runs `connections` keep-alive clients sending `request` for `seconds`;
/// returns the sorted latencies of the 200 answers.
pub async fn load(port: u16, request: String, connections: usize, seconds: u64) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.set_nodelay(true).ok();
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, _, _) = exchange(&mut s, &request).await.expect("answer");
                assert_eq!(status, 200, "{request}");
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
