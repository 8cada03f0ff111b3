//! Proses Personalisasi on a station: runs (here on the in-process simulated
//! station), live progress, idempotent results, reclaimed leases, overrides,
//! retry of failed cards and Done.
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use sifilma::{
    models::{
        _entities::{audit_events, cards, submissions},
        runs::{self, Applied},
    },
    settings::StationSettings,
    station::protocol::{CardResult, Failure, Outcome, ReaderActivity, Report},
};

use crate::support::{
    eventually, location, mails_to,
    scenario::{accepted_submission, cards_of, started_run, station, user},
    unescape, with_app, Client,
};

/// Polls the progress endpoint until no run is going (at most 20 s).
async fn until_run_over(c: &mut Client<'_>, id: i32) -> Value {
    let c = tokio::sync::Mutex::new(c);
    eventually("the run is over (progress endpoint)", Duration::from_secs(20), || async {
        let p: Value = c.lock().await.get(&format!("/personalisasi/{id}/progress")).await.json();
        (p["run"].is_object() && p["run"]["running"] == false).then_some(p)
    })
    .await
}

fn settings() -> StationSettings {
    StationSettings::default()
}

fn clear(run: i32, card: &cards::Model) -> Report {
    Report::Card(CardResult {
        run: i64::from(run),
        card: i64::from(card.id),
        serial: card.serial.clone(),
        reader: "SIM 00".into(),
        outcome: Outcome::Clear,
        rechecked: false,
        millis: 12,
        apdus: 10,
    })
}

#[tokio::test]
async fn a_run_on_the_simulated_station_personalizes_every_card_and_done_mails_the_institution() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-01", true).await;
        let mut op = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(op.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 303);
        let page = op.get(&format!("/personalisasi/{id}")).await.text();
        assert!(page.contains("Mulai Proses") && page.contains("Stasiun ST-01") && page.contains("Mode simulasi"));

        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string()), ("retry", "0")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(location(&r), format!("/personalisasi/{id}?ok=run-dimulai"));
        let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(s.status, "in_progress");
        assert!(s.perso_started_at.is_some());

        let p = until_run_over(&mut op, id).await;
        assert_eq!((p["clear"].as_u64(), p["pending"].as_u64(), p["percent"].as_u64()), (Some(5), Some(0), Some(100)), "{p}");
        assert_eq!(p["may_finish"], true);
        let readers: Vec<String> = p["run"]["readers"].as_array().unwrap().iter().map(|r| r["reader"].as_str().unwrap().to_string()).collect();
        assert!(readers.iter().all(|r| r.starts_with("SIM")), "{readers:?}");
        let done_per_reader: u64 = p["run"]["readers"].as_array().unwrap().iter().map(|r| r["done"].as_u64().unwrap()).sum();
        assert_eq!(done_per_reader, 5);
        for c in cards_of(&ctx, id).await {
            assert_eq!(c.status, "clear");
            assert!(c.reader.as_deref().is_some_and(|r| r.starts_with("SIM")) && c.result_at.is_some());
        }
        let page = unescape(&op.get(&format!("/personalisasi/{id}")).await.text());
        assert!(page.contains("selesai") && page.contains("Clear"));

        let r = op.post(&format!("/personalisasi/{id}/done"), &[]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(s.status, "done");
        assert!(s.perso_finished_at.is_some());
        let actions: Vec<String> =
            audit_events::Entity::find().filter(audit_events::Column::SubjectId.eq(id)).all(&ctx.db).await.unwrap().into_iter().map(|a| a.action).collect();
        for a in ["submission.perso_started", "perso.run_started", "perso.run_finished", "submission.done"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        if let Some(mails) = mails_to("bank_abc@") {
            let ticket = s.ticket_code.clone().unwrap();
            assert!(mails.iter().any(|m| m.contains("Personalisasi kartu SAM selesai") && m.contains(&ticket)), "mail to the institution");
        }
        assert_eq!(op.post(&format!("/personalisasi/{id}/done"), &[]).await.status_code(), 409, "done twice");
        assert_eq!(op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await.status_code(), 409, "no run after done");
    })
    .await;
}

