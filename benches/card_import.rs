//! Card-list import benchmark: 10,000 and 50,000 rows through the real
//! submit path (parse + validate + insert, SQLite), wall time and peak RSS,
//! against the least any import must do: calamine's read of the same file
//! plus a bulk insert of the same rows. Each size runs in its own process so
//! peak RSS belongs to it alone. Then 10,000 rows over HTTP: the Pengajuan
//! form (multipart, CSRF) posted to the release portal.
//! Run: `cargo bench --bench card_import`.
mod support;

use std::{io::Cursor, time::Instant};

use calamine::{open_workbook_from_rs, Reader, Xlsx};
use chrono::{NaiveDate, Utc};
use migration::{Migrator, MigratorTrait};
use rust_xlsxwriter::Workbook;
use sea_orm::{sea_query::Query, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, EntityTrait, TransactionTrait};
use sifilma::models::{
    _entities::{machine_types, organisations, personalization_requests as requests, users},
    imports::Slots,
    requests::Letter,
    submissions::{ActiveModel, CardFile, Form},
    Env,
};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().unwrap_or(0.0) / 1024.0))
        .unwrap_or(0.0)
}

fn sheet(rows: usize) -> Vec<u8> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet().set_name("Daftar Kartu SAM").unwrap();
    for (c, h) in ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r)).unwrap();
        ws.write_string(r, 1, "470/BENCH/2026").unwrap();
        ws.write_string(r, 2, format!("0SAM{i:010}")).unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn run(rows: usize) {
    let dir = std::env::temp_dir().join(format!("sifilma-import-{}-{rows}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.join("b.sqlite").display())).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let now = Utc::now();
    let org = |name: &str, kind: &str| organisations::ActiveModel {
        name: Set(name.into()),
        kind: Set(kind.into()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    let producer = org("PT Nyra", "produsen").insert(&db).await.unwrap();
    let bank = org("Bank ABC", "lembaga").insert(&db).await.unwrap();
    let user = users::ActiveModel {
        username: Set("pt_nyra".into()),
        password_hash: Set("x".into()),
        name: Set("PT Nyra".into()),
        email: Set("nyra@bench.go.id".into()),
        role: Set("produsen".into()),
        organisation_id: Set(Some(producer.id)),
        status: Set(sifilma::models::users::Status::Active),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let machine = machine_types::ActiveModel {
        name: Set("GSX-01".into()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let request = approved_request(&db, (bank.id, producer.id, machine.id, user.id), "470/BENCH/2026", rows).await;

    let bytes = sheet(rows);
    let t = Instant::now();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let range = book.worksheet_range("Daftar Kartu SAM").unwrap();
    let read: Vec<(String, String, i64)> =
        range.rows().skip(1).enumerate().map(|(i, r)| (r[1].to_string(), r[2].to_string(), i64::try_from(i).unwrap() + 2)).collect();
    assert_eq!(read.len(), rows);
    drop(book);
    // The same rows bulk-inserted into a table of their own, in one transaction.
    db.execute_unprepared("CREATE TABLE baseline_cards (request TEXT NOT NULL, serial TEXT NOT NULL UNIQUE, row_no INTEGER NOT NULL)").await.unwrap();
    let txn = db.begin().await.unwrap();
    for chunk in read.chunks(1000) {
        let mut insert = Query::insert();
        insert.into_table(sea_orm::sea_query::Alias::new("baseline_cards")).columns(["request", "serial", "row_no"].map(sea_orm::sea_query::Alias::new));
        for (request, serial, row) in chunk {
            insert.values_panic([request.clone().into(), serial.clone().into(), (*row).into()]);
        }
        txn.execute(&insert).await.unwrap();
    }
    txn.commit().await.unwrap();
    let raw = t.elapsed();

    let form = Form {
        number: "SP/BENCH".into(),
        title: "Bench".into(),
        card_count: rows.to_string(),
        machine_type_id: machine.id.to_string(),
        note: String::new(),
        request_ids: vec![request.id],
    };
    let letter = Letter { bytes: b"%PDF-1.4 bench".to_vec(), file_name: "s.pdf".into() };
    let upload_dir = dir.join("uploads").display().to_string();
    let env = Env { base_url: "http://localhost", upload_dir: &upload_dir, ip: "127.0.0.1", disposition_days: 3 };
    let t = Instant::now();
    let card_file = CardFile::read(&Slots::new(1), bytes, "daftar.xlsx".into()).await.expect("a free slot");
    ActiveModel::submit(&db, &user, &form, Some(&letter), Some(&card_file), &env).await.expect("import succeeds");
    let full = t.elapsed();
    println!(
        "{rows:>6} rows: import (parse + validate + insert) {:.0} ms, calamine read + bulk insert {:.0} ms (ratio {:.1}x), xlsx {:.1} MB, peak RSS {:.0} MB",
        full.as_secs_f64() * 1000.0,
        raw.as_secs_f64() * 1000.0,
        full.as_secs_f64() / raw.as_secs_f64(),
        card_file.bytes.len() as f64 / 1_048_576.0,
        peak_rss_mb()
    );
    db.close().await.ok();
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rows") {
        run(args[i + 1].parse().unwrap()).await;
        return;
    }
    for rows in [10_000, 50_000] {
        let status = std::process::Command::new(std::env::current_exe().unwrap()).args(["--rows", &rows.to_string()]).status().unwrap();
        assert!(status.success());
    }
    over_http(10_000).await;
}

/// `rows` cards posted with the Pengajuan form to the release portal, as a
/// producer's browser does: multipart, CSRF token, session cookie.
async fn over_http(rows: usize) {
    use support::{card_list, csrf, exchange, free_port, login, migrate_and_seed, multipart, post, start, wait_ready, BOUNDARY};
    let dir = std::env::temp_dir().join(format!("sifilma-import-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("b.sqlite").display());
    let port = free_port();
    migrate_and_seed(&db_url, port, &dir).await;
    // Approved requests of Bank ABC to PT Nyra for `rows` cards, one per upload.
    const UPLOADS: usize = 5;
    let db = Database::connect(&db_url).await.unwrap();
    let template = requests::Entity::find().one(&db).await.unwrap().expect("a demo request");
    let mut bundles = Vec::new();
    for k in 0..UPLOADS {
        let number = format!("470/HTTP{k}/2026");
        let parties = (template.organisation_id, template.producer_id, template.machine_type_id, template.created_by);
        let request = approved_request(&db, parties, &number, rows).await;
        bundles.push((request.id, number));
    }
    db.close().await.ok();

    let mut portal = start(&db_url, port, &dir);
    wait_ready(port, std::time::Duration::from_secs(60)).await.expect("portal start");
    let session = login(port, "pt_nyra").await.expect("producer login");
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (_, _, page) =
        exchange(&mut s, format!("GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sifilma_session={session}\r\n\r\n")).await.unwrap();
    let token = csrf(&page);
    let mut took = Vec::new();
    let mut size = 0;
    for (k, (id, number)) in bundles.iter().enumerate() {
        let list = card_list(number, k, rows);
        let fields = [
            ("number", format!("SP/HTTP/{k}")),
            ("title", "Pengajuan bench".to_string()),
            ("card_count", rows.to_string()),
            ("machine_type_id", template.machine_type_id.to_string()),
            ("note", String::new()),
            ("request_ids", id.to_string()),
        ];
        let letter = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let body = multipart(&fields, &[("file", "surat.pdf", letter), ("cards", "daftar.xlsx", &list)]);
        size = body.len();
        let req = post(port, "/pengajuan", &session, &token, &format!("multipart/form-data; boundary={BOUNDARY}"), &body);
        let t = Instant::now();
        let (status, _, answer) = exchange(&mut s, &req).await.unwrap();
        took.push(t.elapsed());
        assert_eq!(status, 303, "{}", answer.chars().take(500).collect::<String>());
    }
    took.sort();
    println!(
        "{rows:>6} rows over HTTP (multipart {:.1} MB + CSRF, release portal): median of {UPLOADS} {:.0} ms, fastest {:.0} ms [goal: kept at ~100 ms]",
        size as f64 / 1_048_576.0,
        took[UPLOADS / 2].as_secs_f64() * 1000.0,
        took[0].as_secs_f64() * 1000.0
    );
    portal.kill().ok();
    portal.wait().ok();
    std::fs::remove_dir_all(dir).ok();
}

/// An approved request for `rows` cards: (institution, producer, machine
/// type, author) ids.
async fn approved_request(
    db: &sea_orm::DatabaseConnection,
    (institution, producer, machine, author): (i32, i32, i32, i32),
    number: &str,
    rows: usize,
) -> requests::Model {
    let now = Utc::now();
    requests::ActiveModel {
        organisation_id: Set(institution),
        producer_id: Set(producer),
        machine_type_id: Set(machine),
        created_by: Set(author),
        number: Set(number.into()),
        title: Set("Bench".into()),
        search_text: Set("bench".into()),
        request_date: Set(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
        quantity: Set(i32::try_from(rows).unwrap()),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("s.pdf".into()),
        file_size: Set(1),
        status: Set(sifilma::models::requests::Status::Approved),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}
