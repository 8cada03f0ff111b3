//! Operations benchmark (issue 16), on the real binary:
//! - two portal processes against one on the same database, same load
//!   (producer list GETs with one approve POST in four): requests/s of each
//!   and of both, and the CPU each process used (PostgreSQL only: SQLite is
//!   one writer on one machine);
//! - recovery after SIGKILL of one of two portals under that load: how many
//!   requests failed and for how long (clients retry a refused connection on
//!   the other process, as the reverse proxy does);
//! - `task backup` and `task restore` of a database with 100,000 requests,
//!   1,000,000 cards and 10,000 archived documents.
//!
//! Run: `SIFILMA_BENCH_DATABASE_URL=postgres://…/any cargo bench --bench
//! operations` (PostgreSQL; `pg_dump`/`pg_restore` from the newest
//! /usr/lib/postgresql/*/bin or `PG_BIN`), or without it on SQLite (backup
//! and restore only).
mod support;

use std::{
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait, Statement, Value};
use sha2::{Digest, Sha256};
use sifilma::models::_entities::{documents, organisations, personalization_requests as requests, submissions, users};
use support::{bench_database, csrf, drop_bench_database, exchange, free_port, login, migrate_and_seed, start, wait_ready};
use tokio::net::TcpStream;

const REQUESTS: usize = 100_000;
const SUBMISSIONS: usize = 1_000;
const CARDS_PER_SUBMISSION: usize = 1_000;
const DOCUMENTS: usize = 10_000;
const SECONDS: u64 = 10;
const CONNECTIONS: usize = 8;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-ops-{}", std::process::id()));
    let uploads = dir.join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let (db_url, engine) = bench_database(&dir, "ops").await;
    migrate_and_seed(&db_url, free_port(), &uploads).await;
    let db = Database::connect(&db_url).await.unwrap();
    let t = Instant::now();
    let open = seed(&db, &uploads).await;
    println!("{engine}: seeded {REQUESTS} requests, {} cards, {DOCUMENTS} documents with files in {:.1?}", SUBMISSIONS * CARDS_PER_SUBMISSION, t.elapsed());

    if engine == "PostgreSQL" {
        portals(&db_url, &uploads, &open).await;
    } else {
        println!("two portals and recovery: PostgreSQL only (set SIFILMA_BENCH_DATABASE_URL)");
    }
    db.close().await.ok();

    // Backup while nothing else runs, then restore into a fresh database and
    // upload directory.
    let backup_dir = dir.join("cadangan");
    let t = Instant::now();
    let out = task(&db_url, &uploads, &["backup", &format!("dir:{}", backup_dir.display())]);
    let backup_secs = t.elapsed().as_secs_f64();
    println!("{}", out.trim());
    let size: u64 = walk_size(&backup_dir);
    println!("backup [{engine}]: {backup_secs:.1} s, {:.0} MB written", size as f64 / 1_048_576.0);
    let (restore_url, _) = bench_database(&dir.join("restored"), "ops_restored").await;
    std::fs::create_dir_all(dir.join("restored")).unwrap();
    let restored_uploads = dir.join("restored").join("uploads");
    let t = Instant::now();
    let out = task(&restore_url, &restored_uploads, &["restore", &format!("dir:{}", backup_dir.display())]);
    println!("{}", out.trim());
    println!("restore [{engine}]: {:.1} s (hashes checked first, row counts compared after)", t.elapsed().as_secs_f64());
    drop_bench_database(&db_url).await;
    drop_bench_database(&restore_url).await;
    std::fs::remove_dir_all(&dir).ok();
}

