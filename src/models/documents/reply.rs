//! The Surat Balasan from Ditjen Dukcapil to the producer, listing every
//! line of a submission, as `.docx`.
use chrono::NaiveDate;
use docx_rs::{
    AlignmentType, BorderType, HeightRule, Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Shading, ShdType, SpecialIndentType, Table,
    TableCellMargins, TableLayoutType, TableRow, VAlignType, WidthType,
};

use super::word::*;
use crate::locale;

/// The Surat Balasan: Ditjen Dukcapil tells the producer the result of a
/// personalisation submission, one table row per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Nomor of the letter, assigned by the caller.
    pub number: String,
    /// Letter date, printed as "Jakarta, 25 November 2026".
    pub date: NaiveDate,
    pub producer: String,
    /// Address the letter is sent to; the recipient's office address is used
    /// when this is empty.
    pub producer_address: String,
    /// The producer's PIC.
    pub recipient: Party,
    /// The Dukcapil official who signs; the office address appears under the
    /// letterhead.
    pub signer: Party,
    /// The producer's submission letter number.
    pub submission_number: String,
    pub submission_date: NaiveDate,
    /// Kode Tiket of the submission.
    pub ticket: String,
    pub lines: Vec<ReplyLine>,
    pub verify_url: String,
    pub verify_code: String,
}

/// One line (lembaga pengguna) of the Surat Balasan table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine {
    pub institution: String,
    pub request_number: String,
    pub request_date: NaiveDate,
    /// Jumlah Diminta.
    pub requested: u64,
    /// Jumlah Berhasil: cards personalised without fault.
    pub clear: u64,
}

/// Hal of the Surat Balasan.
pub const REPLY_SUBJECT: &str = "Penyampaian Hasil Personalisasi Kartu SAM";

/// The Ditjen Dukcapil letterhead, the signer's office address under it.
pub(super) fn letterhead(address: &str) -> Vec<Paragraph> {
    let rule =
        ParagraphBorders::with_empty().set(ParagraphBorder::new(ParagraphBorderPosition::Bottom).val(BorderType::Thick).size(18).space(4).color("000000"));
    let mut lines = vec![
        centered(run("KEMENTERIAN DALAM NEGERI REPUBLIK INDONESIA").bold().size(26)),
        centered(run("DIREKTORAT JENDERAL KEPENDUDUKAN DAN PENCATATAN SIPIL").bold().size(24)),
    ];
    if !address.trim().is_empty() {
        lines.push(centered(run(address).size(SMALL_SIZE)));
    }
    if let Some(last) = lines.pop() {
        lines.push(after(last.set_borders(rule), 240));
    }
    lines
}

/// Place and date, right-aligned above the Nomor / Sifat / Lampiran / Hal block.
pub(super) fn letter_header(number: &str, date: NaiveDate, subject: &str) -> (Paragraph, Table) {
    let dated = after(para(&format!("Jakarta, {}", locale::date(date))).align(AlignmentType::Right), GAP);
    let widths = [1_247, 284, TEXT_WIDTH - 1_247 - 284];
    let row = |label: &str, value: &str| {
        TableRow::new(vec![cell(widths[0], vec![para(label)]), cell(widths[1], vec![para(":")]), cell(widths[2], vec![para(value)])])
    };
    let table = layout_table(&widths, vec![row("Nomor", number), row("Sifat", "Biasa"), row("Lampiran", "-"), row("Hal", subject)]);
    (dated, table)
}

/// The opening paragraph of the Surat Balasan, naming the producer's letter
/// and the ticket.
pub fn reply_opening(r: &Reply) -> String {
    format!(
        "Menindaklanjuti surat Saudara Nomor : {} tanggal {} dengan Kode Tiket {} perihal permohonan personalisasi kartu SAM, bersama ini kami sampaikan hasil personalisasi kartu SAM sebagai berikut:",
        r.submission_number.trim(),
        locale::date(r.submission_date),
        r.ticket.trim()
    )
}

/// The official's signature block, right half: position, room for the
/// signature and stamp, name.
pub(super) fn signature(signer: &Party) -> Table {
    let half = TEXT_WIDTH / 2;
    layout_table(
        &[half, TEXT_WIDTH - half],
        vec![
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![centered(run(&signer.position))])]).cant_split(),
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![Paragraph::new()])])
                .row_height(1_500.0)
                .height_rule(HeightRule::AtLeast)
                .cant_split(),
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![signature_name(&signer.name)])]).cant_split(),
        ],
    )
}

