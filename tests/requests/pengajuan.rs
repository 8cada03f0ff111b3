//! Pengajuan SAM Rekam Cetak through the real router: the card-list template
//! and import (every refusal), acceptance with Kode Tiket and schedule,
//! rejection and removal freeing the requests, scoping.
use std::io::Write;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{cards, personalization_requests as requests, submissions};

use crate::support::{
    fixtures::{cards_for, good_rows, pdf, xlsx, xlsx_with},
    location, mails_to,
    scenario::{approved_pair, seed_request, submission_form, world},
    unescape, with_app, Client,
};

#[tokio::test]
async fn the_template_is_an_xlsx_with_instructions() {
    with_app(|server, ctx| async move {
        world(&ctx).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let r = nyra.get("/pengajuan/template").await;
        r.assert_status_ok();
        assert_eq!(r.header("content-disposition"), "attachment; filename=\"Template-Daftar-Kartu-SAM.xlsx\"");
        let bytes = r.as_bytes().to_vec();
        assert!(bytes.starts_with(b"PK"));
        let book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        use calamine::Reader;
        let names = book.sheet_names();
        assert!(names.contains(&"Daftar Kartu SAM".to_string()) && names.contains(&"Petunjuk".to_string()));
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(bank.get("/pengajuan/template").await.status_code(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_producer_submits_and_the_admin_accepts_with_ticket_and_schedule() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, b) = approved_pair(&ctx, &w).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let page = nyra.get("/pengajuan/baru").await.text();
        assert!(page.contains("470/A/2026") && page.contains("470/B/2026"));
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id, b.id], "SP/001/NYRA/2026", "5", Some(xlsx(&good_rows())))).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let s = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(location(&r), format!("/pengajuan/{}?ok=disimpan", s.id));
        assert_eq!((s.status.as_str(), s.card_count), ("new", 5));
        assert_eq!(cards::Entity::find().count(&ctx.db).await.unwrap(), 5);
        let kept = cards::Entity::find().filter(cards::Column::RowNo.eq(2)).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(kept.serial, "0SAM00000001", "leading zeros kept");
        for id in [a.id, b.id] {
            let r = requests::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
            assert_eq!((r.status.as_str(), r.submission_id), ("bundled", Some(s.id)));
        }
        let view_card = nyra.get(&format!("/pengajuan/{}/kartu?q=0sam00000004", s.id)).await.text();
        assert!(view_card.contains("0SAM00000004") && !view_card.contains("0SAM00000001"));

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let list = admin.get("/pengajuan?status=new").await.text();
        assert!(list.contains("SP/001/NYRA/2026"));
        admin.get(&format!("/pengajuan/{}", s.id)).await;
        let ok = admin.post(&format!("/pengajuan/{}/terima", s.id), &[]).await;
        assert_eq!(ok.status_code(), 303);
        let s = submissions::Entity::find_by_id(s.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(s.status, "accepted");
        let ticket = s.ticket_code.clone().unwrap();
        assert!(ticket.starts_with("PERSO-") && ticket.ends_with("-00001"), "{ticket}");
        assert!(s.estimated_start.is_some() && s.estimated_finish >= s.estimated_start && s.estimated_handover > s.estimated_finish);
        assert_eq!(admin.post(&format!("/pengajuan/{}/terima", s.id), &[]).await.status_code(), 409, "accepting twice");
        assert_eq!(admin.post(&format!("/pengajuan/{}/tolak", s.id), &[("reason", "Terlambat sekali")]).await.status_code(), 409, "rejecting after acceptance");
        assert_eq!(nyra.get(&format!("/pengajuan/{}/ubah", s.id)).await.status_code(), 409, "no edit after acceptance");
        assert_eq!(nyra.post(&format!("/pengajuan/{}/hapus", s.id), &[]).await.status_code(), 409, "no removal after acceptance");
        let letter = nyra.get(&format!("/pengajuan/{}/berkas", s.id)).await;
        assert_eq!(letter.header("content-disposition"), "attachment; filename=\"Pengajuan-SP-001-NYRA-2026.pdf\"");
        assert_eq!(nyra.post(&format!("/pengajuan/{}/terima", s.id), &[]).await.status_code(), 404, "producers do not accept");

        let page = nyra.get(&format!("/pengajuan/{}", s.id)).await.text();
        assert!(page.contains(&ticket) && page.contains("25%") && page.contains("id=\"sla\""));
        assert!(!page.contains("id=\"edit\""), "no edit after acceptance");
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert!(bank.get(&format!("/pengajuan/{}", s.id)).await.text().contains(&ticket), "the institution sees the submission carrying its requests");
        let request_page = bank.get(&format!("/permintaan/{}", a.id)).await.text();
        assert!(
            request_page.contains(&ticket) && request_page.contains("25%") && request_page.contains("Dalam Pengajuan"),
            "the request's page shows its submission's stage"
        );
        if let Some(mails) = mails_to("pt_nyra@uji.go.id") {
            let mail = mails.iter().rev().find(|m| m.contains("SP/001/NYRA/2026 diterima")).expect("producer told");
            assert!(
                mail.contains(&format!("Subject: Pengajuan SP/001/NYRA/2026 diterima, Kode Tiket {ticket}")) && mail.contains("telah diterima Ditjen Dukcapil"),
                "{mail}"
            );
        }
        if let Some(mails) = mails_to("bank_abc@uji.go.id") {
            assert!(mails.iter().any(|m| m.contains("dijadwalkan personalisasi") && m.contains("470/A/2026")), "institution told");
        }
    })
    .await;
}

