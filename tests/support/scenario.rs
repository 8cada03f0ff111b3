//! Scenario builders: the domain at a given point of its life (requests
//! filed, a submission accepted, a run started, a submission Done), built
//! through the real router where the step matters and directly otherwise.
//! Test modules use these instead of calling each other's setups.
use axum_test::{multipart::MultipartForm, TestServer};
use chrono::{NaiveDate, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sifilma::{
    models::{
        _entities::{cards, machine_types, officials, organisations, personalization_requests as requests, stations, submissions, users},
        runs,
    },
    settings::StationSettings,
    station::protocol::{Batch, CardResult, Outcome, Report},
};

/// What a state change needs from outside, for model calls made without a request.
pub const ENV: sifilma::models::Env<'static> = sifilma::models::Env { base_url: "http://localhost:5150", upload_dir: "", ip: "127.0.0.1", disposition_days: 3 };

use super::{
    account,
    fixtures::{good_rows, pdf, xlsx},
    Client,
};

pub struct World {
    pub producer: organisations::Model,
    pub other_producer: organisations::Model,
    pub bank: users::Model,
    pub machine: machine_types::Model,
}

/// PT Nyra (producer, account `pt_nyra`), PT Lain (another producer,
/// `pt_lain`), Bank ABC (`bank_abc`), Bank XYZ (`bank_xyz`), the admin
/// (`admin_pusat`), an operator (`operator_dc`) and one machine type.
pub async fn world(ctx: &AppContext) -> World {
    let nyra = account(ctx, "pt_nyra", "produsen", "active").await;
    let lain = account(ctx, "pt_lain", "produsen", "active").await;
    let bank = account(ctx, "bank_abc", "lembaga", "active").await;
    account(ctx, "bank_xyz", "lembaga", "active").await;
    account(ctx, "admin_pusat", "admin", "active").await;
    account(ctx, "operator_dc", "operator", "active").await;
    let org = |id| organisations::Entity::find_by_id(id);
    let producer = org(nyra.organisation_id.unwrap()).one(&ctx.db).await.unwrap().unwrap();
    let other_producer = org(lain.organisation_id.unwrap()).one(&ctx.db).await.unwrap().unwrap();
    let machine = machine_type(ctx).await;
    World { producer, other_producer, bank, machine }
}

/// The machine type "Type IdGlobalScan GSX-01" in master data.
pub async fn machine_type(ctx: &AppContext) -> machine_types::Model {
    let now = Utc::now();
    machine_types::ActiveModel {
        name: Set("Type IdGlobalScan GSX-01".into()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap()
}

/// A request of Bank ABC to PT Nyra, inserted directly (for lists and decisions).
pub async fn seed_request(ctx: &AppContext, w: &World, number: &str, status: &str, date: NaiveDate) -> requests::Model {
    let now = Utc::now();
    requests::ActiveModel {
        organisation_id: Set(w.bank.organisation_id.unwrap()),
        producer_id: Set(w.producer.id),
        machine_type_id: Set(w.machine.id),
        created_by: Set(w.bank.id),
        number: Set(number.into()),
        title: Set(format!("Kartu SAM cabang {number}")),
        search_text: Set(sifilma::models::requests::search_text(number, &format!("Kartu SAM cabang {number}"), "Organisasi bank_abc")),
        request_date: Set(date),
        quantity: Set(100),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(10),
        status: Set(sifilma::models::requests::Status::parse(status).expect("a request status")),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap()
}

/// Two approved requests of Bank ABC to PT Nyra: 470/A/2026 (3 cards) and
/// 470/B/2026 (2).
pub async fn approved_pair(ctx: &AppContext, w: &World) -> (requests::Model, requests::Model) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let mut a = seed_request(ctx, w, "470/A/2026", "approved", day).await;
    let mut b = seed_request(ctx, w, "470/B/2026", "approved", day).await;
    for (r, qty) in [(&mut a, 3), (&mut b, 2)] {
        let mut m: requests::ActiveModel = r.clone().into();
        m.quantity = Set(qty);
        *r = m.update(&ctx.db).await.unwrap();
    }
    (a, b)
}

/// The Pengajuan form of `c` (its CSRF token) for the requests `ids`.
pub fn submission_form(c: &Client, w: &World, ids: &[i32], number: &str, count: &str, sheet: Option<Vec<u8>>) -> MultipartForm {
    let mut form = c
        .multipart()
        .add_text("number", number)
        .add_text("title", "Pengajuan personalisasi November")
        .add_text("card_count", count)
        .add_text("machine_type_id", w.machine.id.to_string())
        .add_text("note", "Blanko dikirim bersama surat")
        .add_part("file", axum_test::multipart::Part::bytes(pdf()).file_name("surat-pengajuan.pdf"));
    for id in ids {
        form = form.add_text("request_ids", id.to_string());
    }
    if let Some(bytes) = sheet {
        form = form.add_part("cards", axum_test::multipart::Part::bytes(bytes).file_name("daftar.xlsx"));
    }
    form
}

/// The [`world`] and a submission SP/PERSO/2026 of PT Nyra with the 5 cards of
/// [`approved_pair`], filed through the form and accepted by the admin; its id.
pub async fn accepted_submission(server: &TestServer, ctx: &AppContext) -> i32 {
    let w = world(ctx).await;
    let (a, b) = approved_pair(ctx, &w).await;
    let mut nyra = Client::signed_in(server, "pt_nyra").await;
    nyra.get("/pengajuan/baru").await;
    let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id, b.id], "SP/PERSO/2026", "5", Some(xlsx(&good_rows())))).await;
    assert_eq!(r.status_code(), 303);
    let id = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;
    let mut admin = Client::signed_in(server, "admin_pusat").await;
    admin.get(&format!("/pengajuan/{id}")).await;
    assert_eq!(admin.post(&format!("/pengajuan/{id}/terima"), &[]).await.status_code(), 303);
    id
}

