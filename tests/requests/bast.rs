//! Cetak Dokumen BAST: Received (Jumlah Diterima per line), documents built
//! by the background worker (inline in tests), downloads in scope, the
//! public verify page and the BAST mail.
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sifilma::models::_entities::{audit_events, documents, personalization_requests as requests, submissions};

use crate::support::{
    location, mails_to,
    scenario::{accepted_submission, done_submission},
    tile, unescape, with_app, Client,
};

async fn lines(ctx: &loco_rs::app::AppContext, id: i32) -> Vec<requests::Model> {
    requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).order_by_asc(requests::Column::Number).all(&ctx.db).await.unwrap()
}

fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    xml
}

#[tokio::test]
async fn the_producer_receives_prints_and_everyone_in_scope_downloads_and_verifies() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let [a, b] = <[requests::Model; 2]>::try_from(lines(&ctx, id).await).unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let list = nyra.get("/bast").await.text();
        assert!(list.contains("SP/PERSO/2026") && list.contains("Received"));
        assert!(!nyra.page("/bast?status=received").await.contains("SP/PERSO/2026"));
        let page = nyra.get(&format!("/bast/{id}")).await.text();
        assert!(page.contains(&format!("name=\"received_{}\"", a.id)) && page.contains("Submit Penerimaan"));

        // Documents other than the reply wait for Received.
        let r = nyra.post(&format!("/bast/{id}/cetak"), &[(&format!("bast_{}", a.id), "1")]).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("setelah Submit Penerimaan"));

        let r = nyra.post(&format!("/bast/{id}/terima"), &[(&format!("received_{}", a.id), "3"), (&format!("received_{}", b.id), "1")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(location(&r), format!("/bast/{id}?ok=diterima-produsen"));
        let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(s.status, "received");
        assert!(s.received_at.is_some());
        let [a2, b2] = <[requests::Model; 2]>::try_from(lines(&ctx, id).await).unwrap();
        assert_eq!((a2.received_count, b2.received_count), (Some(3), Some(1)));
        let page = unescape(&nyra.get(&format!("/bast/{id}")).await.text());
        assert!(page.contains("selisih 1"), "the short line is flagged");
        assert!(audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("submission.received"))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap()
            .note
            .unwrap()
            .contains("selisih"));
        assert_eq!(
            nyra.post(&format!("/bast/{id}/terima"), &[(&format!("received_{}", a.id), "2"), (&format!("received_{}", b.id), "2")]).await.status_code(),
            409,
            "receiving twice"
        );
        assert_eq!(lines(&ctx, id).await[0].received_count, Some(3), "unchanged");

        let r = nyra.post(&format!("/bast/{id}/cetak"), &[]).await;
        assert_eq!(r.status_code(), 422);
        assert!(r.text().contains("id=\"err-documents\""));

        let r = nyra.post(&format!("/bast/{id}/cetak"), &[(&format!("bast_{}", a.id), "1"), (&format!("list_{}", a.id), "1"), ("reply", "1")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let docs = documents::Entity::find().filter(documents::Column::SubmissionId.eq(id)).order_by_asc(documents::Column::Id).all(&ctx.db).await.unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs.iter().all(|d| d.status == "ready"), "built by the worker: {docs:?}");
        let year = Utc::now().format("%Y").to_string();
        let bast = docs.iter().find(|d| d.kind == "bast").unwrap();
        assert_eq!(bast.number, format!("SAM-{year}-00001"));
        let polled: Value = nyra.get(&format!("/bast/{id}/dokumen")).await.json();
        assert_eq!(polled["documents"].as_array().unwrap().len(), 3);

        let got = nyra.get(&format!("/bast/dokumen/{}", bast.id)).await;
        got.assert_status_ok();
        assert_eq!(got.header("content-disposition"), format!("attachment; filename=\"BAST-SAM-{year}-00001.docx\"").as_str());
        let bytes = got.as_bytes().to_vec();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), bast.sha256.clone().unwrap(), "archived with its SHA-256");
        let xml = docx_text(&bytes);
        assert!(xml.contains("BERITA ACARA SERAH TERIMA") && xml.contains(&bast.number) && xml.contains("3 (tiga)"), "BAST text");
        let list = docs.iter().find(|d| d.kind == "card_list").unwrap();
        let got = nyra.get(&format!("/bast/dokumen/{}", list.id)).await;
        let ticket = s.ticket_code.clone().unwrap();
        assert_eq!(got.header("content-disposition"), format!("attachment; filename=\"Daftar-Kartu-{ticket}-1.xlsx\"").as_str());
        let reply = docs.iter().find(|d| d.kind == "reply").unwrap();
        nyra.get(&format!("/bast/dokumen/{}", reply.id)).await.assert_status_ok();

        // Scope: the institution gets its line's documents, never the reply
        // letter; another producer and another institution get nothing.
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get(&format!("/bast/dokumen/{}", bast.id)).await.assert_status_ok();
        assert_eq!(bank.get(&format!("/bast/dokumen/{}", reply.id)).await.status_code(), 404);
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        assert_eq!(lain.get(&format!("/bast/dokumen/{}", bast.id)).await.status_code(), 404);
        assert_eq!(lain.get(&format!("/bast/{id}")).await.status_code(), 404);
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(xyz.get(&format!("/bast/dokumen/{}", bast.id)).await.status_code(), 404);
        assert_eq!(lain.post(&format!("/bast/{id}/cetak"), &[("reply", "1")]).await.status_code(), 404);

        // Verification: number + code (the QR link) or number + SHA-256.
        let mut anon = Client::new(&server);
        let ok = anon.get(&format!("/verifikasi?nomor={}&kode={}", bast.number, bast.verify_code)).await;
        ok.assert_status_ok();
        let text = unescape(&ok.text());
        assert!(
            text.contains("id=\"verified\"")
                && text.contains(&bast.number)
                && text.contains("Berita Acara Serah Terima")
                && text.contains("Organisasi pt_nyra")
        );
        let by_hash = anon.get(&format!("/verifikasi?nomor={}&kode={}", bast.number, bast.sha256.clone().unwrap())).await;
        by_hash.assert_status_ok();
        let wrong = anon.get(&format!("/verifikasi?nomor={}&kode={}", bast.number, "0".repeat(64))).await;
        assert_eq!(wrong.status_code(), 404);
        let text = wrong.text();
        assert!(text.contains("id=\"not-verified\"") && !text.contains("Organisasi pt_nyra") && !text.contains("verified-details"), "nothing else shown");
        let other = anon.get(&format!("/verifikasi?nomor={}&kode={}", list.number, bast.verify_code)).await;
        assert_eq!(other.status_code(), 404, "a code proves its own document only");
        // The received file itself, uploaded (CSRF like every POST).
        anon.get("/verifikasi").await;
        let upload = |c: &Client, file: Vec<u8>| {
            c.multipart().add_text("nomor", bast.number.clone()).add_part("berkas", axum_test::multipart::Part::bytes(file).file_name("bast.docx"))
        };
        let form = upload(&anon, bytes.clone());
        let genuine = anon.post_multipart("/verifikasi", form).await;
        genuine.assert_status_ok();
        assert!(genuine.text().contains("id=\"verified\""));
        let mut altered = bytes.clone();
        altered.push(b' ');
        let form = upload(&anon, altered);
        let forged = anon.post_multipart("/verifikasi", form).await;
        assert_eq!(forged.status_code(), 404, "one byte more is another file");
        let form = anon.multipart().add_text("nomor", bast.number.clone());
        assert!(anon.post_multipart("/verifikasi", form).await.text().contains("id=\"err-berkas\""));

        if let Some(mails) = mails_to("bank_abc@") {
            assert!(
                mails.iter().any(|m| m.contains(&format!("BAST {}", bast.number))
                    && m.contains(&format!("/bast/{id}"))
                    && !m.contains("Content-Disposition: attachment")),
                "link, not attachment"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn bad_receipts_are_refused_per_line_and_change_nothing() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let [a, b] = <[requests::Model; 2]>::try_from(lines(&ctx, id).await).unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        // The dashboard keeps its counts for 5 s; the setup above saw them before Done.
        ctx.cache.clear().await.unwrap();
        assert_eq!(
            tile(&nyra.get("/dashboard").await.text(), "Kartu selesai dipersonalisasi, catat penerimaan"),
            "1",
            "the dashboard points the producer here"
        );
        nyra.get(&format!("/bast/{id}")).await;
        let (fa, fb) = (format!("received_{}", a.id), format!("received_{}", b.id));
        for (va, vb, field, message) in [
            ("-1", "2", &fa, "tidak boleh negatif"),
            ("4", "2", &fa, "melebihi kartu yang berhasil dipersonalisasi (Clear: 3)"),
            ("tiga", "2", &fa, "harus berupa angka bulat 0 sampai 3"),
            ("3", "", &fb, "wajib diisi"),
            ("3", "1.5", &fb, "harus berupa angka bulat"),
        ] {
            let r = nyra.post(&format!("/bast/{id}/terima"), &[(&fa, va), (&fb, vb)]).await;
            assert_eq!(r.status_code(), 422, "{va}/{vb}");
            let text = unescape(&r.text());
            assert!(text.contains(&format!("id=\"err-{field}\"")) && text.contains(message), "{va}/{vb}: {message}");
            assert!(text.contains(&format!("value=\"{va}\"")), "what was typed is shown again");
        }
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "done");
        assert!(lines(&ctx, id).await.iter().all(|r| r.received_count.is_none()));

        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(tile(&bank.get("/dashboard").await.text(), "Kartu selesai dipersonalisasi, menunggu serah terima"), "2", "both of its requests");
        bank.get(&format!("/bast/{id}")).await.assert_status_ok();
        assert_eq!(bank.post(&format!("/bast/{id}/terima"), &[(&fa, "3"), (&fb, "2")]).await.status_code(), 404, "only the producer receives");
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        assert_eq!(lain.post(&format!("/bast/{id}/terima"), &[(&fa, "3"), (&fb, "2")]).await.status_code(), 404, "another producer's submission");
        let mut op = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(op.get("/bast").await.status_code(), 403);
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "done");
    })
    .await;
}

