//! Issue 15 (Excel import of readers, edit while new), through the real
//! forms: the reader-list template downloads and reads back; a filing
//! takes its readers from an uploaded list (typed lines or the list, not
//! both; a refused list stores nothing, not even the letter); the
//! applicant changes a new request, others get 404, a decided one 409.
use std::io::Cursor;

use axum_test::multipart::{MultipartForm, Part};
use calamine::{Reader, Xlsx};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::{
    models::_entities::{activation_requests, cards},
    settings::Settings,
};

use crate::support::{
    fixtures::{pdf, reader_list, reader_list_with, reader_row, READER_LIST_HEADERS},
    scenario::{received_submission, user},
    unescape, with_app, Client,
};

/// A letter no other test sends (to find its stored copy, if any).
fn unique_letter() -> Vec<u8> {
    let mut bytes = pdf();
    bytes.extend_from_slice(format!("% {}\n", uuid::Uuid::new_v4()).as_bytes());
    bytes
}

/// Whether `letter` was stored under the Aktivasi letters.
fn stored(ctx: &loco_rs::app::AppContext, letter: &[u8]) -> bool {
    let dir = std::path::Path::new(&Settings::get(ctx).upload_dir).join("activations");
    std::fs::read_dir(dir).map(|d| d.flatten().any(|e| std::fs::read(e.path()).is_ok_and(|b| b == letter))).unwrap_or(false)
}

fn filing(c: &Client, institution: &str, number: &str, letter: Vec<u8>) -> MultipartForm {
    c.multipart()
        .add_text("institution_id", institution.to_string())
        .add_text("letter_number", number.to_string())
        .add_text("letter_date", "2026-11-20")
        .add_part("file", Part::bytes(letter).file_name("surat-aktivasi.pdf"))
}

fn with_list(form: MultipartForm, list: Vec<u8>) -> MultipartForm {
    form.add_part("readers_file", Part::bytes(list).file_name("daftar-card-reader.xlsx"))
}

async fn readers_of(ctx: &loco_rs::app::AppContext, id: i32) -> Vec<(i32, String, String)> {
    crate::support::fixtures::reader_rows(ctx, id).await.into_iter().map(|r| (r.row_no, r.sam_serial, r.status)).collect()
}

