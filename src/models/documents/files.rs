//! Documents handed out when personalised SAM cards are delivered:
//!
//! * [`bast_docx`]: the Berita Acara Serah Terima of one line (lembaga
//!   pengguna) of a request, as `.docx`;
//! * [`reply_docx`]: the Surat Balasan from Ditjen Dukcapil to the producer
//!   listing every line of a submission, as `.docx`;
//! * [`card_list_xlsx`]: the list of personalised cards of one line, as `.xlsx`.
//!
//! Every document carries a verification line (URL and code); the Word
//! documents also carry the URL as a QR code ([`qr_png`]). The builders are
//! pure: numbers, dates, names and URLs come from the caller, nothing here
//! reads the database or the clock.
//!
//! Text is Bahasa Indonesia; dates and quantities are spelled with
//! [`crate::locale`].
use std::io::Cursor;

use chrono::NaiveDate;
use docx_rs::{
    AlignmentType, BorderType, Docx, HeightRule, LineSpacing, LineSpacingType, PageMargin, Paragraph, ParagraphBorder, ParagraphBorderPosition,
    ParagraphBorders, Pic, Run, RunFonts, Shading, ShdType, SpecialIndentType, Tab, TabValueType, Table, TableCell, TableCellMargins, TableLayoutType,
    TableRow, VAlignType, WidthType,
};
use qrcode::{Color, EcLevel, QrCode};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, IgnoreError, Workbook, XlsxError};

use crate::locale;

/// Pihak Pertama and Pihak Kedua of a BAST, and the two ends of a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub position: String,
    pub office_address: String,
}

/// One Berita Acara Serah Terima: the hand-over of the personalised cards of
/// one line (lembaga pengguna) of a request from Ditjen Dukcapil (Pihak
/// Pertama) to the producer (Pihak Kedua).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bast {
    /// Nomor of the BAST, assigned by the caller (e.g. `SAM-2026-00001`).
    pub number: String,
    /// Handover date; spelled out in words in the opening sentence.
    pub date: NaiveDate,
    /// Producer as registered (e.g. `PT Nyra`); the title shows it upper-case.
    pub producer: String,
    /// The Dukcapil official who hands over.
    pub first: Party,
    /// The producer's PIC who receives.
    pub second: Party,
    /// Lembaga pengguna of the line.
    pub institution: String,
    /// Number of the institution's request letter (No. Permintaan).
    pub letter_number: String,
    pub letter_date: NaiveDate,
    /// Perihal of the request letter.
    pub letter_subject: String,
    /// Cards handed over (Jumlah Diterima).
    pub quantity: u64,
    /// Jenis Mesin of the line (e.g. `Type IdGlobalScan GSX-01`).
    pub machine_type: String,
    /// Printed as text and as a QR code.
    pub verify_url: String,
    /// Printed as "Kode verifikasi: …".
    pub verify_code: String,
}

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

/// One personalised card in the card list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub serial: String,
    pub manifest: String,
    pub pcid: String,
    pub note: String,
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

/// Pixels per QR module in [`qr_png`]: large enough that a viewer scaling the
/// picture to print size keeps the module edges sharp.
pub const QR_MODULE_PX: usize = 8;

/// Light modules around the symbol in [`qr_png`] (the quiet zone ISO/IEC
/// 18004 asks for).
pub const QR_QUIET_ZONE: usize = 4;

/// Printed edge of the QR picture in the Word documents: 2.8 cm in EMU.
const QR_EMU: u32 = 1_008_000;

/// The QR code (error correction level M) of `text` as a 1-bit greyscale
/// PNG, [`QR_MODULE_PX`] pixels per module with a [`QR_QUIET_ZONE`]-module
/// light border. The PNG is written here, without the `image` crate: its
/// zlib stream uses stored (uncompressed) deflate blocks, which every
/// decoder accepts; the `.docx` container compresses it anyway.
///
/// # Errors
/// [`DocumentError::Qr`] when `text` does not fit in a QR code.
pub fn qr_png(text: &str) -> Result<Vec<u8>, DocumentError> {
    qr_png_sized(text).map(|(png, _)| png)
}

