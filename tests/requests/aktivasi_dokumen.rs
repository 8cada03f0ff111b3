//! Issue 15 (Surat Balasan Aktivasi): approving a Permohonan Aktivasi
//! orders its reply letter in the same transaction; the document worker
//! (inline in tests) archives it with its SHA-256; whoever may see the
//! request downloads it and the Excel list of activated readers (everyone
//! else gets 404); the public /verifikasi page confirms it by number and
//! code, by hash or by the file; the applicant and the institution get the
//! "aktivasi siap" mail. A letter that could not be built is ordered again
//! by the admin under the same number.
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use sea_orm::{prelude::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use sha2::{Digest, Sha256};
use sifilma::models::{
    _entities::{activation_readers, audit_events, cards, documents, mail_outbox, officials, organisations},
    activations::{
        lifecycle::{file, Letter},
        readers::ReaderInput,
        readers_xlsx::{READERS_HEADERS, READERS_HEADER_ROW, READERS_SHEET},
    },
};

use crate::support::{
    mails_to,
    scenario::{received_submission, user},
    unescape, with_app, Client,
};

fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    xml
}

/// Bank ABC files for SAMs 0SAM00000001 and 0SAM00000002 of received
/// submission `id` (readers CR-1, CR-2); the request's id.
async fn filed(ctx: &loco_rs::app::AppContext, id: i32, number: &str, sams: &[(&str, &str)]) -> i32 {
    let all = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
    let bank = user(ctx, "bank_abc").await;
    let lines: Vec<ReaderInput> = sams
        .iter()
        .enumerate()
        .map(|(i, (sam, reader))| ReaderInput {
            row: i + 1,
            reader_type: "Type IdGlobalScan GSX-01".into(),
            reader_serial: (*reader).into(),
            sam_serial: (*sam).into(),
            perso_number: all.iter().find(|c| c.serial == *sam).unwrap().perso_number.clone().unwrap(),
            province: "Jawa Barat".into(),
            city: "Kota Bandung".into(),
            note: String::new(),
        })
        .collect();
    let letter = Letter {
        number: number.into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        file_key: "0".repeat(32),
        file_kind: "pdf".into(),
        file_name: "surat-aktivasi.pdf".into(),
        file_size: 1000,
    };
    file(&ctx.db, &bank, bank.organisation_id.unwrap(), &letter, &lines, "127.0.0.1").await.unwrap().expect("filed")
}

async fn reply_of(ctx: &loco_rs::app::AppContext, rid: i32) -> documents::Model {
    documents::Entity::find().filter(documents::Column::ActivationRequestId.eq(rid)).one(&ctx.db).await.unwrap().expect("the reply letter")
}

