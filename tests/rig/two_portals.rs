//! Issue 16 (2): two portal processes on one PostgreSQL and one Redis, with
//! the reader agent on virtual readers. A submission goes from filing to
//! BAST with the requests alternating between the processes; one process is
//! killed (SIGKILL) while the cards are being personalized. No card is lost
//! or personalized twice, no document number is doubled, no mail is sent
//! twice or lost, every page answers from the survivor, and the dashboard
//! never shows a user stale counters of their own action.
use std::{process::Command, time::Duration};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sifilma::{
    models::{
        _entities::{documents, mail_outbox, personalization_requests as requests, submissions},
        mail_outbox::Status as MailStatus,
        runs,
    },
    station::{
        vpcd::VirtualReader,
        vsam::{Hopper, Slot, VirtualSam},
    },
};

use crate::support::{
    boot_with, eventually,
    fixtures::{good_rows, pdf, xlsx},
    processes::Cluster,
    remote::Remote,
    scenario, tile,
};

fn spawn_agent(cluster: &Cluster, code: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sifilma-agent"))
        .env("STATION_REDIS_URL", &cluster.redis_url)
        .env("STATION_NAMESPACE", &cluster.namespace)
        .env("STATION_CODE", code)
        .env("STATION_READERS", "VPCD-A")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start sifilma-agent")
}

/// Mails in the SMTP sink whose Message-ID is `id`.
fn delivered(message_id: &str) -> usize {
    let dir = std::env::var("SIFILMA_TEST_MAIL_DIR").expect("SMTP sink directory");
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter(|e| std::fs::read_to_string(e.path()).unwrap_or_default().lines().any(|l| l.eq_ignore_ascii_case(&format!("Message-ID: {message_id}"))))
        .count()
}

