//! Issue 11 D: the producer follows its own submissions' personalization and
//! an institution follows its own cards, read-only (list, View, progress),
//! scoped in the query; another organisation gets 404.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sifilma::{
    models::{
        _entities::{personalization_requests as requests, submissions, users},
        runs,
    },
    settings::StationSettings,
    station::protocol::{CardResult, Outcome, Report},
};

use crate::support::{account, unescape, with_app, Client};
use crate::support::{
    fixtures::{good_rows, xlsx},
    scenario::{approved_pair, cards_of, station, submission_form, world, ENV},
};

/// A submission of PT Nyra carrying 470/A/2026 of Bank ABC (3 cards) and
/// 470/B/2026 of Bank XYZ (2 cards), accepted, with a run going on station
/// ST-01 of which the first card is Clear: (submission id, run id).
pub async fn mixed_run(server: &axum_test::TestServer, ctx: &loco_rs::app::AppContext) -> (i32, i32) {
    let w = world(ctx).await;
    let (_, b) = approved_pair(ctx, &w).await;
    let xyz = users::Entity::find().filter(users::Column::Username.eq("bank_xyz")).one(&ctx.db).await.unwrap().unwrap();
    let mut m: requests::ActiveModel = b.clone().into();
    m.organisation_id = Set(xyz.organisation_id.unwrap());
    m.update(&ctx.db).await.unwrap();
    let ids: Vec<i32> = requests::Entity::find().all(&ctx.db).await.unwrap().into_iter().map(|r| r.id).collect();
    let mut nyra = Client::signed_in(server, "pt_nyra").await;
    nyra.get("/pengajuan/baru").await;
    let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &ids, "SP/PERSO/2026", "5", Some(xlsx(&good_rows())))).await;
    assert_eq!(r.status_code(), 303, "{}", r.text());
    let id = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;
    let mut admin = Client::signed_in(server, "admin_pusat").await;
    admin.get(&format!("/pengajuan/{id}")).await;
    assert_eq!(admin.post(&format!("/pengajuan/{id}/terima"), &[]).await.status_code(), 303);
    let st = station(ctx, "ST-01", true).await;
    let op = users::Entity::find().filter(users::Column::Username.eq("operator_dc")).one(&ctx.db).await.unwrap().unwrap();
    sifilma::models::cards::perso_data::generate(&ctx.db, &op, id, "127.0.0.1").await.unwrap();
    let batch = runs::start(&ctx.db, &op, id, st, false, &StationSettings::default(), &ENV).await.unwrap();
    let first = cards_of(ctx, id).await.into_iter().min_by_key(|c| c.row_no).unwrap();
    let r = Report::Card(CardResult {
        run: batch.run,
        card: i64::from(first.id),
        serial: first.serial,
        reader: "SIM 00".into(),
        outcome: Outcome::Clear,
        rechecked: false,
        millis: 5,
        apdus: 10,
    });
    runs::apply(&ctx.db, &r, &StationSettings::default()).await.unwrap();
    (id, i32::try_from(batch.run).unwrap())
}

fn serials(from: usize, to: usize) -> Vec<String> {
    (from..=to).map(|i| format!("0SAM{i:08}")).collect()
}