/// Every import problem is reported per row, and nothing is saved.
#[tokio::test]
async fn bad_card_lists_are_refused_per_row() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, b) = approved_pair(&ctx, &w).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/pengajuan/baru").await;
        let ids = [a.id, b.id];
        let mut dup = good_rows();
        dup[4].1 = dup[0].1.clone();
        let mut empty = good_rows();
        empty[1].1 = String::new();
        let mut bad = good_rows();
        bad[2].1 = "SAM-12".into();
        let mut foreign = good_rows();
        foreign[0].0 = "470/LAIN/2026".into();
        let docx = {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default();
            zip.start_file("[Content_Types].xml", opts).unwrap();
            zip.write_all(b"<Types/>").unwrap();
            zip.start_file("word/document.xml", opts).unwrap();
            zip.write_all(b"<w:document/>").unwrap();
            zip.finish().unwrap();
            buf.into_inner()
        };
        let bomb = {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("[Content_Types].xml", opts).unwrap();
            zip.write_all(b"<Types/>").unwrap();
            zip.start_file("xl/workbook.xml", opts).unwrap();
            zip.write_all(&vec![b' '; 40 * 1024 * 1024]).unwrap();
            zip.finish().unwrap();
            buf.into_inner()
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (xlsx_with(&["No.", "Nomor", "No. Seri Kartu SAM", "Keterangan"], &good_rows()), "5", "No. Permintaan"),
            (xlsx(&empty), "5", "Baris 3: No. Seri Kartu SAM wajib diisi."),
            (xlsx(&bad), "5", "Baris 4:"),
            (xlsx(&dup), "5", "Baris 6: No. Seri '0SAM00000001' sudah ada pada baris 2."),
            (xlsx(&foreign), "5", "Baris 2: No. Permintaan '470/LAIN/2026' bukan salah satu permintaan yang dipilih."),
            (xlsx(&good_rows()[..4]), "4", "Permintaan 470/B/2026: daftar berisi 1 kartu, sedangkan Qty permintaan 2 keping."),
            (xlsx(&good_rows()), "6", "Jumlah tidak cocok: daftar berisi 5 kartu, Jumlah Kartu SAM 6, jumlah Qty permintaan terpilih 5."),
            (pdf(), "5", "bukan file Excel"),
            (docx, "5", "Word"),
            (bomb, "5", "zip bomb"),
            (xlsx(&cards_for("470/A/2026", 1, 50_001)), "5", "Daftar berisi lebih dari 50.000 baris kartu."),
        ];
        for (bytes, count, message) in cases {
            let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &ids, "SP/ERR/2026", count, Some(bytes))).await;
            assert_eq!(r.status_code(), 422, "{message}");
            let html = unescape(&r.text());
            assert!(
                html.contains("id=\"err-cards\"") && html.contains(message),
                "{message}:\n{}",
                html.split("err-cards").nth(1).unwrap_or(&html[..0]).chars().take(600).collect::<String>()
            );
        }
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &ids, "SP/ERR/2026", "5", None)).await;
        assert!(r.text().contains("Unggah Excel Daftar Kartu SAM"));
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[], "SP/ERR/2026", "5", Some(xlsx(&good_rows())))).await;
        assert!(r.text().contains("Pilih minimal satu permintaan"));
        assert_eq!(submissions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(cards::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(requests::Entity::find().filter(requests::Column::Status.eq("approved")).count(&ctx.db).await.unwrap(), 2, "requests untouched");
    })
    .await;
}

