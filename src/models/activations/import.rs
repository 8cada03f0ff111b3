//! The readers of a Permohonan Aktivasi as an Excel list: the template to
//! fill in, and the import of a filled one under the rules of the
//! producer's card list (the one guard and sheet reader of
//! [`workbook`]: size, content not extension, zip entries, inflated size
//! and ratio, shared strings and cells bounded before reading; reading
//! stops past [`MAX_READERS`] rows or [`workbook::MAX_ERRORS`] errors).
//!
//! The list lives on the sheet [`SHEET`] whose first row holds exactly
//! [`HEADERS`]:
//!
//! | column | header                     | content                                  |
//! |--------|----------------------------|------------------------------------------|
//! | A      | `No.`                      | running number, free, never checked      |
//! | B      | `Jenis Card Reader`        | a machine type's name (Master Data)      |
//! | C      | `S/N CR`                   | the reader's serial                      |
//! | D      | `No. Seri Kartu SAM (asal)`| the SAM's serial, see [`normalize_serial`] |
//! | E      | `Nomor Perso`              | the SAM's number after personalization   |
//! | F      | `Provinsi`                 | where the reader is used                 |
//! | G      | `Kabupaten/Kota`           |                                          |
//! | H      | `Keterangan`               | optional                                 |
//!
//! Reading refuses what only the cell can tell (a serial Excel turned into
//! a number or a date, a formula error); every other rule — required
//! fields, duplicates in the list, what the portal knows about each SAM —
//! is [`super::readers::check`]'s, whose messages carry the Excel row
//! numbers (`Baris N: …`).
//!
//! [`normalize_serial`]: crate::models::submissions::card_list::normalize_serial
use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, FormatBorder, Formula, Workbook, XlsxError};

use super::readers::{ReaderInput, MAX_READERS};
use crate::models::{
    errors::AppResult,
    imports::{
        self,
        workbook::{self, number_text, thousands, Errors, Limits, RowError, Sheet, Value, MAX_ERRORS},
        Slots,
    },
    submissions::card_list::serial_of,
};

/// The name of the sheet holding the list.
pub const SHEET: &str = "Daftar Card Reader";

/// The header row of [`SHEET`], columns A to H.
pub const HEADERS: [&str; 8] = ["No.", "Jenis Card Reader", "S/N CR", "No. Seri Kartu SAM (asal)", "Nomor Perso", "Provinsi", "Kabupaten/Kota", "Keterangan"];

/// The bounds of a reader list. A full list of [`MAX_READERS`] rows is
/// about 150 KB zipped and 2 MB unzipped; 5 MB a file and 32 MiB unzipped
/// leave room for long notes and whatever Excel adds.
pub const LIMITS: Limits = Limits {
    list: "daftar card reader",
    max_rows: MAX_READERS,
    max_bytes: 5 * 1024 * 1024,
    max_uncompressed: 32 * 1024 * 1024,
    max_cells: Limits::cells_for(MAX_READERS),
};

/// The name the template is downloaded as.
pub const TEMPLATE_NAME: &str = "Template-Daftar-Card-Reader.xlsx";

/// The instructions sheet of the template.
const GUIDE_SHEET: &str = "Petunjuk";

const GUIDE: [&str; 12] = [
    "1. Isi lembar \"Daftar Card Reader\" mulai baris 2: satu baris untuk satu card reader. Baris kosong dilewati.",
    "2. No.: nomor urut, boleh dikosongkan (tidak diperiksa). Pesan kesalahan menyebut nomor baris Excel (Baris 2 adalah card reader pertama).",
    "3. Jenis Card Reader: wajib, salah satu nama jenis mesin di bawah ini, dan harus sama dengan jenis mesin pada BAST kartu SAM-nya.",
    "4. S/N CR: wajib, nomor seri card reader, paling panjang 100 karakter. Setiap S/N CR hanya boleh muncul satu kali.",
    "5. No. Seri Kartu SAM (asal): wajib, 8 sampai 20 karakter, hanya huruf A–Z dan angka 0–9. Kartu SAM harus dipersonalisasi Clear di SI-FILMA dan sudah diterima lembaga melalui BAST. Setiap kartu SAM hanya boleh muncul satu kali.",
    "6. Nomor Perso: wajib, nomor hasil personalisasi kartu SAM tersebut.",
    "7. Provinsi dan Kabupaten/Kota: wajib, wilayah penggunaan card reader.",
    "8. Keterangan: boleh dikosongkan, paling banyak 500 karakter.",
    "9. Nol di depan adalah bagian dari nomor seri. Kolom B sampai H sudah diformat sebagai Teks: jangan mengubah formatnya, dan saat menyalin gunakan Tempel Khusus > Nilai (Paste Special > Values).",
    "10. Paling banyak 5.000 card reader dalam satu berkas; daftar yang lebih panjang dibagi ke beberapa permohonan.",
    "11. Jangan mengubah, menambah atau memindahkan judul kolom di baris 1, dan jangan mengganti nama lembar \"Daftar Card Reader\".",
    "12. Simpan sebagai Excel Workbook (.xlsx), lalu unggah pada formulir Permohonan Aktivasi. Jika satu baris saja salah, tidak ada yang disimpan: perbaiki semua baris yang disebut, lalu unggah ulang.",
];

