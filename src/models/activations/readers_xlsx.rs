//! Daftar Card Reader Teraktivasi: the readers an approved request
//! activated, as `.xlsx`, built on demand (not archived: it shows each
//! reader's status today, revocations included).
//!
//! Every cell is a text cell formatted as text: serials keep their leading
//! zeros, and a value a spreadsheet would take for a formula (`=…`, `+…`,
//! `-…`, `@…`) stays text.
use rust_xlsxwriter::{Format, IgnoreError, Workbook};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{documents::type_names, list, ReaderStatus, RequestStatus};
use crate::models::{
    _entities::{cards, organisations, users},
    documents::{DocumentError, ListFormats},
    errors::{AppError, AppResult},
    uploads,
};

/// Sheet name of the list.
pub const READERS_SHEET: &str = "Card Reader Teraktivasi";

/// Header row of the list (row 6, columns A to N).
pub const READERS_HEADERS: [&str; 14] = [
    "No.",
    "Jenis Card Reader",
    "S/N CR",
    "No. Seri Kartu SAM",
    "Nomor Perso",
    "PCID",
    "Provinsi",
    "Kabupaten/Kota",
    "No. Aktivasi",
    "Berlaku Mulai",
    "Berlaku s.d.",
    "Status",
    "Tanggal Dicabut",
    "Alasan",
];

/// Zero-based index of the header row; readers follow on the next rows.
pub const READERS_HEADER_ROW: u32 = 5;

/// One activated reader, every value as it is printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderRow {
    pub reader_type: String,
    pub reader_serial: String,
    pub sam_serial: String,
    pub perso_number: String,
    pub pcid: String,
    pub province: String,
    pub city: String,
    pub activation_number: String,
    pub valid_from: String,
    pub valid_until: String,
    /// Aktif / Dicabut.
    pub status: String,
    pub revoked_on: String,
    pub reason: String,
}

impl ReaderRow {
    fn cells(&self) -> [&str; 13] {
        [
            &self.reader_type,
            &self.reader_serial,
            &self.sam_serial,
            &self.perso_number,
            &self.pcid,
            &self.province,
            &self.city,
            &self.activation_number,
            &self.valid_from,
            &self.valid_until,
            &self.status,
            &self.revoked_on,
            &self.reason,
        ]
    }
}

/// What the list's heading says about its request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListHeading {
    pub institution: String,
    pub reply_number: String,
    /// "470/AKT/2026 tanggal 20 November 2026".
    pub letter: String,
}

/// The list as an Excel workbook: title (row 1), Lembaga Pengguna, No.
/// Surat Balasan and Surat Permohonan (rows 2–4), the [`READERS_HEADERS`] in
/// row 6, one row per reader.
///
/// # Errors
/// [`DocumentError::Xlsx`] when a value is longer than Excel allows or the
/// workbook cannot be written.
pub fn readers_xlsx(heading: &ListHeading, rows: &[ReaderRow]) -> Result<Vec<u8>, DocumentError> {
    let last_col = (READERS_HEADERS.len() - 1) as u16;
    let ListFormats { title, header, data, centered } = ListFormats::new();
    let label = Format::new().set_bold().set_num_format("@");
    let value = Format::new().set_num_format("@");

    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(READERS_SHEET)?;
    ws.merge_range(0, 0, 0, last_col, "DAFTAR CARD READER TERAKTIVASI", &title)?;
    for (row, (name, text)) in
        (1u32..).zip([("Lembaga Pengguna", &heading.institution), ("No. Surat Balasan", &heading.reply_number), ("Surat Permohonan", &heading.letter)])
    {
        ws.merge_range(row, 0, row, 1, name, &label)?;
        ws.merge_range(row, 2, row, 7, text, &value)?;
    }
    for (col, text) in (0u16..).zip(READERS_HEADERS) {
        ws.write_string_with_format(READERS_HEADER_ROW, col, text, &header)?;
    }
    let mut widths = READERS_HEADERS.map(|h| h.chars().count());
    let mut row_num = READERS_HEADER_ROW;
    for (i, r) in rows.iter().enumerate() {
        row_num += 1;
        let no = (i + 1).to_string();
        widths[0] = widths[0].max(no.len());
        ws.write_string_with_format(row_num, 0, &no, &centered)?;
        for (col, text) in (1u16..).zip(r.cells()) {
            let w = &mut widths[usize::from(col)];
            *w = (*w).max(text.chars().count());
            ws.write_string_with_format(row_num, col, text, &data)?;
        }
    }
    if !rows.is_empty() {
        ws.ignore_error_range(READERS_HEADER_ROW + 1, 0, row_num, last_col, IgnoreError::NumberStoredAsText)?;
    }
    for (col, w) in (0u16..).zip(widths) {
        ws.set_column_width(col, (w + 2).clamp(6, 50) as f64)?;
    }
    ws.set_paper_size(9) // A4
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_footer("&CHalaman &P dari &N");
    ws.set_repeat_rows(READERS_HEADER_ROW, READERS_HEADER_ROW)?;
    ws.set_freeze_panes(READERS_HEADER_ROW + 1, 0)?;
    Ok(book.save_to_buffer()?)
}

/// The list of approved request `id` for whoever may see the request: its
/// file name and bytes, built on the blocking pool.
///
/// # Errors
/// `NotFound` outside the user's scope and before approval.
pub async fn download(db: &DatabaseConnection, user: &users::Model, id: i32) -> AppResult<(String, Vec<u8>)> {
    let (r, lines) = list::find_for(db, user, id).await?;
    let Some(number) = r.reply_number.clone().filter(|_| r.status == RequestStatus::Approved.as_str()) else {
        return Err(AppError::NotFound);
    };
    let lines: Vec<_> = lines.into_iter().filter(|l| l.activation_number.is_some()).collect();
    let types = type_names(db, &lines).await?;
    let mut pcids = std::collections::HashMap::new();
    for chunk in lines.chunks(1_000) {
        let ids = chunk.iter().map(|l| l.card_id);
        for card in cards::Entity::find().filter(cards::Column::Id.is_in(ids)).all(db).await? {
            pcids.insert(card.id, card.pcid.unwrap_or_default());
        }
    }
    let institution = organisations::Entity::find_by_id(r.institution_id).one(db).await?.map(|o| o.name).unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(crate::locale::date).unwrap_or_default();
    let rows: Vec<ReaderRow> = lines
        .into_iter()
        .map(|l| ReaderRow {
            reader_type: types.get(&l.machine_type_id).cloned().unwrap_or_default(),
            pcid: pcids.get(&l.card_id).cloned().unwrap_or_default(),
            activation_number: l.activation_number.unwrap_or_default(),
            valid_from: date(l.valid_from),
            valid_until: date(l.valid_until),
            status: ReaderStatus::parse(&l.status).map_or("", ReaderStatus::label).to_string(),
            revoked_on: date(l.revoked_on),
            reason: l.revoke_reason.unwrap_or_default(),
            reader_serial: l.reader_serial,
            sam_serial: l.sam_serial,
            perso_number: l.perso_number,
            province: l.province,
            city: l.city,
        })
        .collect();
    let heading =
        ListHeading { institution, reply_number: number.clone(), letter: format!("{} tanggal {}", r.letter_number, crate::locale::date(r.letter_date)) };
    let bytes = crate::models::heavy::run(move || readers_xlsx(&heading, &rows))
        .await
        .map_err(|e| AppError::Internal(format!("readers list: {e}")))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((uploads::download_name("Daftar-Card-Reader", &number, "xlsx"), bytes))
}
