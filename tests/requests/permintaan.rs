//! Permintaan Personalisasi through the real router: filing, the producer's
//! decisions, scoping, bad input, downloads and mail.
use axum_test::multipart::{MultipartForm, Part};
use chrono::NaiveDate;
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{audit_events, organisations, personalization_requests as requests};

use crate::support::{
    fixtures::{pdf, png},
    location, mails_to,
    scenario::{seed_request, world, World},
    unescape, with_app, Client,
};

fn request_form(c: &Client, w: &World, number: &str, qty: &str) -> MultipartForm {
    c.multipart()
        .add_text("number", number)
        .add_text("title", "Kartu SAM untuk kantor cabang")
        .add_text("request_date", "2026-11-20")
        .add_text("producer_id", w.producer.id.to_string())
        .add_text("quantity", qty)
        .add_text("machine_type_id", w.machine.id.to_string())
        .add_text("remarks", "Mohon segera")
}

async fn count(ctx: &AppContext) -> u64 {
    requests::Entity::find().count(&ctx.db).await.unwrap()
}

#[tokio::test]
async fn an_institution_files_a_request_and_the_producer_is_mailed() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/permintaan/baru").await.assert_status_ok();
        let form = request_form(&bank, &w, "470/123/BANK-ABC/2026", "100")
            .add_part("file", Part::bytes(pdf()).file_name("Surat Permintaan.pdf").mime_type("application/pdf"));
        let r = bank.post_multipart("/permintaan", form).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let saved = requests::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(location(&r), format!("/permintaan/{}?ok=disimpan", saved.id));
        assert_eq!(
            (saved.status.as_str(), saved.quantity, saved.file_kind.as_str(), saved.file_name.as_str()),
            ("submitted", 100, "pdf", "Surat Permintaan.pdf")
        );
        assert!(saved.file_key.chars().all(|c| c.is_ascii_hexdigit()) && saved.file_key.len() == 32, "server-generated key");

        let page = bank.get(&format!("/permintaan/{}", saved.id)).await.text();
        assert!(page.contains("On Progress") && page.contains("470/123/BANK-ABC/2026") && page.contains("id=\"timeline\""));
        let audited = audit_events::Entity::find().filter(audit_events::Column::Action.eq("request.submitted")).count(&ctx.db).await.unwrap();
        assert_eq!(audited, 1);
        if let Some(mails) = mails_to("pt_nyra@uji.go.id") {
            let mail = mails.iter().rev().find(|m| m.contains("470/123/BANK-ABC/2026")).expect("the producer is told of the new request");
            assert!(mail.contains("Subject: Permintaan personalisasi baru 470/123/BANK-ABC/2026"), "{mail}");
            assert!(mail.contains("mengajukan permintaan personalisasi kartu SAM kepada Anda"));
        }
    })
    .await;
}

#[tokio::test]
async fn bad_letters_are_refused_and_nothing_is_saved() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/permintaan/baru").await;
        let mut big = pdf();
        big.resize(3 * 1024 * 1024 + 1, b' ');
        let png = png();
        #[allow(clippy::type_complexity)]
        let cases: Vec<(Option<(Vec<u8>, &str)>, &str)> = vec![
            (Some((b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode".to_vec(), "surat.pdf")), "isi berkas tidak dikenali"),
            (Some((b"<!doctype html><script>alert(1)</script>".to_vec(), "surat.pdf")), "isi berkas tidak dikenali"),
            (Some((big, "besar.pdf")), "melebihi 3 MB"),
            (Some((Vec::new(), "kosong.pdf")), "Berkas kosong"),
            (Some((png, "gambar.pdf")), "Isi berkas adalah PNG tetapi namanya berakhiran .pdf"),
            (None, "Unggah surat permintaan"),
        ];
        for (file, message) in cases {
            let mut form = request_form(&bank, &w, "470/1/2026", "10");
            if let Some((bytes, name)) = file {
                form = form.add_part("file", Part::bytes(bytes).file_name(name));
            }
            let r = bank.post_multipart("/permintaan", form).await;
            assert_eq!(r.status_code(), 422, "{message}");
            let html = r.text();
            assert!(html.contains("id=\"err-file\"") && html.contains(message), "{message}: {html}");
        }
        assert_eq!(count(&ctx).await, 0);
    })
    .await;
}

