//! Proses Personalisasi: the queue, perso data Generate / Clear All and the
//! Excel export, for admin and operators only.
use calamine::Reader;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use sifilma::models::_entities::{cards, submissions};

use crate::support::{
    location,
    scenario::{accepted_submission, cards_of},
    with_app, Client,
};

#[tokio::test]
async fn operators_generate_clear_and_export_perso_data() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let mut op = Client::signed_in(&server, "operator_dc").await;
        let list = op.get("/personalisasi").await.text();
        assert!(list.contains("SP/PERSO/2026") && list.contains("PERSO-"));
        assert!(!op.page("/personalisasi?status=done").await.contains("SP/PERSO/2026"));
        op.get(&format!("/personalisasi/{id}")).await.assert_status_ok();

        let r = op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(location(&r), format!("/personalisasi/{id}?ok=perso-dibuat"));
        let generated = cards_of(&ctx, id).await;
        let mut seen = std::collections::BTreeSet::new();
        for c in &generated {
            let (perso, pcid, manifest) = (c.perso_number.clone().unwrap(), c.pcid.clone().unwrap(), c.manifest_number.clone().unwrap());
            assert!(perso.starts_with("PRS-") && perso.len() == "PRS-2026-00000001".len(), "{perso}");
            assert!(pcid.len() == 16 && pcid.chars().all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_lowercase()), "{pcid}");
            assert!(manifest.starts_with("MNF-") && manifest.ends_with(&format!("{:05}", c.row_no - 1)), "{manifest}");
            assert!(seen.insert(perso) && seen.insert(pcid) && seen.insert(manifest), "unique");
        }
        assert_eq!(op.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 409, "nothing left to generate");

        let export = op.get(&format!("/personalisasi/{id}/export")).await;
        export.assert_status_ok();
        assert!(export.header("content-disposition").to_str().unwrap().starts_with("attachment; filename=\"Personalisasi-PERSO-"));
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(export.as_bytes().to_vec())).unwrap();
        let sheet = book.worksheet_range("Kartu").unwrap();
        assert_eq!(sheet.rows().count(), 6, "header + 5 cards");
        assert_eq!(sheet.get_value((0, 3)).unwrap().to_string(), "Nomor Perso");
        assert_eq!(sheet.get_value((1, 2)).unwrap().to_string(), "0SAM00000001", "serial kept as text");

        assert_eq!(op.post(&format!("/personalisasi/{id}/clear"), &[]).await.status_code(), 303);
        assert!(cards_of(&ctx, id).await.iter().all(|c| c.perso_number.is_none() && c.pcid.is_none() && c.manifest_number.is_none()));
        assert_eq!(op.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 303);

        let mut personalized: cards::ActiveModel = cards_of(&ctx, id).await[0].clone().into();
        personalized.status = Set(sifilma::models::cards::Status::Clear);
        personalized.update(&ctx.db).await.unwrap();
        let refused = op.post(&format!("/personalisasi/{id}/clear"), &[]).await;
        assert_eq!(refused.status_code(), 409);
        assert!(refused.text().contains("sudah dipersonalisasi"));
        assert!(cards_of(&ctx, id).await.iter().all(|c| c.perso_number.is_some()), "nothing cleared");
    })
    .await;
}

#[tokio::test]
async fn perso_pages_are_for_staff_and_accepted_submissions_only() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        for who in ["pt_nyra", "bank_abc"] {
            let mut c = Client::signed_in(&server, who).await;
            // They follow it read-only (list and View, see `mengikuti`), never work on it.
            assert_eq!(c.get("/personalisasi").await.status_code(), 200, "{who}");
            assert_eq!(c.get(&format!("/personalisasi/{id}")).await.status_code(), 403, "{who}");
            assert_eq!(c.get(&format!("/personalisasi/{id}/export")).await.status_code(), 403, "{who}");
            assert_eq!(c.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 403, "{who}");
        }
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert_eq!(admin.get("/personalisasi/9999").await.status_code(), 404);
        let cookie = format!("sifilma_session={}", admin.session_token().unwrap());
        assert_eq!(server.post(&format!("/personalisasi/{id}/generate")).add_header("cookie", cookie).await.status_code(), 403, "no CSRF token");
        assert!(cards_of(&ctx, id).await.iter().all(|c| c.perso_number.is_none()));

        let mut fresh: submissions::ActiveModel = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().into();
        fresh.status = Set(sifilma::models::submissions::Status::New);
        fresh.update(&ctx.db).await.unwrap();
        assert_eq!(admin.get(&format!("/personalisasi/{id}")).await.status_code(), 404, "not in the registry's queue");
        admin.get("/personalisasi").await;
        assert_eq!(admin.post(&format!("/personalisasi/{id}/generate"), &[]).await.status_code(), 409);
    })
    .await;
}

