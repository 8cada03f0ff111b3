//! Issue 15 (Excel import of readers): the reader list of a Permohonan
//! Aktivasi read from the template's workbook under the card list's rules
//! (content not extension, zip bomb, cells and strings bounded, 5,000 rows
//! at most, reading stopped past 200 errors), every problem `Baris N: …`
//! with the Excel row, and then every check of a typed line.
use std::io::Cursor;

use calamine::{Reader, Xlsx};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sifilma::models::{
    _entities::{cards, personalization_requests as requests},
    activations::{
        import::{capped, parse, template, HEADERS, SHEET},
        readers::{check, MAX_READERS},
    },
    imports::workbook::RowError,
};

use crate::support::{
    fixtures::{docx_renamed, pdf, reader_list, reader_list_with, reader_row, tiny_strings_card_list, zip_bomb_xlsx, READER_LIST_HEADERS},
    scenario::received_submission,
    with_app,
};

fn messages<T: std::fmt::Debug>(result: Result<T, Vec<RowError>>) -> Vec<String> {
    result.expect_err("refused").iter().map(ToString::to_string).collect()
}

fn many(n: usize) -> Vec<Vec<String>> {
    (0..n).map(|i| reader_row(&format!("SAM{i:09}"), &format!("PN-{i}"), &format!("CR-{i:06}"))).collect()
}