#[tokio::test]
async fn bad_fields_are_refused_per_field() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        seed_request(&ctx, &w, "470/DUP/2026", "submitted", NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).await;
        let mut inactive: organisations::ActiveModel = w.other_producer.clone().into();
        inactive.active = Set(false);
        inactive.update(&ctx.db).await.unwrap();
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/permintaan/baru").await;
        let file = || Part::bytes(pdf()).file_name("s.pdf");
        for (qty, message) in [
            ("0", "Qty harus antara 1 dan 10000"),
            ("-5", "Qty harus antara 1 dan 10000"),
            ("sepuluh", "Qty harus berupa angka bulat"),
            ("10001", "Qty harus antara 1 dan 10000"),
        ] {
            let r = bank.post_multipart("/permintaan", request_form(&bank, &w, "470/Q/2026", qty).add_part("file", file())).await;
            assert_eq!(r.status_code(), 422, "qty {qty}");
            assert!(r.text().contains(message), "qty {qty}");
        }
        let r = bank.post_multipart("/permintaan", request_form(&bank, &w, "470/DUP/2026", "5").add_part("file", file())).await;
        assert!(r.text().contains("sudah dipakai oleh permintaan lain organisasi Anda"));
        let form = bank
            .multipart()
            .add_text("number", "470/X/2026")
            .add_text("title", "Judul")
            .add_text("request_date", "2026-11-20")
            .add_text("producer_id", w.other_producer.id.to_string())
            .add_text("quantity", "5")
            .add_text("machine_type_id", w.machine.id.to_string())
            .add_part("file", file());
        let r = bank.post_multipart("/permintaan", form).await;
        assert!(r.text().contains("Pilih produsen yang aktif."), "inactive producer");
        let form = bank.multipart().add_text("number", "").add_text("title", "").add_text("request_date", "kemarin").add_part("file", file());
        let html = bank.post_multipart("/permintaan", form).await.text();
        for field in ["number", "title", "request_date", "producer_id", "quantity", "machine_type_id"] {
            assert!(html.contains(&format!("id=\"err-{field}\"")), "{field}");
        }
        assert_eq!(count(&ctx).await, 1, "only the seeded request exists");

        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        xyz.get("/permintaan/baru").await;
        let r = xyz.post_multipart("/permintaan", request_form(&xyz, &w, "470/DUP/2026", "5").add_part("file", file())).await;
        assert_eq!(r.status_code(), 303, "the same number is fine in another organisation");
    })
    .await;
}

#[tokio::test]
async fn each_party_sees_only_its_requests() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let mine = seed_request(&ctx, &w, "470/BANK/1", "submitted", day).await;
        let mut elsewhere: requests::ActiveModel = seed_request(&ctx, &w, "470/LAIN/1", "submitted", day).await.into();
        elsewhere.producer_id = Set(w.other_producer.id);
        let elsewhere = elsewhere.update(&ctx.db).await.unwrap();

        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        for path in [format!("/permintaan/{}", mine.id), format!("/permintaan/{}/ubah", mine.id), format!("/permintaan/{}/berkas", mine.id)] {
            assert_eq!(xyz.get(&path).await.status_code(), 404, "{path}");
        }
        assert_eq!(xyz.post(&format!("/permintaan/{}/tarik", mine.id), &[]).await.status_code(), 404);
        assert!(!xyz.page("/permintaan").await.contains("470/BANK/1"));

        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let list = nyra.get("/permintaan").await.text();
        assert!(list.contains("Tabel Permohonan Personalisasi") && list.contains("470/BANK/1") && !list.contains("470/LAIN/1"));
        let r = nyra.post(&format!("/permintaan/{}/setujui", elsewhere.id), &[]).await;
        assert_eq!(r.status_code(), 404, "approving a request addressed to another producer");
        assert_eq!(requests::Entity::find_by_id(elsewhere.id).one(&ctx.db).await.unwrap().unwrap().status, "submitted");

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let list = admin.get("/permintaan").await.text();
        assert!(list.contains("470/BANK/1") && list.contains("470/LAIN/1"));
        let page = admin.page(&format!("/permintaan/{}", mine.id)).await;
        assert!(!page.contains("id=\"approve\"") && !page.contains("id=\"edit\""), "admin is read-only");
        assert_eq!(admin.post(&format!("/permintaan/{}/setujui", mine.id), &[]).await.status_code(), 404);

        let mut operator = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(operator.get("/permintaan").await.status_code(), 403);
    })
    .await;
}

