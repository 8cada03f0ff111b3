//! Sistem Aktivasi benchmark (issue 15): checking an activation list of
//! 5,000 readers against the cards the portal personalized and handed over
//! (goal ≤ 1 s), importing the same list from its Excel workbook (parse +
//! check, goal ≤ 1 s), signing 10,000 manifests (rate), building and signing a
//! revocation list of 100,000 entries (goal ≤ 1 s), verifying manifests.
//! Run: `cargo bench --bench activations` (SQLite), or with
//! `SIFILMA_BENCH_DATABASE_URL=postgres://…/any` on PostgreSQL.
mod support;

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait, QuerySelect, Statement, Value};
use sifilma::models::{
    _entities::{organisations, personalization_requests as requests, submissions, users},
    activations::{
        import,
        readers::{check, ReaderInput},
        ActivationKey, Manifest, RevocationList, Revoked,
    },
};
use support::{bench_database, drop_bench_database, free_port, migrate_and_seed};

const READERS: usize = 5_000;
const MANIFESTS: usize = 10_000;
const REVOKED: usize = 100_000;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-akt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (db_url, engine) = bench_database(&dir, "akt").await;
    migrate_and_seed(&db_url, free_port(), &dir).await;
    let db = Database::connect(&db_url).await.unwrap();
    let backend = db.get_database_backend();
    use sea_orm::{ColumnTrait, QueryFilter};
    let org = |name: &'static str| {
        let db = db.clone();
        async move { organisations::Entity::find().filter(organisations::Column::Name.eq(name)).one(&db).await.unwrap().unwrap().id }
    };
    let (producer, bank) = (org("PT Nyra").await, org("Bank ABC").await);
    let creator = users::Entity::find().one(&db).await.unwrap().unwrap().id;
    let machine: i32 =
        db.query_one_raw(Statement::from_string(backend, "SELECT id FROM machine_types LIMIT 1")).await.unwrap().unwrap().try_get("", "id").unwrap();
    let machine_name: String =
        db.query_one_raw(Statement::from_string(backend, "SELECT name FROM machine_types LIMIT 1")).await.unwrap().unwrap().try_get("", "name").unwrap();
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    // One received request and submission with 5,000 clear cards of Bank ABC.
    let request = requests::Entity::insert(requests::ActiveModel {
        organisation_id: Set(bank),
        producer_id: Set(producer),
        machine_type_id: Set(machine),
        created_by: Set(creator),
        number: Set("AKT/BENCH/2026".into()),
        title: Set("Kartu SAM aktivasi".into()),
        search_text: Set("akt bench".into()),
        request_date: Set(day),
        quantity: Set(i32::try_from(READERS).unwrap()),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(1000),
        status: Set(sifilma::models::requests::Status::Received),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap()
    .last_insert_id;
    let submission = submissions::Entity::insert(submissions::ActiveModel {
        producer_id: Set(producer),
        machine_type_id: Set(machine),
        created_by: Set(creator),
        number: Set("SP/AKT/BENCH".into()),
        title: Set("Pengajuan".into()),
        created_on: Set(day),
        card_count: Set(i32::try_from(READERS).unwrap()),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(1000),
        cards_file_name: Set("daftar.xlsx".into()),
        status: Set(sifilma::models::submissions::Status::Received),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap()
    .last_insert_id;
    let p = |n: usize| if backend == sea_orm::DbBackend::Sqlite { "?".to_string() } else { format!("${n}") };
    let sql = format!(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {}) \
         INSERT INTO cards (submission_id, request_id, row_no, serial, status, perso_number, created_at) \
         SELECT {submission}, {request}, i + 1, 'AKT' || (100000 + i), 'clear', 'PN-' || i, {} FROM s",
        READERS - 1,
        p(1)
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [Value::from(sea_orm::prelude::DateTimeWithTimeZone::from(now))])).await.unwrap();
    let _ = requests::Entity::find().select_only().column(requests::Column::Id).into_tuple::<i32>().one(&db).await.unwrap();

    let lines: Vec<ReaderInput> = (0..READERS)
        .map(|i| ReaderInput {
            row: i + 2,
            reader_type: machine_name.clone(),
            reader_serial: format!("CR-{i:06}"),
            sam_serial: format!("AKT{}", 100_000 + i),
            perso_number: format!("PN-{i}"),
            province: "Jawa Barat".into(),
            city: "Kota Bandung".into(),
            note: String::new(),
        })
        .collect();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let checked = check(&db, bank, &lines).await.unwrap().expect("every line passes");
        times.push(t.elapsed());
        assert_eq!(checked.len(), READERS);
    }
    times.sort();
    println!("{engine}: checking an activation list of {READERS} readers [goal <= 1 s]: median {:.0} ms (of 5)", times[2].as_secs_f64() * 1000.0);

    // The same list as the template's workbook, read and checked as an upload is.
    let workbook = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name(import::SHEET).unwrap();
        for (col, title) in (0u16..).zip(import::HEADERS) {
            sheet.write_string(0, col, title).unwrap();
        }
        for (row, l) in (1u32..).zip(&lines) {
            sheet.write_number(row, 0, f64::from(row)).unwrap();
            for (col, value) in (1u16..).zip([&l.reader_type, &l.reader_serial, &l.sam_serial, &l.perso_number, &l.province, &l.city]) {
                sheet.write_string(row, col, value.as_str()).unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    };
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let bytes = workbook.clone();
        let read = tokio::task::spawn_blocking(move || import::parse(&bytes)).await.unwrap().expect("the workbook reads");
        let checked = check(&db, bank, &read).await.unwrap().expect("every line passes");
        times.push(t.elapsed());
        assert_eq!(checked.len(), READERS);
    }
    times.sort();
    println!(
        "{engine}: import a {READERS}-row reader workbook ({} KB; parse + check) over the model [goal <= 1 s]: median {:.0} ms (of 3)",
        workbook.len() / 1024,
        times[1].as_secs_f64() * 1000.0
    );

    let key = ActivationKey::generate();
    let manifests: Vec<Manifest> = (0..MANIFESTS)
        .map(|i| Manifest {
            format: Manifest::FORMAT.into(),
            activation_number: format!("AKT-2026-{i:05}"),
            institution: "Bank ABC".into(),
            reader_type: machine_name.clone(),
            reader_serial: format!("CR-{i:06}"),
            sam_serial: format!("AKT{}", 100_000 + i),
            perso_number: format!("PN-{i}"),
            pcid: format!("PCID-{i:05}"),
            region: "Jawa Barat / Kota Bandung".into(),
            valid_from: "2026-11-25".into(),
            valid_until: "2027-11-24".into(),
            issued_at: now.to_rfc3339(),
            key_id: key.key_id(),
        })
        .collect();
    let t = Instant::now();
    let files: Vec<String> = manifests.iter().map(|m| m.signed(&key)).collect();
    let signing = t.elapsed();
    println!("signing {MANIFESTS} manifests: {:.0} ms, {:.0} per second", signing.as_secs_f64() * 1000.0, MANIFESTS as f64 / signing.as_secs_f64());
    let public = key.public_hex();
    let t = Instant::now();
    for f in &files {
        Manifest::check(f.as_bytes(), &public).unwrap();
    }
    println!("verifying {MANIFESTS} manifests: {:.0} per second", MANIFESTS as f64 / t.elapsed().as_secs_f64());

    let t = Instant::now();
    let list = RevocationList {
        format: RevocationList::FORMAT.into(),
        sequence: 1,
        issued_at: now.to_rfc3339(),
        key_id: key.key_id(),
        revoked: (0..REVOKED)
            .map(|i| Revoked {
                activation_number: format!("AKT-2026-{i:06}"),
                reader_serial: format!("CR-{i:06}"),
                sam_serial: format!("AKT{}", 100_000 + i),
                revoked_on: "2026-11-25".into(),
                reason: "Hilang".into(),
            })
            .collect(),
    };
    let file = list.signed(&key);
    let built = t.elapsed();
    println!(
        "revocation list of {REVOKED} entries built and signed [goal <= 1 s]: {:.0} ms, {:.1} MB",
        built.as_secs_f64() * 1000.0,
        file.len() as f64 / 1_048_576.0
    );
    let t = Instant::now();
    assert_eq!(RevocationList::check(file.as_bytes(), &public).unwrap().revoked.len(), REVOKED);
    println!("  verified and parsed in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    db.close().await.ok();
    drop_bench_database(&db_url).await;
    std::fs::remove_dir_all(&dir).ok();
}
