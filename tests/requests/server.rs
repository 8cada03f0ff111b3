//! Issue 12 (9): the server itself — slow request heads and bodies are cut
//! off, connections are capped, nothing advertises the framework, the
//! public verify upload is capped and throttled.
use std::time::{Duration, Instant};

use axum_test::multipart::{MultipartForm, Part};
use loco_rs::{app::Hooks, boot::ServeParams};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::{app::App, models::_entities::audit_events, settings::Settings};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{boot, with_app, Client};

/// Boots the app and runs it through its own `serve` hook on a free port,
/// with a 1-second header and body timeout and room for `max_connections`.
async fn serve(max_connections: usize) -> (std::net::SocketAddr, loco_rs::app::AppContext) {
    let booted = boot().await;
    let ctx = booted.app_context.clone();
    let mut settings = (*Settings::get(&ctx)).clone();
    settings.server.header_read_timeout_secs = 1;
    settings.server.body_idle_timeout_secs = 1;
    settings.server.max_connections = max_connections;
    ctx.shared_store.insert(std::sync::Arc::new(settings));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let router = booted.router.clone().expect("router");
    let serving = ctx.clone();
    tokio::spawn(async move {
        let _ = App::serve(router, &serving, &ServeParams { port: i32::from(port), binding: "127.0.0.1".into() }).await;
    });
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (addr, ctx)
}

/// Everything the server sends until it closes, or `None` if it keeps the
/// connection open past `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn trickled_request_heads_are_cut_off_and_connections_are_capped() {
    let (addr, _ctx) = serve(2).await;
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: portal\r\nX-Slow: 1").await.unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    let mut third = TcpStream::connect(addr).await.unwrap();
    third.write_all(b"GET / HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut third, Duration::from_secs(10)).await.expect("the third client is served once a slot frees");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(800), "two open connections fill the cap of 2: the third waits for a slot");
    assert!(!answer.to_ascii_lowercase().contains("x-powered-by"), "{answer}");
    for mut s in slow {
        assert!(read_until_closed(&mut s, Duration::from_secs(5)).await.is_some(), "a head not sent within the timeout ends the connection");
    }
}

#[tokio::test]
async fn trickled_request_bodies_get_408() {
    let (addr, _ctx) = serve(16).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /login HTTP/1.1\r\nHost: portal\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut s, Duration::from_secs(10)).await.expect("a stalled body does not hold the connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("Waktu pengiriman habis"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn responses_do_not_advertise_the_framework() {
    with_app(|server, _ctx| async move {
        for path in ["/", "/login", "/static/css/app.css", "/tidak-ada"] {
            let r = server.get(path).await;
            assert!(r.maybe_header("x-powered-by").is_none(), "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn verify_uploads_are_capped_at_8_mb_and_throttled_per_address() {
    with_app(|server, ctx| async move {
        let mut anon = Client::new(&server);
        anon.get("/verifikasi").await;
        let upload = |c: &Client, bytes: Vec<u8>| {
            c.multipart()
                .add_text("nomor", "SAM-2026-00001")
                .add_part("berkas", Part::bytes(bytes).file_name("bast.docx").mime_type("application/octet-stream"))
        };
        let big: MultipartForm = upload(&anon, vec![b'x'; 9 * 1024 * 1024]);
        let r = anon.post_multipart("/verifikasi", big).await;
        assert_eq!(r.status_code(), 413);
        assert!(r.text().contains("melebihi batas 8 MB"), "{}", r.text());

        for i in 0..10 {
            let r = anon.post_multipart("/verifikasi", upload(&anon, format!("bukan dokumen {i}").into_bytes())).await;
            assert_eq!(r.status_code(), 404, "upload {i} is checked (and matches nothing)");
        }
        let r = anon.post_multipart("/verifikasi", upload(&anon, b"satu lagi".to_vec())).await;
        assert_eq!(r.status_code(), 429);
        assert!(r.text().contains("Terlalu banyak unggahan berkas verifikasi dari alamat jaringan Anda"), "{}", r.text());
        assert_eq!(r.header("retry-after"), "600");
        let audited = audit_events::Entity::find().filter(audit_events::Column::Action.eq("document.verify_throttled")).count(&ctx.db).await.unwrap();
        assert_eq!(audited, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_browsers_waits_in_the_listen_queue_not_for_a_resent_syn() {
    // Nothing accepts here, as when every worker is busy: connections that
    // do not fit the kernel's listen queue have their SYN dropped and sent
    // again only after a second. The standard queue (128) overflowed when a
    // few hundred browsers connected at once.
    let limits = sifilma::server::ServerLimits::default();
    assert_eq!(limits.listen_backlog, 1024);
    let listener = sifilma::server::listen("127.0.0.1", 0, &limits).await.expect("listen");
    let addr = listener.local_addr().unwrap();
    let kernel_cap: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(4096);
    let burst = kernel_cap.min(limits.listen_backlog as usize).min(600);
    assert!(burst > 128 * 2, "net.core.somaxconn ({kernel_cap}) is too small for this test to mean anything");
    let connects: Vec<_> = (0..burst).map(|_| tokio::spawn(tokio::time::timeout(Duration::from_millis(900), TcpStream::connect(addr)))).collect();
    let mut queued = Vec::new();
    for c in connects {
        queued.push(c.await.unwrap().expect("connected without a resent SYN").expect("connected"));
    }
    assert_eq!(queued.len(), burst);
    drop(listener);
}