#[tokio::test]
async fn the_producer_approves_once_and_the_institution_is_mailed() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let r = seed_request(&ctx, &w, "470/APP/1", "submitted", NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let page = nyra.get(&format!("/permintaan/{}", r.id)).await.text();
        assert!(page.contains("id=\"approve\"") && page.contains("data-confirm=\"Setujui permintaan"));
        let ok = nyra.post(&format!("/permintaan/{}/setujui", r.id), &[]).await;
        assert_eq!(ok.status_code(), 303);
        let saved = requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(saved.status, "approved");
        assert!(saved.decided_at.is_some());
        let twice = nyra.post(&format!("/permintaan/{}/setujui", r.id), &[]).await;
        assert_eq!(twice.status_code(), 409);
        assert!(twice.text().contains("hanya permintaan On Progress yang dapat diputuskan"), "{}", twice.text());
        let page = nyra.get(&format!("/permintaan/{}", r.id)).await.text();
        assert!(!page.contains("id=\"approve\"") && page.contains("Approved"), "after Approve only View remains");
        let list = nyra.page("/permintaan").await;
        assert!(!list.contains(&format!("/permintaan/{}/setujui", r.id)));
        if let Some(mails) = mails_to("bank_abc@uji.go.id") {
            let mail = mails.iter().rev().find(|m| m.contains("470/APP/1")).expect("the institution is told");
            assert!(mail.contains("Subject: Permintaan 470/APP/1 disetujui oleh Organisasi pt_nyra"), "{mail}");
            assert!(mail.contains("telah disetujui oleh Organisasi pt_nyra"));
        }
    })
    .await;
}

/// Only a submission's own reject/remove frees a bundled request: the
/// producer's Approve/Reject of a request that is bundled or later is a 409
/// and changes nothing (no second approval mail either).
#[tokio::test]
async fn a_bundled_or_later_request_cannot_be_decided_again() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        for status in ["bundled", "in_progress", "done", "received", "rejected", "withdrawn"] {
            let r = seed_request(&ctx, &w, &format!("470/LATE/{status}"), status, day).await;
            let mails_before = mails_to("bank_abc@uji.go.id").map(|m| m.len());
            for action in ["setujui", "tolak"] {
                let answer = nyra.post(&format!("/permintaan/{}/{action}", r.id), &[("reason", "Alasan penolakan uji")]).await;
                assert_eq!(answer.status_code(), 409, "{action} on {status}");
            }
            let now = requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap();
            assert_eq!(now.status, status, "unchanged");
            assert_eq!(mails_to("bank_abc@uji.go.id").map(|m| m.len()), mails_before, "no mail for {status}");
        }
    })
    .await;
}

