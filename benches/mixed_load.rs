//! Mixed load (issue 12, "Measure and report"): the release binary on
//! loopback, N signed-in clients for T seconds — 80 % list/detail GETs, 15 %
//! POSTs with CSRF (approve, reject, profile edit), 5 % uploads (a card list
//! of 1,000 rows) — with slow-header sockets alongside. Prints the 5xx count,
//! the unanswered count, the GETs' p50/p99 (overall and per 10-second
//! window: the first holds the sign-in burst), the pages answered slower
//! than 100 ms, and lost/doubled writes (the audit rows of each write
//! counted against its 2xx/3xx answers).
//!
//! Run: `cargo bench --bench mixed_load`. Bounded: clients stop at the
//! deadline; a request still open then gets at most the answer time more.
//! Environment (defaults in brackets): `SIFILMA_BENCH_CLIENTS` [200],
//! `SIFILMA_BENCH_SECONDS` [40], `SIFILMA_BENCH_SLOW_SOCKETS` [150],
//! `SIFILMA_BENCH_ANSWER_SECS` (no answer within this is "unanswered") [15],
//! `SIFILMA_BENCH_THINK_MS` (a client's pause after each answer, drawn
//! uniformly from 0 to twice this; 0 = closed loop, every client sending
//! again at once) [0],
//! `SIFILMA_BENCH_UPLOAD_ROWS` [1000], `SIFILMA_BENCH_DB_CONNECTIONS` (the
//! portal's pool) [8], `SIFILMA_BENCH_DATABASE_URL` (a PostgreSQL URL; a
//! fresh database is created next to it) [a SQLite file].
mod support;

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait, Statement};
use sifilma::models::_entities::personalization_requests as requests;
use support::{card_list, cookie, csrf, exchange, free_port, multipart, percentile, post, rss_kib, wait_ready, BOUNDARY};
use tokio::{io::AsyncWriteExt, net::TcpStream};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn start_portal(db_url: &str, queue_url: &str, port: u16, dir: &Path, pool: u32) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
        .args(["start", "--no-banner"])
        .env("LOCO_ENV", "development")
        .env("DATABASE_URL", db_url)
        .env("QUEUE_URL", queue_url)
        .env("DB_MAX_CONNECTIONS", pool.to_string())
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .env("UPLOAD_DIR", dir.join("uploads"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start portal")
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Op {
    Get,
    Approve,
    Reject,
    Profile,
    Upload,
    Login,
}

impl Op {
    const fn audit(self) -> Option<&'static str> {
        match self {
            Self::Approve => Some("request.approved"),
            Self::Reject => Some("request.rejected"),
            Self::Profile => Some("user.profile_updated"),
            Self::Upload => Some("submission.created"),
            Self::Login => Some("login.succeeded"),
            Self::Get => None,
        }
    }
}

#[derive(Default, Clone)]
struct Tally {
    ok: usize,
    client_error: usize,
    busy: usize,
    server_error: usize,
    unanswered: usize,
    closed: usize,
    latencies: Vec<Duration>,
    /// Each answer's time since the run began, with its latency.
    timeline: Vec<(Duration, Duration)>,
}

/// When the clients began (the timeline's zero).
static RUN_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// GETs answered slower than [`SLOW_GET`]: when, how long, which page.
static SLOW_GETS: Mutex<Vec<(Duration, Duration, String)>> = Mutex::new(Vec::new());
const SLOW_GET: Duration = Duration::from_millis(100);

type Tallies = Arc<Mutex<BTreeMap<Op, Tally>>>;

/// Sends `req` on `stream` (connecting first when needed), waiting at most
/// `answer`; records the outcome under `op`. Returns the answer, if any.
async fn send(stream: &mut Option<TcpStream>, port: u16, req: &[u8], answer: Duration, op: Op, tallies: &Tallies) -> Option<(u16, String, String)> {
    let t = Instant::now();
    if stream.is_none() {
        let s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        s.set_nodelay(true).ok();
        *stream = Some(s);
    }
    let result = tokio::time::timeout(answer, exchange(stream.as_mut().unwrap(), req)).await;
    let took = t.elapsed();
    let mut all = tallies.lock().unwrap();
    let tally = all.entry(op).or_default();
    match result {
        Ok(Ok((status, head, body))) => {
            match status {
                200..=399 => tally.ok += 1,
                503 => tally.busy += 1,
                500..=599 => tally.server_error += 1,
                _ => tally.client_error += 1,
            }
            tally.latencies.push(took);
            let at = RUN_START.get().map_or(Duration::ZERO, |s| t.saturating_duration_since(*s));
            tally.timeline.push((at, took));
            if op == Op::Get && took > SLOW_GET {
                let line = String::from_utf8_lossy(req).lines().next().unwrap_or_default().to_string();
                SLOW_GETS.lock().unwrap().push((at, took, line));
            }
            Some((status, head, body))
        }
        Ok(Err(_)) => {
            tally.closed += 1;
            *stream = None;
            None
        }
        Err(_) => {
            tally.unanswered += 1;
            *stream = None;
            None
        }
    }
}

struct Seed {
    db_url: String,
    decide_ids: Vec<i32>,
    upload: Vec<(i32, String)>,
    machine: i32,
    email: String,
}

async fn seed(db: &DatabaseConnection, db_url: String, decisions: usize, uploads: usize, rows: usize) -> Seed {
    let one = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_string());
    let id_of = |row: sea_orm::QueryResult| row.try_get::<i32>("", "id").unwrap();
    let bank = id_of(db.query_one_raw(one("SELECT id FROM organisations WHERE kind = 'lembaga' ORDER BY id LIMIT 1")).await.unwrap().unwrap());
    let producer = id_of(db.query_one_raw(one("SELECT id FROM organisations WHERE kind = 'produsen' ORDER BY id LIMIT 1")).await.unwrap().unwrap());
    let machine = id_of(db.query_one_raw(one("SELECT id FROM machine_types ORDER BY id LIMIT 1")).await.unwrap().unwrap());
    let author = id_of(db.query_one_raw(one("SELECT id FROM users WHERE username = 'bank_abc'")).await.unwrap().unwrap());
    let email: String = db.query_one_raw(one("SELECT email FROM users WHERE username = 'pt_nyra'")).await.unwrap().unwrap().try_get("", "email").unwrap();
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let make = |number: String, status: &str, quantity: i32| requests::ActiveModel {
        organisation_id: Set(bank),
        producer_id: Set(producer),
        machine_type_id: Set(machine),
        created_by: Set(author),
        search_text: Set(sifilma::models::requests::search_text(&number, "Kartu SAM beban", "Bank ABC")),
        title: Set("Kartu SAM beban".into()),
        number: Set(number),
        request_date: Set(day),
        quantity: Set(quantity),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(10),
        status: Set(sifilma::models::requests::Status::parse(status).unwrap()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    for chunk in (0..decisions).collect::<Vec<_>>().chunks(500) {
        requests::Entity::insert_many(chunk.iter().map(|i| make(format!("BENCH/D/{i:06}"), "submitted", 10))).exec(db).await.unwrap();
    }
    let qty = i32::try_from(rows).unwrap();
    for chunk in (0..uploads).collect::<Vec<_>>().chunks(500) {
        requests::Entity::insert_many(chunk.iter().map(|i| make(format!("BENCH/U/{i:06}"), "approved", qty))).exec(db).await.unwrap();
    }
    let ids = |prefix: &'static str| async move {
        db.query_all_raw(one(&format!("SELECT id, number FROM personalization_requests WHERE number LIKE '{prefix}%' ORDER BY number")))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.try_get::<i32>("", "id").unwrap(), r.try_get::<String>("", "number").unwrap()))
            .collect::<Vec<_>>()
    };
    let decide_ids = ids("BENCH/D/").await.into_iter().map(|(id, _)| id).collect();
    let upload = ids("BENCH/U/").await;
    Seed { db_url, decide_ids, upload, machine, email }
}

