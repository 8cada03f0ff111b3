//! The Surat Balasan Aktivasi from Ditjen Dukcapil to the organisation that
//! filed a Permohonan Aktivasi Card Reader Terintegrasi, listing every
//! activated reader, as `.docx`.
use chrono::NaiveDate;
use docx_rs::{AlignmentType, Paragraph, Shading, ShdType, SpecialIndentType, Table, TableCellMargins, TableLayoutType, TableRow, VAlignType, WidthType};

use super::{
    reply::{letter_header, letterhead, signature},
    word::*,
};
use crate::locale;

/// Hal of the Surat Balasan Aktivasi.
pub const ACTIVATION_REPLY_SUBJECT: &str = "Aktivasi Card Reader Terintegrasi";

/// The reply letter of an approved activation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationReply {
    /// The request's reply number (`AKT-2026-00001`).
    pub number: String,
    /// Letter date, printed as "Jakarta, 25 November 2026".
    pub date: NaiveDate,
    /// The organisation that filed: the institution itself or the producer
    /// that delivered its SAM cards.
    pub applicant: String,
    pub applicant_address: String,
    /// The institution (lembaga pengguna) whose readers were activated.
    pub institution: String,
    /// The applicant's Surat Permohonan Aktivasi.
    pub letter_number: String,
    pub letter_date: NaiveDate,
    /// The Dukcapil official who signs; the office address appears under the
    /// letterhead.
    pub signer: Party,
    pub lines: Vec<ActivationReplyLine>,
    pub verify_url: String,
    pub verify_code: String,
}

/// One activated reader in the letter's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationReplyLine {
    /// Jenis Card Reader.
    pub reader_type: String,
    /// S/N CR.
    pub reader_serial: String,
    /// No. Seri Kartu SAM.
    pub sam_serial: String,
    pub perso_number: String,
    /// "Provinsi / Kabupaten/Kota".
    pub region: String,
    pub activation_number: String,
    pub valid_until: NaiveDate,
}

impl ActivationReply {
    /// The last day any listed reader is valid (all of one approval share it).
    #[must_use]
    pub fn valid_until(&self) -> Option<NaiveDate> {
        self.lines.iter().map(|l| l.valid_until).max()
    }
}

/// The opening paragraph: the applicant's letter, its date and the
/// institution the readers belong to.
#[must_use]
pub fn activation_reply_opening(r: &ActivationReply) -> String {
    let own = r.applicant.trim() == r.institution.trim();
    let whose = if own { String::new() } else { format!(" untuk {}", r.institution.trim()) };
    format!(
        "Menindaklanjuti surat Saudara Nomor : {} tanggal {} perihal Permohonan Aktivasi Card Reader Terintegrasi{whose}, bersama ini kami sampaikan bahwa {} card reader sebagaimana tercantum di bawah ini telah diaktivasi:",
        r.letter_number.trim(),
        locale::date(r.letter_date),
        locale::quantity_with_words(r.lines.len() as u64),
    )
}

/// The sentence after the table: manifests on the portal, validity, and
/// what to do with a lost reader.
#[must_use]
pub fn activation_reply_manifests(r: &ActivationReply) -> String {
    let until = r.valid_until().map_or_else(String::new, |d| format!(" Aktivasi berlaku sampai dengan {}.", locale::date(d)));
    format!(
        "File konfigurasi manifest masing-masing card reader telah ditandatangani secara elektronik oleh Ditjen Dukcapil dan dapat diunduh melalui portal SI-FILMA pada halaman permohonan aktivasi Nomor {}.{until} Card reader yang hilang, dicuri atau rusak agar segera dilaporkan melalui portal untuk dicabut aktivasinya.",
        r.number.trim()
    )
}

const LINE_HEADERS: [&str; 8] = ["No.", "Jenis Card Reader", "S/N CR", "No. Seri Kartu SAM", "Nomor Perso", "Wilayah", "No. Aktivasi", "Berlaku s.d."];

/// Font size of the readers table (half-points): at 7 pt a SAM serial, a
/// Nomor Perso (`PRS-2026-00000001`), an activation number
/// (`AKT-2026-00001-0001`) and a machine type's words each stay on one line
/// across the page's eight columns.
const LINE_SIZE: usize = 14;