/// [`qr_png`] and its edge length in pixels.
fn qr_png_sized(text: &str) -> Result<(Vec<u8>, usize), DocumentError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(DocumentError::Qr)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET_ZONE) * QR_MODULE_PX;
    let row_bytes = side.div_ceil(8);

    // Scanlines: filter byte 0 (none), then one bit per pixel, 1 = white.
    let mut raw = Vec::with_capacity(side * (row_bytes + 1));
    let mut line = vec![0u8; row_bytes + 1];
    for y in 0..side {
        if y % QR_MODULE_PX == 0 {
            line.fill(0);
            for x in 0..side {
                let mx = (x / QR_MODULE_PX).checked_sub(QR_QUIET_ZONE).filter(|&m| m < modules);
                let my = (y / QR_MODULE_PX).checked_sub(QR_QUIET_ZONE).filter(|&m| m < modules);
                let dark = matches!((mx, my), (Some(mx), Some(my)) if colors[my * modules + mx] == Color::Dark);
                if !dark {
                    line[1 + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        raw.extend_from_slice(&line);
    }

    let side32 = u32::try_from(side).unwrap_or(u32::MAX);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&side32.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

    let idat = zlib_stored(&raw);
    let mut png = Vec::with_capacity(8 + 25 + idat.len() + 12 + 12);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &idat);
    png_chunk(&mut png, b"IEND", &[]);
    Ok((png, side))
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = !crc32_update(crc32_update(!0, kind), data);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4):
/// header, blocks of at most 65,535 bytes each, Adler-32 of the data.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 0xFFFF;
    let mut out = Vec::with_capacity(data.len() + 6 + 5 * (data.len() / BLOCK + 1));
    // CMF 0x78: deflate, 32 KiB window; FLG 0x01 makes CMF·256+FLG a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(BLOCK).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5,552 bytes is the longest run whose sums cannot overflow u32 before reduction.
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) lookup table.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Feeds `data` into a running CRC-32 register (start with `!0`, finish with `!`).
fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

// ---------------------------------------------------------------------------
// Word building blocks
// ---------------------------------------------------------------------------

const FONT: &str = "Arial";
/// A4 width minus the 3 cm left and 2 cm right margins, in twips.
const TEXT_WIDTH: usize = 11_906 - 1_701 - 1_134;
/// Font sizes in half-points.
const BODY_SIZE: usize = 22;
const SMALL_SIZE: usize = 17;
const TABLE_SIZE: usize = 20;
/// Space after a body paragraph, in twips (6 pt).
const GAP: u32 = 120;

/// Text as Word accepts it: characters XML 1.0 forbids (most C0 controls,
/// U+FFFE, U+FFFF) are dropped, line breaks and tabs become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect()
}

fn new_docx() -> Docx {
    Docx::new()
        .page_size(11_906, 16_838)
        .page_margin(PageMargin::new().top(1_134).bottom(1_134).left(1_701).right(1_134).header(567).footer(567))
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT))
        .default_size(BODY_SIZE)
        .default_line_spacing(LineSpacing::new().before(0).after(0).line(240).line_rule(LineSpacingType::Auto))
}

fn pack(doc: Docx) -> Result<Vec<u8>, DocumentError> {
    let mut out = Cursor::new(Vec::with_capacity(16 * 1024));
    doc.pack(&mut out).map_err(DocumentError::Docx)?;
    Ok(out.into_inner())
}

fn run(text: &str) -> Run {
    Run::new().add_text(clean(text))
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn after(p: Paragraph, twips: u32) -> Paragraph {
    p.line_spacing(LineSpacing::new().after(twips))
}

fn body(text: &str) -> Paragraph {
    after(para(text).align(AlignmentType::Both), GAP)
}

fn centered(run: Run) -> Paragraph {
    Paragraph::new().add_run(run).align(AlignmentType::Center)
}

fn cell(width: usize, paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs.into_iter().fold(TableCell::new().width(width, WidthType::Dxa), TableCell::add_paragraph)
}

/// A table without borders whose columns have the given widths (twips).
fn layout_table(widths: &[usize], rows: Vec<TableRow>) -> Table {
    Table::without_borders(rows)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, 57, 0, 0))
}

/// The name line under a signature: bold and underlined.
fn signature_name(name: &str) -> Paragraph {
    centered(run(name).bold().underline("single"))
}

