//! A request follows its submission to the end: bundled → Dalam Proses when
//! personalization starts → Selesai at Done → Diterima when the producer
//! records the receipt. The institution's list and its filter, the request
//! page with its timeline, the dashboard tiles and the mail all agree.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sifilma::models::requests::{self, Status};

use crate::support::{
    mails_to,
    scenario::{accepted_submission, done_submission, started_run},
    tile, unescape, with_app, Client,
};

async fn statuses(ctx: &loco_rs::app::AppContext, submission: i32) -> Vec<Status> {
    requests::Entity::find()
        .filter(requests::Column::SubmissionId.eq(submission))
        .order_by_asc(requests::Column::Number)
        .all(&ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn an_accepted_submission_keeps_its_requests_bundled_until_personalization_starts() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        assert_eq!(statuses(&ctx, id).await, [Status::Bundled, Status::Bundled]);
    })
    .await;
}

#[tokio::test]
async fn a_started_run_puts_the_requests_in_progress() {
    with_app(|server, ctx| async move {
        let (id, _, _) = started_run(&server, &ctx).await;
        assert_eq!(statuses(&ctx, id).await, [Status::InProgress, Status::InProgress]);
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let list = unescape(&bank.page("/permintaan?status=in_progress").await);
        assert!(list.contains("470/A/2026") && list.contains("470/B/2026") && list.contains("Dalam Proses"), "{list}");
        assert_eq!(tile(&bank.page("/dashboard").await, "Permintaan dalam proses personalisasi"), "2");
    })
    .await;
}

#[tokio::test]
async fn a_request_walks_with_its_submission_to_diterima() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        assert_eq!(statuses(&ctx, id).await, [Status::Done, Status::Done], "Done moves the requests");
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(tile(&bank.page("/dashboard").await, "Kartu selesai dipersonalisasi, menunggu serah terima"), "2");
        let done = unescape(&bank.page("/permintaan?status=done").await);
        assert!(done.contains("470/A/2026") && done.contains("Selesai"), "{done}");
        if let Some(mails) = mails_to("bank_abc@uji.go.id") {
            assert!(mails.iter().any(|m| m.contains("470/A/2026") && m.contains("Done")), "the institution is told at Done");
        }

        let lines = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).order_by_asc(requests::Column::Number).all(&ctx.db).await.unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get(&format!("/bast/{id}")).await.assert_status_ok();
        let (fa, fb) = (format!("received_{}", lines[0].id), format!("received_{}", lines[1].id));
        assert_eq!(nyra.post(&format!("/bast/{id}/terima"), &[(&fa, "3"), (&fb, "2")]).await.status_code(), 303);
        assert_eq!(statuses(&ctx, id).await, [Status::Received, Status::Received], "the receipt moves the requests");

        let received = unescape(&bank.page("/permintaan?status=received").await);
        assert!(received.contains("470/A/2026") && received.contains("470/B/2026") && received.contains("Diterima"), "{received}");
        let bundled = bank.page("/permintaan?status=bundled").await;
        assert!(!bundled.contains("470/A/2026"), "no longer Dalam Pengajuan");
        assert_eq!(tile(&bank.page("/dashboard").await, "Kartu diterima (BAST)"), "2");
        assert_eq!(tile(&bank.page("/dashboard").await, "Kartu selesai dipersonalisasi, menunggu serah terima"), "0");

        let page = unescape(&bank.page(&format!("/permintaan/{}", lines[0].id)).await);
        assert!(page.contains("Diterima") && page.contains("100%"), "the request page agrees with its submission");
        for label in
            ["Permintaan diajukan dalam pengajuan", "Permintaan dalam proses personalisasi", "Personalisasi permintaan selesai", "Kartu permintaan diterima"]
        {
            assert!(page.contains(label), "timeline: {label}");
        }
        let text = visible_text(&page);
        for code in ["submission.", "request.", "perso.", "document.", "in_progress", "bundled", "received"] {
            assert!(!text.contains(code), "no code word {code} on the request page: {text}");
        }
    })
    .await;
}

/// What a person reads: the page without its tags (attributes and CSS
/// classes may carry codes; the text may not).
fn visible_text(html: &str) -> String {
    let body = html.split("<body").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