/// An empty reader list to hand out: the sheet [`SHEET`] with the bold,
/// frozen header row [`HEADERS`], columns B to H formatted as text (typed
/// serials keep their leading zeros), a drop-down of `types` (the active
/// machine types' names) on column B and the serial-length rule on column
/// D, and a sheet "Petunjuk" with the instructions and the names of
/// `types`.
///
/// # Errors
/// When the workbook cannot be written (a name longer than Excel allows).
pub fn template(types: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let header =
        Format::new().set_bold().set_num_format_index(49).set_background_color(0x00D9_E1F2).set_border(FormatBorder::Thin).set_align(FormatAlign::Center);
    // Built-in format 49 is "@", Text.
    let text = Format::new().set_num_format_index(49);
    let last_row = u32::try_from(MAX_READERS).unwrap_or(u32::MAX);
    // Where the guide lists the types (0-based rows).
    let types_from = u32::try_from(GUIDE.len()).unwrap_or(0) + 4;

    let sheet = book.add_worksheet();
    sheet.set_name(SHEET)?;
    for (col, (title, width)) in (0u16..).zip(HEADERS.iter().zip([6.0, 28.0, 22.0, 26.0, 22.0, 22.0, 24.0, 40.0])) {
        sheet.set_column_width(col, width)?;
        if col > 0 {
            sheet.set_column_format(col, &text)?;
        }
        sheet.write_string_with_format(0, col, *title, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    if !types.is_empty() {
        let to = types_from + u32::try_from(types.len()).unwrap_or(0);
        let list = DataValidation::new()
            .allow_list_formula(Formula::new(format!("={GUIDE_SHEET}!$A${}:$A${to}", types_from + 1)))
            .set_error_title("Jenis Card Reader")?
            .set_error_message("Pilih salah satu jenis mesin yang terdaftar (lihat lembar Petunjuk).")?
            .set_error_style(DataValidationErrorStyle::Warning);
        sheet.add_data_validation(1, 1, last_row, 1, &list)?;
    }
    let serials = DataValidation::new()
        .allow_text_length(DataValidationRule::Between(8, 20))
        .ignore_blank(true)
        .set_input_title("No. Seri Kartu SAM (asal)")?
        .set_input_message("8–20 karakter, hanya huruf A–Z dan angka 0–9. Ketik sebagai teks: nol di depan tetap dipertahankan.")?
        .set_error_title("No. Seri tidak valid")?
        .set_error_message("No. Seri Kartu SAM harus 8 sampai 20 karakter, hanya huruf A–Z dan angka 0–9.")?
        .set_error_style(DataValidationErrorStyle::Stop);
    sheet.add_data_validation(1, 3, last_row, 3, &serials)?;
    sheet.set_active(true);

    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let guide = book.add_worksheet();
    guide.set_name(GUIDE_SHEET)?;
    guide.set_column_width(0, 90)?;
    guide.set_print_fit_to_pages(1, 0);
    guide.write_string_with_format(0, 0, "Petunjuk Pengisian Daftar Card Reader (Permohonan Aktivasi)", &title)?;
    for (row, line) in (2u32..).zip(GUIDE) {
        guide.write_string_with_format(row, 0, line, &wrap)?;
        let lines = u32::try_from(line.chars().count().div_ceil(85)).unwrap_or(1).max(1);
        guide.set_row_height(row, 15 * lines + 2)?;
    }
    guide.write_string_with_format(types_from - 1, 0, "Jenis Card Reader yang terdaftar:", &bold)?;
    if types.is_empty() {
        guide.write_string(types_from, 0, "(belum ada jenis mesin aktif di Master Data; hubungi admin)")?;
    }
    for (row, name) in (types_from..).zip(types) {
        guide.write_string(row, 0, name)?;
    }
    book.save_to_buffer()
}

/// The text of a cell that holds a serial-like number (S/N CR, Nomor
/// Perso): a number Excel made of it is taken only when whole and below
/// 10^15 (its digits are then exact), a date or a formula error never.
fn code_of(v: &Value, label: &str) -> Result<String, String> {
    match v {
        Value::Number(f) if f.fract() != 0.0 || f.abs() >= 1e15 => Err(format!(
            "{label} tersimpan sebagai angka ({}), sehingga digitnya sudah diubah Excel. Format kolom sebagai Teks lalu ketik ulang.",
            number_text(*f)
        )),
        Value::Date(s) => Err(format!("{label} terbaca sebagai tanggal/waktu ({s}). Format kolom sebagai Teks lalu ketik ulang.")),
        _ => text_of(v, label),
    }
}

/// The text of a cell as shown, refusing a formula error.
fn text_of(v: &Value, label: &str) -> Result<String, String> {
    match v {
        Value::Error(e) => Err(format!("{label} berisi galat rumus ({e}).")),
        _ => Ok(v.display()),
    }
}

/// Reads a reader list: [`workbook::read`] with [`SHEET`], [`HEADERS`]
/// and [`LIMITS`], each row's cells taken as text (see the module's
/// notes). The lines keep their Excel row numbers for
/// [`super::readers::check`].
///
/// This reads a whole workbook: call it on a blocking thread ([`read`]).
///
/// # Errors
/// Every problem found, as `Baris N: …` where a row is to blame: a wrong
/// header (row 1), an empty list (row 2), more than [`MAX_READERS`] rows
/// (the first row past it), a cell Excel changed; a file-level message for
/// a file that is no plausible workbook.
pub fn parse(bytes: &[u8]) -> Result<Vec<ReaderInput>, Vec<RowError>> {
    let too_many = |row: usize| {
        RowError::at(
            row,
            format!(
                "Daftar berisi lebih dari {max} card reader; paling banyak {max} card reader per permohonan. Bagi daftar ke beberapa permohonan.",
                max = thousands(MAX_READERS)
            ),
        )
    };
    let sheet = Sheet { name: SHEET, headers: &HEADERS, limits: &LIMITS, too_many_rows: &too_many };
    let mut lines = Vec::new();
    workbook::read(bytes, &sheet, |row, cells, errors| {
        if let Some(line) = line_of(row, &cells, errors) {
            lines.push(line);
        }
    })?;
    if lines.is_empty() {
        return Err(vec![RowError::at(2, format!("Daftar card reader kosong: isi satu card reader per baris mulai baris 2 lembar \"{SHEET}\"."))]);
    }
    Ok(lines)
}

/// Excel row `row` (cells B–H) as a line; its cell problems go to `errors`.
fn line_of(row: usize, cells: &[Option<Value>], errors: &mut Errors) -> Option<ReaderInput> {
    let mut ok = true;
    let mut cell = |i: usize, read: &dyn Fn(&Value) -> Result<String, String>| match cells.get(i).and_then(Option::as_ref).map(read) {
        Some(Ok(s)) => s,
        Some(Err(message)) => {
            errors.push(RowError::at(row, message));
            ok = false;
            String::new()
        }
        None => String::new(),
    };
    let line = ReaderInput {
        row,
        reader_type: cell(0, &|v| text_of(v, "Jenis Card Reader")),
        reader_serial: cell(1, &|v| code_of(v, "S/N CR")),
        sam_serial: cell(2, &serial_of),
        perso_number: cell(3, &|v| code_of(v, "Nomor Perso")),
        province: cell(4, &|v| text_of(v, "Provinsi")),
        city: cell(5, &|v| text_of(v, "Kabupaten/Kota")),
        note: cell(6, &|v| text_of(v, "Keterangan")),
    };
    ok.then_some(line)
}

/// Reads an uploaded list ([`parse`]) on a blocking thread, in one of
/// `slots`; nothing is written.
///
/// # Errors
/// `Busy` when every import slot stays taken.
pub async fn read(slots: &Slots, bytes: Vec<u8>) -> AppResult<Result<Vec<ReaderInput>, Vec<RowError>>> {
    let slot = slots.take().await?;
    imports::run(slot, move || parse(&bytes)).await
}

/// At most [`MAX_ERRORS`] of `rows` to show, then one line counting the
/// rest (a list of 5,000 bad lines has tens of thousands of messages).
#[must_use]
pub fn capped(mut rows: Vec<RowError>) -> Vec<RowError> {
    let extra = rows.len().saturating_sub(MAX_ERRORS);
    if extra > 0 {
        rows.truncate(MAX_ERRORS);
        rows.push(RowError::file(format!("… dan {extra} kesalahan lain. Perbaiki kesalahan di atas, lalu unggah ulang daftarnya.")));
    }
    rows
}