/// The verification block closing each Word document: the QR code of the
/// URL beside the URL and the code in words.
fn verification(url: &str, code: &str) -> Result<Table, DocumentError> {
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
const NUMERAL: usize = 454;

/// "I. Nama : …" / "Jabatan : …" / "Alamat Kantor : …" rows of one party.
fn party_rows(numeral: &str, party: &Party) -> Vec<TableRow> {
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

fn party_block(numeral: &str, party: &Party, acts_for: &str) -> (Table, Paragraph) {
    let widths = [NUMERAL, 1_701, 284, TEXT_WIDTH - NUMERAL - 1_701 - 284];
    let table = layout_table(&widths, party_rows(numeral, party));
    let role = body(acts_for).indent(Some(NUMERAL as i32), None, None, None);
    (table, role)
}

/// A numbered point: the number hangs in the [`NUMERAL`] column.
fn point(number: usize, text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(format!("{number}.")).add_tab())
        .add_run(run(text))
        .align(AlignmentType::Both)
        .indent(Some(NUMERAL as i32), Some(SpecialIndentType::Hanging(NUMERAL as i32)), None, None)
        .add_tab(Tab::new().val(TabValueType::Left).pos(NUMERAL))
        .line_spacing(LineSpacing::new().after(GAP))
}

/// The opening sentence of a BAST:
/// "Pada hari ini Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu
/// Dua Puluh Enam, yang bertanda tangan di bawah ini:".
pub fn bast_opening(date: NaiveDate) -> String {
    format!("Pada hari ini {}, yang bertanda tangan di bawah ini:", locale::date_in_words(date))
}

/// The hand-over point: "… hasil personalisasi kartu SAM sebanyak 100 (seratus) keping;".
pub fn bast_handover(quantity: u64) -> String {
    format!(
        "Pihak Pertama menyerahkan kepada Pihak Kedua dan Pihak Kedua menerima dari Pihak Pertama hasil personalisasi kartu SAM sebanyak {} keping;",
        locale::quantity_with_words(quantity)
    )
}

/// The Berita Acara Serah Terima of one line as a Word document: title,
/// Nomor, opening sentence with the date in words, both parties, the request
/// letter it rests on, the hand-over and use points, closing, both
/// signatures side by side, and the verification block with QR code.
///
/// # Errors
/// [`DocumentError::Qr`] when the verification URL does not fit in a QR
/// code; [`DocumentError::Docx`] when the package cannot be written.
pub fn bast_docx(b: &Bast) -> Result<Vec<u8>, DocumentError> {
    let title = |text: &str| centered(run(text).bold().size(24));
    let (first_table, first_role) = party_block(
        "I.",
        &b.first,
        "bertindak untuk dan atas nama Direktorat Jenderal Kependudukan dan Pencatatan Sipil, yang selanjutnya disebut sebagai Pihak Pertama.",
    );
    let (second_table, second_role) =
        party_block("II.", &b.second, &format!("bertindak untuk dan atas nama {}, yang selanjutnya disebut sebagai Pihak Kedua.", b.producer.trim()));
    let basis = format!(
        "Berdasarkan Surat {} Nomor : {} tanggal {} perihal {}:",
        b.institution.trim(),
        b.letter_number.trim(),
        locale::date(b.letter_date),
        b.letter_subject.trim()
    );
    let usage = format!(
        "Hasil personalisasi kartu SAM tersebut akan digunakan sebagai alat baca KTP-el pada mesin {} di {} sesuai dengan ketentuan dan peraturan yang berlaku.",
        b.machine_type.trim(),
        b.institution.trim()
    );

    let half = TEXT_WIDTH / 2;
    let signatures = layout_table(
        &[half, TEXT_WIDTH - half],
        vec![
            TableRow::new(vec![
                cell(half, vec![centered(run("Pihak Kedua")), centered(run("Yang Menerima")), centered(run(&b.producer))]),
                cell(TEXT_WIDTH - half, vec![centered(run("Pihak Pertama")), centered(run("Yang Menyerahkan")), centered(run(&b.first.position))]),
            ])
            .cant_split(),
            // Room for signature and stamp.
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![Paragraph::new()])])
                .row_height(1_500.0)
                .height_rule(HeightRule::AtLeast)
                .cant_split(),
            TableRow::new(vec![cell(half, vec![signature_name(&b.second.name)]), cell(TEXT_WIDTH - half, vec![signature_name(&b.first.name)])]).cant_split(),
        ],
    );

    let doc = new_docx()
        .add_paragraph(title("BERITA ACARA SERAH TERIMA"))
        .add_paragraph(title(&format!("HASIL PERSONALISASI KARTU SAM {}", b.producer.trim().to_uppercase())))
        .add_paragraph(after(centered(run(&format!("Nomor : {}", b.number.trim()))), 360))
        .add_paragraph(body(&bast_opening(b.date)))
        .add_table(first_table)
        .add_paragraph(first_role)
        .add_table(second_table)
        .add_paragraph(second_role)
        .add_paragraph(body(&basis))
        .add_paragraph(point(1, &bast_handover(b.quantity)))
        .add_paragraph(point(2, &usage))
        .add_paragraph(after(body("Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."), 360))
        .add_table(signatures)
        .add_paragraph(after(Paragraph::new(), 360))
        .add_table(verification(&b.verify_url, &b.verify_code)?);
    pack(doc)
}

