//! Upload files the tests send: a letter (PDF), a photo (PNG) and the
//! Pengajuan card list (xlsx).
use rust_xlsxwriter::Workbook;

/// A small but real PDF header (content sniffing looks at the first bytes).
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A minimal valid PNG (1×1 pixel).
pub fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
    v.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    v
}

/// The headers of the Pengajuan card-list template.
pub const CARD_LIST_HEADERS: [&str; 4] = ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan"];

/// An xlsx card list: (request number, serial) per row, under `headers`.
pub fn xlsx_with(headers: &[&str], rows: &[(String, String)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Daftar Kartu SAM").unwrap();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (number, serial)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, number).unwrap();
        sheet.write_string(r, 2, serial).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// An xlsx card list under the template's headers.
pub fn xlsx(rows: &[(String, String)]) -> Vec<u8> {
    xlsx_with(&CARD_LIST_HEADERS, rows)
}

/// `n` serials for request `number`, starting at `from`.
pub fn cards_for(number: &str, from: usize, n: usize) -> Vec<(String, String)> {
    (from..from + n).map(|i| (number.to_string(), format!("0SAM{i:08}"))).collect()
}

/// The card list of [`super::scenario::approved_pair`]: 470/A/2026 (3 cards)
/// and 470/B/2026 (2).
pub fn good_rows() -> Vec<(String, String)> {
    let mut rows = cards_for("470/A/2026", 1, 3);
    rows.extend(cards_for("470/B/2026", 4, 2));
    rows
}

/// A card list that passes the size and ratio limits of an upload but whose
/// shared strings hold `n` extra one-letter strings (the workbook of issue
/// 12: millions of them, a few MB zipped). Written with deflate level 1, so
/// a test builds it in a moment.
pub fn tiny_strings_card_list(n: usize) -> Vec<u8> {
    use std::io::{Cursor, Read, Write};
    let good = xlsx(&cards_for("470/A/2026", 1, 1));
    let mut src = zip::ZipArchive::new(Cursor::new(&good)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let fast = zip::write::SimpleFileOptions::default().compression_level(Some(1));
    for i in 0..src.len() {
        let mut entry = src.by_index(i).unwrap();
        let name = entry.name().to_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name == "xl/sharedStrings.xml" {
            let xml = String::from_utf8(content).unwrap();
            let at = xml.find("</sst>").unwrap();
            let mut grown = Vec::with_capacity(xml.len() + n * 17);
            grown.extend_from_slice(&xml.as_bytes()[..at]);
            let mut x: u32 = 0x9E37_79B9;
            for _ in 0..n {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                grown.extend_from_slice(b"<si><t>");
                grown.push(b'a' + (x % 26) as u8);
                grown.extend_from_slice(b"</t></si>");
            }
            grown.extend_from_slice(&xml.as_bytes()[at..]);
            content = grown;
        }
        w.start_file(name.as_str(), fast).unwrap();
        w.write_all(&content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A reader manifest of Bank ABC numbered `number`, to be signed by `key`.
pub fn manifest(key: &sifilma::models::activations::ActivationKey, number: &str) -> sifilma::models::activations::Manifest {
    sifilma::models::activations::Manifest {
        format: sifilma::models::activations::Manifest::FORMAT.into(),
        activation_number: number.into(),
        institution: "Bank ABC".into(),
        reader_type: "Type IdGlobalScan GSX-01".into(),
        reader_serial: "CR-7731-0042".into(),
        sam_serial: "0010900107".into(),
        perso_number: "PN-00001".into(),
        pcid: "PCID-00001".into(),
        region: "Jawa Barat / Kota Bandung".into(),
        valid_from: "2026-11-25".into(),
        valid_until: "2027-11-24".into(),
        issued_at: "2026-11-25T10:00:00+07:00".into(),
        key_id: key.key_id(),
    }
}

/// The headers of the Aktivasi reader-list template.
pub const READER_LIST_HEADERS: [&str; 8] =
    ["No.", "Jenis Card Reader", "S/N CR", "No. Seri Kartu SAM (asal)", "Nomor Perso", "Provinsi", "Kabupaten/Kota", "Keterangan"];

/// One line of a reader list (columns B–H): the scenario's machine type, in
/// Kota Bandung.
pub fn reader_row(sam: &str, perso: &str, reader: &str) -> Vec<String> {
    ["Type IdGlobalScan GSX-01", reader, sam, perso, "Jawa Barat", "Kota Bandung", ""].map(String::from).to_vec()
}

/// An xlsx reader list on sheet `sheet` under `headers`: per row its cells
/// from column B (an empty string leaves the cell empty), numbered in A.
pub fn reader_list_with(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet().set_name(sheet).unwrap();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, cells) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, f64::from(r)).unwrap();
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16 + 1, v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// An xlsx reader list as the template lays it out.
pub fn reader_list(rows: &[Vec<String>]) -> Vec<u8> {
    reader_list_with("Daftar Card Reader", &READER_LIST_HEADERS, rows)
}

/// A zip of `(name, content)` entries, deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::{Cursor, Write};
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A zip bomb dressed as a workbook: a sheet of 20 MiB of zeros that packs
/// into a few tens of KB.
pub fn zip_bomb_xlsx() -> Vec<u8> {
    let zeros = vec![0u8; 20 * 1024 * 1024];
    zip_of(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &zeros)])
}

/// A Word document (its parts only) as if renamed `.xlsx`.
pub fn docx_renamed() -> Vec<u8> {
    zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
}

/// The already stored letter of a Permohonan Aktivasi in model tests.
pub fn activation_letter(number: &str, file_key: &str) -> sifilma::models::activations::lifecycle::Letter {
    sifilma::models::activations::lifecycle::Letter {
        number: number.into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        file_key: file_key.into(),
        file_kind: "pdf".into(),
        file_name: "surat-aktivasi.pdf".into(),
        file_size: 1000,
    }
}

/// A reader line in Kota Bandung for the SAM `serial` of `cards`, with its
/// own Nomor Perso.
pub fn reader_line(
    cards: &[sifilma::models::_entities::cards::Model],
    row: usize,
    serial: &str,
    reader: &str,
) -> sifilma::models::activations::readers::ReaderInput {
    sifilma::models::activations::readers::ReaderInput {
        row,
        reader_type: "Type IdGlobalScan GSX-01".into(),
        reader_serial: reader.into(),
        sam_serial: serial.into(),
        perso_number: cards.iter().find(|c| c.serial == serial).unwrap().perso_number.clone().unwrap(),
        province: "Jawa Barat".into(),
        city: "Kota Bandung".into(),
        note: String::new(),
    }
}

/// The reader lines of an activation request, in their row order.
pub async fn reader_rows(ctx: &loco_rs::app::AppContext, request: i32) -> Vec<sifilma::models::_entities::activation_readers::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use sifilma::models::_entities::activation_readers;
    activation_readers::Entity::find()
        .filter(activation_readers::Column::RequestId.eq(request))
        .order_by_asc(activation_readers::Column::RowNo)
        .all(&ctx.db)
        .await
        .unwrap()
}