/// The cards of submission `id`.
pub async fn cards_of(ctx: &AppContext, id: i32) -> Vec<cards::Model> {
    cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap()
}

/// The serials of submission `id`'s cards.
pub async fn serials_of(ctx: &AppContext, id: i32) -> Vec<String> {
    cards_of(ctx, id).await.into_iter().map(|c| c.serial).collect()
}

/// A station `code` (4 readers) in master data, assigned to every operator
/// account that exists (`operator_dc` of [`world`]); its id.
pub async fn station(ctx: &AppContext, code: &str, active: bool) -> i32 {
    let now = Utc::now();
    let id = stations::ActiveModel {
        code: Set(code.into()),
        name: Set(format!("Stasiun {code}")),
        readers: Set(4),
        capacity_per_day: Set(250),
        active: Set(active),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap()
    .id;
    for op in users::Entity::find().filter(users::Column::Role.eq("operator")).all(&ctx.db).await.unwrap() {
        sifilma::models::stations::operators::ActiveModel { station_id: Set(id), user_id: Set(op.id), created_at: Set(now.into()), ..Default::default() }
            .insert(&ctx.db)
            .await
            .unwrap();
    }
    id
}

/// The account `username`.
pub async fn user(ctx: &AppContext, username: &str) -> users::Model {
    users::Entity::find().filter(users::Column::Username.eq(username)).one(&ctx.db).await.unwrap().unwrap()
}

/// An [`accepted_submission`] with perso data and a run on station ST-01
/// that no station answers: (submission, station, batch).
pub async fn started_run(server: &TestServer, ctx: &AppContext) -> (i32, i32, Batch) {
    let id = accepted_submission(server, ctx).await;
    let st = station(ctx, "ST-01", true).await;
    let op = user(ctx, "operator_dc").await;
    sifilma::models::cards::perso_data::generate(&ctx.db, &op, id, "127.0.0.1").await.unwrap();
    let batch = runs::start(&ctx.db, &op, id, st, false, &StationSettings::default(), &ENV).await.unwrap();
    (id, st, batch)
}

/// The Dukcapil official who signs BASTs (Pihak Pertama), in master data.
pub async fn official(ctx: &AppContext) {
    let now = Utc::now();
    officials::ActiveModel {
        name: Set("Ir. Gunawan, MA".into()),
        nip: Set(None),
        position: Set("Direktur Fasilitas Pemanfaatan Data dan Dokumen Kependudukan".into()),
        office_address: Set("Jl. Raya Pasar Minggu Km. 19, Jakarta Selatan 12072".into()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap();
}

/// A Done submission of PT Nyra: 470/A/2026 (3 cards) and 470/B/2026 (2), all
/// clear; a Dukcapil official in master data. Returns its id.
pub async fn done_submission(server: &TestServer, ctx: &AppContext) -> i32 {
    let (id, _, batch) = started_run(server, ctx).await;
    let settings = StationSettings::default();
    for c in cards_of(ctx, id).await {
        let r = Report::Card(CardResult {
            run: batch.run,
            card: i64::from(c.id),
            serial: c.serial,
            reader: "SIM 00".into(),
            outcome: Outcome::Clear,
            rechecked: false,
            millis: 5,
            apdus: 10,
        });
        runs::apply(&ctx.db, &r, &settings).await.unwrap();
    }
    official(ctx).await;
    let mut opc = Client::signed_in(server, "operator_dc").await;
    opc.get(&format!("/personalisasi/{id}")).await;
    assert_eq!(opc.post(&format!("/personalisasi/{id}/done"), &[]).await.status_code(), 303);
    id
}

/// A [`done_submission`] whose cards the producer recorded as received (all
/// of them) through the BAST page. Returns its id.
pub async fn received_submission(server: &TestServer, ctx: &AppContext) -> i32 {
    let id = done_submission(server, ctx).await;
    receive_all(server, ctx, id).await;
    id
}

/// PT Nyra records every card of Done submission `id` as received.
pub async fn receive_all(server: &TestServer, ctx: &AppContext, id: i32) {
    let lines = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
    let mut nyra = Client::signed_in(server, "pt_nyra").await;
    nyra.get(&format!("/bast/{id}")).await;
    let received: Vec<(String, String)> = lines.iter().map(|l| (format!("received_{}", l.id), l.quantity.to_string())).collect();
    let fields: Vec<(&str, &str)> = received.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(nyra.post(&format!("/bast/{id}/terima"), &fields).await.status_code(), 303);
}

/// Makes the lease of run `run` expire now (as if its station had been
/// silent for a whole lease), so a sweep reclaims it without a wait.
pub async fn expire_lease(ctx: &AppContext, run: i32) {
    use sifilma::models::_entities::perso_runs as runs;
    let past = Utc::now() - chrono::Duration::seconds(1);
    let updated = runs::Entity::update_many()
        .col_expr(runs::Column::LeaseUntil, sea_orm::sea_query::Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(past)))
        .filter(runs::Column::Id.eq(run))
        .exec(&ctx.db)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected, 1, "run {run} exists");
}

/// The recap fixture, counted by hand (November 2026; Wed 4 November is a
/// holiday in master data):
/// - SP/REKAP/1 of PT Nyra, Received: filed Mon 2, accepted Thu 5 10:00 WIB,
///   personalized Fri 6 – Mon 9 on ST-01, received Thu 12; estimate Fri 6.
///   Lines 470/A (Bank ABC, 3 cards Clear, 3 received), 470/B (Bank ABC,
///   2 Clear, 1 received) and 470/E (Bank XYZ, 1 Clear + 1 Failed,
///   1 received).
/// - SP/REKAP/2 of PT Nyra, On Progress: filed Tue 10, accepted Wed 11,
///   started Fri 13 on ST-02, estimate Mon 16. Line 470/H (Bank ABC,
///   4 cards: 1 Clear, 1 Failed, 2 pending).
/// - Not in a submission: 470/C (Bank ABC, 4, approved), 470/D (Bank ABC,
///   5, rejected), 470/F (Bank ABC to PT Lain, 1, submitted), and 470/G
///   (Bank ABC, 7, approved) dated 20 October.
pub struct RecapFixture {
    pub world: World,
    pub xyz: i32,
    pub st01: i32,
    pub st02: i32,
    pub first: i32,
    pub second: i32,
    pub e: i32,
}

fn wib(day: u32, hour: u32) -> sea_orm::prelude::DateTimeWithTimeZone {
    let utc = chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(hour, 0, 0).unwrap() - chrono::Duration::hours(7);
    chrono::DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc).into()
}