/// `sifilma-cli task …` on `db_url`; its output. Panics when it fails.
fn task(db_url: &str, uploads: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
        .arg("task")
        .args(args)
        .env("LOCO_ENV", "development")
        .env("DATABASE_URL", db_url)
        .env("QUEUE_URL", format!("sqlite://{}?mode=rwc", uploads.with_file_name("queue.sqlite").display()))
        .env("UPLOAD_DIR", uploads)
        .env("LOG_LEVEL", "error")
        .output()
        .expect("run sifilma-cli task");
    assert!(out.status.success(), "{args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn walk_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| if e.file_type().is_ok_and(|t| t.is_dir()) { walk_size(&e.path()) } else { e.metadata().map_or(0, |m| m.len()) })
        .sum()
}

/// 100,000 requests of PT Nyra (60 % submitted, for approvals), 1,000
/// submissions of 1,000 cards each, 10,000 ready documents with a 12 KB file
/// each. Returns the submitted requests' ids.
async fn seed(db: &DatabaseConnection, uploads: &Path) -> Vec<i32> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let backend = db.get_database_backend();
    let org = |name: &'static str| async move { organisations::Entity::find().filter(organisations::Column::Name.eq(name)).one(db).await.unwrap().unwrap().id };
    let (producer, bank) = (org("PT Nyra").await, org("Bank ABC").await);
    let creator = users::Entity::find().one(db).await.unwrap().unwrap().id;
    let machine: i32 =
        db.query_one_raw(Statement::from_string(backend, "SELECT id FROM machine_types LIMIT 1")).await.unwrap().unwrap().try_get("", "id").unwrap();
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let statuses = ["submitted", "submitted", "submitted", "approved", "submitted", "approved", "submitted", "approved", "submitted", "approved"];
    for chunk in (0..REQUESTS).collect::<Vec<_>>().chunks(1000) {
        let rows = chunk.iter().map(|&i| requests::ActiveModel {
            organisation_id: Set(bank),
            producer_id: Set(producer),
            machine_type_id: Set(machine),
            created_by: Set(creator),
            number: Set(format!("OPS/{i:06}/2026")),
            title: Set(format!("Kartu SAM kantor cabang {i}")),
            search_text: Set(sifilma::models::requests::search_text(&format!("OPS/{i:06}/2026"), &format!("Kartu SAM kantor cabang {i}"), "Bank ABC")),
            request_date: Set(day),
            quantity: Set(1000),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(1000),
            status: Set(sifilma::models::requests::Status::parse(statuses[i % 10]).unwrap()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        });
        requests::Entity::insert_many(rows).exec(db).await.unwrap();
    }
    let first_request: i32 = requests::Entity::find().select_only().column(requests::Column::Id).into_tuple().one(db).await.unwrap().unwrap();
    for chunk in (0..SUBMISSIONS).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|&i| submissions::ActiveModel {
            producer_id: Set(producer),
            machine_type_id: Set(machine),
            created_by: Set(creator),
            number: Set(format!("SP/OPS/{i:04}")),
            title: Set("Pengajuan".into()),
            created_on: Set(day),
            card_count: Set(i32::try_from(CARDS_PER_SUBMISSION).unwrap()),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(1000),
            cards_file_name: Set("daftar.xlsx".into()),
            status: Set(sifilma::models::submissions::Status::parse("received").unwrap()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        });
        submissions::Entity::insert_many(rows).exec(db).await.unwrap();
    }
    let first_submission: i32 = submissions::Entity::find().select_only().column(submissions::Column::Id).into_tuple().one(db).await.unwrap().unwrap();
    // One statement per 100,000 cards, generated by the database.
    let per = CARDS_PER_SUBMISSION;
    for block in 0..(SUBMISSIONS * per / 100_000) {
        let (from, to) = (block * 100_000, (block + 1) * 100_000 - 1);
        let p = |n: usize| if backend == sea_orm::DbBackend::Sqlite { "?".to_string() } else { format!("${n}") };
        let sql = format!(
            "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to}) \
             INSERT INTO cards (submission_id, request_id, row_no, serial, status, created_at) \
             SELECT {first_submission} + i / {per}, {first_request} + i / {per}, i % {per} + 1, 'SN' || i, 'clear', {} FROM s",
            p(1)
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(sea_orm::prelude::DateTimeWithTimeZone::from(now))])).await.unwrap();
    }
    let folder = uploads.join(sifilma::models::documents::AREA);
    std::fs::create_dir_all(&folder).unwrap();
    for chunk in (0..DOCUMENTS).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<documents::ActiveModel> = chunk
            .iter()
            .map(|&i| {
                let bytes: Vec<u8> = (0..12_288u32).map(|b| (b.wrapping_mul(2_654_435_761).wrapping_add(u32::try_from(i).unwrap()) >> 13) as u8).collect();
                let key = format!("{:032x}", i + 1);
                std::fs::write(folder.join(&key), &bytes).unwrap();
                documents::ActiveModel {
                    submission_id: Set(Some(first_submission + i32::try_from(i % SUBMISSIONS).unwrap())),
                    kind: Set("bast".into()),
                    number: Set(format!("SAM-2026-{:05}", i + 1)),
                    status: Set(sifilma::models::documents::DocStatus::Ready),
                    verify_code: Set(format!("{:016x}", i)),
                    sha256: Set(Some(hex::encode(Sha256::digest(&bytes)))),
                    file_key: Set(Some(key)),
                    file_name: Set(format!("BAST-{i}.docx")),
                    file_size: Set(Some(12_288)),
                    created_by: Set(creator),
                    created_at: Set(now.into()),
                    ready_at: Set(Some(now.into())),
                    ..Default::default()
                }
            })
            .collect();
        documents::Entity::insert_many(rows).exec(db).await.unwrap();
    }
    requests::Entity::find()
        .select_only()
        .column(requests::Column::Id)
        .filter(requests::Column::Status.eq(sifilma::models::requests::Status::Submitted))
        .into_tuple()
        .all(db)
        .await
        .unwrap()
}