#[tokio::test]
async fn runs_are_refused_when_they_cannot_start_and_change_nothing() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-01", true).await;
        let off = station(&ctx, "ST-OFF", false).await;
        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.get(&format!("/personalisasi/{id}")).await;

        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("belum memiliki data personalisasi"));
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;

        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &off.to_string())]).await;
        assert_eq!(r.status_code(), 422);
        assert!(r.text().contains("id=\"err-station\"") && r.text().contains("tidak aktif"));
        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", "abc")]).await;
        assert_eq!(r.status_code(), 422);
        assert!(r.text().contains("Pilih stasiun"));
        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", "999999")]).await;
        assert_eq!(r.status_code(), 422);
        assert_eq!(runs::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "accepted", "nothing changed");

        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(bank.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await.status_code(), 403);
        assert_eq!(bank.get(&format!("/personalisasi/{id}/progress")).await.status_code(), 200, "it follows its own cards (read-only)");
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(nyra.post(&format!("/personalisasi/{id}/done"), &[]).await.status_code(), 403);

        // A run going (started without a station to answer it): a second one,
        // perso data changes and Done are refused.
        let op_user = user(&ctx, "operator_dc").await;
        runs::start(&ctx.db, &op_user, id, st, false, &settings(), &crate::support::scenario::ENV).await.unwrap();
        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("sedang berjalan"));
        assert_eq!(op.post(&format!("/personalisasi/{id}/clear"), &[]).await.status_code(), 409);
        assert_eq!(op.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 409);
        let r = op.post(&format!("/personalisasi/{id}/done"), &[]).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("masih berjalan"));
        assert_eq!(runs::Entity::find().count(&ctx.db).await.unwrap(), 1);
        assert!(cards_of(&ctx, id).await.iter().all(|c| c.status == "pending" && c.perso_number.is_some()));
    })
    .await;
}

