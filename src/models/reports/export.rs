//! Export Excel of Rekapitulasi: one sheet per table of the page, the same
//! figures (from the same [`Recap`]), and native Excel charts beside the
//! tables. Every text cell is written as a string, so a name starting with
//! `=`, `+`, `-` or `@` stays text and never becomes a formula.
use rust_xlsxwriter::{Chart, ChartFormat, ChartSolidFill, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::Recap;
use crate::{locale, models::errors::AppError, models::errors::AppResult};

/// Sheet names, in order.
pub const SHEETS: [&str; 9] = ["Ringkasan", "Permintaan", "Pengajuan", "Kartu per Bulan", "Waktu Proses", "Stasiun", "Selisih", "Terlambat", "Aktivasi"];

/// `Rekapitulasi-2026-11.xlsx`.
#[must_use]
pub fn file_name(recap: &Recap) -> String {
    format!("Rekapitulasi-{}.xlsx", recap.filter.file_stamp())
}

/// Builds the workbook on the blocking pool (zipping is CPU work).
///
/// # Errors
/// When the workbook cannot be written.
pub async fn build(recap: Recap, criteria: Vec<(String, String)>) -> AppResult<Vec<u8>> {
    crate::models::heavy::run(move || workbook(&recap, &criteria))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))
}

struct Sheet<'a> {
    ws: &'a mut Worksheet,
    bold: Format,
    header: Format,
}

impl Sheet<'_> {
    fn header(&mut self, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
        for (col, h) in (0u16..).zip(cells) {
            self.ws.write_string_with_format(row, col, *h, &self.header)?;
        }
        Ok(())
    }

    fn text(&mut self, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
        self.ws.write_string(row, col, s).map(|_| ())
    }

    fn num(&mut self, row: u32, col: u16, n: impl Into<f64>) -> Result<(), XlsxError> {
        self.ws.write_number(row, col, n.into()).map(|_| ())
    }

    /// A number when there is one, otherwise the cell stays empty.
    fn maybe(&mut self, row: u32, col: u16, n: Option<f64>) -> Result<(), XlsxError> {
        match n {
            Some(n) => self.num(row, col, (n * 10.0).round() / 10.0),
            None => Ok(()),
        }
    }
}

fn sheet<'a>(book: &'a mut Workbook, name: &str, widths: &[f64]) -> Result<Sheet<'a>, XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    for (col, w) in (0u16..).zip(widths) {
        ws.set_column_width(col, *w)?;
    }
    let header = Format::new().set_bold().set_background_color("D9D9D9").set_text_wrap();
    Ok(Sheet { ws, bold: Format::new().set_bold(), header })
}

fn series_format(color: &str) -> ChartFormat {
    let mut f = ChartFormat::new();
    f.set_solid_fill(ChartSolidFill::new().set_color(color));
    f
}

