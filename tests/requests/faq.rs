//! Frequent Asked Question through the real router: everyone reads the shown
//! entries, the admin alone writes, orders, hides and deletes them.
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use sifilma::models::_entities::{audit_events, faq_entries};

use crate::support::{account, admin, location, unescape, with_app, Client};

async fn entries(ctx: &loco_rs::app::AppContext) -> Vec<faq_entries::Model> {
    faq_entries::Entity::find().order_by_asc(faq_entries::Column::Position).order_by_asc(faq_entries::Column::Id).all(&ctx.db).await.unwrap()
}

#[tokio::test]
async fn everyone_reads_the_seeded_answers_as_an_accordion() {
    with_app(|server, ctx| async move {
        let seeded = entries(&ctx).await;
        assert!((6..=8).contains(&seeded.len()), "the migration seeds the FAQ");
        account(&ctx, "operator_dc", "operator", "active").await;
        let mut client = Client::signed_in(&server, "operator_dc").await;
        let html = client.page("/faq").await;
        assert!(html.contains("<details class=\"faq-item\">") && html.contains("<summary>"), "an accordion that works without JavaScript");
        assert!(html.contains("Apa itu kartu SAM?"));
        assert!(html.contains("<strong>250 keping per 8 jam kerja</strong>"), "answers are rendered Markdown");
        let first = html.find("Apa itu kartu SAM?").unwrap();
        let second = html.find("Apa saja tahapan personalisasi").unwrap();
        assert!(first < second, "in the admin's order");
        assert!(!html.contains("Tambah Pertanyaan") && !html.contains("/faq/baru") && !html.contains("Sembunyikan"), "readers get no admin controls");
        assert!(!html.contains("faq."), "no code words on the page");
    })
    .await;
}

#[tokio::test]
async fn search_is_case_insensitive_and_bounded() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        let html = client.page("/faq?q=MANIFEST").await;
        assert!(html.contains("Bagaimana proses aktivasi card reader"), "the answer is searched too");
        assert!(!html.contains("Apa itu kartu SAM?"));
        let html = client.page("/faq?q=reader%20ktp-el%20YANG%20baru").await;
        assert!(html.contains("Apakah reader KTP-el yang baru dibeli bisa langsung dipakai?"), "the question is searched");
        let none = unescape(&client.page("/faq?q=tidak-ada-sama-sekali").await);
        assert!(none.contains("Tidak ada pertanyaan yang cocok dengan pencarian “tidak-ada-sama-sekali”."));
        let echoed = client.page("/faq?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
        assert!(!echoed.contains("<script>alert") && echoed.contains("&lt;script&gt;"), "the search term is shown escaped");
        assert!(client.page("/faq?q=Manifest").await.contains("value=\"Manifest\""), "the box keeps what was typed");
        let wildcard = client.page("/faq?q=%25").await;
        assert!(wildcard.contains("id=\"faq-empty\""), "% is a character to find, not a wildcard");
        let huge = "a".repeat(10_000);
        client.page(&format!("/faq?q={huge}")).await;
        client.page("/faq?page=99999999999999999999").await;
        client.page("/faq?page=-1&q=").await;
        client.page("/faq?q[]=x&page=abc").await;
    })
    .await;
}

#[tokio::test]
async fn the_admin_writes_orders_hides_and_deletes_with_audit() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        let form = client.page("/faq/baru").await;
        assert!(form.contains("maxlength=\"300\"") && form.contains("maxlength=\"10000\""));

        let long = "a".repeat(301);
        let r = client.post("/faq", &[("question", long.as_str()), ("answer", "")]).await;
        assert_eq!(r.status_code(), 422);
        let html = r.text();
        assert!(html.contains("id=\"err-question\"") && html.contains("Pertanyaan maksimal 300 karakter."), "{html}");
        assert!(html.contains("id=\"err-answer\"") && html.contains("Jawaban wajib diisi."));

        let r = client.post("/faq", &[("question", "Di mana lokasi data center?"), ("answer", "Di **Medan Merdeka Utara**, Jakarta.")]).await;
        assert_eq!((r.status_code().as_u16(), location(&r).as_str()), (303, "/faq?ok=disimpan"));
        let all = entries(&ctx).await;
        let new = all.last().unwrap().clone();
        assert_eq!((new.question.as_str(), new.active), ("Di mana lokasi data center?", true), "a new entry goes last, shown");

        let path = format!("/faq/{}", new.id);
        let edit = client.page(&path).await;
        assert!(edit.contains("Medan Merdeka Utara"));
        let r = client.post(&path, &[("question", "Di mana lokasi Data Center personalisasi?"), ("answer", "Di **DC Medan Merdeka Utara**.")]).await;
        assert_eq!(r.status_code(), 303);

        let r = client.post(&format!("{path}/naik"), &[]).await;
        assert_eq!(r.status_code(), 303);
        let order: Vec<i32> = entries(&ctx).await.iter().map(|e| e.id).collect();
        assert_eq!(order[order.len() - 2], new.id, "moved up one place");
        let top = order[0];
        client.post(&format!("/faq/{top}/naik"), &[]).await;
        assert_eq!(entries(&ctx).await[0].id, top, "the first stays first");
        client.post(&format!("{path}/turun"), &[]).await;
        assert_eq!(entries(&ctx).await.last().unwrap().id, new.id, "and down again");

        let r = client.post(&format!("{path}/sembunyikan"), &[]).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(client.post(&format!("{path}/sembunyikan"), &[]).await.status_code(), 409);
        let admin_view = client.page("/faq").await;
        assert!(admin_view.contains("Di mana lokasi Data Center personalisasi?") && admin_view.contains("Disembunyikan"), "the admin still sees it");
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert!(!nyra.page("/faq").await.contains("Data Center personalisasi"), "hidden from everyone else");
        assert!(nyra.page("/faq?q=medan").await.contains("id=\"faq-empty\""), "search does not find it either");
        client.post(&format!("{path}/tampilkan"), &[]).await;
        assert!(nyra.page("/faq").await.contains("Di mana lokasi Data Center personalisasi?"));

        let confirm = client.page(&format!("{path}/hapus")).await;
        assert!(confirm.contains("Ya, hapus pertanyaan") && confirm.contains("Di mana lokasi Data Center personalisasi?"));
        assert_eq!(faq_entries::Entity::find_by_id(new.id).one(&ctx.db).await.unwrap().map(|e| e.id), Some(new.id), "the confirmation page deletes nothing");
        let r = client.post(&format!("{path}/hapus"), &[]).await;
        assert_eq!(r.status_code(), 303);
        assert!(faq_entries::Entity::find_by_id(new.id).one(&ctx.db).await.unwrap().is_none());

        let actions: Vec<(String, Option<i32>)> = audit_events::Entity::find()
            .order_by_asc(audit_events::Column::Id)
            .all(&ctx.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.subject_type == "faq")
            .map(|e| (e.action, e.actor_id))
            .collect();
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["faq.created", "faq.updated", "faq.moved", "faq.moved", "faq.deactivated", "faq.activated", "faq.deleted"]);
        let audit = client.page("/admin/audit").await;
        assert!(audit.contains("Pertanyaan FAQ dihapus") && audit.contains("Urutan FAQ diubah"), "Indonesian labels on the audit page");
    })
    .await;
}