#[tokio::test]
async fn approval_issues_the_reply_letter_and_the_readers_list_in_scope_verifiable_and_announced() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let rid = filed(&ctx, id, "470/AKT/2026", &[("0SAM00000001", "CR-1"), ("0SAM00000002", "CR-2")]).await;
        let (reply, list) = (format!("/aktivasi/{rid}/surat-balasan"), format!("/aktivasi/{rid}/daftar-card-reader"));
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(bank.get(&reply).await.status_code(), 404, "no letter before approval");
        assert_eq!(bank.get(&list).await.status_code(), 404, "no list before approval");
        assert!(!bank.page(&format!("/aktivasi/{rid}")).await.contains("id=\"dokumen\""));

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        admin.get(&format!("/aktivasi/{rid}")).await;
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 303);
        let year = chrono::Utc::now().with_timezone(&sifilma::locale::wib()).format("%Y").to_string();
        let number = format!("AKT-{year}-00001");
        let doc = reply_of(&ctx, rid).await;
        assert_eq!((doc.kind.as_str(), doc.number.as_str(), doc.submission_id), ("activation_reply", number.as_str(), None));
        assert!(doc.status == "ready", "built by the worker: {doc:?}");

        let page = unescape(&bank.page(&format!("/aktivasi/{rid}")).await);
        assert!(
            page.contains("id=\"dokumen\"")
                && page.contains("Siap diunduh")
                && page.contains(&format!("href=\"{reply}\""))
                && page.contains(&format!("href=\"{list}\""))
                && !page.contains("Buat Ulang Surat Balasan"),
            "{page}"
        );

        // The letter: named after its number, archived with its SHA-256.
        let got = bank.get(&reply).await;
        got.assert_status_ok();
        assert_eq!(got.header("content-disposition"), format!("attachment; filename=\"Surat-Balasan-Aktivasi-{number}.docx\"").as_str());
        let bytes = got.as_bytes().to_vec();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), doc.sha256.clone().unwrap());
        let xml = docx_text(&bytes);
        for needle in [&number, "470/AKT/2026", "20 November 2026", "Organisasi bank_abc", "CR-1", "0SAM00000002", &format!("{number}-0002"), "Ir. Gunawan, MA"]
        {
            assert!(xml.contains(needle), "the letter lacks {needle:?}");
        }
        admin.get(&reply).await.assert_status_ok();

        // Scope: another institution, and a producer that did not file, get nothing.
        for outsider in ["bank_xyz", "pt_nyra"] {
            let mut c = Client::signed_in(&server, outsider).await;
            assert_eq!(c.get(&reply).await.status_code(), 404, "{outsider}: letter");
            assert_eq!(c.get(&list).await.status_code(), 404, "{outsider}: list");
        }
        assert_ne!(Client::new(&server).get(&reply).await.status_code(), 200, "signed out");
        // The submission's download route does not serve an activation document.
        assert_eq!(admin.get(&format!("/bast/dokumen/{}", doc.id)).await.status_code(), 404);

        // The list: revocations show; an institution named like a formula stays text.
        let first = activation_readers::Entity::find()
            .filter(activation_readers::Column::RequestId.eq(rid))
            .filter(activation_readers::Column::RowNo.eq(1))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        bank.get(&format!("/aktivasi/{rid}")).await;
        let r = bank.post(&format!("/aktivasi/reader/{}/cabut", first.id), &[("reason", "=1+1 hilang"), ("date", "2026-11-24")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let institution = user(&ctx, "bank_abc").await.organisation_id.unwrap();
        let formula = "=HYPERLINK(\"http://contoh.example\",\"klik\")";
        let mut org = organisations::Entity::find_by_id(institution).one(&ctx.db).await.unwrap().unwrap().into_active_model();
        org.name = Set(formula.into());
        org.update(&ctx.db).await.unwrap();
        let got = bank.get(&list).await;
        got.assert_status_ok();
        assert_eq!(got.header("content-disposition"), format!("attachment; filename=\"Daftar-Card-Reader-{number}.xlsx\"").as_str());
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(got.as_bytes().to_vec())).unwrap();
        let range = book.worksheet_range(READERS_SHEET).unwrap();
        let text = |r: u32, c: u32| match range.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Empty) | None => String::new(),
            other => panic!("cell ({r}, {c}) is not text: {other:?}"),
        };
        assert_eq!(text(1, 2), formula, "the institution's name is text, not a formula");
        assert_eq!(text(2, 2), number);
        let h = READERS_HEADER_ROW;
        assert_eq!((0..14).map(|c| text(h, c)).collect::<Vec<_>>(), READERS_HEADERS);
        let row = |r: u32| (0..14).map(|c| text(h + r, c)).collect::<Vec<_>>();
        let (one, two) = (row(1), row(2));
        assert_eq!(&one[..4], ["1", "Type IdGlobalScan GSX-01", "CR-1", "0SAM00000001"]);
        assert_eq!(&one[6..9], ["Jawa Barat", "Kota Bandung", &format!("{number}-0001")]);
        assert_eq!(&one[11..], ["Dicabut", "24 November 2026", "=1+1 hilang"]);
        assert_eq!((two[2].as_str(), two[11].as_str(), two[12].as_str()), ("CR-2", "Aktif", ""));
        let pcid = cards::Entity::find_by_id(first.card_id).one(&ctx.db).await.unwrap().unwrap().pcid.unwrap_or_default();
        assert_eq!(one[5], pcid);
        assert!(book.worksheet_formula(READERS_SHEET).unwrap().used_cells().all(|(_, _, f)| f.is_empty()), "no formulas");

        // The public verification: number + code, number + SHA-256, the file.
        let mut anon = Client::new(&server);
        let ok = anon.get(&format!("/verifikasi?nomor={number}&kode={}", doc.verify_code)).await;
        ok.assert_status_ok();
        let shown = unescape(&ok.text());
        assert!(shown.contains("id=\"verified\"") && shown.contains("Surat Balasan Aktivasi") && shown.contains(&number), "{shown}");
        anon.get(&format!("/verifikasi?nomor={number}&kode={}", doc.sha256.clone().unwrap())).await.assert_status_ok();
        assert_eq!(anon.get(&format!("/verifikasi?nomor={number}&kode={}", "0".repeat(64))).await.status_code(), 404);
        anon.get("/verifikasi").await;
        let form =
            anon.multipart().add_text("nomor", number.clone()).add_part("berkas", axum_test::multipart::Part::bytes(bytes.clone()).file_name("balasan.docx"));
        let genuine = anon.post_multipart("/verifikasi", form).await;
        genuine.assert_status_ok();
        assert!(genuine.text().contains("id=\"verified\""));

        // The mail, queued with the letter's Ready: to the institution's users, with both links.
        let mails = mail_outbox::Entity::find().filter(mail_outbox::Column::Subject.contains(&number)).all(&ctx.db).await.unwrap();
        // (The approval's own mail names the reply number too.)
        let to_bank = mails
            .iter()
            .find(|m| m.to_address == "bank_abc@uji.go.id" && m.subject.contains("Surat Balasan Aktivasi"))
            .unwrap_or_else(|| panic!("the institution's user is told: {:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>()));
        assert!(to_bank.text_body.contains(&format!("/aktivasi/{rid}")) && to_bank.text_body.contains(&doc.verify_url("")), "{}", to_bank.text_body);
        assert!(!mails.iter().any(|m| m.to_address.starts_with("pt_nyra@") || m.to_address.starts_with("bank_xyz@")), "nobody else");
        if let Some(sent) = mails_to("bank_abc@") {
            assert!(sent.iter().any(|m| m.contains(&format!("Surat Balasan Aktivasi {number}")) && !m.contains("Content-Disposition: attachment")));
        }
    })
    .await;
}