/// Issue 11 A: the documents poll carries the time already written in WIB by
/// the function behind `tgl_jam`, so a polled row reads as after a reload.
#[tokio::test]
async fn the_documents_poll_sends_times_in_wib_as_the_page_shows_them() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let [a, b] = <[requests::Model; 2]>::try_from(lines(&ctx, id).await).unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get(&format!("/bast/{id}")).await;
        let r = nyra.post(&format!("/bast/{id}/terima"), &[(&format!("received_{}", a.id), "3"), (&format!("received_{}", b.id), "2")]).await;
        assert_eq!(r.status_code(), 303);
        let r = nyra.post(&format!("/bast/{id}/cetak"), &[(&format!("bast_{}", a.id), "1")]).await;
        assert_eq!(r.status_code(), 303);
        let doc = documents::Entity::find().filter(documents::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap();
        let polled: Value = nyra.get(&format!("/bast/{id}/dokumen")).await.json();
        let shown = polled["documents"][0]["created_at_wib"].as_str().expect("a formatted time").to_string();
        assert_eq!(shown, sifilma::locale::jam_wib(&doc.created_at));
        let wib = doc.created_at.with_timezone(&sifilma::locale::wib());
        assert!(shown.ends_with(&wib.format(" %H:%M").to_string()) && shown.contains(&wib.format("%Y").to_string()), "WIB, not UTC: {shown}");
        let page = nyra.get(&format!("/bast/{id}")).await.text();
        assert!(page.contains(&format!("<td data-label=\"Dibuat\">{shown}</td>")), "the page after a reload shows the same text");
        let js = std::fs::read_to_string("assets/static/js/app.js").unwrap();
        assert!(!js.contains("toLocale") && !js.contains("new Date"), "no browser-local times in app.js");
    })
    .await;
}