#[tokio::test]
async fn the_producer_follows_its_own_submissions_read_only() {
    with_app(|server, ctx| async move {
        let (id, _) = mixed_run(&server, &ctx).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let dashboard = nyra.get("/dashboard").await.text();
        assert!(dashboard.contains("href=\"/personalisasi\""), "in the producer's menu, as in the manual");
        let sub = nyra.get(&format!("/pengajuan/{id}")).await.text();
        assert!(sub.contains(&format!("id=\"follow-perso\" href=\"/personalisasi/{id}/lihat\"")), "linked from the submission page");

        let list = nyra.get("/personalisasi").await;
        list.assert_status_ok();
        let list = list.text();
        assert!(list.contains("SP/PERSO/2026") && list.contains(&format!("href=\"/personalisasi/{id}/lihat\"")));
        assert!(!list.contains(&format!("href=\"/personalisasi/{id}\"")), "no Edit for the producer");

        let page = nyra.get(&format!("/personalisasi/{id}/lihat")).await;
        page.assert_status_ok();
        let text = unescape(&page.text());
        assert!(text.contains("(View)") && text.contains("id=\"run-bar\"") && text.contains("data-progress-url=\"/personalisasi/"));
        assert!(text.contains("Tgl Estimasi Mulai") && text.contains("Tgl Estimasi Selesai"));
        let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        let start = sifilma::locale::long_date(s.estimated_start.expect("scheduled on acceptance"));
        assert!(text.contains(&start), "the submission's estimate {start}");
        for serial in serials(1, 5) {
            assert!(text.contains(&serial), "every card of its submission: {serial}");
        }
        assert!(text.contains("<strong id=\"run-percent\">20%</strong>") && text.contains("Clear <span id=\"n-clear\">1</span>"));
        for staff_only in ["id=\"run-form\"", "id=\"generate\"", "id=\"clear-all\"", "id=\"mark-done\"", "id=\"export\"", "override", "id=\"run-readers\""] {
            assert!(!text.contains(staff_only), "no {staff_only} for the producer");
        }
        let p: Value = nyra.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!((p["total"].as_u64(), p["clear"].as_u64(), p["pending"].as_u64()), (Some(5), Some(1), Some(4)), "{p}");
        assert_eq!(p["run"]["running"], true);
        assert!(p["run"]["eta_secs"].is_u64(), "the run's ETA: {p}");
        assert_eq!(p["run"]["readers"].as_array().map(Vec::len), Some(0), "no station internals");
        assert_eq!(p["may_finish"], false);

        assert_eq!(nyra.get(&format!("/personalisasi/{id}")).await.status_code(), 403, "the work page stays staff-only");
        assert_eq!(nyra.get(&format!("/personalisasi/{id}/export")).await.status_code(), 403);

        // Another producer: not in its list, 404 on the pages.
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        assert!(!lain.get("/personalisasi").await.text().contains("SP/PERSO/2026"));
        assert_eq!(lain.get(&format!("/personalisasi/{id}/lihat")).await.status_code(), 404);
        assert_eq!(lain.get(&format!("/personalisasi/{id}/progress")).await.status_code(), 404);

        // Staff keep the whole picture.
        let mut op = Client::signed_in(&server, "operator_dc").await;
        let p: Value = op.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!(p["total"].as_u64(), Some(5));
        assert!(op.get(&format!("/personalisasi/{id}/lihat")).await.text().contains("id=\"export\""));
    })
    .await;
}

#[tokio::test]
async fn an_institution_follows_only_its_own_cards() {
    with_app(|server, ctx| async move {
        let (id, _) = mixed_run(&server, &ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let req = requests::Entity::find().filter(requests::Column::Number.eq("470/A/2026")).one(&ctx.db).await.unwrap().unwrap();
        let page = bank.get(&format!("/permintaan/{}", req.id)).await.text();
        assert!(page.contains(&format!("id=\"follow-perso\" href=\"/personalisasi/{id}/lihat\"")), "linked from its request");
        assert!(bank.get("/personalisasi").await.text().contains("SP/PERSO/2026"));

        let text = unescape(&bank.get(&format!("/personalisasi/{id}/lihat")).await.text());
        for serial in serials(1, 3) {
            assert!(text.contains(&serial), "its card {serial}");
        }
        for serial in serials(4, 5) {
            assert!(!text.contains(&serial), "not Bank XYZ's card {serial}");
        }
        assert!(text.contains("470/A/2026") && !text.contains("470/B/2026"));
        assert!(text.contains("id=\"own-only\"") && text.contains("dari 3 kartu"));
        let p: Value = bank.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!((p["total"].as_u64(), p["clear"].as_u64(), p["pending"].as_u64(), p["percent"].as_u64()), (Some(3), Some(1), Some(2), Some(33)), "{p}");

        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        let p: Value = xyz.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!((p["total"].as_u64(), p["clear"].as_u64()), (Some(2), Some(0)), "{p}");

        account(&ctx, "bank_lain", "lembaga", "active").await;
        let mut lain = Client::signed_in(&server, "bank_lain").await;
        assert_eq!(lain.get(&format!("/personalisasi/{id}/lihat")).await.status_code(), 404, "no request of its own in it");
        assert_eq!(lain.get(&format!("/personalisasi/{id}/progress")).await.status_code(), 404);
        assert!(!lain.get("/personalisasi").await.text().contains("SP/PERSO/2026"));
    })
    .await;
}