#[tokio::test]
async fn the_template_downloads_and_a_filing_takes_its_readers_from_the_uploaded_list() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let perso = |s: &str| all.iter().find(|c| c.serial == s).unwrap().perso_number.clone().unwrap();
        let institution = user(&ctx, "bank_abc").await.organisation_id.unwrap().to_string();
        let mut bank = Client::signed_in(&server, "bank_abc").await;

        // The template, read back.
        let form = bank.page("/aktivasi/baru").await;
        assert!(form.contains("name=\"readers_file\"") && form.contains("href=\"/aktivasi/template\""), "{form}");
        let t = bank.get("/aktivasi/template").await;
        assert_eq!(t.status_code(), 200);
        assert!(t.header("content-disposition").to_str().unwrap().contains("Template-Daftar-Card-Reader.xlsx"));
        let mut book = Xlsx::new(Cursor::new(t.as_bytes().to_vec())).unwrap();
        assert_eq!(book.sheet_names(), vec!["Daftar Card Reader".to_string(), "Petunjuk".to_string()]);
        let header: Vec<String> = book.worksheet_range("Daftar Card Reader").unwrap().rows().next().unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(header, READER_LIST_HEADERS.map(String::from).to_vec());
        let guide = book.worksheet_range("Petunjuk").unwrap().rows().flatten().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        assert!(guide.contains("Type IdGlobalScan GSX-01"), "{guide}");
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert_eq!(admin.get("/aktivasi/template").await.status_code(), 404, "the admin files nothing");

        // A bad list: every row's message, nothing saved, no letter kept.
        let letter = unique_letter();
        let bad = reader_list(&[
            reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-1"),
            reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-2"),
            reader_row("0SAM99999999", "PN-X", "CR-3"),
        ]);
        let r = bank.post_multipart("/aktivasi", with_list(filing(&bank, &institution, "470/AKT/X", letter.clone()), bad)).await;
        assert_eq!(r.status_code(), 422);
        let text = unescape(&r.text());
        assert!(
            text.contains("Baris 3: Kartu SAM 0SAM00000001 tercantum dua kali (juga di baris 2).")
                && text.contains("Baris 4: Kartu SAM 0SAM99999999 tidak dikenal di SI-FILMA"),
            "{text}"
        );
        assert_eq!(activation_requests::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert!(!stored(&ctx, &letter), "a refused list leaves no letter behind");

        // A wrong header, a file that is no workbook.
        let mut headers = READER_LIST_HEADERS;
        headers[3] = "No. Seri";
        let wrong = reader_list_with("Daftar Card Reader", &headers, &[reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-1")]);
        let r = bank.post_multipart("/aktivasi", with_list(filing(&bank, &institution, "470/AKT/X", unique_letter()), wrong)).await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("Baris 1: Judul kolom D harus \"No. Seri Kartu SAM (asal)\", bukan 'No. Seri'."), "{}", r.text());
        let r = bank.post_multipart("/aktivasi", with_list(filing(&bank, &institution, "470/AKT/X", unique_letter()), pdf())).await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("Berkas bukan file Excel .xlsx (tampaknya dokumen PDF)"));

        // Typed lines and a list: refused with a clear message.
        let good = reader_list(&[reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-1"), reader_row("0SAM00000002", &perso("0SAM00000002"), "CR-2")]);
        let both = with_list(filing(&bank, &institution, "470/AKT/X", unique_letter()), good.clone())
            .add_text("reader_serial_1", "CR-9")
            .add_text("sam_serial_1", "0SAM00000003");
        let r = bank.post_multipart("/aktivasi", both).await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("tidak keduanya"), "{}", r.text());
        assert_eq!(activation_requests::Entity::find().count(&ctx.db).await.unwrap(), 0);

        // The good list is filed, its readers numbered by their Excel rows.
        let letter = unique_letter();
        let r = bank.post_multipart("/aktivasi", with_list(filing(&bank, &institution, "470/AKT/2026", letter.clone()), good)).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let rid = activation_requests::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;
        assert_eq!(readers_of(&ctx, rid).await, vec![(2, "0SAM00000001".into(), "pending".into()), (3, "0SAM00000002".into(), "pending".into())]);
        assert!(stored(&ctx, &letter));
    })
    .await;
}