#[tokio::test]
async fn results_are_idempotent_and_reports_that_do_not_fit_are_dropped() {
    with_app(|server, ctx| async move {
        let (id, _, batch) = started_run(&server, &ctx).await;
        assert_eq!((batch.cards.len(), batch.attempt, batch.station.as_str()), (5, 1, "ST-01"));
        assert!(batch.cards.iter().all(|c| !c.perso_number.is_empty() && c.pcid.len() == 16 && c.manifest.starts_with("MNF-")));
        let run = i32::try_from(batch.run).unwrap();
        let list = cards_of(&ctx, id).await;
        let s = settings();

        assert_eq!(runs::apply(&ctx.db, &clear(run, &list[0]), &s).await.unwrap(), Applied::Recorded);
        let before = cards::Entity::find_by_id(list[0].id).one(&ctx.db).await.unwrap().unwrap();
        for dup in [clear(run, &list[0]), Report::Card(CardResult { outcome: Outcome::Failed { reason: Failure::NoCard }, ..card_of(clear(run, &list[0])) })] {
            assert!(matches!(runs::apply(&ctx.db, &dup, &s).await.unwrap(), Applied::Dropped(_)), "replayed result");
        }
        assert_eq!(cards::Entity::find_by_id(list[0].id).one(&ctx.db).await.unwrap().unwrap(), before, "first answer kept");

        let unknown_run = Report::Card(CardResult { run: 999_999, ..card_of(clear(run, &list[1])) });
        assert!(matches!(runs::apply(&ctx.db, &unknown_run, &s).await.unwrap(), Applied::Dropped(_)));
        let unknown_card = Report::Card(CardResult { card: 999_999, ..card_of(clear(run, &list[1])) });
        assert!(matches!(runs::apply(&ctx.db, &unknown_card, &s).await.unwrap(), Applied::Dropped(_)));
        let wrong_serial = Report::Card(CardResult { serial: "0SAMXXXXXXXX".into(), ..card_of(clear(run, &list[1])) });
        assert!(matches!(runs::apply(&ctx.db, &wrong_serial, &s).await.unwrap(), Applied::Dropped(_)));
        assert_eq!(cards::Entity::find_by_id(list[1].id).one(&ctx.db).await.unwrap().unwrap().status, "pending");

        let heartbeat = Report::Heartbeat {
            run: batch.run,
            attempt: 1,
            readers: vec![ReaderActivity { reader: "SIM 00".into(), state: "working".into(), serial: Some(list[1].serial.clone()), cards_done: 1 }],
        };
        assert_eq!(runs::apply(&ctx.db, &heartbeat, &s).await.unwrap(), Applied::Recorded);
        let stray = Report::Stray { run: batch.run, reader: "SIM 01".into(), serial: "ASING0001".into() };
        assert_eq!(runs::apply(&ctx.db, &stray, &s).await.unwrap(), Applied::Recorded);
        let failed = Report::Card(CardResult {
            outcome: Outcome::Failed { reason: Failure::WriteRefused { step: "tulis PCID".into(), sw: "6985".into() } },
            ..card_of(clear(run, &list[1]))
        });
        assert_eq!(runs::apply(&ctx.db, &failed, &s).await.unwrap(), Applied::Recorded);
        let c1 = cards::Entity::find_by_id(list[1].id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(c1.status, "failed");
        assert!(c1.failure.unwrap().contains("6985"));

        let mut opc = Client::signed_in(&server, "operator_dc").await;
        let p: Value = opc.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!(p["run"]["running"], true);
        assert!(p["run"]["strays"][0].as_str().unwrap().contains("ASING0001"));
        assert_eq!(p["run"]["readers"][0]["serial"].as_str(), Some(list[1].serial.as_str()));

        for c in &list[2..] {
            assert_eq!(runs::apply(&ctx.db, &clear(run, c), &s).await.unwrap(), Applied::Recorded);
        }
        let r = runs::Entity::find_by_id(run).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((r.status, r.active_key), (sifilma::models::runs::Status::Finished, None), "run over once no card is pending");
        assert!(matches!(runs::apply(&ctx.db, &heartbeat, &s).await.unwrap(), Applied::Dropped(_)), "late heartbeat");
        let r = opc.post(&format!("/personalisasi/{id}/done"), &[]).await;
        assert_eq!(r.status_code(), 409, "a failed card is neither retried nor acknowledged");
        assert!(unescape(&r.text()).contains("1 kartu gagal belum ditangani"));
    })
    .await;
}

/// Issue 11 B: once the run is over, the poll gives the readers' final
/// state, and every reader and card shows an Indonesian label, never a wire
/// word.
#[tokio::test]
async fn a_finished_run_reports_final_reader_states_with_indonesian_labels() {
    with_app(|server, ctx| async move {
        let (id, _, batch) = started_run(&server, &ctx).await;
        let run = i32::try_from(batch.run).unwrap();
        let list = cards_of(&ctx, id).await;
        let s = settings();
        let activity = |reader: &str, state: &str, serial: Option<String>| ReaderActivity { reader: reader.into(), state: state.into(), serial, cards_done: 0 };
        let heartbeat = Report::Heartbeat {
            run: batch.run,
            attempt: 1,
            readers: vec![activity("SIM 00", "working", Some(list[0].serial.clone())), activity("SIM 01", "waiting", None)],
        };
        assert_eq!(runs::apply(&ctx.db, &heartbeat, &s).await.unwrap(), Applied::Recorded);
        let mut op = Client::signed_in(&server, "operator_dc").await;
        let p: Value = op.get(&format!("/personalisasi/{id}/progress")).await.json();
        let labels: Vec<&str> = p["run"]["readers"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
        assert_eq!(labels, ["Sedang memproses", "Menunggu kartu"], "{p}");
        let page = op.get(&format!("/personalisasi/{id}")).await.text();
        assert!(page.contains("<td data-label=\"Aktivitas\">Sedang memproses</td>") && !page.contains(">working<") && !page.contains(">waiting<"));
        assert!(page.contains("id=\"kartu\" data-refresh") && page.contains("id=\"run-actions\" data-refresh"), "the parts the page swaps in after the run");

        for c in &list {
            assert_eq!(runs::apply(&ctx.db, &clear(run, c), &s).await.unwrap(), Applied::Recorded);
        }
        let p: Value = op.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!(p["run"]["running"], false);
        for r in p["run"]["readers"].as_array().unwrap() {
            assert_eq!(
                (r["state"].as_str(), r["label"].as_str(), r["serial"].as_str()),
                (Some("done"), Some("Selesai"), None),
                "final state, not the last heartbeat: {r}"
            );
        }
        assert_eq!(p["status_label"], "On Progress");
        let page = op.get(&format!("/personalisasi/{id}")).await.text();
        let readers = &page[page.find("id=\"run-readers\"").unwrap()..page.find("id=\"run-strays\"").unwrap()];
        assert!(readers.contains(">Selesai<") && !readers.contains("Sedang memproses"), "{readers}");
        let table = &page[page.find("id=\"perso-cards\"").unwrap()..];
        assert_eq!(table.matches(">Clear</span>").count(), 5);
        assert!(!table.contains(">Menunggu</span>"));
        for word in [">working<", ">waiting<", ">pending<", ">clear<", ">done<", ">stuck<"] {
            assert!(!page.contains(word), "no code word {word} on the page");
        }
        assert_eq!(sifilma::station::protocol::state_label("teleported"), "Tidak diketahui");
    })
    .await;
}

fn card_of(r: Report) -> CardResult {
    match r {
        Report::Card(c) => c,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn failed_cards_are_retried_or_acknowledged_by_an_admin_with_a_note() {
    with_app(|server, ctx| async move {
        let (id, st, batch) = started_run(&server, &ctx).await;
        let run = i32::try_from(batch.run).unwrap();
        let list = cards_of(&ctx, id).await;
        for (i, c) in list.iter().enumerate() {
            let report = if i < 2 {
                Report::Card(CardResult { outcome: Outcome::Failed { reason: Failure::CardRemoved { step: "kunci kartu".into() } }, ..card_of(clear(run, c)) })
            } else {
                clear(run, c)
            };
            runs::apply(&ctx.db, &report, &settings()).await.unwrap();
        }

        // Retry: a new run with the failed cards only, on the simulated station.
        let mut opc = Client::signed_in(&server, "operator_dc").await;
        let page = opc.get(&format!("/personalisasi/{id}")).await.text();
        assert!(page.contains("Ulangi Kartu Gagal"));
        let r = opc.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string()), ("retry", "1")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let p = until_run_over(&mut opc, id).await;
        assert_eq!(p["run"]["card_count"], 2);
        assert_eq!((p["clear"].as_u64(), p["failed"].as_u64()), (Some(5), Some(0)), "{p}");
        assert_eq!(opc.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string()), ("retry", "1")]).await.status_code(), 409, "nothing to retry");

        // Override: admin only, with a note; Failed acknowledges the card.
        let card = list[0].id;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        admin.get(&format!("/personalisasi/{id}")).await;
        let r = admin.post(&format!("/personalisasi/kartu/{card}/override"), &[("status", "failed"), ("note", "  ")]).await;
        assert_eq!(r.status_code(), 422);
        assert!(r.text().contains("id=\"err-note\"") && r.text().contains("Catatan wajib diisi"));
        let r = admin.post(&format!("/personalisasi/kartu/{card}/override"), &[("status", "hilang"), ("note", "Kartu retak saat dikeluarkan")]).await;
        assert_eq!(r.status_code(), 422);
        assert_eq!(cards::Entity::find_by_id(card).one(&ctx.db).await.unwrap().unwrap().status, "clear", "refusals change nothing");
        assert_eq!(
            opc.post(&format!("/personalisasi/kartu/{card}/override"), &[("status", "failed"), ("note", "Operator mencoba")]).await.status_code(),
            404,
            "operators cannot override"
        );

        let r = admin.post(&format!("/personalisasi/kartu/{card}/override"), &[("status", "failed"), ("note", "Kartu retak saat dikeluarkan")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let c = cards::Entity::find_by_id(card).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((c.status.as_str(), c.override_note.as_deref()), ("failed", Some("Kartu retak saat dikeluarkan")));
        assert!(c.acknowledged_at.is_some());
        assert!(audit_events::Entity::find().filter(audit_events::Column::Action.eq("perso.card_override")).one(&ctx.db).await.unwrap().is_some());
        let p: Value = opc.get(&format!("/personalisasi/{id}/progress")).await.json();
        assert_eq!((p["failed"].as_u64(), p["acknowledged"].as_u64(), p["may_finish"].as_bool()), (Some(1), Some(1), Some(true)));
        assert_eq!(opc.post(&format!("/personalisasi/{id}/done"), &[]).await.status_code(), 303);
        assert_eq!(admin.post(&format!("/personalisasi/kartu/{card}/override"), &[("status", "clear"), ("note", "Setelah Done")]).await.status_code(), 409);
    })
    .await;
}

#[tokio::test]
async fn an_expired_lease_sends_the_pending_cards_again_once() {
    with_app(|server, ctx| async move {
        let (id, _, batch) = started_run(&server, &ctx).await;
        let run = i32::try_from(batch.run).unwrap();
        let list = cards_of(&ctx, id).await;
        for c in &list[..2] {
            runs::apply(&ctx.db, &clear(run, c), &settings()).await.unwrap();
        }
        assert!(runs::reclaim_due(&ctx.db, Utc::now(), &settings()).await.unwrap().is_empty(), "lease still good");
        let later = Utc::now() + chrono::Duration::seconds(3600);
        let again = runs::reclaim_due(&ctx.db, later, &settings()).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempt, 2);
        let serials: Vec<&str> = again[0].cards.iter().map(|c| c.serial.as_str()).collect();
        assert_eq!(serials, list[2..].iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(), "only the pending cards");
        assert!(runs::reclaim_due(&ctx.db, Utc::now(), &settings()).await.unwrap().is_empty(), "the new lease holds");
        // A result of the first attempt still counts (same run, the card is the truth).
        assert_eq!(runs::apply(&ctx.db, &clear(run, &list[2]), &settings()).await.unwrap(), Applied::Recorded);
        assert!(audit_events::Entity::find().filter(audit_events::Column::Action.eq("perso.run_reclaimed")).one(&ctx.db).await.unwrap().is_some());
        let _ = server;
    })
    .await;
}

#[tokio::test]
async fn view_is_the_read_only_page_with_export_excel() {
    with_app(|server, ctx| async move {
        let (id, _, _) = started_run(&server, &ctx).await;
        let mut op = Client::signed_in(&server, "operator_dc").await;
        assert!(op.get("/personalisasi").await.text().contains(&format!("href=\"/personalisasi/{id}/lihat\"")), "the list's View");
        let page = op.get(&format!("/personalisasi/{id}/lihat")).await;
        page.assert_status_ok();
        let text = page.text();
        assert!(text.contains("id=\"export\"") && text.contains("(View)") && text.contains("id=\"run-bar\""));
        for form in ["id=\"run-form\"", "id=\"generate\"", "id=\"clear-all\"", "id=\"mark-done\"", "override"] {
            assert!(!text.contains(form), "no {form} on View");
        }
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let followed = bank.get(&format!("/personalisasi/{id}/lihat")).await;
        followed.assert_status_ok();
        assert!(!followed.text().contains("id=\"export\""), "its requests are in it: it follows them, without Export Excel");
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(xyz.get(&format!("/personalisasi/{id}/lihat")).await.status_code(), 404, "none of its requests");
    })
    .await;
}

/// Issue 12 (9), DESIGN §1: an operator runs personalization only on the
/// stations the admin assigned to them (on the user's page); the admin may
/// use any station.
#[tokio::test]
async fn operators_run_only_on_their_assigned_stations() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let mine = station(&ctx, "ST-A", true).await;
        let other = station(&ctx, "ST-B", true).await;
        let op_user = user(&ctx, "operator_dc").await;

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let page = admin.page(&format!("/admin/pengguna/{}", op_user.id)).await;
        assert!(page.contains("Stasiun Personalisasi") && page.contains("Stasiun ST-B (ST-B)"));
        let r = admin.post(&format!("/admin/pengguna/{}/stasiun", op_user.id), &[("station", &mine.to_string())]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let page = admin.page(&format!("/admin/pengguna/{}?ok=stasiun", op_user.id)).await;
        assert!(page.contains(&format!("value=\"{mine}\" id=\"station-{mine}\" checked")) && !page.contains(&format!("id=\"station-{other}\" checked")));
        let bank = user(&ctx, "bank_abc").await;
        let r = admin.post(&format!("/admin/pengguna/{}/stasiun", bank.id), &[("station", &mine.to_string())]).await;
        assert_eq!(r.status_code(), 422, "stations go to operators only");

        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        let page = op.page(&format!("/personalisasi/{id}")).await;
        assert!(page.contains("Stasiun ST-A") && !page.contains("Stasiun ST-B"), "the operator is offered their own stations");
        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &other.to_string())]).await;
        assert_eq!(r.status_code(), 422);
        assert!(r.text().contains("tidak ditugaskan kepada Anda"), "{}", r.text());
        assert_eq!(runs::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "accepted", "nothing changed");
        let audited = |action: &'static str| {
            let db = ctx.db.clone();
            async move { audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(&db).await.unwrap() }
        };
        assert_eq!(audited("perso.run_refused_station").await, 1);
        assert_eq!(audited("station.operators_changed").await, 1);

        admin.get(&format!("/personalisasi/{id}")).await;
        let r = admin.post(&format!("/personalisasi/{id}/run"), &[("station", &other.to_string())]).await;
        assert_eq!(r.status_code(), 303, "the admin uses any station: {}", r.text());
    })
    .await;
}
