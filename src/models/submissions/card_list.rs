//! The card list of a Pengajuan SAM Rekam Cetak: an Excel workbook in which a
//! producer lists, one row per card, the blank SAM cards to personalise.
//!
//! The list lives on the sheet [`SHEET`] whose first row holds exactly the
//! headers [`HEADERS`]:
//!
//! | column | header               | content                                            |
//! |--------|----------------------|----------------------------------------------------|
//! | A      | `No.`                | running number, free, never checked                |
//! | B      | `No. Permintaan`     | the letter number of the request the card is for   |
//! | C      | `No. Seri Kartu SAM` | the card's serial, see [`normalize_serial`]       |
//! | D      | `Keterangan`         | optional note, at most [`NOTE_MAX`] characters     |
//!
//! [`template`] writes an empty list to hand out, [`precheck`] refuses an
//! upload that is not a plausible `.xlsx` before any spreadsheet code opens
//! it, and [`parse`] reads and checks the list, collecting every error so the
//! producer can fix them all in one go. Whether the request numbers belong to
//! the submission, and whether each request gets exactly its Qty of cards, is
//! for the caller to check: this module knows nothing about the database.
//!
//! All user-facing messages are in Bahasa Indonesia.
use std::collections::HashMap;

use crate::models::imports::workbook::{self, number_text, shown, thousands, Errors, Limits, Sheet, Value};

pub use crate::models::imports::workbook::{RowError, MAX_ERRORS, MAX_RATIO, MAX_ZIP_ENTRIES, RATIO_GRACE};

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, FormatBorder, Workbook};

/// The name of the sheet holding the card list.
pub const SHEET: &str = "Daftar Kartu SAM";

/// The header row of [`SHEET`], columns A to D.
pub const HEADERS: [&str; 4] = ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan"];

/// At most this many card rows (non-empty rows below the header) per file.
pub const MAX_ROWS: usize = 50_000;

/// At most this many bytes, summed over the sizes the archive declares for its
/// entries once unzipped: 100 MiB. A full list of [`MAX_ROWS`] rows with all
/// four columns filled is about 1.3 MB zipped and 11 MB (as `rust_xlsxwriter`
/// writes it) to 19 MB (as `LibreOffice` saves it) unzipped, so this leaves
/// room for long notes and whatever Excel adds, while bounding the memory and
/// time of reading it.
pub const MAX_UNCOMPRESSED: u64 = 100 * 1024 * 1024;

/// At most this many shared strings in the workbook, and at most this many
/// cells, and rows, in any one worksheet, counted by [`precheck`] before the
/// reader sees them (see [`Limits::cells_for`]). A list uses 4 columns and
/// the perso-data export 8.
pub const MAX_CELLS: u64 = Limits::cells_for(MAX_ROWS);

/// At most this many bytes per file: the whole upload's limit (16 MiB); a
/// full list is about 1.3 MB.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// The bounds [`precheck`] holds a card list (or a perso-data import) to.
pub const LIMITS: Limits = Limits { list: "daftar kartu", max_rows: MAX_ROWS, max_bytes: MAX_BYTES, max_uncompressed: MAX_UNCOMPRESSED, max_cells: MAX_CELLS };

/// Shortest serial, in characters, after trimming.
pub const SERIAL_MIN: usize = 8;
/// Longest serial, in characters, after trimming.
pub const SERIAL_MAX: usize = 20;
/// Longest No. Permintaan (as for a personalisation request).
pub const REQUEST_NUMBER_MAX: usize = 100;
/// Longest Keterangan (the `cards.note` column).
pub const NOTE_MAX: usize = 500;

/// The instructions sheet of the template.
const GUIDE_SHEET: &str = "Petunjuk";

/// One blank card of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    /// The Excel row number (the header row is 1, so the first card is 2).
    pub row: usize,
    /// No. Permintaan, trimmed.
    pub request_number: String,
    /// No. Seri Kartu SAM, trimmed and upper-case (see [`normalize_serial`]).
    pub serial: String,
    /// Keterangan, trimmed; empty when not filled.
    pub note: String,
}

// ---------------------------------------------------------------------------
// Template
// ---------------------------------------------------------------------------

/// The lines of the "Petunjuk" sheet of the template.
const GUIDE: [&str; 13] = [
    "1. Isi lembar \"Daftar Kartu SAM\" mulai baris 2: satu baris untuk satu kartu SAM blanko. Baris kosong dilewati.",
    "2. No.: nomor urut, boleh dikosongkan (tidak diperiksa).",
    "3. No. Permintaan: wajib. Harus sama persis dengan No. Permintaan salah satu permintaan yang Anda pilih pada pengajuan ini.",
    "4. Jumlah baris untuk setiap No. Permintaan harus sama dengan Qty permintaan tersebut.",
    "5. No. Seri Kartu SAM: wajib, 8 sampai 20 karakter, hanya huruf A–Z dan angka 0–9 (tanpa spasi, titik atau tanda hubung). Spasi di awal dan akhir dibuang; huruf kecil diterima dan disimpan sebagai huruf besar.",
    "6. Nol di depan adalah bagian dari nomor seri (00012345678 berbeda dengan 12345678). Karena itu kolom No. Permintaan, No. Seri Kartu SAM dan Keterangan sudah diformat sebagai Teks: jangan mengubah formatnya.",
    "7. Jika nomor seri tersimpan sebagai angka, nol di depannya hilang; angka desimal dan angka lebih dari 15 digit (yang digit terakhirnya sudah diubah Excel) ditolak.",
    "8. Setiap No. Seri Kartu SAM hanya boleh muncul satu kali.",
    "9. Keterangan: boleh dikosongkan, paling banyak 500 karakter.",
    "10. Paling banyak 50.000 baris kartu dalam satu berkas.",
    "11. Jangan mengubah, menambah atau memindahkan judul kolom di baris 1, dan jangan mengganti nama lembar \"Daftar Kartu SAM\".",
    "12. Saat menyalin data dari berkas lain, gunakan Tempel Khusus > Nilai (Paste Special > Values) agar format Teks tidak tertimpa.",
    "13. Simpan sebagai Excel Workbook (.xlsx), lalu unggah pada formulir pengajuan.",
];