fn lines_table(lines: &[ActivationReplyLine]) -> Table {
    let widths = [397, 1_020, 1_060, 1_110, 1_420, TEXT_WIDTH - 397 - 1_020 - 1_060 - 1_110 - 1_420 - 1_690 - 960, 1_690, 960];
    let grey = || Shading::new().shd_type(ShdType::Clear).color("auto").fill("D9D9D9");
    let text = |w: usize, s: &str, align: AlignmentType| {
        cell(w, vec![Paragraph::new().add_run(run(s).size(LINE_SIZE)).align(align)]).vertical_align(VAlignType::Center)
    };
    let header = TableRow::new(
        LINE_HEADERS
            .iter()
            .zip(widths)
            .map(|(h, w)| cell(w, vec![centered(run(h).bold().size(LINE_SIZE))]).shading(grey()).vertical_align(VAlignType::Center))
            .collect(),
    )
    .cant_split();
    let mut rows = vec![header];
    for (i, l) in lines.iter().enumerate() {
        rows.push(
            TableRow::new(vec![
                text(widths[0], &format!("{}.", i + 1), AlignmentType::Center),
                text(widths[1], &l.reader_type, AlignmentType::Left),
                text(widths[2], &l.reader_serial, AlignmentType::Left),
                text(widths[3], &l.sam_serial, AlignmentType::Left),
                text(widths[4], &l.perso_number, AlignmentType::Left),
                text(widths[5], &l.region, AlignmentType::Left),
                text(widths[6], &l.activation_number, AlignmentType::Left),
                text(widths[7], &locale::date(l.valid_until), AlignmentType::Center),
            ])
            .cant_split(),
        );
    }
    Table::new(rows)
        .set_grid(widths.to_vec())
        .width(TEXT_WIDTH, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(28, 43, 28, 43))
}

/// The Surat Balasan Aktivasi as a Word document: letterhead,
/// Nomor/Sifat/Lampiran/Hal with place and date, the applicant organisation
/// and its address, a paragraph naming its letter (and the institution when
/// a producer filed), the table of activated readers, where the manifests
/// are and how long they are valid, closing, the official's signature block
/// and the verification block with QR code.
///
/// # Errors
/// [`DocumentError::Qr`] when the verification URL does not fit in a QR
/// code; [`DocumentError::Docx`] when the package cannot be written.
pub fn activation_reply_docx(r: &ActivationReply) -> Result<Vec<u8>, DocumentError> {
    let indent = |p: Paragraph| p.indent(None, Some(SpecialIndentType::FirstLine(567)), None, None);
    let mut doc = new_docx();
    for p in letterhead(&r.signer.office_address) {
        doc = doc.add_paragraph(p);
    }
    let (dated, header) = letter_header(&r.number, r.date, ACTIVATION_REPLY_SUBJECT);
    doc = doc
        .add_paragraph(dated)
        .add_table(header)
        .add_paragraph(after(Paragraph::new(), GAP))
        .add_paragraph(para("Yth. Pimpinan"))
        .add_paragraph(para(&r.applicant).indent(Some(510), None, None, None));
    if !r.applicant_address.trim().is_empty() {
        doc = doc.add_paragraph(para(&r.applicant_address).indent(Some(510), None, None, None));
    }
    doc = doc
        .add_paragraph(after(para("di Tempat").indent(Some(510), None, None, None), 240))
        .add_paragraph(indent(body(&activation_reply_opening(r))))
        .add_table(lines_table(&r.lines))
        .add_paragraph(after(Paragraph::new(), GAP))
        .add_paragraph(indent(body(&activation_reply_manifests(r))))
        .add_paragraph(after(indent(body("Demikian disampaikan, atas perhatian dan kerja sama Saudara diucapkan terima kasih.")), 360))
        .add_table(signature(&r.signer))
        .add_paragraph(after(Paragraph::new(), 360))
        .add_table(verification(&r.verify_url, &r.verify_code)?);
    pack(doc)
}