#[tokio::test]
async fn rejection_needs_a_reason_that_reaches_the_institution() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let r = seed_request(&ctx, &w, "470/REJ/1", "submitted", NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get(&format!("/permintaan/{}", r.id)).await;
        let empty = nyra.post(&format!("/permintaan/{}/tolak", r.id), &[("reason", "  ")]).await;
        assert_eq!(empty.status_code(), 422);
        assert!(empty.text().contains("Alasan penolakan wajib diisi"));
        assert_eq!(requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap().status, "submitted");
        let ok = nyra.post(&format!("/permintaan/{}/tolak", r.id), &[("reason", "Stok kartu SAM kosong sampai Januari")]).await;
        assert_eq!(ok.status_code(), 303);
        let saved = requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((saved.status.as_str(), saved.decision_note.as_deref()), ("rejected", Some("Stok kartu SAM kosong sampai Januari")));
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let page = bank.get(&format!("/permintaan/{}", r.id)).await.text();
        assert!(page.contains("Rejected") && page.contains("Stok kartu SAM kosong sampai Januari"));
        if let Some(mails) = mails_to("bank_abc@uji.go.id") {
            let mail = mails.iter().rev().find(|m| m.contains("470/REJ/1")).expect("rejection mail");
            assert!(mail.contains("ditolak oleh") && mail.contains("Alasan penolakan: Stok kartu SAM kosong sampai Januari"), "{mail}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_requester_edits_and_withdraws_only_while_submitted() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        let open = seed_request(&ctx, &w, "470/ED/1", "submitted", day).await;
        let decided = seed_request(&ctx, &w, "470/ED/2", "approved", day).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get(&format!("/permintaan/{}/ubah", open.id)).await.assert_status_ok();
        let form = request_form(&bank, &w, "470/ED/1-REV", "250").add_part("file", Part::bytes(pdf()).file_name("revisi.pdf"));
        let r = bank.post_multipart(&format!("/permintaan/{}", open.id), form).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let saved = requests::Entity::find_by_id(open.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((saved.number.as_str(), saved.quantity, saved.file_name.as_str()), ("470/ED/1-REV", 250, "revisi.pdf"));

        assert_eq!(bank.get(&format!("/permintaan/{}/ubah", decided.id)).await.status_code(), 409);
        let r = bank.post_multipart(&format!("/permintaan/{}", decided.id), request_form(&bank, &w, "470/ED/2", "5")).await;
        assert_eq!(r.status_code(), 409);
        assert_eq!(bank.post(&format!("/permintaan/{}/tarik", decided.id), &[]).await.status_code(), 409);

        assert_eq!(bank.post(&format!("/permintaan/{}/tarik", open.id), &[]).await.status_code(), 303);
        assert_eq!(requests::Entity::find_by_id(open.id).one(&ctx.db).await.unwrap().unwrap().status, "withdrawn");
        assert_eq!(bank.post(&format!("/permintaan/{}/tarik", open.id), &[]).await.status_code(), 409);
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(nyra.post(&format!("/permintaan/{}/setujui", open.id), &[]).await.status_code(), 409, "a withdrawn request cannot be approved");
    })
    .await;
}

#[tokio::test]
async fn the_table_filters_searches_sorts_and_pages() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        for i in 1..=25 {
            let status = match i % 5 {
                0 => "approved",
                1 => "rejected",
                _ => "submitted",
            };
            seed_request(&ctx, &w, &format!("470/L/{i:02}"), status, NaiveDate::from_ymd_opt(2026, 10, i).unwrap()).await;
        }
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let first = nyra.get("/permintaan").await.text();
        assert!(first.contains("470/L/25") && !first.contains("470/L/05"), "newest first, 20 per page");
        assert!(first.contains("rel=\"next\""));
        let second = nyra.get("/permintaan?page=2").await.text();
        assert!(second.contains("470/L/05") && second.contains("470/L/01") && !second.contains("rel=\"next\""));
        let oldest = nyra.get("/permintaan?sort=asc").await.text();
        assert!(oldest.find("470/L/01").unwrap() < oldest.find("470/L/02").unwrap());
        let approved = nyra.get("/permintaan?status=approved").await.text();
        assert!(approved.contains("470/L/05") && !approved.contains("470/L/02"));
        let rejected = nyra.get("/permintaan?status=rejected").await.text();
        assert!(rejected.contains("470/L/11") && !rejected.contains("470/L/05"));
        let progress = nyra.get("/permintaan?status=progress").await.text();
        assert!(progress.contains("470/L/02") && !progress.contains("470/L/05") && !progress.contains("470/L/11"));
        let search = nyra.get("/permintaan?q=l%2F1").await.text();
        assert!(search.contains("470/L/12") && !search.contains("470/L/22"));
        let by_institution = nyra.get("/permintaan?q=ORGANISASI%20BANK_ABC").await.text();
        assert!(by_institution.contains("470/L/25"));
        let nothing = nyra.get("/permintaan?q=tidak-ada").await.text();
        assert!(nothing.contains("Tidak ada permintaan yang cocok."));
    })
    .await;
}