pub async fn recap_fixture(ctx: &AppContext) -> RecapFixture {
    use sifilma::models::{_entities::holidays, _entities::perso_runs, cards::Status as Card, runs::Status as Run, submissions::Status as Sub};
    let w = world(ctx).await;
    let xyz = user(ctx, "bank_xyz").await.organisation_id.unwrap();
    let now = Utc::now();
    holidays::ActiveModel {
        date: Set(NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()),
        name: Set("Libur uji".into()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap();
    let nov = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let line = |number: &'static str,
                status: &'static str,
                date: NaiveDate,
                qty: i32,
                org: Option<i32>,
                producer: Option<i32>,
                submission: Option<i32>,
                received: Option<i32>| {
        let w = &w;
        async move {
            let r = seed_request(ctx, w, number, status, date).await;
            let mut m: requests::ActiveModel = r.into();
            m.quantity = Set(qty);
            if let Some(org) = org {
                m.organisation_id = Set(org);
            }
            if let Some(p) = producer {
                m.producer_id = Set(p);
            }
            m.submission_id = Set(submission);
            m.received_count = Set(received);
            m.update(&ctx.db).await.unwrap()
        }
    };
    let submission =
        |number: &'static str, status: Sub, created: u32, count: i32, times: [Option<sea_orm::prelude::DateTimeWithTimeZone>; 4], estimate: u32| {
            let w = &w;
            async move {
                submissions::ActiveModel {
                    producer_id: Set(w.producer.id),
                    machine_type_id: Set(w.machine.id),
                    created_by: Set(w.bank.id),
                    number: Set(number.into()),
                    title: Set("Rekap".into()),
                    created_on: Set(nov(created)),
                    card_count: Set(count),
                    file_key: Set("0".repeat(32)),
                    file_kind: Set("pdf".into()),
                    file_name: Set("surat.pdf".into()),
                    file_size: Set(10),
                    cards_file_name: Set("daftar.xlsx".into()),
                    status: Set(status),
                    accepted_at: Set(times[0]),
                    perso_started_at: Set(times[1]),
                    perso_finished_at: Set(times[2]),
                    received_at: Set(times[3]),
                    estimated_finish: Set(Some(nov(estimate))),
                    created_at: Set(now.into()),
                    updated_at: Set(now.into()),
                    ..Default::default()
                }
                .insert(&ctx.db)
                .await
                .unwrap()
                .id
            }
        };
    let first = submission("SP/REKAP/1", Sub::Received, 2, 7, [Some(wib(5, 10)), Some(wib(6, 9)), Some(wib(9, 15)), Some(wib(12, 10))], 6).await;
    let second = submission("SP/REKAP/2", Sub::InProgress, 10, 4, [Some(wib(11, 10)), Some(wib(13, 9)), None, None], 16).await;
    let a = line("470/A/2026", "received", nov(2), 3, None, None, Some(first), Some(3)).await;
    let b = line("470/B/2026", "received", nov(2), 2, None, None, Some(first), Some(1)).await;
    let e = line("470/E/2026", "received", nov(2), 2, Some(xyz), None, Some(first), Some(1)).await;
    let h = line("470/H/2026", "in_progress", nov(9), 4, None, None, Some(second), None).await;
    line("470/C/2026", "approved", nov(3), 4, None, None, None, None).await;
    line("470/D/2026", "rejected", nov(3), 5, None, None, None, None).await;
    line("470/F/2026", "submitted", nov(3), 1, None, Some(w.other_producer.id), None, None).await;
    line("470/G/2026", "approved", NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(), 7, None, None, None, None).await;
    let st01 = station(ctx, "ST-01", true).await;
    let st02 = station(ctx, "ST-02", true).await;
    let admin = user(ctx, "admin_pusat").await;
    let run = |submission: i32, station: i32, started| async move {
        perso_runs::ActiveModel {
            submission_id: Set(submission),
            station_id: Set(station),
            started_by: Set(admin.id),
            status: Set(Run::Finished),
            attempt: Set(1),
            card_count: Set(0),
            lease_until: Set(started),
            started_at: Set(started),
            finished_at: Set(Some(started)),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap()
        .id
    };
    let run1 = run(first, st01, wib(6, 9)).await;
    let run2 = run(second, st02, wib(13, 9)).await;
    let mut row = 0;
    for (submission, request, status, run, at) in [
        (first, a.id, Card::Clear, Some(run1), Some(wib(6, 10))),
        (first, a.id, Card::Clear, Some(run1), Some(wib(6, 10))),
        (first, a.id, Card::Clear, Some(run1), Some(wib(6, 11))),
        (first, b.id, Card::Clear, Some(run1), Some(wib(6, 11))),
        (first, b.id, Card::Clear, Some(run1), Some(wib(6, 12))),
        (first, e.id, Card::Clear, Some(run1), Some(wib(9, 10))),
        (first, e.id, Card::Failed, Some(run1), Some(wib(9, 11))),
        (second, h.id, Card::Clear, Some(run2), Some(wib(13, 10))),
        (second, h.id, Card::Failed, Some(run2), Some(wib(13, 10))),
        (second, h.id, Card::Pending, None, None),
        (second, h.id, Card::Pending, None, None),
    ] {
        row += 1;
        cards::ActiveModel {
            submission_id: Set(submission),
            request_id: Set(request),
            row_no: Set(row),
            serial: Set(format!("SAM{row:05}")),
            status: Set(status),
            run_id: Set(run),
            result_at: Set(at),
            created_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
    }
    RecapFixture { world: w, xyz, st01, st02, first, second, e: e.id }
}