/// Audit rows per action (and distinct subjects), for the write check.
async fn audit_counts(db: &DatabaseConnection) -> BTreeMap<String, (i64, i64)> {
    let sql = "SELECT action, COUNT(*) AS n, COUNT(DISTINCT subject_id) AS d FROM audit_events GROUP BY action";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.try_get::<String>("", "action").unwrap(), (r.try_get::<i64>("", "n").unwrap(), r.try_get::<i64>("", "d").unwrap())))
        .collect()
}

#[tokio::main]
async fn main() {
    let clients: usize = env_or("SIFILMA_BENCH_CLIENTS", 200);
    let seconds: u64 = env_or("SIFILMA_BENCH_SECONDS", 40);
    let slow_sockets: usize = env_or("SIFILMA_BENCH_SLOW_SOCKETS", 150);
    let answer = Duration::from_secs(env_or("SIFILMA_BENCH_ANSWER_SECS", 15));
    let think_ms: u64 = env_or("SIFILMA_BENCH_THINK_MS", 0);
    let rows: usize = env_or("SIFILMA_BENCH_UPLOAD_ROWS", 1000);
    let pool: u32 = env_or("SIFILMA_BENCH_DB_CONNECTIONS", 8);

    let dir = std::env::temp_dir().join(format!("sifilma-mixed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let queue_url = format!("sqlite://{}?mode=rwc", dir.join("queue.sqlite").display());
    let (db_url, backend) = support::bench_database(&dir, "mixed").await;
    let port = free_port();

    // First start migrates and seeds the demo accounts; then the bench's rows.
    let mut first = start_portal(&db_url, &queue_url, port, &dir, pool);
    wait_ready(port, Duration::from_secs(120)).await.expect("first start");
    first.kill().ok();
    first.wait().ok();
    let db = Database::connect(&db_url).await.unwrap();
    let t = Instant::now();
    // Enough for every write the run can make (each is used once).
    let decisions = clients * seconds as usize * 3;
    let uploads = clients * seconds as usize / 2;
    let seed = Arc::new(seed(&db, db_url.clone(), decisions, uploads, rows).await);
    println!("seeded {decisions} submitted and {uploads} approved requests ({rows} cards each) in {:.1?}", t.elapsed());
    let audit_before = audit_counts(&db).await;

    let mut portal = start_portal(&seed.db_url, &queue_url, port, &dir, pool);
    wait_ready(port, Duration::from_secs(60)).await.expect("portal start");
    println!(
        "{backend}, pool {pool} connections: {clients} clients x {seconds} s (80 % GET, 15 % POST approve/reject/profile, 5 % upload of {rows} rows), {slow_sockets} slow-header sockets, unanswered = no answer within {answer:?}, think time 0-{} ms", 2 * think_ms
    );

    let tallies: Tallies = Arc::new(Mutex::new(BTreeMap::new()));
    let start = Instant::now();
    RUN_START.set(start).ok();
    let deadline = start + Duration::from_secs(seconds);

    // Slow-header sockets: a header line every 5 s, never the blank line.
    let slow_closed = Arc::new(AtomicUsize::new(0));
    let mut slow = Vec::new();
    for _ in 0..slow_sockets {
        let closed = Arc::clone(&slow_closed);
        slow.push(tokio::spawn(async move {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
                closed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if s.write_all(format!("GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n").as_bytes()).await.is_err() {
                closed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(5).min(deadline.saturating_duration_since(Instant::now()))).await;
                if s.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    closed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }));
    }

    let next_decision = Arc::new(AtomicUsize::new(0));
    let next_upload = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (tallies, seed, next_decision, next_upload) = (Arc::clone(&tallies), Arc::clone(&seed), Arc::clone(&next_decision), Arc::clone(&next_upload));
        tasks.push(tokio::spawn(async move {
            let mut stream: Option<TcpStream> = None;
            // Sign in through the real form (argon2 on the server).
            let mut session = None;
            while session.is_none() && Instant::now() < deadline {
                let get = format!("GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
                let Some((_, head, body)) = send(&mut stream, port, get.as_bytes(), answer, Op::Get, &tallies).await else { continue };
                let Some(anon) = cookie(&head, "sifilma_csrf") else { continue };
                let form = format!("_csrf={}&username=pt_nyra&password={}&next=", csrf(&body), sifilma::models::demo::DEMO_PASSWORD);
                let req = format!(
                    "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_csrf={anon}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
                    form.len()
                );
                if let Some((303, head, _)) = send(&mut stream, port, req.as_bytes(), answer, Op::Login, &tallies).await {
                    session = cookie(&head, "sifilma_session");
                } else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            let Some(session) = session else { return };
            let mut token = None;
            while token.is_none() && Instant::now() < deadline {
                let get = format!("GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\n\r\n");
                if let Some((200, _, body)) = send(&mut stream, port, get.as_bytes(), answer, Op::Get, &tallies).await {
                    token = Some(csrf(&body));
                }
            }
            let Some(token) = token else { return };

            let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mut rnd = move |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            while Instant::now() < deadline {
                let roll = rnd(100);
                let (op, req) = if roll < 80 {
                    let id = seed.decide_ids[rnd(seed.decide_ids.len() as u64) as usize];
                    let path = match rnd(6) {
                        0 => "/permintaan".to_string(),
                        1 => format!("/permintaan?status=submitted&page={}", rnd(50) + 1),
                        2 => format!("/permintaan/{id}"),
                        3 => "/pengajuan".to_string(),
                        4 => format!("/permintaan?q=BENCH%2FD%2F00{}", rnd(100)),
                        _ => "/dashboard".to_string(),
                    };
                    (Op::Get, format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\n\r\n").into_bytes())
                } else if roll < 95 {
                    match rnd(3) {
                        0 | 1 => {
                            let Some(&id) = seed.decide_ids.get(next_decision.fetch_add(1, Ordering::Relaxed)) else { continue };
                            if roll % 2 == 0 {
                                (Op::Approve, post(port, &format!("/permintaan/{id}/setujui"), &session, &token, "application/x-www-form-urlencoded", b""))
                            } else {
                                let body = b"reason=Kuota+bulan+ini+sudah+penuh%2C+ajukan+kembali+bulan+depan.";
                                (Op::Reject, post(port, &format!("/permintaan/{id}/tolak"), &session, &token, "application/x-www-form-urlencoded", body))
                            }
                        }
                        _ => {
                            let fields = [
                                ("name", format!("PT Nyra Beban {}", rnd(1000))),
                                ("email", seed.email.clone()),
                                ("address", "Jl. Gatot Subroto Kav. 21, Jakarta Selatan".to_string()),
                                ("phone", "0215551234".to_string()),
                            ];
                            let body = multipart(&fields, &[]);
                            (Op::Profile, post(port, "/profil", &session, &token, &format!("multipart/form-data; boundary={BOUNDARY}"), &body))
                        }
                    }
                } else {
                    let k = next_upload.fetch_add(1, Ordering::Relaxed);
                    let Some((id, number)) = seed.upload.get(k).cloned() else { continue };
                    let list = tokio::task::spawn_blocking(move || card_list(&number, k, rows)).await.unwrap();
                    let fields = [
                        ("number", format!("SP/BENCH/{k:06}")),
                        ("title", "Pengajuan beban".to_string()),
                        ("card_count", rows.to_string()),
                        ("machine_type_id", seed.machine.to_string()),
                        ("note", String::new()),
                        ("request_ids", id.to_string()),
                    ];
                    let letter = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
                    let body = multipart(&fields, &[("file", "surat.pdf", letter), ("cards", "daftar.xlsx", &list)]);
                    (Op::Upload, post(port, "/pengajuan", &session, &token, &format!("multipart/form-data; boundary={BOUNDARY}"), &body))
                };
                send(&mut stream, port, &req, answer, op, &tallies).await;
                if think_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(rnd(2 * think_ms + 1))).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ran = start.elapsed();
    for s in slow {
        s.await.ok();
    }
    let rss = rss_kib(portal.id());
    portal.kill().ok();
    portal.wait().ok();

    let audit_after = audit_counts(&db).await;
    db.close().await.ok();
    support::drop_bench_database(&db_url).await;
    std::fs::remove_dir_all(&dir).ok();

    let all = tallies.lock().unwrap().clone();
    let sum = |f: fn(&Tally) -> usize| all.values().map(f).sum::<usize>();
    println!(
        "ran {ran:.1?}: {} requests answered; 5xx (not 503) {}; 503 busy {}; unanswered {}; connection closed {}; slow sockets closed by the server {} of {slow_sockets}; RSS at end {} MB",
        sum(|t| t.latencies.len()),
        sum(|t| t.server_error),
        sum(|t| t.busy),
        sum(|t| t.unanswered),
        sum(|t| t.closed),
        slow_closed.load(Ordering::Relaxed),
        rss / 1024
    );
    for (op, t) in &all {
        let mut l = t.latencies.clone();
        l.sort();
        let (p50, p99) = if l.is_empty() { (Duration::ZERO, Duration::ZERO) } else { (percentile(&l, 0.5), percentile(&l, 0.99)) };
        println!(
            "  {op:?}: {} ok (2xx/3xx), {} 4xx, {} 503, {} other 5xx, {} unanswered, {} closed; p50 {:.1} ms, p99 {:.1} ms",
            t.ok,
            t.client_error,
            t.busy,
            t.server_error,
            t.unanswered,
            t.closed,
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
    }
    println!("writes (audit rows of the run vs 2xx/3xx answers; 5xx/unanswered may or may not have written):");
    for (op, t) in &all {
        let Some(action) = op.audit() else { continue };
        let (before, before_distinct) = audit_before.get(action).copied().unwrap_or((0, 0));
        let (after, after_distinct) = audit_after.get(action).copied().unwrap_or((0, 0));
        let rows = usize::try_from(after - before).unwrap_or(0);
        let unknown = t.server_error + t.busy + t.unanswered + t.closed;
        let lost = t.ok.saturating_sub(rows);
        let extra = rows.saturating_sub(t.ok + unknown);
        // A subject written twice (the same request decided twice).
        let doubled = if matches!(op, Op::Approve | Op::Reject | Op::Upload) { (after - before) - (after_distinct - before_distinct) } else { 0 };
        println!(
            "  {action}: {rows} audit rows for {} ok answers ({unknown} unsure): lost {lost}, unexplained extra {extra}, same subject twice {doubled}",
            t.ok
        );
    }
    let gets = all.get(&Op::Get).cloned().unwrap_or_default();
    // The GETs by 10-second window: the sign-in burst is the first.
    let mut windows: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
    for (at, took) in &gets.timeline {
        windows.entry(at.as_secs() / 10).or_default().push(*took);
    }
    // page → (how many, slowest, first and last seen since the start)
    let mut slow_pages: BTreeMap<String, (usize, Duration, Duration, Duration)> = BTreeMap::new();
    for (at, took, line) in SLOW_GETS.lock().unwrap().iter() {
        let page = line.split_whitespace().nth(1).unwrap_or_default().split(['?']).next().unwrap_or_default();
        let page: String =
            page.split('/').map(|p| if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() { "{id}" } else { p }).collect::<Vec<_>>().join("/");
        let e = slow_pages.entry(page).or_insert((0, Duration::ZERO, *at, *at));
        e.0 += 1;
        e.1 = e.1.max(*took);
        e.2 = e.2.min(*at);
        e.3 = e.3.max(*at);
    }
    println!("  GETs slower than {SLOW_GET:?}, by page (count, slowest, first and last sent at): {slow_pages:?}");
    for (w, mut l) in windows {
        l.sort();
        println!(
            "  GETs in {}-{} s: {}, p50 {:.1} ms, p99 {:.1} ms",
            w * 10,
            w * 10 + 10,
            l.len(),
            percentile(&l, 0.5).as_secs_f64() * 1000.0,
            percentile(&l, 0.99).as_secs_f64() * 1000.0
        );
    }
    let mut l = gets.latencies;
    l.sort();
    if !l.is_empty() {
        println!(
            "GET p99 {:.1} ms (p50 {:.1} ms) over {} GETs",
            percentile(&l, 0.99).as_secs_f64() * 1000.0,
            percentile(&l, 0.5).as_secs_f64() * 1000.0,
            l.len()
        );
    }
}