#[tokio::test]
async fn the_applicant_changes_a_new_request_others_get_404_and_a_decided_one_409() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let perso = |s: &str| all.iter().find(|c| c.serial == s).unwrap().perso_number.clone().unwrap();
        let institution = user(&ctx, "bank_abc").await.organisation_id.unwrap().to_string();
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        bank.get("/aktivasi/baru").await;
        let typed = |c: &Client, form: MultipartForm, rows: &[(&str, &str)]| {
            let _ = c;
            let mut form = form;
            for (i, (sam, reader)) in rows.iter().enumerate() {
                let n = i + 1;
                form = form
                    .add_text(format!("reader_type_{n}"), "Type IdGlobalScan GSX-01")
                    .add_text(format!("reader_serial_{n}"), (*reader).to_string())
                    .add_text(format!("sam_serial_{n}"), (*sam).to_string())
                    .add_text(format!("perso_number_{n}"), perso(sam))
                    .add_text(format!("province_{n}"), "Jawa Barat")
                    .add_text(format!("city_{n}"), "Kota Bandung");
            }
            form
        };
        let r = bank.post_multipart("/aktivasi", typed(&bank, filing(&bank, &institution, "470/AKT/2026", pdf()), &[("0SAM00000001", "CR-1")])).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let rid = activation_requests::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;

        // The request page offers Ubah to the applicant; the form is prefilled.
        let page = bank.page(&format!("/aktivasi/{rid}")).await;
        assert!(page.contains(&format!("href=\"/aktivasi/{rid}/ubah\"")), "{page}");
        let form = bank.page(&format!("/aktivasi/{rid}/ubah")).await;
        assert!(
            form.contains(&format!("action=\"/aktivasi/{rid}/ubah\""))
                && form.contains("value=\"470/AKT/2026\"")
                && form.contains("value=\"2026-11-20\"")
                && form.contains("name=\"sam_serial_1\" value=\"0SAM00000001\""),
            "{form}"
        );
        let changed = |c: &Client, number: &str| c.multipart().add_text("letter_number", number.to_string()).add_text("letter_date", "2026-11-22");

        // Others: 404 on the form and the change.
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(xyz.get(&format!("/aktivasi/{rid}/ubah")).await.status_code(), 404);
        let r = xyz.post_multipart(&format!("/aktivasi/{rid}/ubah"), typed(&xyz, changed(&xyz, "X"), &[("0SAM00000002", "CR-2")])).await;
        assert_eq!(r.status_code(), 404);
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert!(!admin.page(&format!("/aktivasi/{rid}")).await.contains("/ubah\""), "no Ubah for the admin");

        // Invalid lines: 422 with the rows, the old lines intact.
        let r = bank
            .post_multipart(
                &format!("/aktivasi/{rid}/ubah"),
                typed(&bank, changed(&bank, "470/AKT/2026-REV"), &[("0SAM00000002", "CR-2"), ("0SAM00000002", "CR-3")]),
            )
            .await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("Baris 2: Kartu SAM 0SAM00000002 tercantum dua kali (juga di baris 1)."), "{}", r.text());
        assert_eq!(readers_of(&ctx, rid).await, vec![(1, "0SAM00000001".into(), "pending".into())]);
        assert_eq!(activation_requests::Entity::find_by_id(rid).one(&ctx.db).await.unwrap().unwrap().letter_number, "470/AKT/2026");

        // Typed: the lines are replaced (its own SAM stays allowed).
        let r = bank
            .post_multipart(
                &format!("/aktivasi/{rid}/ubah"),
                typed(&bank, changed(&bank, "470/AKT/2026-REV"), &[("0SAM00000001", "CR-1"), ("0SAM00000002", "CR-2")]),
            )
            .await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(crate::support::location(&r), format!("/aktivasi/{rid}?ok=aktivasi-diubah"));
        assert_eq!(readers_of(&ctx, rid).await.len(), 2);
        let page = unescape(&bank.page(&format!("/aktivasi/{rid}?ok=aktivasi-diubah")).await);
        assert!(page.contains("470/AKT/2026-REV") && page.contains("Perubahan permohonan aktivasi tersimpan"), "{page}");

        // A new Excel list replaces them all.
        let list = reader_list(&[
            reader_row("0SAM00000003", &perso("0SAM00000003"), "CR-3"),
            reader_row("0SAM00000004", &perso("0SAM00000004"), "CR-4"),
            reader_row("0SAM00000005", &perso("0SAM00000005"), "CR-5"),
        ]);
        bank.get(&format!("/aktivasi/{rid}/ubah")).await;
        let r = bank.post_multipart(&format!("/aktivasi/{rid}/ubah"), with_list(changed(&bank, "470/AKT/2026-REV"), list)).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(readers_of(&ctx, rid).await.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), vec!["0SAM00000003", "0SAM00000004", "0SAM00000005"]);

        // Decided: 409 on the form and the change, nothing changed.
        admin.get(&format!("/aktivasi/{rid}")).await;
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 303);
        assert!(!bank.page(&format!("/aktivasi/{rid}")).await.contains("/ubah\""), "no Ubah once decided");
        let r = bank.get(&format!("/aktivasi/{rid}/ubah")).await;
        assert_eq!(r.status_code(), 409);
        assert!(unescape(&r.text()).contains("Permohonan 470/AKT/2026-REV sudah disetujui; tidak dapat diubah."), "{}", r.text());
        let r = bank.post_multipart(&format!("/aktivasi/{rid}/ubah"), typed(&bank, changed(&bank, "470/AKT/LATE"), &[("0SAM00000001", "CR-1")])).await;
        assert_eq!(r.status_code(), 409);
        assert!(readers_of(&ctx, rid).await.iter().all(|r| r.2 == "active"));
        assert_eq!(activation_requests::Entity::find_by_id(rid).one(&ctx.db).await.unwrap().unwrap().letter_number, "470/AKT/2026-REV");
    })
    .await;
}