#[tokio::test]
async fn a_reply_letter_that_failed_is_ordered_again_by_the_admin_under_its_number() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let rid = filed(&ctx, id, "470/AKT/2026", &[("0SAM00000003", "CR-3")]).await;
        // Without an active Dukcapil official there is nobody to sign.
        officials::Entity::update_many().col_expr(officials::Column::Active, Expr::value(false)).exec(&ctx.db).await.unwrap();
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        admin.get(&format!("/aktivasi/{rid}")).await;
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 303, "the approval stands");
        let failed = reply_of(&ctx, rid).await;
        assert!(failed.status == "failed", "{failed:?}");
        let page = unescape(&admin.page(&format!("/aktivasi/{rid}")).await);
        assert!(page.contains("Gagal dibuat") && page.contains("pejabat Dukcapil aktif") && page.contains("Buat Ulang Surat Balasan"), "{page}");
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(bank.get(&format!("/aktivasi/{rid}/surat-balasan")).await.status_code(), 404, "nothing to download");
        let page = bank.page(&format!("/aktivasi/{rid}")).await;
        assert!(page.contains("Gagal dibuat") && !page.contains("Buat Ulang Surat Balasan"), "only the admin orders again");
        assert_eq!(bank.post(&format!("/aktivasi/{rid}/surat-balasan/ulang"), &[]).await.status_code(), 404);
        let verify = Client::new(&server).get(&format!("/verifikasi?nomor={}&kode={}", failed.number, failed.verify_code)).await;
        assert_eq!(verify.status_code(), 404, "a failed letter was never issued");

        officials::Entity::update_many().col_expr(officials::Column::Active, Expr::value(true)).exec(&ctx.db).await.unwrap();
        let r = admin.post(&format!("/aktivasi/{rid}/surat-balasan/ulang"), &[]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let doc = reply_of(&ctx, rid).await;
        assert!(doc.status == "ready" && doc.number == failed.number && doc.id != failed.id, "{doc:?}");
        let ordered = audit_events::Entity::find().filter(audit_events::Column::Action.eq("document.ordered")).all(&ctx.db).await.unwrap();
        assert!(
            ordered.iter().any(|e| e.note.as_deref() == Some(&format!("Surat Balasan Aktivasi {}", doc.number))),
            "the admin's order is audited: {ordered:?}"
        );
        assert_eq!(documents::Entity::find().filter(documents::Column::ActivationRequestId.eq(rid)).all(&ctx.db).await.unwrap().len(), 1);
        bank.get(&format!("/aktivasi/{rid}/surat-balasan")).await.assert_status_ok();
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/surat-balasan/ulang"), &[]).await.status_code(), 409, "a ready letter stays");
    })
    .await;
}