/// Clock ticks of CPU (user + system) process `pid` used so far.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    ticks as f64 / hz as f64
}

struct Mix {
    /// Every `post_every`-th request is an approve POST (0: none).
    post_every: usize,
    session: String,
    token: String,
    open: Arc<Vec<i32>>,
    next: Arc<AtomicUsize>,
}

impl Mix {
    /// Request `n`: every fourth an approve POST of the next submitted
    /// request, the others the producer's list.
    fn request(&self, port: u16, n: usize) -> String {
        if self.post_every > 0 && n.is_multiple_of(self.post_every) {
            let id = self.open[self.next.fetch_add(1, Ordering::Relaxed) % self.open.len()];
            let body = format!("_csrf={}", self.token);
            format!(
                "POST /permintaan/{id}/setujui HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                self.session,
                body.len()
            )
        } else {
            format!("GET /permintaan HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={}\r\n\r\n", self.session)
        }
    }
}

/// `connections` keep-alive clients, client k on `ports[k % len]`, for
/// `seconds`; answers per port. A client whose connection fails reconnects
/// to the next port (as the proxy would), counting the failure and its time.
async fn run_mix(mix: &Arc<Mix>, ports: &[u16], connections: usize, seconds: u64, failures: &Arc<Mutex<Vec<Instant>>>) -> Vec<usize> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for k in 0..connections {
        let (mix, ports, counter, failures) = (mix.clone(), ports.to_vec(), counter.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut answered = vec![0usize; ports.len()];
            let mut at = k % ports.len();
            let mut stream: Option<TcpStream> = None;
            while Instant::now() < deadline {
                if stream.is_none() {
                    match TcpStream::connect(("127.0.0.1", ports[at])).await {
                        Ok(s) => stream = Some(s),
                        Err(_) => {
                            failures.lock().unwrap().push(Instant::now());
                            at = (at + 1) % ports.len();
                            continue;
                        }
                    }
                }
                let req = mix.request(ports[at], counter.fetch_add(1, Ordering::Relaxed));
                match exchange(stream.as_mut().unwrap(), &req).await {
                    Ok((status, _, body)) => {
                        assert!(status == 200 || status == 303, "{status}: {}", body.chars().take(300).collect::<String>());
                        answered[at] += 1;
                    }
                    Err(_) => {
                        failures.lock().unwrap().push(Instant::now());
                        stream = None;
                        at = (at + 1) % ports.len();
                    }
                }
            }
            answered
        }));
    }
    let mut total = vec![0usize; ports.len()];
    for t in tasks {
        for (i, n) in t.await.unwrap().into_iter().enumerate() {
            total[i] += n;
        }
    }
    total
}

