//! The Berita Acara Serah Terima of one line (lembaga pengguna) of a
//! request, as `.docx`.
use chrono::NaiveDate;
use docx_rs::{HeightRule, Paragraph, TableRow};

use super::word::*;
use crate::locale;

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