/// Issue 11 E: Jumlah Diterima is counted and typed, never pre-filled.
#[tokio::test]
async fn jumlah_diterima_starts_empty_and_an_empty_receipt_is_refused_per_line() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let [a, b] = <[requests::Model; 2]>::try_from(lines(&ctx, id).await).unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let page = nyra.get(&format!("/bast/{id}")).await.text();
        for r in [&a, &b] {
            let field = format!("name=\"received_{}\"", r.id);
            let at = page.find(&field).expect("an input per line");
            let input = &page[page[..at].rfind('<').unwrap()..at + page[at..].find('>').unwrap()];
            assert!(input.contains("value=\"\""), "starts empty, not at the Clear count: {input}");
            assert!(!input.contains(" required"), "the server answers an empty field in Indonesian: {input}");
        }
        assert!(page.contains("novalidate"), "the browser does not answer in its own language");

        let (fa, fb) = (format!("received_{}", a.id), format!("received_{}", b.id));
        let r = nyra.post(&format!("/bast/{id}/terima"), &[(&fa, ""), (&fb, " ")]).await;
        assert_eq!(r.status_code(), 422);
        let text = unescape(&r.text());
        for (field, number) in [(&fa, &a.number), (&fb, &b.number)] {
            assert!(text.contains(&format!("id=\"err-{field}\"")), "an error beside {field}");
            assert!(text.contains(&format!("Jumlah Diterima untuk {number} wajib diisi.")), "{number}");
        }
        let r = nyra.post(&format!("/bast/{id}/terima"), &[(&fa, "3")]).await;
        assert_eq!(r.status_code(), 422, "a missing line is refused too");
        assert!(unescape(&r.text()).contains(&format!("Jumlah Diterima untuk {} wajib diisi.", b.number)));
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "done", "nothing saved");
        assert!(lines(&ctx, id).await.iter().all(|r| r.received_count.is_none()));

        let r = nyra.post(&format!("/bast/{id}/terima"), &[(&fa, "3"), (&fb, "2")]).await;
        assert_eq!(r.status_code(), 303, "counted and typed: saved");
    })
    .await;
}

#[tokio::test]
async fn nothing_is_printed_or_received_before_done() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/bast").await;
        assert_eq!(nyra.get(&format!("/bast/{id}")).await.status_code(), 404);
        let r = nyra.post(&format!("/bast/{id}/cetak"), &[("reply", "1")]).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("setelah personalisasi selesai"));
        let r = nyra.post(&format!("/bast/{id}/terima"), &[("received_1", "1")]).await;
        assert_eq!(r.status_code(), 409);
        assert_eq!(documents::Entity::find().all(&ctx.db).await.unwrap().len(), 0);
        assert!(!nyra.page("/bast").await.contains("SP/PERSO/2026"));
    })
    .await;
}
