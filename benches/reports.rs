//! Rekapitulasi benchmark: 1,000,000 cards in 20,000 submissions (40,000
//! request lines, 50 institutions, 5 producers, 8 stations, 24 months) and
//! 20,000 activation requests with 100,000 readers over the same months
//! seeded straight into SQLite (or PostgreSQL with `SIFILMA_BENCH_DATABASE_URL`,
//! as the other benches), then `Recap::compute` and the Excel export
//! timed (median of 5) against the goals: the monthly recap with every
//! filter open ≤ 500 ms, its export ≤ 1 s.
//! Run: `cargo bench --bench reports`.
mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, SecondsFormat, Utc};
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use sifilma::models::reports::{export, Basis, Filter, PeriodKind, Recap, Viewer};

const SUBMISSIONS: usize = 20_000;
const LINES_PER_SUBMISSION: usize = 2;
const CARDS_PER_LINE: usize = 25;
const PRODUCERS: usize = 5;
const INSTITUTIONS: usize = 50;
const STATIONS: usize = 8;
const MONTHS: usize = 24;
const ROWS_PER_INSERT: usize = 500;
const ACTIVATIONS: usize = 20_000;
const READERS_PER_ACTIVATION: usize = 5;
const PROVINCES: [&str; 6] = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "DKI Jakarta", "Banten", "Bali"];

/// A timestamp the way the database driver writes one.
fn ts(d: NaiveDate, hour: u32) -> String {
    let t: DateTime<Utc> = DateTime::from_naive_utc_and_offset(d.and_hms_opt(hour, 0, 0).unwrap(), Utc);
    format!("'{}'", t.fixed_offset().to_rfc3339_opts(SecondsFormat::AutoSi, false))
}