/// The workbook of `recap`; `criteria` describe its filter.
///
/// # Errors
/// When a value is longer than Excel allows or the workbook cannot be written.
pub fn workbook(recap: &Recap, criteria: &[(String, String)]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();

    // Ringkasan: the filter, the card flow and its reconciliation.
    let mut s = sheet(&mut book, SHEETS[0], &[52.0, 18.0, 18.0, 14.0])?;
    let bold = s.bold.clone();
    s.ws.write_string_with_format(0, 0, format!("REKAPITULASI PERSONALISASI KARTU SAM – {}", recap.period.to_uppercase()), &bold)?;
    let mut row = 2;
    for (label, value) in criteria {
        s.ws.write_string_with_format(row, 0, label, &bold)?;
        s.text(row, 1, value)?;
        row += 1;
    }
    row += 1;
    s.header(row, &["Kartu", "Jumlah"])?;
    let c = &recap.cards;
    for (label, n) in [
        ("Diminta (permintaan disetujui)", c.requested),
        ("Diminta (sudah diajukan)", c.requested_submitted),
        ("Dalam daftar kartu", c.listed),
        ("Menunggu", c.pending),
        ("Clear", c.clear),
        ("Failed", c.failed),
        ("Diterima", c.received),
    ] {
        row += 1;
        s.text(row, 0, label)?;
        s.num(row, 1, n as f64)?;
    }
    row += 2;
    s.header(row, &["Rekonsiliasi", "Seharusnya", "Tercatat", "Selisih"])?;
    for ch in &recap.checks {
        row += 1;
        s.text(row, 0, ch.label)?;
        s.num(row, 1, ch.expected as f64)?;
        s.num(row, 2, ch.actual as f64)?;
        s.num(row, 3, ch.difference as f64)?;
    }

    // Requests and submissions by status.
    for (name, head, list) in [
        (SHEETS[1], ["Status Permintaan", "Jumlah Permintaan", "Kartu Diminta"], &recap.requests),
        (SHEETS[2], ["Status Pengajuan", "Jumlah Pengajuan", "Kartu Diminta"], &recap.submissions),
    ] {
        let mut s = sheet(&mut book, name, &[26.0, 20.0, 20.0])?;
        s.header(0, &head)?;
        for (r, st) in (1u32..).zip(list) {
            s.text(r, 0, st.label)?;
            s.num(r, 1, st.count as f64)?;
            s.num(r, 2, st.cards as f64)?;
        }
    }

    // Cards per month, stacked by status.
    let mut s = sheet(&mut book, SHEETS[3], &[14.0, 14.0, 14.0, 14.0])?;
    s.header(0, &["Bulan", "Menunggu", "Clear", "Failed"])?;
    for (r, m) in (1u32..).zip(&recap.months) {
        s.text(r, 0, &m.label)?;
        s.num(r, 1, m.pending as f64)?;
        s.num(r, 2, m.clear as f64)?;
        s.num(r, 3, m.failed as f64)?;
    }
    let last = recap.months.len() as u32;
    if last > 0 {
        let mut chart = Chart::new(ChartType::ColumnStacked);
        for (col, color) in [(1u16, "9E9E9E"), (2, "2E7D32"), (3, "C62828")] {
            chart
                .add_series()
                .set_name((SHEETS[3], 0, col))
                .set_categories((SHEETS[3], 1, 0, last, 0))
                .set_values((SHEETS[3], 1, col, last, col))
                .set_format(&mut series_format(color));
        }
        chart.title().set_name("Kartu per bulan menurut status");
        chart.y_axis().set_name("Kartu");
        s.ws.insert_chart(1, 5, &chart)?;
    }

    // Lead time per stage.
    let mut s = sheet(&mut book, SHEETS[4], &[24.0, 14.0, 14.0, 14.0, 14.0, 16.0])?;
    s.header(0, &["Tahap", "Ideal (hari kerja)", "Jumlah Pengajuan", "Rata-rata (hari kerja)", "Median (hari kerja)", "Melebihi ideal"])?;
    for (r, st) in (1u32..).zip(&recap.stages) {
        s.text(r, 0, st.label)?;
        s.num(r, 1, st.ideal)?;
        s.num(r, 2, st.count as f64)?;
        s.maybe(r, 3, st.mean)?;
        s.maybe(r, 4, st.median)?;
        s.num(r, 5, st.over_ideal as f64)?;
    }
    let last = recap.stages.len() as u32;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name((SHEETS[4], 0, 3))
        .set_categories((SHEETS[4], 1, 0, last, 0))
        .set_values((SHEETS[4], 1, 3, last, 3))
        .set_format(&mut series_format("3C8DBC"));
    chart
        .add_series()
        .set_name((SHEETS[4], 0, 1))
        .set_categories((SHEETS[4], 1, 0, last, 0))
        .set_values((SHEETS[4], 1, 1, last, 1))
        .set_format(&mut series_format("BDBDBD"));
    chart.title().set_name("Waktu proses per tahap (hari kerja)");
    s.ws.insert_chart(last + 2, 0, &chart)?;

    // Stations.
    let mut s = sheet(&mut book, SHEETS[5], &[28.0, 12.0, 12.0, 12.0, 12.0, 14.0, 14.0, 16.0])?;
    s.header(0, &["Stasiun", "Clear", "Failed", "Dicoba", "Gagal (%)", "Hari kerja aktif", "Kartu per hari", "Kapasitas per hari"])?;
    for (r, st) in (1u32..).zip(&recap.stations) {
        s.text(r, 0, &st.name)?;
        s.num(r, 1, st.clear as f64)?;
        s.num(r, 2, st.failed as f64)?;
        s.num(r, 3, st.attempted as f64)?;
        s.maybe(r, 4, st.failed_pct)?;
        s.num(r, 5, st.days as f64)?;
        s.maybe(r, 6, st.per_day)?;
        s.num(r, 7, recap.cards_per_station_day)?;
    }
    let last = recap.stations.len() as u32;
    if last > 0 {
        let mut chart = Chart::new(ChartType::Column);
        chart
            .add_series()
            .set_name((SHEETS[5], 0, 4))
            .set_categories((SHEETS[5], 1, 0, last, 0))
            .set_values((SHEETS[5], 1, 4, last, 4))
            .set_format(&mut series_format("C62828"));
        chart.title().set_name("Kartu gagal per stasiun (%)");
        s.ws.insert_chart(last + 2, 0, &chart)?;
    }

    // Lines that do not reconcile.
    let mut s = sheet(&mut book, SHEETS[6], &[24.0, 30.0, 18.0, 12.0, 12.0, 12.0, 12.0, 12.0])?;
    s.header(0, &["No. Permintaan", "Lembaga Pengguna", "Status", "Diminta", "Dalam daftar", "Clear", "Failed", "Diterima"])?;
    for (r, m) in (1u32..).zip(&recap.mismatches) {
        s.text(r, 0, &m.number)?;
        s.text(r, 1, &m.institution)?;
        s.text(r, 2, m.status.label())?;
        s.num(r, 3, m.requested as f64)?;
        s.num(r, 4, m.listed as f64)?;
        s.num(r, 5, m.clear as f64)?;
        s.num(r, 6, m.failed as f64)?;
        if let Some(n) = m.received {
            s.num(r, 7, n as f64)?;
        }
    }

    // Late submissions.
    let mut s = sheet(&mut book, SHEETS[7], &[24.0, 28.0, 22.0, 22.0, 18.0])?;
    s.header(0, &["No. Pengajuan", "Produsen", "Estimasi Selesai", "Selesai", "Terlambat (hari kerja)"])?;
    for (r, l) in (1u32..).zip(&recap.late) {
        s.text(r, 0, &l.number)?;
        s.text(r, 1, &l.producer)?;
        s.text(r, 2, &locale::date(l.estimated_finish))?;
        s.text(r, 3, &l.finished.map_or_else(|| "Belum selesai".to_string(), locale::date))?;
        s.num(r, 4, l.days_late as f64)?;
    }

    activations(&mut book, recap)?;
    book.save_to_buffer()
}