/// An import file: the "Kartu" sheet with (serial, perso, pcid, manifest) rows.
fn import_file(headers: &[&str], rows: &[(String, String, String, String)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Kartu").unwrap();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (serial, perso, pcid, manifest)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [(i + 1).to_string(), String::new(), serial.clone(), perso.clone(), pcid.clone(), manifest.clone()].iter().enumerate() {
            sheet.write_string(r, c as u16, v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

const HEADERS: [&str; 6] = ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Nomor Perso", "No. PCID", "No. Manifest Kartu SAM"];

fn rows_for(n: usize) -> Vec<(String, String, String, String)> {
    (1..=n).map(|i| (format!("0SAM{i:08}"), format!("PRS-2026-{:08}", 900 + i), format!("ABCDEF00000000{i:02}"), format!("MNF-2026-00001-{i:05}"))).collect()
}

#[tokio::test]
async fn perso_data_imports_from_excel_all_or_nothing() {
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.get(&format!("/personalisasi/{id}")).await;
        let send =
            |bytes: Vec<u8>| axum_test::multipart::MultipartForm::new().add_part("perso", axum_test::multipart::Part::bytes(bytes).file_name("perso.xlsx"));
        let with_token = |c: &Client, bytes: Vec<u8>| send(bytes).add_text("_csrf", c.csrf.clone().unwrap());

        let mut duplicate = rows_for(5);
        duplicate[4].1 = duplicate[0].1.clone();
        let mut foreign = rows_for(5);
        foreign[2].0 = "0SAM99999999".into();
        let mut bad_pcid = rows_for(5);
        bad_pcid[1].2 = "XYZ".into();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                import_file(&["No.", "No. Permintaan", "Serial", "Nomor Perso", "No. PCID", "No. Manifest Kartu SAM"], &rows_for(5)),
                "Baris 1: kolom 3 harus berjudul \"No. Seri Kartu SAM\"",
            ),
            (import_file(&HEADERS, &duplicate), "Baris 6: 'PRS-2026-00000901' sudah ada pada baris 2."),
            (import_file(&HEADERS, &foreign), "Baris 4: No. Seri '0SAM99999999' bukan kartu pengajuan SP/PERSO/2026."),
            (import_file(&HEADERS, &bad_pcid), "Baris 3: No. PCID 'XYZ' harus 16 karakter heksadesimal"),
            (import_file(&HEADERS, &rows_for(4)), "1 kartu pengajuan tidak ada di berkas (mis. 0SAM00000005)."),
            (b"%PDF-1.4 bukan excel".to_vec(), "bukan file Excel"),
        ];
        for (bytes, message) in cases {
            let r = op.post_multipart(&format!("/personalisasi/{id}/import"), with_token(&op, bytes)).await;
            assert_eq!(r.status_code(), 422, "{message}");
            let html = crate::support::unescape(&r.text());
            assert!(
                html.contains("id=\"err-perso\"") && html.contains(message),
                "{message}: {}",
                html.split("err-perso").nth(1).unwrap_or_default().chars().take(300).collect::<String>()
            );
        }
        assert!(cards_of(&ctx, id).await.iter().all(|c| c.perso_number.is_none()), "nothing saved");

        let r = op.post_multipart(&format!("/personalisasi/{id}/import"), with_token(&op, import_file(&HEADERS, &rows_for(5)))).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let imported = cards_of(&ctx, id).await;
        let first = imported.iter().find(|c| c.serial == "0SAM00000001").unwrap();
        assert_eq!(
            (first.perso_number.as_deref(), first.pcid.as_deref(), first.manifest_number.as_deref()),
            (Some("PRS-2026-00000901"), Some("ABCDEF0000000001"), Some("MNF-2026-00001-00001"))
        );

        // The export round-trips through the import.
        let exported = op.get(&format!("/personalisasi/{id}/export")).await.as_bytes().to_vec();
        assert_eq!(op.post(&format!("/personalisasi/{id}/clear"), &[]).await.status_code(), 303);
        op.get(&format!("/personalisasi/{id}")).await;
        let r = op.post_multipart(&format!("/personalisasi/{id}/import"), with_token(&op, exported)).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(cards_of(&ctx, id).await.iter().find(|c| c.serial == "0SAM00000001").unwrap().perso_number.as_deref(), Some("PRS-2026-00000901"));

        let mut personalized: cards::ActiveModel = first.clone().into();
        personalized.status = Set(sifilma::models::cards::Status::Clear);
        personalized.update(&ctx.db).await.unwrap();
        let r = op.post_multipart(&format!("/personalisasi/{id}/import"), with_token(&op, import_file(&HEADERS, &rows_for(5)))).await;
        assert_eq!(r.status_code(), 409);
        let r = op.post_multipart(&format!("/personalisasi/{id}/import"), send(import_file(&HEADERS, &rows_for(5)))).await;
        assert_eq!(r.status_code(), 403, "no CSRF token");
    })
    .await;
}
