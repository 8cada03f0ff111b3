//! 1,000 BAST documents through the real worker: the release portal runs
//! as `--server-and-worker` (Loco's SQLite job queue, two job runners, the
//! mail sweeper); 1,000 jobs of one document each are put on its queue and
//! the clock stops when every document is ready (.docx built, SHA-256,
//! stored) and every mail it queued was delivered (development: the stub
//! mailer). Prints the total and the time per document.
//! Run: `cargo bench --bench bast_worker`.
mod support;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{cards, documents, mail_outbox, organisations, personalization_requests as requests, submissions};
use support::{free_port, migrate_and_seed, start_with_worker, wait_ready};

const DOCUMENTS: usize = 1000;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-bast-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display());
    let port = free_port();
    migrate_and_seed(&db_url, port, &dir).await;
    let db = Database::connect(&db_url).await.unwrap();

    let producer = organisations::Entity::find().filter(organisations::Column::Name.eq("PT Nyra")).one(&db).await.unwrap().unwrap();
    let request = requests::Entity::find().filter(requests::Column::Status.eq("approved")).one(&db).await.unwrap().unwrap();
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    let s = submissions::ActiveModel {
        producer_id: Set(producer.id),
        machine_type_id: Set(request.machine_type_id),
        created_by: Set(request.created_by),
        number: Set("SP/BENCH/2026".into()),
        title: Set("Bench".into()),
        created_on: Set(NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
        card_count: Set(250),
        file_key: Set("0".into()),
        file_kind: Set("pdf".into()),
        file_name: Set("x.pdf".into()),
        file_size: Set(1),
        cards_file_name: Set("x.xlsx".into()),
        status: Set(sifilma::models::submissions::Status::Received),
        ticket_code: Set(Some("PERSO-2026-09999".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let mut r: requests::ActiveModel = request.clone().into();
    r.submission_id = Set(Some(s.id));
    r.status = Set(sifilma::models::requests::Status::Received);
    r.received_count = Set(Some(250));
    r.update(&db).await.unwrap();
    let card_rows = (0..250).map(|i| cards::ActiveModel {
        submission_id: Set(s.id),
        request_id: Set(request.id),
        row_no: Set(i + 2),
        serial: Set(format!("0SAM{i:08}")),
        status: Set(sifilma::models::cards::Status::Clear),
        perso_number: Set(Some(format!("PRS-2026-{i:08}"))),
        pcid: Set(Some(format!("{i:016X}"))),
        manifest_number: Set(Some(format!("MNF-2026-09999-{i:05}"))),
        created_at: Set(now),
        ..Default::default()
    });
    cards::Entity::insert_many(card_rows).exec(&db).await.unwrap();
    let docs = (1..=DOCUMENTS).map(|i| documents::ActiveModel {
        submission_id: Set(Some(s.id)),
        request_id: Set(Some(request.id)),
        kind: Set("bast".into()),
        number: Set(format!("SAM-2026-{i:05}")),
        status: Set(sifilma::models::documents::DocStatus::Queued),
        verify_code: Set(format!("{i:016X}")),
        file_name: Set(format!("BAST-SAM-2026-{i:05}.docx")),
        created_by: Set(request.created_by),
        created_at: Set(now),
        ..Default::default()
    });
    documents::Entity::insert_many(docs).exec(&db).await.unwrap();
    let ids: Vec<i32> = documents::Entity::find().all(&db).await.unwrap().into_iter().map(|d| d.id).collect();

    db.close().await.ok();

    let mut portal = start_with_worker(&db_url, port, &dir);
    wait_ready(port, Duration::from_secs(60)).await.expect("portal start");
    let queue = sea_orm::sqlx::SqlitePool::connect(&db_url).await.unwrap();
    let db = Database::connect(&db_url).await.unwrap();
    let start_at = Instant::now();
    let jobs = ids.iter().map(|id| (serde_json::json!({ "ids": [id] }), None)).collect();
    loco_rs::bgworker::sqlt::enqueue_batch(&queue, "DocumentBuilder", jobs, None).await.unwrap();
    let (mut ready, mut mails, mut pending);
    loop {
        ready = documents::Entity::find().filter(documents::Column::Status.eq("ready")).count(&db).await.unwrap();
        mails = mail_outbox::Entity::find().count(&db).await.unwrap();
        pending = mail_outbox::Entity::find().filter(mail_outbox::Column::Status.eq("pending")).count(&db).await.unwrap();
        if (ready as usize == DOCUMENTS && pending == 0) || start_at.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = start_at.elapsed();
    portal.kill().ok();
    portal.wait().ok();
    println!("BAST through the real worker (release portal --server-and-worker, SQLite queue, stub mailer)");
    println!("documents ready          {ready} of {DOCUMENTS}");
    println!("mails delivered          {} of {mails}", mails - pending);
    println!("total                    {:.2} s [goal <= 10 s, queue and mails included]", total.as_secs_f64());
    println!("per document             {:.2} ms", total.as_secs_f64() * 1e3 / DOCUMENTS as f64);
    let _ = std::fs::remove_dir_all(&dir);
}