#[tokio::test]
async fn unknown_or_malformed_ids_answer_404() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        for path in ["/faq/999999", "/faq/abc", "/faq/99999999999999999999", "/faq/-1", "/faq/0/hapus", "/faq/999999/hapus"] {
            assert_eq!(client.get(path).await.status_code(), 404, "GET {path}");
        }
        for path in
            ["/faq/999999", "/faq/999999/naik", "/faq/999999/turun", "/faq/999999/tampilkan", "/faq/999999/sembunyikan", "/faq/999999/hapus", "/faq/x/hapus"]
        {
            let r = client.post(path, &[("question", "Apa?"), ("answer", "Ini.")]).await;
            assert_eq!(r.status_code(), 404, "POST {path}");
        }
    })
    .await;
}

#[tokio::test]
async fn only_the_admin_may_change_the_faq() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let before = faq_entries::Entity::find().count(&ctx.db).await.unwrap();
        let id = entries(&ctx).await[0].id;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        for path in ["/faq/baru".to_string(), format!("/faq/{id}"), format!("/faq/{id}/hapus")] {
            assert_eq!(client.get(&path).await.status_code(), 403, "GET {path}");
        }
        for path in ["/faq".to_string(), format!("/faq/{id}"), format!("/faq/{id}/naik"), format!("/faq/{id}/sembunyikan"), format!("/faq/{id}/hapus")] {
            let r = client.post(&path, &[("question", "Diubah?"), ("answer", "Ya.")]).await;
            assert_eq!(r.status_code(), 403, "POST {path}");
        }
        assert_eq!(faq_entries::Entity::find().count(&ctx.db).await.unwrap(), before);
        assert!(entries(&ctx).await.iter().all(|e| e.active && e.question != "Diubah?"));
        assert_eq!(server.get("/faq").await.status_code(), 303, "anonymous visitors are sent to log in");
    })
    .await;
}

#[tokio::test]
async fn posts_without_the_form_token_are_refused() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        let r = client.post_raw("/faq", &[("question", "Tanpa token?"), ("answer", "Tidak.")]).await;
        assert_eq!(r.status_code(), 403);
        assert!(entries(&ctx).await.iter().all(|e| e.question != "Tanpa token?"));
    })
    .await;
}

#[tokio::test]
async fn unsafe_markdown_never_reaches_the_page() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        client.get("/faq/baru").await;
        let answer = "<script>alert('x')</script>\n\nLihat [panduan](javascript:alert(1)) dan <img src=x onerror=alert(1)> serta [situs](https://dukcapil.kemendagri.go.id).\n\n![foto](https://contoh.id/a.png)";
        let r = client.post("/faq", &[("question", "Pertanyaan <b>berbahaya</b>?"), ("answer", answer)]).await;
        assert_eq!(r.status_code(), 303);
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let html = bank.page("/faq").await;
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x") && !html.contains("<b>berbahaya"), "raw HTML is text");
        assert!(html.contains("&lt;script&gt;"), "shown as typed");
        assert!(!html.to_lowercase().contains("href=\"javascript"), "no javascript: link");
        assert!(html.contains("<a href=\"https://dukcapil.kemendagri.go.id\">situs</a>"), "safe links stay links");
        assert!(!html.contains("contoh.id/a.png"), "no images");
    })
    .await;
}