#[test]
fn the_template_is_an_empty_list_with_text_columns_and_the_machine_types() {
    let t = template(&["Type IdGlobalScan GSX-01".into(), "Type Lain X".into()]).unwrap();
    assert_eq!(messages(parse(&t)), vec![format!("Baris 2: Daftar card reader kosong: isi satu card reader per baris mulai baris 2 lembar \"{SHEET}\".")]);
    let mut book = Xlsx::new(Cursor::new(&t)).unwrap();
    assert_eq!(book.sheet_names(), vec![SHEET.to_string(), "Petunjuk".to_string()]);
    let list = book.worksheet_range(SHEET).unwrap();
    let header: Vec<String> = list.rows().next().unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(header, HEADERS.map(String::from).to_vec());
    let guide = book.worksheet_range("Petunjuk").unwrap().rows().flatten().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    for needle in ["Type IdGlobalScan GSX-01", "Type Lain X", "5.000", "Clear", "BAST", "Teks"] {
        assert!(guide.contains(needle), "Petunjuk lacks {needle:?}");
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(&t)).unwrap();
    let mut styles = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
    assert!(styles.contains(r#"numFmtId="49""#), "text columns");
}

#[test]
fn a_file_that_is_no_reader_workbook_is_refused_before_reading() {
    let pdf_named_xlsx = messages(parse(&pdf()));
    assert_eq!(pdf_named_xlsx.len(), 1);
    assert!(pdf_named_xlsx[0].starts_with("Berkas bukan file Excel .xlsx (tampaknya dokumen PDF)"), "{pdf_named_xlsx:?}");
    assert!(pdf_named_xlsx[0].contains("templat daftar card reader"), "{pdf_named_xlsx:?}");
    assert!(messages(parse(&docx_renamed()))[0].contains("dokumen Word (.docx) yang diganti namanya"));

    let bomb = zip_bomb_xlsx();
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    assert!(messages(parse(&bomb))[0].contains("zip bomb"));

    // Within size and ratio, but more strings than a list of 5,000 readers has.
    let strings = messages(parse(&tiny_strings_card_list(80_000)));
    assert!(strings[0].contains("teks berbeda") && strings[0].contains("daftar card reader (paling banyak 5.000 baris)"), "{strings:?}");

    let mut big = b"PK\x03\x04".to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    assert_eq!(messages(parse(&big)), vec!["Berkas ditolak: ukurannya 6 MB, melebihi batas 5 MB untuk daftar card reader."]);

    let other_sheet = reader_list_with("Sheet1", &READER_LIST_HEADERS, &many(1));
    assert!(messages(parse(&other_sheet))[0].contains("Lembar \"Daftar Card Reader\" tidak ditemukan"));
}

#[test]
fn a_wrong_header_an_empty_list_and_too_many_rows_are_row_messages() {
    let mut headers = READER_LIST_HEADERS;
    headers[2] = "Serial";
    let m = messages(parse(&reader_list_with(SHEET, &headers[..7], &many(1))));
    assert_eq!(
        m,
        vec![
            "Baris 1: Judul kolom C harus \"S/N CR\", bukan 'Serial'. Jangan mengubah judul kolom templat.",
            "Baris 1: Judul kolom H \"Keterangan\" tidak ada. Jangan mengubah judul kolom templat."
        ]
    );
    assert_eq!(
        messages(parse(&reader_list(&[])))[0],
        "Baris 2: Daftar card reader kosong: isi satu card reader per baris mulai baris 2 lembar \"Daftar Card Reader\"."
    );

    let full = parse(&reader_list(&many(MAX_READERS))).expect("5,000 readers read");
    assert_eq!((full.len(), full[0].row, full[MAX_READERS - 1].row), (MAX_READERS, 2, MAX_READERS + 1));
    assert_eq!(
        messages(parse(&reader_list(&many(MAX_READERS + 1)))),
        vec!["Baris 5002: Daftar berisi lebih dari 5.000 card reader; paling banyak 5.000 card reader per permohonan. Bagi daftar ke beberapa permohonan."]
    );
}

#[test]
fn cells_excel_changed_are_named_and_reading_stops_after_200_errors() {
    let bytes = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet().set_name(SHEET).unwrap();
        for (c, h) in (0u16..).zip(READER_LIST_HEADERS) {
            ws.write_string(0, c, h).unwrap();
        }
        let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        for (c, v) in (1u16..).zip(reader_row("0SAM00000001", "PN-1", "CR-1")) {
            ws.write_string(1, c, v).unwrap();
        }
        ws.write_number(1, 2, 12.5).unwrap();
        ws.write_number_with_format(1, 3, 45_000.0, &date).unwrap();
        for r in 2..260u32 {
            ws.write_number(r, 3, 1.5).unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let m = messages(parse(&bytes));
    assert!(m[0].starts_with("Baris 2: S/N CR tersimpan sebagai angka (12.5)"), "{m:?}");
    assert!(m[1].starts_with("Baris 2: No. Seri Kartu SAM terbaca sebagai tanggal/waktu (2023-03-15)"), "{m:?}");
    assert!(m[2].starts_with("Baris 3: No. Seri Kartu SAM tersimpan sebagai angka desimal"), "{m:?}");
    assert_eq!(m.len(), 201);
    assert!(m[200].contains("pemeriksaan dihentikan pada baris 201 setelah 200 kesalahan"), "{}", m[200]);

    let many_rows: Vec<RowError> = (0..250).map(|i| RowError::at(i + 2, "x")).collect();
    let shown = capped(many_rows);
    assert_eq!(shown.len(), 201);
    assert!(shown[200].to_string().starts_with("… dan 50 kesalahan lain."));
}

#[tokio::test]
async fn an_imported_list_is_checked_like_typed_lines_with_its_excel_rows() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all: Vec<cards::Model> = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let perso = |serial: &str| all.iter().find(|c| c.serial == serial).unwrap().perso_number.clone().unwrap();
        let bank = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap().organisation_id;

        // A good list; an empty row in between keeps the Excel numbering.
        let good = reader_list(&[
            reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-1"),
            vec![String::new(); 7],
            reader_row(" 0sam00000002 ", &perso("0SAM00000002"), "cr-2"),
        ]);
        let lines = parse(&good).unwrap();
        assert_eq!(lines.iter().map(|l| l.row).collect::<Vec<_>>(), vec![2, 4]);
        let checked = check(&ctx.db, bank, &lines).await.unwrap().expect("every line passes");
        assert_eq!(
            checked.iter().map(|c| (c.row, c.sam_serial.as_str(), c.reader_serial.as_str())).collect::<Vec<_>>(),
            vec![(2, "0SAM00000001", "CR-1"), (4, "0SAM00000002", "CR-2")]
        );

        // Missing fields, duplicates in the file, and what the portal knows.
        let mut no_perso = reader_row("0SAM00000004", "", "CR-4");
        no_perso[4] = String::new();
        let bad = reader_list(&[
            reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-1"),
            reader_row("0SAM00000001", &perso("0SAM00000001"), "CR-2"),
            reader_row("0SAM00000003", &perso("0SAM00000003"), "CR-1"),
            no_perso,
            reader_row("0SAM99999999", "PN-X", "CR-5"),
            reader_row("0SAM00000005", "PN-SALAH", "CR-6"),
        ]);
        let lines = parse(&bad).unwrap();
        let m = messages(check(&ctx.db, bank, &lines).await.unwrap());
        assert_eq!(
            m,
            vec![
                "Baris 3: Kartu SAM 0SAM00000001 tercantum dua kali (juga di baris 2).",
                "Baris 4: S/N CR CR-1 tercantum dua kali (juga di baris 2).",
                "Baris 5: Nomor Perso wajib diisi.",
                "Baris 5: Wilayah penggunaan (provinsi dan kabupaten/kota) wajib diisi.",
                "Baris 6: Kartu SAM 0SAM99999999 tidak dikenal di SI-FILMA: hanya kartu yang dipersonalisasi di sini dapat diaktivasi.",
                "Baris 7: Nomor Perso PN-SALAH bukan milik kartu SAM 0SAM00000005.",
            ]
        );
    })
    .await;
}
