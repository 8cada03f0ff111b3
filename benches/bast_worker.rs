//! 1,000 BAST documents through the worker's body (`documents::build`:
//! load the line, build the .docx, SHA-256, store the file, mark it ready,
//! queue the mails) on SQLite, one after another as the worker runs them.
//! Prints the total and the time per document.
//! Run: `cargo bench --bench bast_worker`.
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use migration::MigratorTrait;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Database, EntityTrait, QueryFilter};
use sifilma::models::{
    _entities::{cards, documents, organisations, personalization_requests as requests, submissions},
    demo, Env,
};

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-bast-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display())).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let uploads = dir.join("uploads").display().to_string();
    demo::seed(&db, &uploads).await.unwrap();

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
    let docs = (1..=1000).map(|i| documents::ActiveModel {
        submission_id: Set(s.id),
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

    let env = Env { base_url: "https://sifilma.example", upload_dir: &uploads, ip: "", disposition_days: 3 };
    let start = Instant::now();
    let mut mails = 0;
    for id in &ids {
        mails += sifilma::models::documents::build(&db, &env, *id).await.unwrap().len();
    }
    let total = start.elapsed();
    let ready = documents::Entity::find().filter(documents::Column::Status.eq("ready")).all(&db).await.unwrap().len();
    println!("BAST through the worker ({} build, SQLite)", if cfg!(debug_assertions) { "debug" } else { "release" });
    println!("documents built          {ready} of {}", ids.len());
    println!("total                    {:.2} s", total.as_secs_f64());
    println!("per document             {:.2} ms", total.as_secs_f64() * 1e3 / ids.len() as f64);
    println!("mails queued             {mails}");
    let _ = std::fs::remove_dir_all(&dir);
}