#[tokio::test]
async fn bulk_approve_shows_first_then_approves_all_or_nothing() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap();
        let a = seed_request(&ctx, &w, "470/B/1", "submitted", day).await;
        let b = seed_request(&ctx, &w, "470/B/2", "submitted", day).await;
        let done = seed_request(&ctx, &w, "470/B/3", "rejected", day).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/permintaan").await;
        let (ida, idb, idd) = (a.id.to_string(), b.id.to_string(), done.id.to_string());
        let preview = nyra.post("/permintaan/setujui-massal", &[("ids", &ida), ("ids", &idb)]).await;
        preview.assert_status_ok();
        let html = preview.text();
        assert!(html.contains("470/B/1") && html.contains("470/B/2") && html.contains("Konfirmasi Approve 2 permintaan"));
        assert_eq!(requests::Entity::find().filter(requests::Column::Status.eq("approved")).count(&ctx.db).await.unwrap(), 0, "preview changes nothing");

        let mixed = nyra.post("/permintaan/setujui-massal", &[("ids", &ida), ("ids", &idd)]).await.text();
        assert!(mixed.contains("Tidak dapat di-approve") && !mixed.contains("bulk-confirm"));
        let refused = nyra.post("/permintaan/setujui-massal/konfirmasi", &[("ids", &ida), ("ids", &idd)]).await;
        assert_eq!(refused.status_code(), 409);
        assert_eq!(requests::Entity::find_by_id(a.id).one(&ctx.db).await.unwrap().unwrap().status, "submitted", "all or nothing");

        let ok = nyra.post("/permintaan/setujui-massal/konfirmasi", &[("ids", &ida), ("ids", &idb)]).await;
        assert_eq!(ok.status_code(), 303);
        assert_eq!(requests::Entity::find().filter(requests::Column::Status.eq("approved")).count(&ctx.db).await.unwrap(), 2);
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/permintaan").await;
        assert_eq!(bank.post("/permintaan/setujui-massal", &[("ids", &ida)]).await.status_code(), 403, "only producers approve");
    })
    .await;
}