/// An empty card list to hand out: the sheet [`SHEET`] with the bold,
/// frozen header row [`HEADERS`], columns B to D formatted as text (so typed
/// serials keep their leading zeros), a text-length rule (8–20) with an
/// Indonesian input and error message on the serials of the first
/// [`MAX_ROWS`] rows, and a sheet "Petunjuk" explaining how to fill it in.
///
/// # Panics
/// Never in practice: the workbook is built from constants only.
#[must_use]
pub fn template() -> Vec<u8> {
    build_template().expect("the card list template is built from constants")
}

/// The sheet [`SHEET`] of a card list: the bold, frozen header row
/// [`HEADERS`] and columns B to D formatted as text.
fn list_sheet(book: &mut Workbook) -> Result<&mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError> {
    let header =
        Format::new().set_bold().set_num_format_index(49).set_background_color(0x00D9_E1F2).set_border(FormatBorder::Thin).set_align(FormatAlign::Center);
    // Built-in format 49 is "@", Text: what Excel itself writes for it.
    let text = Format::new().set_num_format_index(49);
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET)?;
    for (col, (title, width)) in (0u16..).zip(HEADERS.iter().zip([6.0, 30.0, 26.0, 45.0])) {
        sheet.set_column_width(col, width)?;
        if col > 0 {
            // A column format covers every row, not just the first MAX_ROWS:
            // what Excel and LibreOffice type into these cells stays text.
            sheet.set_column_format(col, &text)?;
        }
        sheet.write_string_with_format(0, col, *title, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

fn build_template() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = list_sheet(&mut book)?;
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    let last_row = u32::try_from(MAX_ROWS).unwrap_or(u32::MAX);
    let serials = DataValidation::new()
        .allow_text_length(DataValidationRule::Between(8, 20))
        .ignore_blank(true)
        .set_input_title("No. Seri Kartu SAM")?
        .set_input_message("8–20 karakter, hanya huruf A–Z dan angka 0–9. Ketik sebagai teks: nol di depan tetap dipertahankan.")?
        .set_error_title("No. Seri tidak valid")?
        .set_error_message("No. Seri Kartu SAM harus 8 sampai 20 karakter, hanya huruf A–Z dan angka 0–9.")?
        .set_error_style(DataValidationErrorStyle::Stop);
    sheet.add_data_validation(1, 2, last_row, 2, &serials)?;
    sheet.set_active(true);

    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let guide = book.add_worksheet();
    guide.set_name(GUIDE_SHEET)?;
    guide.set_column_width(0, 80)?;
    guide.set_print_fit_to_pages(1, 0);
    guide.write_string_with_format(0, 0, "Petunjuk Pengisian Daftar Kartu SAM", &title)?;
    for (row, line) in (2u32..).zip(GUIDE) {
        guide.write_string_with_format(row, 0, line, &wrap)?;
        // Not every reader grows a wrapped row by itself: about 75
        // characters fit on a line of this column.
        let lines = u32::try_from(line.chars().count().div_ceil(75)).unwrap_or(1).max(1);
        guide.set_row_height(row, 15 * lines + 2)?;
    }

    book.save_to_buffer()
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Refuses anything that is not a plausible `.xlsx` card list before any
/// spreadsheet code opens it: [`workbook::guard`] with [`LIMITS`].
///
/// # Errors
/// One file-level [`RowError`] (`row: None`) saying what is wrong.
pub fn precheck(bytes: &[u8]) -> Result<(), RowError> {
    workbook::guard(bytes, &LIMITS)
}

/// The serial rule. After trimming, a serial is 8 to 20 characters
/// ([`SERIAL_MIN`]–[`SERIAL_MAX`]), only letters A–Z and digits 0–9; lower-case
/// letters are accepted and stored upper-case. Leading zeros are significant
/// (`00012345678` and `12345678` are different cards), so the cells must be text:
/// the template formats the column as text. A numeric cell (Excel turned the
/// serial into a number) is accepted only when it is a whole number below
/// 10^15, as its digits without decimals: its leading zeros are already lost,
/// and a longer number has already had its last digits rounded away by Excel
/// (15 significant digits), so it is refused rather than stored wrong.
///
/// # Errors
/// The message (without the row) saying what is wrong.
pub fn normalize_serial(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("No. Seri Kartu SAM wajib diisi.".to_owned());
    }
    if let Some(bad) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        let what = if bad.is_whitespace() { "spasi".to_owned() } else { format!("'{bad}'") };
        return Err(format!("No. Seri Kartu SAM {} hanya boleh berisi huruf A–Z dan angka 0–9 (ditemukan {what}).", shown(s)));
    }
    let len = s.chars().count();
    if !(SERIAL_MIN..=SERIAL_MAX).contains(&len) {
        return Err(format!("No. Seri Kartu SAM {} harus {SERIAL_MIN} sampai {SERIAL_MAX} karakter (sekarang {len}).", shown(s)));
    }
    Ok(s.to_ascii_uppercase())
}