/// Sistem Aktivasi: the totals, then the tables by institution and by
/// province, as on the page.
fn activations(book: &mut Workbook, recap: &Recap) -> Result<(), XlsxError> {
    let a = &recap.activations;
    let mut s = sheet(book, SHEETS[8], &[34.0, 12.0, 12.0, 12.0, 12.0, 12.0, 14.0, 12.0, 12.0, 12.0])?;
    let bold = s.bold.clone();
    s.ws.write_string_with_format(0, 0, "Permohonan menurut tanggal pengajuan; card reader diaktifkan menurut tanggal persetujuan", &bold)?;
    s.header(2, &["Aktivasi", "Jumlah"])?;
    let t = &a.totals;
    let mut row = 2;
    for (label, n) in [
        ("Permohonan diajukan", t.filed),
        ("Permohonan disetujui", t.approved),
        ("Permohonan ditolak", t.rejected),
        ("Permohonan ditarik", t.withdrawn),
        ("Permohonan menunggu disposisi", t.waiting),
        ("Card reader diajukan", t.readers_filed),
        ("Card reader diaktifkan", t.activated),
        ("Card reader dicabut", t.revoked),
        ("Card reader masih aktif", t.active),
    ] {
        row += 1;
        s.text(row, 0, label)?;
        s.num(row, 1, n as f64)?;
    }
    row += 2;
    s.header(row, &["Lembaga Pengguna", "Diajukan", "Disetujui", "Ditolak", "Ditarik", "Menunggu", "Card reader diajukan", "Diaktifkan", "Dicabut", "Aktif"])?;
    for l in &a.institutions {
        row += 1;
        let c = &l.counts;
        s.text(row, 0, &l.name)?;
        for (col, n) in (1u16..).zip([c.filed, c.approved, c.rejected, c.withdrawn, c.waiting, c.readers_filed, c.activated, c.revoked, c.active]) {
            s.num(row, col, n as f64)?;
        }
    }
    row += 2;
    s.header(row, &["Provinsi", "Card reader diajukan", "Diaktifkan", "Dicabut", "Aktif"])?;
    for l in &a.provinces {
        row += 1;
        let c = &l.counts;
        s.text(row, 0, &l.name)?;
        for (col, n) in (1u16..).zip([c.readers_filed, c.activated, c.revoked, c.active]) {
            s.num(row, col, n as f64)?;
        }
    }
    Ok(())
}
