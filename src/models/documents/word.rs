//! What the builders share: the parties, the errors, and the Word
//! (docx) building blocks — fonts, paragraphs, layout tables, the party
//! blocks, the letterhead and the verification block with its QR code.
use std::io::Cursor;

use docx_rs::{
    AlignmentType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph, Pic, Run, RunFonts, SpecialIndentType, Tab, TabValueType, Table, TableCell,
    TableCellMargins, TableLayoutType, TableRow, VAlignType, WidthType,
};
use rust_xlsxwriter::XlsxError;

use super::qr::{qr_png_sized, QR_EMU};

/// Pihak Pertama and Pihak Kedua of a BAST, and the two ends of a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub position: String,
    pub office_address: String,
}

/// Why a document could not be built. The message is for the user; the
/// source error, where there is one, is for the log.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("Kode QR verifikasi tidak dapat dibuat: alamat verifikasi terlalu panjang.")]
    Qr(#[source] qrcode::types::QrError),
    #[error("Dokumen Word tidak dapat disusun.")]
    Docx(#[source] zip::result::ZipError),
    #[error("Berkas Excel tidak dapat disusun.")]
    Xlsx(#[source] XlsxError),
    #[error("Daftar kartu terlalu panjang: {rows} baris, paling banyak {max} baris per berkas.")]
    TooManyRows { rows: usize, max: usize },
}

impl From<XlsxError> for DocumentError {
    fn from(e: XlsxError) -> Self {
        Self::Xlsx(e)
    }
}

// ---------------------------------------------------------------------------
// QR code as PNG
// ---------------------------------------------------------------------------

pub(super) const FONT: &str = "Arial";
/// A4 width minus the 3 cm left and 2 cm right margins, in twips.
pub(super) const TEXT_WIDTH: usize = 11_906 - 1_701 - 1_134;
/// Font sizes in half-points.
pub(super) const BODY_SIZE: usize = 22;
pub(super) const SMALL_SIZE: usize = 17;
pub(super) const TABLE_SIZE: usize = 20;
/// Space after a body paragraph, in twips (6 pt).
pub(super) const GAP: u32 = 120;

/// Text as Word accepts it: characters XML 1.0 forbids (most C0 controls,
/// U+FFFE, U+FFFF) are dropped, line breaks and tabs become spaces.
pub(super) fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect()
}

pub(super) fn new_docx() -> Docx {
    Docx::new()
        .page_size(11_906, 16_838)
        .page_margin(PageMargin::new().top(1_134).bottom(1_134).left(1_701).right(1_134).header(567).footer(567))
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT))
        .default_size(BODY_SIZE)
        .default_line_spacing(LineSpacing::new().before(0).after(0).line(240).line_rule(LineSpacingType::Auto))
}

pub(super) fn pack(doc: Docx) -> Result<Vec<u8>, DocumentError> {
    let mut out = Cursor::new(Vec::with_capacity(16 * 1024));
    doc.pack(&mut out).map_err(DocumentError::Docx)?;
    Ok(out.into_inner())
}

pub(super) fn run(text: &str) -> Run {
    Run::new().add_text(clean(text))
}

pub(super) fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

pub(super) fn after(p: Paragraph, twips: u32) -> Paragraph {
    p.line_spacing(LineSpacing::new().after(twips))
}

pub(super) fn body(text: &str) -> Paragraph {
    after(para(text).align(AlignmentType::Both), GAP)
}

pub(super) fn centered(run: Run) -> Paragraph {
    Paragraph::new().add_run(run).align(AlignmentType::Center)
}

pub(super) fn cell(width: usize, paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs.into_iter().fold(TableCell::new().width(width, WidthType::Dxa), TableCell::add_paragraph)
}

/// A table without borders whose columns have the given widths (twips).
pub(super) fn layout_table(widths: &[usize], rows: Vec<TableRow>) -> Table {
    Table::without_borders(rows)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, 57, 0, 0))
}

/// The name line under a signature: bold and underlined.
pub(super) fn signature_name(name: &str) -> Paragraph {
    centered(run(name).bold().underline("single"))
}

/// The verification block closing each Word document: the QR code of the
/// URL beside the URL and the code in words.
pub(super) fn verification(url: &str, code: &str) -> Result<Table, DocumentError> {
    let (png, side) = qr_png_sized(url)?;
    let side = u32::try_from(side).unwrap_or(u32::MAX);
    let pic = Pic::new_with_dimensions(png, side, side).size(QR_EMU, QR_EMU);
    let small = |text: &str| Paragraph::new().add_run(run(text).size(SMALL_SIZE));
    let qr_width = 1_814;
    let row = TableRow::new(vec![
        cell(qr_width, vec![Paragraph::new().add_run(Run::new().add_image(pic))]),
        cell(
            TEXT_WIDTH - qr_width,
            vec![
                small("Dokumen ini diterbitkan melalui SI-FILMA. Keaslian dokumen dapat diperiksa dengan memindai kode QR di samping atau membuka alamat berikut:"),
                small(url),
                Paragraph::new().add_run(Run::new().add_text("Kode verifikasi: ").size(SMALL_SIZE)).add_run(run(code).size(SMALL_SIZE).bold()),
            ],
        )
        .vertical_align(VAlignType::Center),
    ])
    .cant_split();
    Ok(layout_table(&[qr_width, TEXT_WIDTH - qr_width], vec![row]))
}

// ---------------------------------------------------------------------------
// BAST
// ---------------------------------------------------------------------------

/// Width of the roman numeral column of the party blocks, also the indent of
/// the "bertindak untuk …" sentence and of the numbered points.
pub(super) const NUMERAL: usize = 454;

/// "I. Nama : …" / "Jabatan : …" / "Alamat Kantor : …" rows of one party.
pub(super) fn party_rows(numeral: &str, party: &Party) -> Vec<TableRow> {
    let widths = [NUMERAL, 1_701, 284, TEXT_WIDTH - NUMERAL - 1_701 - 284];
    let fields = [("Nama", &party.name), ("Jabatan", &party.position), ("Alamat Kantor", &party.office_address)];
    fields
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let first = if i == 0 { numeral } else { "" };
            TableRow::new(vec![
                cell(widths[0], vec![para(first)]),
                cell(widths[1], vec![para(label)]),
                cell(widths[2], vec![para(":")]),
                cell(widths[3], vec![para(value)]),
            ])
            .cant_split()
        })
        .collect()
}

pub(super) fn party_block(numeral: &str, party: &Party, acts_for: &str) -> (Table, Paragraph) {
    let widths = [NUMERAL, 1_701, 284, TEXT_WIDTH - NUMERAL - 1_701 - 284];
    let table = layout_table(&widths, party_rows(numeral, party));
    let role = body(acts_for).indent(Some(NUMERAL as i32), None, None, None);
    (table, role)
}

/// A numbered point: the number hangs in the [`NUMERAL`] column.
pub(super) fn point(number: usize, text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(format!("{number}.")).add_tab())
        .add_run(run(text))
        .align(AlignmentType::Both)
        .indent(Some(NUMERAL as i32), Some(SpecialIndentType::Hanging(NUMERAL as i32)), None, None)
        .add_tab(Tab::new().val(TabValueType::Left).pos(NUMERAL))
        .line_spacing(LineSpacing::new().after(GAP))
}