pub(crate) fn serial_of(v: &Value) -> Result<String, String> {
    match v {
        Value::Text(s) => normalize_serial(s),
        Value::Number(f) if f.fract() != 0.0 => {
            Err(format!("No. Seri Kartu SAM tersimpan sebagai angka desimal ({}). Isi sebagai teks: hanya huruf A–Z dan angka 0–9.", number_text(*f)))
        }
        Value::Number(f) if f.abs() >= 1e15 => {
            Err("No. Seri Kartu SAM tersimpan sebagai angka lebih dari 15 digit, sehingga digit terakhirnya sudah diubah Excel. \
             Format kolom sebagai Teks lalu ketik ulang nomor serinya."
                .to_owned())
        }
        Value::Number(f) => normalize_serial(&number_text(*f))
            .map_err(|m| format!("{m} Nomor seri ini tersimpan sebagai angka (nol di depan hilang): format kolom sebagai Teks lalu ketik ulang.")),
        Value::Date(s) => Err(format!("No. Seri Kartu SAM terbaca sebagai tanggal/waktu ({s}). Format kolom sebagai Teks lalu ketik ulang.")),
        Value::Bool(_) => Err("No. Seri Kartu SAM harus berupa teks, bukan nilai TRUE/FALSE.".to_owned()),
        Value::Error(e) => Err(format!("No. Seri Kartu SAM berisi galat rumus ({e}).")),
    }
}

fn request_number_of(v: &Value) -> Result<String, String> {
    let s = match v {
        Value::Text(s) => s.trim().to_owned(),
        Value::Number(f) => number_text(*f),
        Value::Date(s) => return Err(format!("No. Permintaan terbaca sebagai tanggal/waktu ({s}). Format kolom sebagai Teks lalu ketik ulang.")),
        Value::Bool(_) => return Err("No. Permintaan harus berupa teks, bukan nilai TRUE/FALSE.".to_owned()),
        Value::Error(e) => return Err(format!("No. Permintaan berisi galat rumus ({e}).")),
    };
    let len = s.chars().count();
    if len > REQUEST_NUMBER_MAX {
        return Err(format!("No. Permintaan paling banyak {REQUEST_NUMBER_MAX} karakter (sekarang {len})."));
    }
    Ok(s)
}

fn note_of(v: &Value) -> Result<String, String> {
    if let Value::Error(e) = v {
        return Err(format!("Keterangan berisi galat rumus ({e})."));
    }
    let s = v.display();
    let len = s.chars().count();
    if len > NOTE_MAX {
        return Err(format!("Keterangan paling banyak {NOTE_MAX} karakter (sekarang {len})."));
    }
    Ok(s)
}

/// Reads and checks a card list: [`workbook::read`] with [`SHEET`],
/// [`HEADERS`] and [`LIMITS`] (the guard, the header, the row and error
/// limits, rows in order), then every row below the header: No. Permintaan
/// and No. Seri Kartu SAM are required ("Baris N: No. Seri Kartu SAM wajib
/// diisi."); the serial must follow [`normalize_serial`]; a serial may
/// appear only once ("Baris N: No. Seri 'X' sudah ada pada baris M."). More
/// than [`MAX_ROWS`] card rows is a single error.
///
/// A list with only the header row is `Ok` and empty: whether an empty list
/// is acceptable is the caller's business.
///
/// This reads and checks a whole workbook: seconds for a full list of
/// [`MAX_ROWS`] rows in a debug build. From async code call it on a blocking
/// thread, with the number of concurrent imports bounded (see
/// [`crate::models::imports`]).
///
/// # Errors
/// Every problem found, in row order: at most [`MAX_ERRORS`] of them, then a
/// final line saying that checking stopped there when there were more.
pub fn parse(bytes: &[u8]) -> Result<Vec<CardRow>, Vec<RowError>> {
    let too_many = |_row: usize| {
        RowError::file(format!(
            "Daftar berisi lebih dari {max} baris kartu. Bagi kartu ke beberapa pengajuan \
             (paling banyak {max} baris per berkas).",
            max = thousands(MAX_ROWS)
        ))
    };
    let sheet = Sheet { name: SHEET, headers: &HEADERS, limits: &LIMITS, too_many_rows: &too_many };
    let mut check = Checker::default();
    workbook::read(bytes, &sheet, |row, cells, errors| check.row(row, cells, errors))?;
    Ok(check.cards)
}
/// Checks the card rows one by one, as they are read.
#[derive(Default)]
struct Checker {
    cards: Vec<CardRow>,
    first_row_of: HashMap<String, usize>,
}