async fn ok(answer: Result<crate::support::remote::Answer, reqwest::Error>, what: &str) -> crate::support::remote::Answer {
    let answer = answer.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    assert!(answer.status < 400, "{what}: {} {}", answer.status, answer.body);
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_portals_one_killed_mid_run_lose_nothing_and_double_nothing() {
    let Some(_rig) = super::rig() else { return };
    let Some(cluster) = Cluster::new().await else { return };
    let url = cluster.database_url.clone();
    let seeded = boot_with(move |c| c.database.uri = url).await;
    let ctx = seeded.app_context.clone();
    let w = scenario::world(&ctx).await;
    let (a, b) = scenario::approved_pair(&ctx, &w).await;
    let station = scenario::station(&ctx, "ST-DUA", true).await;
    scenario::official(&ctx).await;

    let mut one = cluster.start();
    one.ready(Duration::from_secs(60)).await;
    let mut two = cluster.start();
    two.ready(Duration::from_secs(60)).await;

    // Producer: the dashboard on process two, the submission through process
    // one, the dashboard on two again shows the producer's own action.
    let mut nyra = Remote::signed_in(&one.base, "pt_nyra").await;
    let mut nyra_two = nyra.to(&two.base);
    let before = ok(nyra_two.get("/dashboard").await, "dashboard on two").await.body;
    assert_eq!(tile(&before, "Permintaan disetujui, belum diajukan"), "2");
    ok(nyra.get("/pengajuan/baru").await, "submission form").await;
    let mut texts = vec![
        ("number", "SP/DUA/2026".to_string()),
        ("title", "Pengajuan dua proses".to_string()),
        ("card_count", "5".to_string()),
        ("machine_type_id", w.machine.id.to_string()),
        ("note", "Uji dua portal".to_string()),
    ];
    texts.push(("request_ids", a.id.to_string()));
    texts.push(("request_ids", b.id.to_string()));
    let filed = nyra.post_multipart("/pengajuan", &texts, vec![("file", "surat.pdf", pdf()), ("cards", "daftar.xlsx", xlsx(&good_rows()))]).await;
    assert_eq!(ok(filed, "file the submission").await.status, 303);
    let after = ok(nyra_two.get("/dashboard").await, "dashboard on two after").await.body;
    assert_eq!(tile(&after, "Permintaan disetujui, belum diajukan"), "0", "process two shows the producer's own action at once");
    assert_eq!(tile(&after, "Pengajuan Anda menunggu keputusan Dukcapil"), "1");
    let id = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;

    // Admin accepts on two; the operator generates on one and starts the run on two.
    let mut admin = Remote::signed_in(&two.base, "admin_pusat").await;
    ok(admin.get(&format!("/pengajuan/{id}")).await, "submission page").await;
    assert_eq!(ok(admin.post(&format!("/pengajuan/{id}/terima"), &[]).await, "accept").await.status, 303);
    let mut op = Remote::signed_in(&one.base, "operator_dc").await;
    ok(op.get(&format!("/personalisasi/{id}")).await, "perso page").await;
    assert_eq!(ok(op.post(&format!("/personalisasi/{id}/generate"), &[]).await, "generate").await.status, 303);
    let mut op_two = op.to(&two.base);
    ok(op_two.get(&format!("/personalisasi/{id}")).await, "perso page on two").await;
    let started = op_two.post(&format!("/personalisasi/{id}/run"), &[("station", &station.to_string()), ("retry", "0")]).await;
    assert_eq!(ok(started, "start the run").await.status, 303);

    // The station: two virtual readers fed from one hopper, 60 ms per APDU.
    let serials = scenario::serials_of(&ctx, id).await;
    let hopper = Hopper::new(serials.iter().map(|s| VirtualSam::new(s)));
    let plugged: Vec<_> = (0..2).map(|i| VirtualReader::rig(i).plug(Slot::new(hopper.clone(), Duration::from_millis(60)))).collect();
    let mut agent = spawn_agent(&cluster, "ST-DUA");
    // Mails of the filing and acceptance are out before the kill (a mail a
    // killed process claimed waits for its lease, 5 minutes).
    eventually("the first card personalized, mails out", Duration::from_secs(60), || async {
        let cards = scenario::cards_of(&ctx, id).await;
        let pending = mail_outbox::Entity::find().filter(mail_outbox::Column::Status.eq(MailStatus::Pending)).all(&ctx.db).await.unwrap();
        (cards.iter().any(|c| c.status == "clear") && pending.is_empty()).then_some(())
    })
    .await;
    two.kill();
    let pending_at_kill = scenario::cards_of(&ctx, id).await.iter().filter(|c| c.status == "pending").count();
    assert!(pending_at_kill > 0, "the kill came mid-run");
    assert!(op_two.get("/dashboard").await.is_err(), "process two is gone");

    // The survivor finishes the run (reports of the dead process' consumer
    // that were lost come back through the 5-second lease).
    let run = eventually("the run finished on the survivor", Duration::from_secs(90), || async {
        let run = runs::Entity::find().filter(runs::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap();
        (run.status == "finished").then_some(run)
    })
    .await;
    agent.kill().ok();
    agent.wait().ok();
    for p in plugged {
        drop(p.stop());
    }
    let cards = scenario::cards_of(&ctx, id).await;
    assert!(cards.iter().all(|c| c.status == "clear"), "no card lost: {cards:?}");
    for s in &serials {
        let out = hopper.output_of(s);
        assert_eq!(out.len(), 1, "{s} left the feeder once");
        assert_eq!((out[0].lock_count, out[0].refused_after_lock), (1, 0), "{s} personalized once");
    }
    eprintln!("run attempt {} after the kill ({} cards were pending at the kill)", run.attempt, pending_at_kill);

    // Done, receipt and documents through the survivor.
    ok(op.get(&format!("/personalisasi/{id}")).await, "perso page").await;
    assert_eq!(ok(op.post(&format!("/personalisasi/{id}/done"), &[]).await, "done").await.status, 303);
    let lines = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
    ok(nyra.get(&format!("/bast/{id}")).await, "bast page").await;
    let received: Vec<(String, String)> = lines.iter().map(|l| (format!("received_{}", l.id), l.quantity.to_string())).collect();
    let fields: Vec<(&str, &str)> = received.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ok(nyra.post(&format!("/bast/{id}/terima"), &fields).await, "receive").await.status, 303);
    let mut order: Vec<(String, String)> =
        lines.iter().flat_map(|l| [(format!("bast_{}", l.id), "1".to_string()), (format!("list_{}", l.id), "1".to_string())]).collect();
    order.push(("reply".into(), "1".into()));
    let fields: Vec<(&str, &str)> = order.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ok(nyra.post(&format!("/bast/{id}/cetak"), &fields).await, "order documents").await.status, 303);
    let docs = eventually("every document built by the survivor's worker", Duration::from_secs(60), || async {
        let docs = documents::Entity::find().filter(documents::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        docs.iter().all(|d| d.status != "queued").then_some(docs)
    })
    .await;
    assert!(docs.iter().all(|d| d.status == "ready"), "{docs:?}");
    assert_eq!(docs.len(), 5);
    let mut numbers: Vec<&str> = docs.iter().map(|d| d.number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), docs.len(), "no document number doubled: {numbers:?}");
    for d in &docs {
        let page = ok(nyra.get(&format!("/verifikasi?nomor={}&kode={}", d.number, d.sha256.clone().unwrap())).await, "verify").await;
        assert!(page.body.contains(&d.number));
    }

    // Every page answers from the survivor.
    for path in ["/dashboard".to_string(), "/permintaan".to_string(), format!("/bast/{id}")] {
        assert_eq!(ok(nyra.get(&path).await, &path).await.status, 200, "{path}");
    }
    for path in [format!("/personalisasi/{id}"), "/reports".to_string()] {
        assert_eq!(ok(op.get(&path).await, &path).await.status, 200, "{path}");
    }

    // Every mail sent exactly once (the sink stores what it accepted).
    let mails = eventually("every mail sent", Duration::from_secs(60), || async {
        let all = mail_outbox::Entity::find().all(&ctx.db).await.unwrap();
        all.iter().all(|m| m.status == MailStatus::Sent).then_some(all)
    })
    .await;
    assert!(mails.len() >= 3, "{mails:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    for m in &mails {
        let id = sifilma::models::mail_outbox::message_id(m.id, &format!("no-reply@{}", cluster.mail_domain()));
        assert_eq!(delivered(&id), 1, "mail {} ({}) delivered once", m.id, m.subject);
    }
    drop(one);
}