async fn portals(db_url: &str, uploads: &Path, open: &[i32]) {
    let (p1, p2) = (free_port(), free_port());
    let mut one = start(db_url, p1, uploads);
    wait_ready(p1, Duration::from_secs(60)).await.expect("portal one");
    let session = login(p1, "pt_nyra").await.expect("producer login");
    let mut s = TcpStream::connect(("127.0.0.1", p1)).await.unwrap();
    let (_, _, body) = exchange(&mut s, format!("GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1:{p1}\r\nCookie: sifilma_session={session}\r\n\r\n")).await.unwrap();
    // SIFILMA_BENCH_POST_EVERY: one approve POST in this many requests (0: GETs only).
    let post_every = std::env::var("SIFILMA_BENCH_POST_EVERY").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let mix = Arc::new(Mix { post_every, session, token: csrf(&body), open: Arc::new(open.to_vec()), next: Arc::new(AtomicUsize::new(0)) });
    let failures = Arc::new(Mutex::new(Vec::new()));
    println!("{CONNECTIONS} connections, {SECONDS} s, producer list GET with one approve POST in {post_every} (0: none):");

    let cpu = cpu_secs(one.id());
    let alone = run_mix(&mix, &[p1], CONNECTIONS, SECONDS, &failures).await;
    println!("  one portal: {:.0} req/s, {:.2} cores", alone[0] as f64 / SECONDS as f64, (cpu_secs(one.id()) - cpu) / SECONDS as f64);

    let mut two = start(db_url, p2, uploads);
    wait_ready(p2, Duration::from_secs(60)).await.expect("portal two");
    let (c1, c2) = (cpu_secs(one.id()), cpu_secs(two.id()));
    let both = run_mix(&mix, &[p1, p2], CONNECTIONS, SECONDS, &failures).await;
    let (u1, u2) = ((cpu_secs(one.id()) - c1) / SECONDS as f64, (cpu_secs(two.id()) - c2) / SECONDS as f64);
    println!(
        "  two portals: one {:.0} req/s ({u1:.2} cores), two {:.0} req/s ({u2:.2} cores), together {:.0} req/s ({:.2} cores)",
        both[0] as f64 / SECONDS as f64,
        both[1] as f64 / SECONDS as f64,
        (both[0] + both[1]) as f64 / SECONDS as f64,
        u1 + u2
    );
    assert!(failures.lock().unwrap().is_empty(), "no failure without a kill");

    // SIGKILL of portal two 3 s into a 10 s run.
    let killed_at = Arc::new(Mutex::new(None::<Instant>));
    let done = Arc::new(AtomicBool::new(false));
    let killer = {
        let (killed_at, done) = (killed_at.clone(), done.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            two.kill().ok();
            *killed_at.lock().unwrap() = Some(Instant::now());
            two.wait().ok();
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let during = run_mix(&mix, &[p1, p2], CONNECTIONS, SECONDS, &failures).await;
    done.store(true, Ordering::Relaxed);
    killer.await.unwrap();
    let killed = killed_at.lock().unwrap().expect("killed");
    let fails = failures.lock().unwrap().clone();
    let last = fails.iter().max().map_or(Duration::ZERO, |t| t.saturating_duration_since(killed));
    println!(
        "  SIGKILL of portal two under that load: {} requests failed (each retried on portal one by its client), the last {:.0} ms after the kill; {:.0} req/s answered over the run",
        fails.len(),
        last.as_secs_f64() * 1000.0,
        (during[0] + during[1]) as f64 / SECONDS as f64
    );
    one.kill().ok();
    one.wait().ok();
}