impl Checker {
    /// Checks Excel row `row` (columns B–D); a good one is kept.
    fn row(&mut self, row: usize, cells: Vec<Option<Value>>, errors: &mut Errors) {
        let [request, serial, note]: [Option<Value>; 3] = cells.try_into().unwrap_or_default();
        let request_number = request.as_ref().map_or_else(|| Err("No. Permintaan wajib diisi.".to_owned()), request_number_of);
        let serial = serial.as_ref().map_or_else(|| Err("No. Seri Kartu SAM wajib diisi.".to_owned()), serial_of).and_then(|s| {
            if let Some(&first) = self.first_row_of.get(&s) {
                Err(format!("No. Seri '{s}' sudah ada pada baris {first}."))
            } else {
                self.first_row_of.insert(s.clone(), row);
                Ok(s)
            }
        });
        let note = note.as_ref().map_or_else(|| Ok(String::new()), note_of);
        match (request_number, serial, note) {
            (Ok(request_number), Ok(serial), Ok(note)) => self.cards.push(CardRow { row, request_number, serial, note }),
            (request_number, serial, note) => {
                for message in [request_number.err(), serial.err(), note.err()].into_iter().flatten() {
                    errors.push(RowError::at(row, message));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// A list to hand back
// ---------------------------------------------------------------------------

/// A card list in the template's layout (sheet [`SHEET`], header row
/// [`HEADERS`], text columns), holding `rows` numbered 1, 2, … in order:
/// what an institution downloads instead of the producer's whole file.
///
/// # Errors
/// When the workbook cannot be written.
pub fn workbook(rows: &[CardRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let text = Format::new().set_num_format_index(49);
    let sheet = list_sheet(&mut book)?;
    for (row, (no, card)) in (1u32..).zip((1u32..).zip(rows)) {
        sheet.write_number(row, 0, no)?;
        sheet.write_string_with_format(row, 1, &card.request_number, &text)?;
        sheet.write_string_with_format(row, 2, &card.serial, &text)?;
        sheet.write_string_with_format(row, 3, &card.note, &text)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::Instant;

    use rust_xlsxwriter::{Format, Workbook};
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use std::io::Cursor;

    use calamine::{Reader, Xlsx};

    use super::*;
    use crate::models::imports::workbook::{column_name, unique_count_plausible};

    /// A fixture cell.
    #[derive(Clone)]
    enum Fx {
        S(String),
        N(f64),
        /// A number shown as a date (Excel's conversion of `12/3`).
        Date(f64),
        Blank,
    }

    fn s(v: &str) -> Fx {
        Fx::S(v.to_owned())
    }

    fn card(request: &str, serial: &str, note: &str) -> Vec<Fx> {
        vec![Fx::Blank, s(request), s(serial), if note.is_empty() { Fx::Blank } else { s(note) }]
    }

    /// A workbook with one sheet `sheet`, `header` in row 1 and `rows` below.
    fn workbook(sheet: &str, header: &[&str], rows: &[Vec<Fx>]) -> Vec<u8> {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let ws = book.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (col, h) in (0u16..).zip(header) {
            ws.write_string(0, col, *h).unwrap();
        }
        for (row, cells) in (1u32..).zip(rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Fx::S(v) => ws.write_string(row, col, v).map(|_| ()).unwrap(),
                    Fx::N(v) => ws.write_number(row, col, *v).map(|_| ()).unwrap(),
                    Fx::Date(v) => ws.write_number_with_format(row, col, *v, &date).map(|_| ()).unwrap(),
                    Fx::Blank => {}
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn list(rows: &[Vec<Fx>]) -> Vec<u8> {
        workbook(SHEET, &HEADERS, rows)
    }

    /// `n` valid cards, serials `SAM` + 9 digits, spread over three requests.
    fn many(n: usize) -> Vec<u8> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(SHEET).unwrap();
        for (col, h) in (0u16..).zip(HEADERS) {
            ws.write_string(0, col, h).unwrap();
        }
        for i in 0..n {
            let row = u32::try_from(i + 1).unwrap();
            ws.write_string(row, 2, format!("SAM{i:09}")).unwrap();
            ws.write_number(row, 0, f64::from(row)).unwrap();
            ws.write_string(row, 1, format!("470/{}/DUKCAPIL/2026", i % 3 + 1)).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    fn messages(res: Result<Vec<CardRow>, Vec<RowError>>) -> Vec<String> {
        res.expect_err("expected errors").iter().map(ToString::to_string).collect()
    }

    /// A zip of `(name, content, deflated)` entries.
    fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content, deflated) in entries {
            let method = if *deflated { CompressionMethod::Deflated } else { CompressionMethod::Stored };
            w.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
            w.write_all(content).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Overwrites the declared unzipped size of the one entry named `name`,
    /// in its local header and in the central directory.
    fn forge_size(zip: &mut [u8], name: &str, size: u32) {
        let at = |sig: &[u8; 4], name_at: usize| {
            (0..zip.len() - name_at - name.len())
                .find(|&i| &zip[i..i + 4] == sig && &zip[i + name_at..i + name_at + name.len()] == name.as_bytes())
                .expect("entry header")
        };
        let local = at(b"PK\x03\x04", 30);
        let central = at(b"PK\x01\x02", 46);
        zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
        zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    }

    const CT: (&str, &[u8], bool) = ("[Content_Types].xml", b"<Types/>", true);
    const WB: (&str, &[u8], bool) = ("xl/workbook.xml", b"<workbook/>", true);

    // -- template -----------------------------------------------------------

    #[test]
    fn template_parses_as_an_empty_list() {
        let t = template();
        assert_eq!(precheck(&t), Ok(()));
        assert_eq!(parse(&t), Ok(vec![]));
    }

    #[test]
    fn template_has_text_columns_validation_frozen_header_and_guide() {
        let t = template();
        let mut book = Xlsx::new(Cursor::new(&t)).unwrap();
        assert_eq!(book.sheet_names(), vec![SHEET.to_owned(), "Petunjuk".to_owned()]);
        let guide = book.worksheet_range("Petunjuk").unwrap();
        let text = guide.rows().flatten().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        for needle in ["satu baris untuk satu kartu", "Qty", "8 sampai 20", "A–Z", "50.000", "judul kolom", "Nol di depan"] {
            assert!(text.contains(needle), "Petunjuk lacks {needle:?}");
        }

        let mut zip = zip::ZipArchive::new(Cursor::new(&t)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut xml).unwrap();
        assert!(xml.contains(r#"type="textLength""#) && xml.contains(r#"sqref="C2:C50001""#), "{xml}");
        assert!(xml.contains("<formula1>8</formula1>") && xml.contains("<formula2>20</formula2>"));
        assert!(xml.contains(r#"ySplit="1""#), "header row not frozen");
        let cols = &xml[xml.find("<cols>").unwrap()..xml.find("</cols>").unwrap()];
        for (col, styled) in [(1, false), (2, true), (3, true), (4, true)] {
            let start = cols.find(&format!(r#"<col min="{col}" max="{col}""#)).expect("column width set");
            let element = &cols[start..start + cols[start..].find("/>").unwrap()];
            assert_eq!(element.contains(" style="), styled, "{element}");
        }
        let mut styles = String::new();
        zip.by_name("xl/styles.xml").unwrap().read_to_string(&mut styles).unwrap();
        assert!(styles.contains(r#"numFmtId="49""#), "no text (@) format in styles: {styles}");
    }

    // -- valid lists --------------------------------------------------------

    #[test]
    fn valid_list_parses() {
        let bytes = list(&[
            vec![Fx::N(1.0), s("470/12/DUKCAPIL/2026"), s("00012345678"), s("kotak 1")],
            vec![Fx::N(2.0), s(" 470/12/DUKCAPIL/2026 "), s("abcd1234efgh"), Fx::Blank],
            vec![Fx::N(3.0), Fx::N(471.0), Fx::N(123_456_789.0), s("  angka  ")],
        ]);
        let rows = parse(&bytes).unwrap();
        assert_eq!(
            rows,
            vec![
                CardRow { row: 2, request_number: "470/12/DUKCAPIL/2026".into(), serial: "00012345678".into(), note: "kotak 1".into() },
                CardRow { row: 3, request_number: "470/12/DUKCAPIL/2026".into(), serial: "ABCD1234EFGH".into(), note: String::new() },
                CardRow { row: 4, request_number: "471".into(), serial: "123456789".into(), note: "angka".into() },
            ]
        );
    }

    #[test]
    fn empty_rows_are_skipped_and_rows_keep_their_excel_number() {
        let bytes = list(&[
            card("R1", "SERIAL0001", ""),
            vec![],
            vec![Fx::N(3.0), Fx::Blank, s("   "), Fx::Blank], // only No. and blanks
            vec![Fx::Blank, Fx::Blank, Fx::Blank, Fx::Blank, s("di luar kolom D")],
            card("R1", "SERIAL0002", ""),
        ]);
        let rows = parse(&bytes).unwrap();
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 6]);
    }

    #[test]
    fn header_is_trimmed_and_case_insensitive() {
        let bytes = workbook("daftar kartu sam", &[" no. ", "NO. PERMINTAAN", "no. seri kartu sam", "Keterangan "], &[card("R1", "SERIAL0001", "")]);
        assert_eq!(parse(&bytes).unwrap().len(), 1);
    }

    #[test]
    fn serial_rule() {
        assert_eq!(normalize_serial("  ab12cd34  "), Ok("AB12CD34".into()));
        assert_eq!(normalize_serial("0000000000000000000Z"), Ok("0000000000000000000Z".into()));
        assert!(normalize_serial("ABC 12345").unwrap_err().contains("spasi"));
        assert!(normalize_serial("ÄBCD12345").unwrap_err().contains("'Ä'"));
        assert!(normalize_serial("").unwrap_err().contains("wajib"));
    }

    // -- header and sheet ---------------------------------------------------

    #[test]
    fn wrong_header_is_named() {
        let bytes = workbook(SHEET, &["No.", "Nomor Surat", "No. Seri Kartu SAM"], &[card("R1", "SERIAL0001", "")]);
        let m = messages(parse(&bytes));
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].starts_with("Baris 1: Judul kolom B harus \"No. Permintaan\", bukan 'Nomor Surat'"), "{m:?}");
        assert!(m[1].starts_with("Baris 1: Judul kolom D \"Keterangan\" tidak ada"), "{m:?}");
    }

    #[test]
    fn extra_header_column_is_refused() {
        let bytes = workbook(SHEET, &["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan", "Catatan"], &[]);
        let m = messages(parse(&bytes));
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("Baris 1: Kolom E ('Catatan') tidak dikenal"), "{m:?}");
    }

    #[test]
    fn missing_sheet_is_named() {
        let bytes = workbook("Sheet1", &HEADERS, &[card("R1", "SERIAL0001", "")]);
        let m = messages(parse(&bytes));
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("\"Daftar Kartu SAM\" tidak ditemukan") && m[0].contains("'Sheet1'"), "{m:?}");
    }

    // -- row errors ---------------------------------------------------------

    #[test]
    fn empty_serial() {
        let m = messages(parse(&list(&[card("R1", "SERIAL0001", ""), card("R1", "", "rusak")])));
        assert_eq!(m, vec!["Baris 3: No. Seri Kartu SAM wajib diisi."]);
    }

    #[test]
    fn empty_request_number() {
        let m = messages(parse(&list(&[card("", "SERIAL0001", ""), card("  ", "SERIAL0002", "")])));
        assert_eq!(m, vec!["Baris 2: No. Permintaan wajib diisi.", "Baris 3: No. Permintaan wajib diisi."]);
    }

    #[test]
    fn bad_serials_are_all_reported() {
        let m = messages(parse(&list(&[
            card("R1", "1234567", ""),
            card("R1", "1234-5678", ""),
            card("R1", "123456789012345678901", ""),
            card("R1", "GOOD0001", ""),
        ])));
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[0], "Baris 2: No. Seri Kartu SAM '1234567' harus 8 sampai 20 karakter (sekarang 7).");
        assert_eq!(m[1], "Baris 3: No. Seri Kartu SAM '1234-5678' hanya boleh berisi huruf A–Z dan angka 0–9 (ditemukan '-').");
        assert!(m[2].starts_with("Baris 4:") && m[2].contains("(sekarang 21)"), "{m:?}");
    }

    #[test]
    fn numeric_serials() {
        let m = messages(parse(&list(&[
            vec![Fx::Blank, s("R1"), Fx::N(12_345_678.5)],
            vec![Fx::Blank, s("R1"), Fx::N(1_234_567.0)],
            vec![Fx::Blank, s("R1"), Fx::N(1_234_567_890_123_456_789.0)],
            vec![Fx::Blank, s("R1"), Fx::N(12_345_678.0)],
            vec![Fx::Blank, s("R1"), Fx::Date(45_000.0)],
        ])));
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(m[0].starts_with("Baris 2:") && m[0].contains("angka desimal (12345678.5)"), "{m:?}");
        assert!(m[1].starts_with("Baris 3:") && m[1].contains("(sekarang 7). Nomor seri ini tersimpan sebagai angka"), "{m:?}");
        assert!(m[2].starts_with("Baris 4:") && m[2].contains("lebih dari 15 digit"), "{m:?}");
        assert!(m[3].starts_with("Baris 6:") && m[3].contains("tanggal"), "{m:?}");
    }

    #[test]
    fn request_number_typed_as_date_is_refused() {
        let m = messages(parse(&list(&[vec![Fx::Blank, Fx::Date(45_000.0), s("SERIAL0001")]])));
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("Baris 2: No. Permintaan terbaca sebagai tanggal/waktu (2023-03-15)"), "{m:?}");
    }

    #[test]
    fn too_long_request_number_and_note() {
        let long = "X".repeat(101);
        let note = "n".repeat(501);
        let m = messages(parse(&list(&[card(&long, "SERIAL0001", &note)])));
        assert_eq!(
            m,
            vec!["Baris 2: No. Permintaan paling banyak 100 karakter (sekarang 101).", "Baris 2: Keterangan paling banyak 500 karakter (sekarang 501).",]
        );
    }

    #[test]
    fn duplicate_serial_names_both_rows() {
        let m = messages(parse(&list(&[card("R1", "ABCDEFGH12", ""), card("R1", "SERIAL0001", ""), card("R2", " abcdefgh12 ", "")])));
        assert_eq!(m, vec!["Baris 4: No. Seri 'ABCDEFGH12' sudah ada pada baris 2."]);
    }

    #[test]
    fn every_error_is_collected_up_to_the_cap() {
        let rows: Vec<_> = (0..250).map(|_| card("", "short", "")).collect();
        let m = messages(parse(&list(&rows)));
        assert_eq!(m.len(), MAX_ERRORS + 1);
        assert_eq!(m[0], "Baris 2: No. Permintaan wajib diisi.");
        assert!(m[1].starts_with("Baris 2: No. Seri Kartu SAM 'SHORT'") || m[1].starts_with("Baris 2: No. Seri Kartu SAM 'short'"));
        // Row 102 brings errors 201 and 202: reading stops there.
        assert!(m[MAX_ERRORS].starts_with("… dan masih ada kesalahan lain: pemeriksaan dihentikan pada baris 102 setelah 200 kesalahan."), "{}", m[MAX_ERRORS]);
    }

    #[test]
    fn rows_out_of_order_are_refused() {
        let sheet = br#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>No.</t></is></c><c r="B1" t="inlineStr"><is><t>No. Permintaan</t></is></c><c r="C1" t="inlineStr"><is><t>No. Seri Kartu SAM</t></is></c><c r="D1" t="inlineStr"><is><t>Keterangan</t></is></c></row>
<row r="3"><c r="B3" t="inlineStr"><is><t>R1</t></is></c><c r="C3" t="inlineStr"><is><t>SERIAL0002</t></is></c></row>
<row r="2"><c r="B2" t="inlineStr"><is><t>R1</t></is></c><c r="C2" t="inlineStr"><is><t>SERIAL0001</t></is></c></row>
</sheetData></worksheet>"#;
        let good = list(&[card("R1", "SERIAL0001", "")]);
        let bytes = rezip(&good, |name, content| if name == "xl/worksheets/sheet1.xml" { sheet.to_vec() } else { content });
        let m = messages(parse(&bytes));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("Urutan baris"), "{m:?}");
    }

    /// `n` string items of one pseudo-random letter each: about 17 bytes an
    /// item unzipped and a fifteenth of that zipped, so every size and ratio
    /// limit is met.
    fn tiny_strings(n: usize) -> Vec<u8> {
        let mut xml = Vec::with_capacity(n * 17);
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            xml.extend_from_slice(b"<si><t>");
            xml.push(b'a' + u8::try_from(x % 26).unwrap());
            xml.extend_from_slice(b"</t></si>");
        }
        xml
    }

    /// A valid one-card list whose `sharedStrings.xml` also holds `n` tiny
    /// strings after its own (written fast: deflate level 1). Its
    /// `uniqueCount` stays as written: a claim lower than the items is legal.
    fn pathological(n: usize) -> Vec<u8> {
        let good = list(&[card("R1", "SERIAL0001", "")]);
        let mut src = zip::ZipArchive::new(Cursor::new(&good)).unwrap();
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let fast = SimpleFileOptions::default().compression_level(Some(1));
        for i in 0..src.len() {
            let mut entry = src.by_index(i).unwrap();
            let name = entry.name().to_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            if name == "xl/sharedStrings.xml" {
                let xml = String::from_utf8(content).unwrap();
                let at = xml.find("</sst>").unwrap();
                let mut grown = xml.as_bytes()[..at].to_vec();
                grown.extend_from_slice(&tiny_strings(n));
                grown.extend_from_slice(&xml.as_bytes()[at..]);
                content = grown;
            }
            w.start_file(name.as_str(), fast).unwrap();
            w.write_all(&content).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn millions_of_tiny_shared_strings_are_refused_fast() {
        let n = 2_000_000;
        let bytes = pathological(n);
        let inflated = n * 17;
        assert!(bytes.len() * 5 < inflated, "{} bytes zipped", bytes.len());
        let start = Instant::now();
        let e = precheck(&bytes).unwrap_err();
        let took = start.elapsed();
        println!("{n} tiny strings: {} KB zipped, {} MB unzipped, refused in {took:?}", bytes.len() / 1024, inflated / 1_000_000);
        assert!(e.message.contains("teks berbeda") && e.message.contains("50.000 baris"), "{e}");
        assert_eq!(parse(&bytes), Err(vec![e]));
        // Debug build, shared machine: a bound that only a full read breaks.
        assert!(took.as_secs_f64() < 3.0, "took {took:?}");
        // Just under the cap the same kind of file is read (and fails on
        // nothing but being a list of one card).
        let under = pathological(usize::try_from(MAX_CELLS).unwrap() - 20);
        assert_eq!(parse(&under).map(|r| r.len()), Ok(1));
    }

    #[test]
    fn a_sheet_of_too_many_cells_is_refused() {
        let n = usize::try_from(MAX_CELLS).unwrap() + 1;
        let mut sheet = String::from(r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
        for i in 0..n {
            let (r, col) = (i / 10 + 1, char::from(b'A' + u8::try_from(i % 10).unwrap()));
            if i % 10 == 0 {
                sheet.push_str(&format!(r#"<row r="{r}">"#));
            }
            sheet.push_str(&format!(r#"<c r="{col}{r}"><v>1</v></c>"#));
            if i % 10 == 9 || i + 1 == n {
                sheet.push_str("</row>");
            }
        }
        sheet.push_str("</sheetData></worksheet>");
        let good = list(&[card("R1", "SERIAL0001", "")]);
        let bytes = rezip(&good, |name, content| if name == "xl/worksheets/sheet1.xml" { sheet.clone().into_bytes() } else { content });
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.contains("sel dalam satu lembar"), "{e}");
        // Wherever the workbook keeps it.
        let elsewhere = zip_of(&[CT, WB, ("xl/custom/data.xml", sheet.as_bytes(), true)]);
        assert!(precheck(&elsewhere).unwrap_err().message.contains("sel dalam satu lembar"));
    }

    #[test]
    fn row_error_display() {
        assert_eq!(RowError::at(12, "x.").to_string(), "Baris 12: x.");
        assert_eq!(RowError::file("y.").to_string(), "y.");
    }

    #[test]
    fn more_than_max_rows_is_one_error() {
        // Complete rows: row errors would stop the reading first.
        let m = messages(parse(&many(MAX_ROWS + 1)));
        assert_eq!(
            m,
            vec![
                "Daftar berisi lebih dari 50.000 baris kartu. Bagi kartu ke beberapa pengajuan \
                 (paling banyak 50.000 baris per berkas)."
            ]
        );
    }

    /// Prints how long a full list takes to parse; no assertion on time.
    #[test]
    fn parse_time_of_a_full_list() {
        let bytes = many(MAX_ROWS);
        let start = Instant::now();
        let rows = parse(&bytes).unwrap();
        let took = start.elapsed();
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(rows[MAX_ROWS - 1].row, MAX_ROWS + 1);
        println!("parse of {MAX_ROWS} rows ({} bytes): {took:?}", bytes.len());
    }

    // -- precheck -----------------------------------------------------------

    #[test]
    fn not_a_zip() {
        let mut random = vec![0u8; 4096];
        let mut x: u32 = 0x1234_5678;
        for b in &mut random {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x.to_le_bytes()[0];
        }
        for bytes in [&random[..], b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", b"", b"PK\x03\x04garbage"] {
            let e = precheck(bytes).unwrap_err();
            assert_eq!(e.row, None);
            assert!(e.message.starts_with("Berkas bukan file Excel .xlsx"), "{e}");
            assert_eq!(parse(bytes), Err(vec![e]));
        }
        assert!(precheck(b"%PDF-1.7").unwrap_err().message.contains("PDF"));
        let xls = precheck(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).unwrap_err();
        assert!(xls.message.contains(".xls") && xls.message.contains("kata sandi"), "{xls}");
    }

    #[test]
    fn renamed_docx() {
        let bytes = zip_of(&[CT, ("word/document.xml", b"<w:document/>", true)]);
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.starts_with("Berkas bukan file Excel .xlsx") && e.message.contains("Word"), "{e}");
        let bare = zip_of(&[("readme.txt", b"hi", false)]);
        assert!(precheck(&bare).unwrap_err().message.contains("tidak berisi buku kerja Excel"));
    }

    #[test]
    fn zip_bomb_is_refused() {
        let zeros = vec![0u8; 50 * 1024 * 1024];
        let bytes = zip_of(&[CT, WB, ("xl/worksheets/sheet1.xml", &zeros, true)]);
        assert!(bytes.len() < 200 * 1024, "bomb is {} bytes", bytes.len());
        println!("zip bomb: 50 MiB of zeros in {} bytes", bytes.len());
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.contains("zip bomb"), "{e}");
        assert_eq!(parse(&bytes), Err(vec![e]));
    }

    #[test]
    fn declared_size_over_the_cap_is_refused() {
        let mut bytes = zip_of(&[CT, WB, ("xl/sharedStrings.xml", b"<sst/>", false)]);
        forge_size(&mut bytes, "xl/sharedStrings.xml", 200 * 1024 * 1024);
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.contains("melebihi batas 100 MB"), "{e}");
    }

    #[test]
    fn entry_lying_about_its_size_is_refused() {
        let zeros = vec![0u8; 2 * 1024 * 1024];
        let mut bytes = zip_of(&[CT, WB, ("xl/sharedStrings.xml", &zeros, true)]);
        forge_size(&mut bytes, "xl/sharedStrings.xml", 4096);
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.contains("tidak sesuai"), "{e}");
    }

    /// Rewrites every entry of `zip` through `edit(name, content)`.
    fn rezip(zip: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        let mut src = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..src.len() {
            let mut entry = src.by_index(i).unwrap();
            let name = entry.name().to_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            w.start_file(name.as_str(), SimpleFileOptions::default()).unwrap();
            w.write_all(&edit(&name, content)).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn absurd_shared_string_count_is_refused_before_calamine_reserves_it() {
        let good = list(&[card("R1", "SERIAL0001", "")]);
        let sst = |uc: &str| {
            rezip(&good, |name, content| {
                if name != "xl/sharedStrings.xml" {
                    return content;
                }
                let xml = String::from_utf8(content).unwrap();
                let start = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
                let end = start + xml[start..].find('"').unwrap();
                format!("{}{uc}{}", &xml[..start], &xml[end..]).into_bytes()
            })
        };
        // As rust_xlsxwriter wrote it, and rewritten honestly: accepted.
        assert_eq!(parse(&sst("6")).unwrap().len(), 1);
        for claim in ["99999999999", "99999999999999999999999"] {
            let e = precheck(&sst(claim)).unwrap_err();
            assert!(e.message.contains("daftar teks"), "{e}");
            assert_eq!(parse(&sst(claim)), Err(vec![e]));
        }
        assert!(unique_count_plausible(b"<sst count=\"2\" uniqueCount = '2'><si><t>a</t></si><si><t>b</t></si></sst>"));
        assert!(!unique_count_plausible(b"<!-- uniqueCount=\"1\" --><x:sst uniqueCount=\"20002\"><x:si/></x:sst>"));
    }

    #[test]
    fn too_many_entries_is_refused() {
        let names: Vec<String> = (0..=MAX_ZIP_ENTRIES).map(|i| format!("xl/media/x{i}.txt")).collect();
        let mut entries = vec![CT, WB];
        entries.extend(names.iter().map(|n| (n.as_str(), &b"x"[..], false)));
        let bytes = zip_of(&entries);
        let e = precheck(&bytes).unwrap_err();
        assert!(e.message.contains("lebih dari 1000 bagian"), "{e}");
    }

    #[test]
    fn thousands_and_column_names() {
        assert_eq!(thousands(50_000), "50.000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1.234.567");
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }
}
