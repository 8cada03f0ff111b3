//! The list of personalised cards of one line, as `.xlsx`.
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, IgnoreError, Workbook};

use super::word::DocumentError;

/// One personalised card in the card list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub serial: String,
    pub manifest: String,
    pub pcid: String,
    pub note: String,
}

/// Sheet name of the card list.
pub const LIST_SHEET: &str = "Hasil Personalisasi";

/// Header row of the card list (row 5, columns A to E).
pub const LIST_HEADERS: [&str; 5] = ["No.", "No. Seri Kartu SAM", "No. Manifest Kartu SAM", "No. PCID", "Keterangan"];

/// Zero-based index of the header row; cards follow on the next rows.
const LIST_HEADER_ROW: u32 = 4;

/// Excel's last row is 1,048,576; the list needs the title rows, the
/// header, one empty row and the verification line besides the cards.
pub const LIST_MAX_ROWS: usize = 1_048_576 - LIST_HEADER_ROW as usize - 1 - 2;

/// The look every issued list workbook shares: a centred bold title, grey
/// bordered headers, bordered text cells (`@`: Excel never turns a serial
/// into a number), and a centred variant for running numbers.
pub struct ListFormats {
    pub title: Format,
    pub header: Format,
    pub data: Format,
    pub centered: Format,
}

impl ListFormats {
    #[must_use]
    pub fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(12).set_align(FormatAlign::Center),
            header: Format::new()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap()
                .set_border(FormatBorder::Thin)
                .set_background_color("D9D9D9"),
            data: Format::new().set_num_format("@").set_border(FormatBorder::Thin),
            centered: Format::new().set_num_format("@").set_border(FormatBorder::Thin).set_align(FormatAlign::Center),
        }
    }
}

impl Default for ListFormats {
    fn default() -> Self {
        Self::new()
    }
}

/// The list of personalised cards of one line as an Excel workbook: title
/// "LAPORAN HASIL PERSONALISASI KARTU SAM <PRODUCER>" (row 1),
/// "(<INSTITUTION>)" (row 2), the [`LIST_HEADERS`] in row 5, one row per card,
/// and the verification URL two rows below the last card.
///
/// Every cell is a text cell formatted as text: serials keep their leading
/// zeros, and a value starting with `=`, `+`, `-` or `@` stays text, never a
/// formula.
///
/// # Errors
/// [`DocumentError::TooManyRows`] beyond [`LIST_MAX_ROWS`] cards;
/// [`DocumentError::Xlsx`] when a value is longer than Excel allows (32,767
/// characters) or the workbook cannot be written.
pub fn card_list_xlsx(producer: &str, institution: &str, rows: &[ListRow], verify_url: &str) -> Result<Vec<u8>, DocumentError> {
    if rows.len() > LIST_MAX_ROWS {
        return Err(DocumentError::TooManyRows { rows: rows.len(), max: LIST_MAX_ROWS });
    }
    let ListFormats { title, header, data, centered: number } = ListFormats::new();

    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(LIST_SHEET)?;
    ws.merge_range(0, 0, 0, 4, &format!("LAPORAN HASIL PERSONALISASI KARTU SAM {}", producer.trim().to_uppercase()), &title)?;
    ws.merge_range(1, 0, 1, 4, &format!("({})", institution.trim().to_uppercase()), &title)?;
    for (col, text) in (0u16..).zip(LIST_HEADERS) {
        ws.write_string_with_format(LIST_HEADER_ROW, col, text, &header)?;
    }

    // Column widths in characters: the longest value, within sane bounds.
    let mut widths = LIST_HEADERS.map(|h| h.chars().count());
    widths[0] = widths[0].max(rows.len().to_string().len());
    let mut row_num = LIST_HEADER_ROW;
    for (i, r) in rows.iter().enumerate() {
        row_num += 1;
        ws.write_string_with_format(row_num, 0, (i + 1).to_string(), &number)?;
        for (col, value) in (1u16..).zip([&r.serial, &r.manifest, &r.pcid, &r.note]) {
            let w = &mut widths[usize::from(col)];
            *w = (*w).max(value.chars().count());
            ws.write_string_with_format(row_num, col, value, &data)?;
        }
    }
    if !rows.is_empty() {
        ws.ignore_error_range(LIST_HEADER_ROW + 1, 0, row_num, 4, IgnoreError::NumberStoredAsText)?;
    }
    for (col, w) in (0u16..).zip(widths) {
        let max = if col == 4 { 60 } else { 40 };
        ws.set_column_width(col, (w + 2).clamp(6, max) as f64)?;
    }
    ws.write_string(row_num + 2, 0, format!("Verifikasi dokumen: {}", verify_url.trim()))?;

    ws.set_paper_size(9) // A4
        .set_portrait()
        .set_print_fit_to_pages(1, 0)
        .set_footer("&CHalaman &P dari &N");
    ws.set_repeat_rows(LIST_HEADER_ROW, LIST_HEADER_ROW)?;
    ws.set_freeze_panes(LIST_HEADER_ROW + 1, 0)?;
    Ok(book.save_to_buffer()?)
}