fn lines_table(lines: &[ReplyLine]) -> Table {
    let widths = [567, 2_381, 1_871, 1_814, 1_219, TEXT_WIDTH - 567 - 2_381 - 1_871 - 1_814 - 1_219];
    let grey = || Shading::new().shd_type(ShdType::Clear).color("auto").fill("D9D9D9");
    let text = |w: usize, s: &str, align: AlignmentType| {
        cell(w, vec![Paragraph::new().add_run(run(s).size(TABLE_SIZE)).align(align)]).vertical_align(VAlignType::Center)
    };
    let headers = ["No.", "Lembaga Pengguna", "No. Permintaan", "Tgl Permintaan", "Jumlah Diminta", "Jumlah Berhasil"];
    let mut rows = vec![TableRow::new(
        headers
            .iter()
            .zip(widths)
            .map(|(h, w)| cell(w, vec![centered(run(h).bold().size(TABLE_SIZE))]).shading(grey()).vertical_align(VAlignType::Center))
            .collect(),
    )
    .cant_split()];
    let (mut requested, mut clear) = (0u64, 0u64);
    for (i, line) in lines.iter().enumerate() {
        requested = requested.saturating_add(line.requested);
        clear = clear.saturating_add(line.clear);
        rows.push(
            TableRow::new(vec![
                text(widths[0], &format!("{}.", i + 1), AlignmentType::Center),
                text(widths[1], &line.institution, AlignmentType::Left),
                text(widths[2], &line.request_number, AlignmentType::Left),
                text(widths[3], &locale::date(line.request_date), AlignmentType::Center),
                text(widths[4], &locale::group_thousands(line.requested), AlignmentType::Right),
                text(widths[5], &locale::group_thousands(line.clear), AlignmentType::Right),
            ])
            .cant_split(),
        );
    }
    let label_width = widths[..4].iter().sum();
    rows.push(
        TableRow::new(vec![
            cell(label_width, vec![centered(run("Jumlah").bold().size(TABLE_SIZE))]).grid_span(4),
            cell(widths[4], vec![Paragraph::new().add_run(run(&locale::group_thousands(requested)).bold().size(TABLE_SIZE)).align(AlignmentType::Right)]),
            cell(widths[5], vec![Paragraph::new().add_run(run(&locale::group_thousands(clear)).bold().size(TABLE_SIZE)).align(AlignmentType::Right)]),
        ])
        .cant_split(),
    );
    Table::new(rows)
        .set_grid(widths.to_vec())
        .width(TEXT_WIDTH, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(28, 85, 28, 85))
}

/// The Surat Balasan to the producer as a Word document: letterhead,
/// Nomor/Sifat/Lampiran/Hal with place and date, addressee, a paragraph
/// naming the producer's letter and Kode Tiket, the table of lines with
/// totals, closing, the official's signature block and the verification
/// block with QR code.
///
/// # Errors
/// [`DocumentError::Qr`] when the verification URL does not fit in a QR
/// code; [`DocumentError::Docx`] when the package cannot be written.
pub fn reply_docx(r: &Reply) -> Result<Vec<u8>, DocumentError> {
    let address = if r.producer_address.trim().is_empty() { &r.recipient.office_address } else { &r.producer_address };
    let addressee_role = [r.recipient.position.trim(), r.producer.trim()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");

    let mut doc = new_docx();
    for p in letterhead(&r.signer.office_address) {
        doc = doc.add_paragraph(p);
    }
    let (dated, header) = letter_header(&r.number, r.date, REPLY_SUBJECT);
    doc = doc
        .add_paragraph(dated)
        .add_table(header)
        .add_paragraph(after(Paragraph::new(), GAP))
        .add_paragraph(para(&format!("Yth. Sdr. {}", r.recipient.name.trim())))
        .add_paragraph(para(&addressee_role).indent(Some(510), None, None, None))
        .add_paragraph(after(para(address).indent(Some(510), None, None, None), 240))
        .add_paragraph(body(&reply_opening(r)).indent(None, Some(SpecialIndentType::FirstLine(567)), None, None))
        .add_table(lines_table(&r.lines))
        .add_paragraph(after(Paragraph::new(), GAP))
        .add_paragraph(
            body(
                "Kartu SAM hasil personalisasi tersebut diserahterimakan kepada Saudara dengan Berita Acara Serah Terima untuk masing-masing lembaga pengguna.",
            )
            .indent(None, Some(SpecialIndentType::FirstLine(567)), None, None),
        )
        .add_paragraph(after(
            body("Demikian disampaikan, atas perhatian dan kerja sama Saudara diucapkan terima kasih.").indent(
                None,
                Some(SpecialIndentType::FirstLine(567)),
                None,
                None,
            ),
            360,
        ))
        .add_table(signature(&r.signer))
        .add_paragraph(after(Paragraph::new(), 360))
        .add_table(verification(&r.verify_url, &r.verify_code)?);
    pack(doc)
}

// ---------------------------------------------------------------------------
// Card list
// ---------------------------------------------------------------------------