// ---------------------------------------------------------------------------
// Surat Balasan
// ---------------------------------------------------------------------------

/// Hal of the Surat Balasan.
pub const REPLY_SUBJECT: &str = "Penyampaian Hasil Personalisasi Kartu SAM";

fn letterhead(address: &str) -> Vec<Paragraph> {
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
fn letter_header(number: &str, date: NaiveDate) -> (Paragraph, Table) {
    let dated = after(para(&format!("Jakarta, {}", locale::date(date))).align(AlignmentType::Right), GAP);
    let widths = [1_247, 284, TEXT_WIDTH - 1_247 - 284];
    let row = |label: &str, value: &str| {
        TableRow::new(vec![cell(widths[0], vec![para(label)]), cell(widths[1], vec![para(":")]), cell(widths[2], vec![para(value)])])
    };
    let table = layout_table(&widths, vec![row("Nomor", number), row("Sifat", "Biasa"), row("Lampiran", "-"), row("Hal", REPLY_SUBJECT)]);
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

    let half = TEXT_WIDTH / 2;
    let signature = layout_table(
        &[half, TEXT_WIDTH - half],
        vec![
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![centered(run(&r.signer.position))])]).cant_split(),
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![Paragraph::new()])])
                .row_height(1_500.0)
                .height_rule(HeightRule::AtLeast)
                .cant_split(),
            TableRow::new(vec![cell(half, vec![Paragraph::new()]), cell(TEXT_WIDTH - half, vec![signature_name(&r.signer.name)])]).cant_split(),
        ],
    );

    let mut doc = new_docx();
    for p in letterhead(&r.signer.office_address) {
        doc = doc.add_paragraph(p);
    }
    let (dated, header) = letter_header(&r.number, r.date);
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
        .add_table(signature)
        .add_paragraph(after(Paragraph::new(), 360))
        .add_table(verification(&r.verify_url, &r.verify_code)?);
    pack(doc)
}

// ---------------------------------------------------------------------------
// Card list
// ---------------------------------------------------------------------------

/// Sheet name of the card list.
pub const LIST_SHEET: &str = "Hasil Personalisasi";

/// Header row of the card list (row 5, columns A to E).
pub const LIST_HEADERS: [&str; 5] = ["No.", "No. Seri Kartu SAM", "No. Manifest Kartu SAM", "No. PCID", "Keterangan"];

/// Zero-based index of the header row; cards follow on the next rows.
const LIST_HEADER_ROW: u32 = 4;

/// Excel's last row is 1,048,576; the list needs the title rows, the
/// header, one empty row and the verification line besides the cards.
pub const LIST_MAX_ROWS: usize = 1_048_576 - LIST_HEADER_ROW as usize - 1 - 2;

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
    let title = Format::new().set_bold().set_font_size(12).set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_background_color("D9D9D9");
    let data = Format::new().set_num_format("@").set_border(FormatBorder::Thin);
    let number = Format::new().set_num_format("@").set_border(FormatBorder::Thin).set_align(FormatAlign::Center);

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