#[tokio::test]
async fn a_bulk_selection_is_bounded_and_read_once_per_request() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap();
        let a = seed_request(&ctx, &w, "470/M/1", "submitted", day).await;
        let b = seed_request(&ctx, &w, "470/M/2", "submitted", day).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/permintaan").await;
        let (ida, idb) = (a.id.to_string(), b.id.to_string());
        // More than a bulk approval may hold: refused with the bound, nothing changed.
        let many: Vec<String> = std::iter::repeat_n(ida.clone(), sifilma::models::requests::DECIDED_AT_ONCE + 1).collect();
        let fields: Vec<(&str, &str)> = many.iter().map(|id| ("ids", id.as_str())).collect();
        for path in ["/permintaan/setujui-massal", "/permintaan/setujui-massal/konfirmasi"] {
            let refused = nyra.post(path, &fields).await;
            assert_eq!(refused.status_code(), 409, "{path}");
            assert!(unescape(&refused.text()).contains("Pilih paling banyak 200 permintaan sekaligus."), "{path}");
        }
        assert_eq!(requests::Entity::find().filter(requests::Column::Status.eq("approved")).count(&ctx.db).await.unwrap(), 0);
        // The same request chosen twice is one line and one approval.
        let preview = nyra.post("/permintaan/setujui-massal", &[("ids", &ida), ("ids", &ida), ("ids", &idb)]).await.text();
        assert!(preview.contains("Konfirmasi Approve 2 permintaan"), "{preview}");
        let ok = nyra.post("/permintaan/setujui-massal/konfirmasi", &[("ids", &idb), ("ids", &ida), ("ids", &idb)]).await;
        assert_eq!(ok.status_code(), 303);
        assert_eq!(requests::Entity::find().filter(requests::Column::Status.eq("approved")).count(&ctx.db).await.unwrap(), 2);
        let audited = audit_events::Entity::find().filter(audit_events::Column::Action.eq("request.approved")).count(&ctx.db).await.unwrap();
        assert_eq!(audited, 2, "one audit row per request");
        // Another producer's request in the selection: none of it is found.
        let other = seed_request(&ctx, &w, "470/M/3", "submitted", day).await;
        let mut moved: requests::ActiveModel = other.clone().into();
        moved.producer_id = Set(w.other_producer.id);
        moved.update(&ctx.db).await.unwrap();
        let foreign = nyra.post("/permintaan/setujui-massal/konfirmasi", &[("ids", &other.id.to_string())]).await;
        assert_eq!(foreign.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn the_letter_downloads_as_an_attachment_with_a_proper_name() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/permintaan/baru").await;
        let form = request_form(&bank, &w, "470/12 DL/2026", "3").add_part("file", Part::bytes(pdf()).file_name("<script>.pdf"));
        bank.post_multipart("/permintaan", form).await;
        let saved = requests::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        for who in ["bank_abc", "pt_nyra", "admin_pusat"] {
            let mut c = Client::signed_in(&server, who).await;
            let r = c.get(&format!("/permintaan/{}/berkas", saved.id)).await;
            r.assert_status_ok();
            assert_eq!(r.header("content-type"), "application/pdf");
            assert_eq!(r.header("content-disposition"), "attachment; filename=\"Permintaan-470-12-DL-2026.pdf\"");
            assert_eq!(r.header("x-content-type-options"), "nosniff");
            assert_eq!(r.as_bytes().as_ref(), pdf().as_slice());
        }
        let mut other = Client::signed_in(&server, "pt_lain").await;
        assert_eq!(other.get(&format!("/permintaan/{}/berkas", saved.id)).await.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn filing_without_a_csrf_token_saves_nothing() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let form = MultipartForm::new()
            .add_text("number", "470/C/1")
            .add_text("title", "t")
            .add_text("request_date", "2026-11-20")
            .add_text("producer_id", w.producer.id.to_string())
            .add_text("quantity", "5")
            .add_text("machine_type_id", w.machine.id.to_string())
            .add_part("file", Part::bytes(pdf()).file_name("s.pdf"));
        let r = bank.post_multipart("/permintaan", form).await;
        assert_eq!(r.status_code(), 403);
        assert!(r.text().contains("Token keamanan formulir"));
        assert_eq!(count(&ctx).await, 0);
        let r = seed_request(&ctx, &w, "470/C/2", "submitted", NaiveDate::from_ymd_opt(2026, 11, 7).unwrap()).await;
        let nyra = Client::signed_in(&server, "pt_nyra").await;
        let cookie = format!("sifilma_session={}", nyra.session_token().unwrap());
        let resp = server.post(&format!("/permintaan/{}/setujui", r.id)).add_header("cookie", cookie).await;
        assert_eq!(resp.status_code(), 403);
        assert_eq!(requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap().status, "submitted");
    })
    .await;
}