async fn insert(db: &impl ConnectionTrait, head: &str, rows: impl Iterator<Item = String>) {
    let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
    for row in rows {
        batch.push(row);
        if batch.len() == ROWS_PER_INSERT {
            db.execute_unprepared(&format!("{head} VALUES {}", batch.join(","))).await.unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        db.execute_unprepared(&format!("{head} VALUES {}", batch.join(","))).await.unwrap();
    }
}

fn first_day(i: usize) -> NaiveDate {
    let month = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().checked_add_months(Months::new((i % MONTHS) as u32)).unwrap();
    month + Days::new(((i / MONTHS) % 18) as u64)
}

async fn seed(db: &impl ConnectionTrait) {
    let now = ts(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), 0);
    let orgs = (0..PRODUCERS)
        .map(|p| format!("('PT Produsen {p}', 'produsen', TRUE, {now}, {now})"))
        .chain((0..INSTITUTIONS).map(|l| format!("('Lembaga {l}', 'lembaga', TRUE, {now}, {now})")));
    insert(db, "INSERT INTO organisations (name, kind, active, created_at, updated_at)", orgs).await;
    db.execute_unprepared(&format!(
        "INSERT INTO users (username, password_hash, name, email, role, organisation_id, status, created_at, updated_at) \
         VALUES ('admin_bench', 'x', 'Admin', 'admin@bench.go.id', 'admin', NULL, 'active', {now}, {now})"
    ))
    .await
    .unwrap();
    insert(db, "INSERT INTO machine_types (name, active, created_at, updated_at)", (0..3).map(|m| format!("('Mesin {m}', TRUE, {now}, {now})"))).await;
    insert(
        db,
        "INSERT INTO stations (code, name, readers, capacity_per_day, active, created_at, updated_at)",
        (0..STATIONS).map(|s| format!("('ST-{s:02}', 'Stasiun {s}', 4, 250, TRUE, {now}, {now})")),
    )
    .await;
    for (d, name) in [("2025-12-25", "Natal"), ("2026-01-01", "Tahun Baru"), ("2026-08-17", "Kemerdekaan")] {
        db.execute_unprepared(&format!("INSERT INTO holidays (date, name, active, created_at, updated_at) VALUES ('{d}', '{name}', TRUE, {now}, {now})"))
            .await
            .unwrap();
    }
    // Ids follow insertion order: producers 1..=5, institutions 6..=55.
    let submission_rows = (0..SUBMISSIONS).map(|i| {
        let d = first_day(i);
        let day = |n: u64| d + Days::new(n);
        let (status, finished, received) = match i % 20 {
            0 => ("in_progress", "NULL".to_string(), "NULL".to_string()),
            1 => ("done", ts(day(6), 8), "NULL".to_string()),
            _ => ("received", ts(day(6), 8), ts(day(9), 3)),
        };
        format!(
            "({p}, {m}, 1, 'SP/{i:06}', 'Pengajuan {i}', '{d}', {cards}, 'k', 'pdf', 's.pdf', 1, 'd.xlsx', '{status}', {acc}, {start}, {finished}, {received}, '{est}', {now}, {now})",
            p = i % PRODUCERS + 1,
            m = i % 3 + 1,
            cards = LINES_PER_SUBMISSION * CARDS_PER_LINE,
            acc = ts(day(3), 3),
            start = ts(day(5), 2),
            est = day(if i % 7 == 0 { 4 } else { 8 }),
        )
    });
    insert(
        db,
        "INSERT INTO submissions (producer_id, machine_type_id, created_by, number, title, created_on, card_count, file_key, file_kind, file_name, file_size, \
         cards_file_name, status, accepted_at, perso_started_at, perso_finished_at, received_at, estimated_finish, created_at, updated_at)",
        submission_rows,
    )
    .await;
    let request_rows = (0..SUBMISSIONS * LINES_PER_SUBMISSION).map(|j| {
        let i = j / LINES_PER_SUBMISSION;
        let status = match i % 20 {
            0 => "in_progress",
            1 => "done",
            _ => "received",
        };
        let received = if status == "received" { (CARDS_PER_LINE - usize::from(j % 97 == 0)).to_string() } else { "NULL".into() };
        format!(
            "({org}, {p}, {m}, 1, '470/{j:06}', 'Permintaan {j}', '{date}', {CARDS_PER_LINE}, 'k', 'pdf', 's.pdf', 1, '{status}', '470/{j:06}', {sub}, {received}, {now}, {now})",
            org = PRODUCERS + 1 + j % INSTITUTIONS,
            p = i % PRODUCERS + 1,
            m = i % 3 + 1,
            date = first_day(i) - Days::new(5),
            sub = i + 1,
        )
    });
    insert(
        db,
        "INSERT INTO personalization_requests (organisation_id, producer_id, machine_type_id, created_by, number, title, request_date, quantity, \
         file_key, file_kind, file_name, file_size, status, search_text, submission_id, received_count, created_at, updated_at)",
        request_rows,
    )
    .await;
    let run_rows = (0..SUBMISSIONS).map(|i| {
        let start = ts(first_day(i) + Days::new(5), 2);
        format!("({}, {}, 1, 'finished', 1, {}, {start}, {start}, {start})", i + 1, i % STATIONS + 1, LINES_PER_SUBMISSION * CARDS_PER_LINE)
    });
    insert(db, "INSERT INTO perso_runs (submission_id, station_id, started_by, status, attempt, card_count, lease_until, started_at, finished_at)", run_rows)
        .await;
    let card_rows = (0..SUBMISSIONS * LINES_PER_SUBMISSION * CARDS_PER_LINE).map(|k| {
        let j = k / CARDS_PER_LINE;
        let i = j / LINES_PER_SUBMISSION;
        let (status, run, at) = match k % 40 {
            0 => ("pending", "NULL".to_string(), "NULL".to_string()),
            1 | 2 => ("failed", (i + 1).to_string(), ts(first_day(i) + Days::new(5 + (k % 2) as u64), 4)),
            _ => ("clear", (i + 1).to_string(), ts(first_day(i) + Days::new(5 + (k % 2) as u64), 4)),
        };
        format!("({}, {}, {}, 'SAM{k:09}', '{status}', {now}, {run}, {at})", i + 1, j + 1, k % (LINES_PER_SUBMISSION * CARDS_PER_LINE) + 1)
    });
    insert(db, "INSERT INTO cards (submission_id, request_id, row_no, serial, status, created_at, run_id, result_at)", card_rows).await;

    // Activation requests: a quarter filed by the producer, most approved
    // three days after filing, some rejected, withdrawn or waiting.
    let activation_rows = (0..ACTIVATIONS).map(|i| {
        let d = first_day(i);
        // Strides prime to the months', so each month has every
        // institution, producer and status.
        let institution = PRODUCERS + 1 + (i / 5) % INSTITUTIONS;
        let applicant = if (i / 7) % 4 == 0 { (i / 7) % PRODUCERS + 1 } else { institution };
        let (status, reply) = match (i / 11) % 10 {
            0 => ("new", "NULL".to_string()),
            1 => ("rejected", "NULL".to_string()),
            2 => ("withdrawn", "NULL".to_string()),
            _ => ("approved", format!("'AKT-B-{i:06}'")),
        };
        let filed = ts(d, 2);
        format!("({applicant}, {institution}, 1, 'AKT/{i:06}', '{d}', 'k', 'pdf', 's.pdf', 1, '{status}', {reply}, {filed}, {filed})")
    });
    insert(
        db,
        "INSERT INTO activation_requests (applicant_id, institution_id, created_by, letter_number, letter_date, file_key, file_kind, file_name, file_size, \
         status, reply_number, created_at, updated_at)",
        activation_rows,
    )
    .await;
    let reader_rows = (0..ACTIVATIONS * READERS_PER_ACTIVATION).map(|k| {
        let i = k / READERS_PER_ACTIVATION;
        let approved = (i / 11) % 10 >= 3;
        let status = match (approved, (i / 11) % 10, k % 50) {
            (true, _, 0) => "revoked",
            (true, _, _) => "active",
            (false, 0, _) => "pending",
            _ => "void",
        };
        let issued = if approved { ts(first_day(i) + Days::new(3), 3) } else { "NULL".into() };
        let number = if approved { format!("'AKT-B-{i:06}-{k:07}'") } else { "NULL".into() };
        format!(
            "({}, {}, {}, 'CR-{k:07}', 'BSAM{k:08}', 'PN{k:08}', 1, '{}', 'Kota {}', '{status}', {number}, {issued}, {now})",
            i + 1,
            k % READERS_PER_ACTIVATION + 1,
            i % 3 + 1,
            PROVINCES[k % PROVINCES.len()],
            k % 20,
        )
    });
    insert(
        db,
        "INSERT INTO activation_readers (request_id, row_no, machine_type_id, reader_serial, sam_serial, perso_number, card_id, province, city, status, \
         activation_number, issued_at, created_at)",
        reader_rows,
    )
    .await;
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("sifilma-bench-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (db_url, engine) = support::bench_database(&dir, "reports").await;
    println!("{engine}");
    let db = Database::connect(&db_url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let t = Instant::now();
    // One transaction: one journal sync for the whole seed.
    let txn = db.begin().await.unwrap();
    seed(&txn).await;
    txn.commit().await.unwrap();
    println!(
        "seeded {SUBMISSIONS} submissions, {} lines, {} cards in {:.1?}",
        SUBMISSIONS * LINES_PER_SUBMISSION,
        SUBMISSIONS * LINES_PER_SUBMISSION * CARDS_PER_LINE,
        t.elapsed()
    );

    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let june = Filter::month_of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    let year = Filter {
        kind: PeriodKind::Year,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        ..june.clone()
    };
    let cases: [(&str, Viewer, Filter, &str); 5] = [
        ("monthly recap, every filter open (admin)", Viewer::Everything, june.clone(), "goal <= 500 ms"),
        ("monthly recap, by hand-over date", Viewer::Everything, Filter { basis: Basis::HandedOver, ..june.clone() }, "goal <= 500 ms"),
        ("monthly recap of one producer", Viewer::Producer(1), june.clone(), "goal <= 500 ms"),
        ("monthly recap of one institution", Viewer::Institution(PRODUCERS as i32 + 1), june.clone(), "goal <= 500 ms"),
        ("yearly recap, every filter open (admin)", Viewer::Everything, year, "no goal; for scale"),
    ];
    for (label, viewer, filter, goal) in cases {
        let mut times = Vec::new();
        let mut listed = (0, 0);
        for _ in 0..5 {
            let t = Instant::now();
            let r = Recap::compute(&db, viewer, &filter, today).await.unwrap();
            times.push(t.elapsed());
            listed = (r.cards.listed, r.activations.totals.activated);
        }
        println!("{label}: median {:.1?} of 5 ({} cards, {} readers activated) [{goal}]", median(times), listed.0, listed.1);
    }
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = Recap::compute(&db, Viewer::Everything, &june, today).await.unwrap();
        let bytes = export::build(r, Vec::new()).await.unwrap();
        times.push(t.elapsed());
        size = bytes.len();
    }
    println!("monthly export (recap + workbook): median {:.1?} of 5 ({size} bytes) [goal <= 1 s]", median(times));
    println!("month of the seed: {}-{:02}", june.from.year(), june.from.month());
    db.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
}