#[tokio::test]
async fn a_card_in_another_live_submission_is_refused_until_that_one_is_rejected() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, b) = approved_pair(&ctx, &w).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/pengajuan/baru").await;
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id], "SP/004/2026", "3", Some(xlsx(&cards_for("470/A/2026", 1, 3))))).await;
        assert_eq!(r.status_code(), 303);
        let first = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        let reuse = cards_for("470/B/2026", 2, 2);
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[b.id], "SP/005/2026", "2", Some(xlsx(&reuse)))).await;
        assert_eq!(r.status_code(), 422);
        let html = unescape(&r.text());
        assert!(
            html.contains("Baris 2: No. Seri '0SAM00000002' sudah terdaftar pada pengajuan Anda SP/004/2026."),
            "{}",
            html.split("err-cards").nth(1).unwrap_or_default().chars().take(400).collect::<String>()
        );

        // Another producer listing the same serial learns only that it is taken.
        let mut theirs: requests::ActiveModel =
            seed_request(&ctx, &w, "470/LAIN/2026", "approved", chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()).await.into();
        theirs.producer_id = Set(w.other_producer.id);
        theirs.quantity = Set(1);
        let theirs = theirs.update(&ctx.db).await.unwrap();
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        lain.get("/pengajuan/baru").await;
        let taken = vec![("470/LAIN/2026".to_string(), "0SAM00000002".to_string())];
        let r = lain.post_multipart("/pengajuan", submission_form(&lain, &w, &[theirs.id], "SP/LAIN/2026", "1", Some(xlsx(&taken)))).await;
        assert_eq!(r.status_code(), 422);
        let html = unescape(&r.text());
        assert!(html.contains("Baris 2: No. Seri '0SAM00000002' sudah terdaftar pada pengajuan lain."), "another producer is told only that it is taken");
        assert!(!html.contains("SP/004/2026") && !html.contains("pt_nyra"), "nothing of PT Nyra's submission is disclosed");

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        admin.get(&format!("/pengajuan/{}", first.id)).await;
        let empty = admin.post(&format!("/pengajuan/{}/tolak", first.id), &[("reason", "")]).await;
        assert_eq!(empty.status_code(), 422);
        assert!(empty.text().contains("Alasan penolakan wajib diisi"));
        let r = admin.post(&format!("/pengajuan/{}/tolak", first.id), &[("reason", "Blanko kartu belum diterima")]).await;
        assert_eq!(r.status_code(), 303);
        let a_now = requests::Entity::find_by_id(a.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((a_now.status.as_str(), a_now.submission_id), ("approved", None), "rejection frees the requests");
        if let Some(mails) = mails_to("pt_nyra@uji.go.id") {
            assert!(mails.iter().any(|m| m.contains("SP/004/2026 ditolak") && m.contains("Alasan penolakan: Blanko kartu belum diterima")));
        }
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[b.id], "SP/005/2026", "2", Some(xlsx(&reuse)))).await;
        assert_eq!(r.status_code(), 303, "the rejected submission's cards no longer block");
    })
    .await;
}

#[tokio::test]
async fn the_producer_edits_and_removes_only_while_new_and_others_see_404() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (a, _) = approved_pair(&ctx, &w).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/pengajuan/baru").await;
        nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &[a.id], "SP/006/2026", "3", Some(xlsx(&cards_for("470/A/2026", 1, 3))))).await;
        let s = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap();

        let mut lain = Client::signed_in(&server, "pt_lain").await;
        for path in
            [format!("/pengajuan/{}", s.id), format!("/pengajuan/{}/kartu", s.id), format!("/pengajuan/{}/berkas", s.id), format!("/pengajuan/{}/ubah", s.id)]
        {
            assert_eq!(lain.get(&path).await.status_code(), 404, "{path}");
        }
        assert_eq!(lain.post(&format!("/pengajuan/{}/hapus", s.id), &[]).await.status_code(), 404);
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(xyz.get(&format!("/pengajuan/{}", s.id)).await.status_code(), 404, "an institution without requests in it");
        assert_eq!(xyz.post(&format!("/pengajuan/{}/terima", s.id), &[]).await.status_code(), 404);
        let mut operator = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(operator.get("/pengajuan").await.status_code(), 403);

        nyra.get(&format!("/pengajuan/{}/ubah", s.id)).await.assert_status_ok();
        let form = nyra
            .multipart()
            .add_text("number", "SP/006-REV/2026")
            .add_text("title", "Judul baru")
            .add_text("card_count", "3")
            .add_text("machine_type_id", w.machine.id.to_string());
        let r = nyra.post_multipart(&format!("/pengajuan/{}", s.id), form).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(submissions::Entity::find_by_id(s.id).one(&ctx.db).await.unwrap().unwrap().number, "SP/006-REV/2026");

        let r = nyra.post(&format!("/pengajuan/{}/hapus", s.id), &[]).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(submissions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(cards::Entity::find().count(&ctx.db).await.unwrap(), 0);
        let a_now = requests::Entity::find_by_id(a.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((a_now.status.as_str(), a_now.submission_id), ("approved", None), "removal frees the requests");
    })
    .await;
}
