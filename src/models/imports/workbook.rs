//! The one guard and reader behind every Excel list users upload (the
//! producer's card list, the perso-data import, the readers of a Permohonan
//! Aktivasi): the file is checked as a zip before any spreadsheet code opens
//! it ([`guard`]), then its list sheet is streamed cell by cell and checked
//! row by row as it is read ([`read`]), stopping at the first of: a wrong
//! header, more rows than the list allows, or more than [`MAX_ERRORS`]
//! errors. Each list names its sheet, headers and [`Limits`]; what a row
//! means is the caller's business.
//!
//! All user-facing messages are in Bahasa Indonesia.
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Cursor, Read};

use calamine::{CellErrorType, DataRef, Reader, Xlsx};

/// At most this many entries in the zip archive. A workbook written by Excel,
/// `LibreOffice` or `rust_xlsxwriter` has 10 to 30 (more with pictures,
/// comments or many sheets); thousands only serve to make the reader work.
pub const MAX_ZIP_ENTRIES: usize = 1_000;

/// At most this ratio between an entry's unzipped and zipped size. The
/// entries of a full list compress 8:1 to 18:1 (measured on files written by
/// `rust_xlsxwriter` and saved by `LibreOffice`), so this leaves 10× room for
/// very repetitive sheets; a zip bomb reaches 1000:1 (deflate's limit is
/// about 1032:1). Only checked for entries larger than [`RATIO_GRACE`]
/// unzipped: small entries cannot hurt, whatever their ratio, and their sum
/// is bounded by [`Limits::max_uncompressed`] anyway.
pub const MAX_RATIO: u64 = 200;

/// Entries at most this large unzipped (1 MiB) are exempt from [`MAX_RATIO`].
pub const RATIO_GRACE: u64 = 1024 * 1024;

/// [`read`] lists at most this many errors, then one line counting the rest.
pub const MAX_ERRORS: usize = 200;

const NOT_XLSX: &str = "Berkas bukan file Excel .xlsx";

/// The bounds of one kind of list, checked by [`guard`] before reading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// What the list is called in messages ("daftar kartu").
    pub list: &'static str,
    /// Data rows (non-empty rows below the header) at most.
    pub max_rows: usize,
    /// Size of the uploaded file at most, in bytes.
    pub max_bytes: usize,
    /// Sum of the unzipped sizes the archive declares, at most.
    pub max_uncompressed: u64,
    /// Shared strings in the workbook, and cells and rows in any one
    /// worksheet, at most (see [`Limits::cells_for`]).
    pub max_cells: u64,
}

impl Limits {
    /// `max_rows` (plus the header) times 12 columns, plus some slack: room
    /// for a running number, styled empty cells and a few helper columns,
    /// while a workbook of millions of tiny cells or strings (small zipped,
    /// within the size and ratio limits) is refused before it costs the
    /// server seconds of reading.
    #[must_use]
    pub const fn cells_for(max_rows: usize) -> u64 {
        (max_rows as u64 + 1) * 12 + 10_000
    }
}

/// A problem with the uploaded file, on a row (`Baris 12: ...`) or with the
/// file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The Excel row number, `None` for a problem with the whole file.
    pub row: Option<usize>,
    pub message: String,
}

impl RowError {
    /// A problem with the whole file.
    pub fn file(message: impl Into<String>) -> Self {
        Self { row: None, message: message.into() }
    }

    /// A problem on Excel row `row`.
    pub fn at(row: usize, message: impl Into<String>) -> Self {
        Self { row: Some(row), message: message.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(f, "Baris {row}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RowError {}

// ---------------------------------------------------------------------------
// The guard: the zip container, before any spreadsheet code opens it
// ---------------------------------------------------------------------------

/// Refuses anything that is not a plausible `.xlsx` of the kind `limits`
/// describes before calamine opens it.
///
/// In order: the file may be at most [`Limits::max_bytes`] large; the bytes
/// must start like a zip ("Berkas bukan file Excel
/// .xlsx", with a hint for a PDF or an old `.xls` / password-protected file);
/// the archive may hold at most [`MAX_ZIP_ENTRIES`] entries; the unzipped
/// sizes it declares may add up to at most [`Limits::max_uncompressed`]; no entry
/// larger than [`RATIO_GRACE`] may compress better than [`MAX_RATIO`]:1 (zip
/// bomb); `[Content_Types].xml` and `xl/workbook.xml` must be present (a
/// renamed Word, `PowerPoint`, `OpenDocument` or `.xlsb` file is named as such).
/// Last, every entry is inflated once into nothing, stopping one byte past
/// its declared size, because inflating does not stop at the declared size by
/// itself: an entry that lies about its size, is damaged (CRC), encrypted or
/// compressed with a method other than deflate is refused here rather than
/// blowing up in the reader. On the way the shared strings (`<si>`), cells
/// (`<c>`) and rows (`<row>`) of every entry are counted: more than
/// [`Limits::max_cells`] of any is refused the moment the count passes it (a 7 MB
/// file of millions of one-letter strings would otherwise keep the reader
/// busy for half a minute), and so is a `uniqueCount` the items do not back.
///
/// # Errors
/// One file-level [`RowError`] (`row: None`) saying what is wrong.
pub fn guard(bytes: &[u8], limits: &Limits) -> Result<(), RowError> {
    if bytes.len() > limits.max_bytes {
        return Err(RowError::file(format!(
            "Berkas ditolak: ukurannya {} MB, melebihi batas {} MB untuk {}.",
            bytes.len().div_ceil(1024 * 1024),
            limits.max_bytes / (1024 * 1024),
            limits.list
        )));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(RowError::file(not_zip_message(bytes, limits)));
    }
    if eocd_entry_count(bytes).is_some_and(|n| n > MAX_ZIP_ENTRIES) {
        return Err(too_many_entries(limits));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| RowError::file(format!("{NOT_XLSX}: arsipnya rusak atau tidak lengkap.")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(too_many_entries(limits));
    }

    let mut names = Vec::with_capacity(zip.len());
    let mut total: u64 = 0;
    let mut bomb = false;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| damaged())?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if size > RATIO_GRACE && u128::from(size) > u128::from(packed) * u128::from(MAX_RATIO) {
            bomb = true;
        }
        names.push(entry.name().to_owned());
    }
    if total > limits.max_uncompressed {
        return Err(RowError::file(format!(
            "Berkas ditolak: isinya setelah diekstrak sebesar {} MB, melebihi batas {} MB.",
            total.div_ceil(1024 * 1024),
            limits.max_uncompressed / (1024 * 1024)
        )));
    }
    if bomb {
        return Err(RowError::file("Berkas ditolak: rasio kompresi isinya tidak wajar (kemungkinan zip bomb). Simpan ulang daftar dari Excel sebagai .xlsx."));
    }
    check_parts(&names, limits)?;

    // Inflate each entry once, at most one byte past its declared size,
    // counting the elements the reader would build on the way.
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| damaged())?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let mut scan = Scan::for_entry(entry.name(), limits);
        let mut limited = Read::by_ref(&mut entry).take(declared.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut seen: u64 = 0;
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(damaged()),
            };
            seen += n as u64;
            scan.feed(&buf[..n]);
            // A cap passed: refused at once, the rest is never inflated.
            scan.check()?;
        }
        if seen != declared {
            return Err(RowError::file("Berkas ditolak: ukuran isi arsip tidak sesuai dengan yang tercatat (berkas rusak atau dimanipulasi)."));
        }
        scan.finish()?;
    }
    Ok(())
}

/// Extra strings that `uniqueCount` may claim beyond the `<si>` items found.
const UNIQUE_COUNT_SLACK: u64 = 10_000;

/// Counts, in one pass over an entry's bytes as they are inflated, what
/// calamine would allocate for: string items (`<si>`) and the `uniqueCount`
/// it reserves room for, cells (`<c>`) and rows (`<row>`). Every entry is
/// counted, not only those at the usual paths: a workbook may point its
/// sheet or its strings anywhere. A small state machine, so a tag split
/// between two chunks, or white space of any length around `=`, is read
/// like any other.
struct Scan {
    /// `sharedStrings.xml`: its `uniqueCount` claims are checked.
    shared: bool,
    /// The last byte before the current one (for `<` / `:` before a name).
    prev: u8,
    /// Progress in matching an element name after `<` or `:`.
    name: Name,
    /// Progress in reading `uniqueCount = "digits"`.
    claim: Claim,
    /// `<si` found.
    strings: u64,
    /// `<c` found.
    cells: u64,
    /// `<row` found.
    rows: u64,
    /// The largest `uniqueCount` claimed.
    claimed: u64,
    /// The bounds of the list.
    limits: Limits,
}

#[derive(Clone, Copy)]
enum Name {
    Idle,
    /// After `<` or `:`, this many bytes of the wanted name matched.
    At(&'static [u8], usize),
}

#[derive(Clone, Copy)]
enum Claim {
    /// This many bytes of `uniqueCount` matched.
    Key(usize),
    /// After the key, before `=`.
    Eq,
    /// After `=`, before the quote.
    Quote,
    /// Reading the digits.
    Digits(u64),
}

const UNIQUE_COUNT: &[u8] = b"uniqueCount";

impl Scan {
    fn for_entry(name: &str, limits: &Limits) -> Self {
        let shared = name.rsplit('/').next().is_some_and(|file| file.eq_ignore_ascii_case("sharedStrings.xml"));
        Self { shared, prev: b' ', name: Name::Idle, claim: Claim::Key(0), strings: 0, cells: 0, rows: 0, claimed: 0, limits: *limits }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.name_step(b);
            if self.shared {
                self.claim_step(b);
            }
            self.prev = b;
        }
    }

    /// An element name counts when it follows `<` or a namespace prefix's
    /// `:` and ends at `>`, `/` or white space: `<si>`, `<x:si>`, `<c r=..`.
    fn name_step(&mut self, b: u8) {
        let ends = matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n');
        self.name = match self.name {
            Name::At(want, n) if n == want.len() => {
                if ends {
                    match want {
                        b"si" => self.strings += 1,
                        b"row" => self.rows += 1,
                        _ => self.cells += 1,
                    }
                }
                Name::Idle
            }
            Name::At(want, n) if want[n] == b => Name::At(want, n + 1),
            Name::At(..) | Name::Idle => Name::Idle,
        };
        if matches!(self.name, Name::Idle) && matches!(self.prev, b'<' | b':') {
            self.name = match b {
                b's' => Name::At(b"si", 1),
                b'c' => Name::At(b"c", 1),
                b'r' => Name::At(b"row", 1),
                _ => Name::Idle,
            };
        }
    }

    /// `uniqueCount`, white space, `=`, white space, a quote, digits:
    /// wherever it is (comments included), the largest claim is kept.
    fn claim_step(&mut self, b: u8) {
        self.claim = match self.claim {
            Claim::Key(n) if UNIQUE_COUNT[n] == b => {
                if n + 1 == UNIQUE_COUNT.len() {
                    Claim::Eq
                } else {
                    Claim::Key(n + 1)
                }
            }
            Claim::Key(_) => Claim::Key(usize::from(b == UNIQUE_COUNT[0])),
            Claim::Eq if b.is_ascii_whitespace() => Claim::Eq,
            Claim::Eq if b == b'=' => Claim::Quote,
            Claim::Quote if b.is_ascii_whitespace() => Claim::Quote,
            Claim::Quote if matches!(b, b'"' | b'\'') => Claim::Digits(0),
            Claim::Digits(v) if b.is_ascii_digit() => Claim::Digits(v.saturating_mul(10).saturating_add(u64::from(b - b'0'))),
            Claim::Digits(v) => {
                self.claimed = self.claimed.max(v);
                Claim::Key(usize::from(b == UNIQUE_COUNT[0]))
            }
            Claim::Eq | Claim::Quote => Claim::Key(usize::from(b == UNIQUE_COUNT[0])),
        };
    }

    /// Refuses as soon as a count passes its cap: more string items or
    /// cells or rows than [`Limits::max_cells`], or a `uniqueCount` beyond it.
    fn check(&self) -> Result<(), RowError> {
        let claimed = match self.claim {
            Claim::Digits(v) => self.claimed.max(v),
            _ => self.claimed,
        };
        let max = self.limits.max_cells;
        if self.strings > max {
            Err(too_many("teks berbeda", &self.limits))
        } else if claimed > max.saturating_add(UNIQUE_COUNT_SLACK) {
            Err(implausible_claim())
        } else if self.cells > max {
            Err(too_many("sel dalam satu lembar", &self.limits))
        } else if self.rows > max {
            Err(too_many("baris dalam satu lembar", &self.limits))
        } else {
            Ok(())
        }
    }

    /// At the end of the entry: the caps once more, and a `uniqueCount`
    /// may exceed the string items found by at most [`UNIQUE_COUNT_SLACK`]
    /// (calamine reserves room for that many strings before reading them,
    /// and a failed allocation aborts the whole process).
    fn finish(mut self) -> Result<(), RowError> {
        self.claim_step(b' ');
        self.check()?;
        if self.shared && self.claimed > self.strings.saturating_add(UNIQUE_COUNT_SLACK) {
            return Err(implausible_claim());
        }
        Ok(())
    }
}

fn implausible_claim() -> RowError {
    RowError::file("Berkas ditolak: daftar teks di dalamnya menyatakan jumlah yang tidak sesuai isinya (berkas rusak atau dimanipulasi).")
}

/// More than [`Limits::max_cells`] of `what`: no list of
/// [`Limits::max_rows`] rows holds that many, and reading them all would
/// only keep the server busy.
fn too_many(what: &str, limits: &Limits) -> RowError {
    RowError::file(format!(
        "Berkas ditolak: berisi lebih dari {} {what}, tidak wajar untuk {list} (paling banyak {} baris). \
         Salin hanya data {list} ke templat, lalu simpan sebagai Excel Workbook (.xlsx).",
        thousands(usize::try_from(limits.max_cells).unwrap_or(usize::MAX)),
        thousands(limits.max_rows),
        list = limits.list
    ))
}

/// True when every `uniqueCount` in `xml` claims at most
/// [`UNIQUE_COUNT_SLACK`] more strings than the string items found.
#[cfg(test)]
pub(crate) fn unique_count_plausible(xml: &[u8]) -> bool {
    let limits = Limits { list: "", max_rows: 0, max_bytes: 0, max_uncompressed: 0, max_cells: u64::MAX };
    let mut scan = Scan::for_entry("xl/sharedStrings.xml", &limits);
    scan.feed(xml);
    scan.claim_step(b' ');
    scan.claimed <= scan.strings.saturating_add(UNIQUE_COUNT_SLACK)
}

fn not_zip_message(bytes: &[u8], limits: &Limits) -> String {
    let list = limits.list;
    if bytes.starts_with(b"%PDF-") {
        format!("{NOT_XLSX} (tampaknya dokumen PDF). Gunakan templat {list} dan simpan sebagai .xlsx.")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        format!(
            "{NOT_XLSX}: tampaknya file Excel lama (.xls) atau berkas yang dilindungi kata sandi. \
             Simpan ulang sebagai Excel Workbook (.xlsx) tanpa kata sandi."
        )
    } else {
        format!("{NOT_XLSX}. Gunakan templat {list} dan simpan sebagai .xlsx.")
    }
}

fn too_many_entries(limits: &Limits) -> RowError {
    RowError::file(format!("Berkas ditolak: arsip berisi lebih dari {MAX_ZIP_ENTRIES} bagian, tidak wajar untuk {}.", limits.list))
}

/// The reader failed on the file (or would have).
#[must_use]
pub fn damaged() -> RowError {
    RowError::file(
        "Berkas Excel rusak atau memakai fitur yang tidak didukung (misalnya dilindungi kata sandi). \
         Simpan ulang sebagai Excel Workbook (.xlsx).",
    )
}

/// The entry count of the end-of-central-directory record, read before the
/// zip reader allocates one record per entry; `None` when not found or
/// deferred to ZIP64 (then the reader's own count is checked).
fn eocd_entry_count(bytes: &[u8]) -> Option<usize> {
    const SIG: &[u8; 4] = b"PK\x05\x06";
    let from = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
    let tail = &bytes[from..];
    let at = tail.windows(4).rposition(|w| w == SIG)?;
    let field = tail.get(at + 10..at + 12)?;
    let n = u16::from_le_bytes([field[0], field[1]]);
    (n != u16::MAX).then_some(usize::from(n))
}

/// `[Content_Types].xml` and `xl/workbook.xml` must be there; otherwise name
/// the kind of document it looks like.
fn check_parts(names: &[String], limits: &Limits) -> Result<(), RowError> {
    let list = limits.list;
    let has = |part: &str| names.iter().any(|n| n.trim_start_matches('/').eq_ignore_ascii_case(part));
    if has("[Content_Types].xml") && has("xl/workbook.xml") {
        return Ok(());
    }
    let looks_like = if has("word/document.xml") {
        Some("dokumen Word (.docx)")
    } else if has("ppt/presentation.xml") {
        Some("presentasi PowerPoint (.pptx)")
    } else if has("xl/workbook.bin") {
        Some("file Excel Binary (.xlsb)")
    } else if has("content.xml") && has("mimetype") {
        Some("dokumen OpenDocument (.ods/.odt)")
    } else {
        None
    };
    Err(RowError::file(match looks_like {
        Some(kind) => format!("{NOT_XLSX}: tampaknya {kind} yang diganti namanya. Isi templat {list} lalu simpan sebagai Excel Workbook (.xlsx)."),
        None => format!("{NOT_XLSX}: arsip tidak berisi buku kerja Excel. Gunakan templat {list}."),
    }))
}

// ---------------------------------------------------------------------------
// Reading a list sheet
// ---------------------------------------------------------------------------

/// A cell value of the columns that matter, detached from the workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    /// An Excel date or time (the cell looked like one and Excel converted it).
    Date(String),
    /// A formula error such as `#N/A`.
    Error(String),
}

impl Value {
    /// `None` for an empty or blank (whitespace-only) cell.
    fn from_cell(cell: &DataRef<'_>) -> Option<Self> {
        let value = match cell {
            DataRef::Empty => return None,
            DataRef::String(s) => Self::Text(s.clone()),
            DataRef::SharedString(s) => Self::Text((*s).to_owned()),
            DataRef::Int(i) => {
                #[allow(clippy::cast_precision_loss)]
                let f = *i as f64;
                Self::Number(f)
            }
            DataRef::Float(f) => Self::Number(*f),
            DataRef::Bool(b) => Self::Bool(*b),
            DataRef::DateTime(when) => {
                let (year, month, day, hour, min, sec, _) = when.to_ymd_hms_milli();
                Self::Date(if (hour, min, sec) == (0, 0, 0) {
                    format!("{year:04}-{month:02}-{day:02}")
                } else {
                    format!("{year:04}-{month:02}-{day:02} {hour:02}:{min:02}:{sec:02}")
                })
            }
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Self::Date(s.clone()),
            DataRef::Error(e) => Self::Error(error_text(e).to_owned()),
        };
        match &value {
            Self::Text(s) if s.trim().is_empty() => None,
            _ => Some(value),
        }
    }

    /// The display text of the cell, as Excel shows it (roughly).
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Self::Text(s) => s.trim().to_owned(),
            Self::Number(f) => number_text(*f),
            Self::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_owned(),
            Self::Date(s) | Self::Error(s) => s.clone(),
        }
    }
}

fn error_text(e: &CellErrorType) -> &'static str {
    match e {
        CellErrorType::Div0 => "#DIV/0!",
        CellErrorType::NA => "#N/A",
        CellErrorType::Name => "#NAME?",
        CellErrorType::Null => "#NULL!",
        CellErrorType::Num => "#NUM!",
        CellErrorType::Ref => "#REF!",
        CellErrorType::Value => "#VALUE!",
        CellErrorType::GettingData => "#DATA!",
    }
}

/// A number as text: whole numbers without decimals, others in the shortest
/// form that reads back the same (`470.1`).
#[must_use]
pub fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// Quote a cell's text in a message, cut to a readable length.
#[must_use]
pub fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("'{cut}…'")
    } else {
        format!("'{s}'")
    }
}

/// The column letters of a 0-based column index (0 → A, 26 → AA).
#[must_use]
pub fn column_name(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = u8::try_from((n - 1) % 26).unwrap_or(0);
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Collects errors up to [`MAX_ERRORS`]; one more tells the reader to stop.
#[derive(Default)]
pub struct Errors {
    list: Vec<RowError>,
    more: usize,
}

impl Errors {
    pub fn push(&mut self, e: RowError) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(e);
        } else {
            self.more += 1;
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// More errors than are shown: reading stops here.
    #[must_use]
    pub fn full(&self) -> bool {
        self.more > 0
    }

    /// The errors, and when reading stopped early, a last line saying so.
    fn finish(mut self, stopped_at: Option<usize>) -> Vec<RowError> {
        if let Some(row) = stopped_at {
            self.list.push(RowError::file(format!(
                "… dan masih ada kesalahan lain: pemeriksaan dihentikan pada baris {row} setelah {MAX_ERRORS} kesalahan. \
                 Perbaiki kesalahan di atas, lalu unggah ulang daftarnya."
            )));
        }
        self.list
    }
}

/// `50000` → `50.000`, the Indonesian way.
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// One kind of list: the sheet it lives on, whose first row holds exactly
/// `headers`; column A is a free running number, the data are in columns B
/// to the last header.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub limits: &'a Limits,
    /// The one error when data row number `limits.max_rows + 1` (at this
    /// Excel row) is reached.
    pub too_many_rows: &'a dyn Fn(usize) -> RowError,
}

/// Reads and checks a list of kind `sheet`: [`guard`] first; then the sheet
/// (found by name, ignoring case; missing → an error naming it) is streamed
/// cell by cell, and each data row is handed to `row` (its Excel row number
/// and its cells B.. as [`Value`]s) once the next one starts, so a sheet
/// with a stray cell far away costs no more than its size. Reading stops at
/// the first of: a wrong header, more than [`Limits::max_rows`] data rows,
/// or more than [`MAX_ERRORS`] errors pushed by `row`. Row 1 must hold
/// exactly the headers (trimmed, ignoring case) and nothing to the right;
/// each wrong or missing header is named. A row with nothing in the data
/// columns is skipped (column A and columns past the headers are ignored).
/// Rows must come in ascending order, as every spreadsheet program writes
/// them. A sheet with only the header row reads as no rows: whether an
/// empty list is acceptable is the caller's business.
///
/// This reads a whole workbook: from async code call it on a blocking
/// thread, with the number of concurrent imports bounded (see
/// [`crate::models::imports`]).
///
/// # Errors
/// Every problem found, in row order: at most [`MAX_ERRORS`] of them, then a
/// final line saying that checking stopped there when there were more.
pub fn read(bytes: &[u8], sheet: &Sheet<'_>, mut row: impl FnMut(usize, Vec<Option<Value>>, &mut Errors)) -> Result<(), Vec<RowError>> {
    guard(bytes, sheet.limits).map_err(|e| vec![e])?;
    // A panic inside the reader on a malformed file is one more damaged file.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream(bytes, sheet, &mut row))).unwrap_or_else(|_| Err(vec![damaged()]))
}

/// Streams the sheet cell by cell, keeping only row 1 and the data columns
/// of the row being read, and hands each row over once the next one starts.
/// What [`read`] hands each data row to: its Excel row number, its cells.
type OnRow<'f> = dyn FnMut(usize, Vec<Option<Value>>, &mut Errors) + 'f;

fn stream(bytes: &[u8], sheet: &Sheet<'_>, row: &mut OnRow<'_>) -> Result<(), Vec<RowError>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| vec![damaged()])?;
    let sheets = book.sheet_names();
    let Some(name) = sheets.iter().find(|n| n.trim().eq_ignore_ascii_case(sheet.name)).cloned() else {
        let found = sheets.iter().map(|n| shown(n)).collect::<Vec<_>>().join(", ");
        return Err(vec![RowError::file(format!(
            "Lembar \"{}\" tidak ditemukan dalam berkas (lembar yang ada: {found}). \
             Gunakan templat {} dan jangan mengganti nama lembarnya.",
            sheet.name, sheet.limits.list
        ))]);
    };
    let mut cells = book
        .worksheet_cells_reader(&name)
        .map_err(|_| vec![RowError::file(format!("Lembar \"{}\" tidak dapat dibaca sebagai lembar kerja biasa.", sheet.name))])?;

    let width = sheet.headers.len().saturating_sub(1);
    let mut header: BTreeMap<u32, String> = BTreeMap::new();
    let mut header_read = false;
    let mut errors = Errors::default();
    // The row being read (0-based) and its data columns.
    let mut current: Option<(u32, Vec<Option<Value>>)> = None;
    let mut data_rows = 0usize;
    let mut last_row = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|_| vec![damaged()])? {
        let (r, c) = cell.get_position();
        let Some(value) = Value::from_cell(cell.get_value()) else {
            continue;
        };
        if r == 0 {
            if header_read {
                return Err(vec![out_of_order(sheet)]);
            }
            header.insert(c, value.display());
            continue;
        }
        if !header_read {
            header_read = true;
            check_header(&header, sheet.headers, &mut errors);
            if !errors.is_empty() {
                return Err(errors.finish(None));
            }
        }
        let Some(slot) = c.checked_sub(1).and_then(|i| usize::try_from(i).ok()).filter(|&i| i < width) else {
            continue;
        };
        match &mut current {
            Some((at, cells)) if *at == r => {
                cells[slot] = Some(value);
                continue;
            }
            Some((at, _)) if *at > r => return Err(vec![out_of_order(sheet)]),
            _ => {}
        }
        if let Some((at, cells)) = current.take() {
            last_row = at as usize + 1;
            row(last_row, cells, &mut errors);
            if errors.full() {
                return Err(errors.finish(Some(last_row)));
            }
        }
        data_rows += 1;
        if data_rows > sheet.limits.max_rows {
            return Err(vec![(sheet.too_many_rows)(r as usize + 1)]);
        }
        let mut cells = vec![None; width];
        cells[slot] = Some(value);
        current = Some((r, cells));
    }
    if !header_read {
        check_header(&header, sheet.headers, &mut errors);
        if !errors.is_empty() {
            return Err(errors.finish(None));
        }
    }
    if let Some((at, cells)) = current.take() {
        last_row = at as usize + 1;
        row(last_row, cells, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let stopped = errors.full().then_some(last_row);
        Err(errors.finish(stopped))
    }
}

fn out_of_order(sheet: &Sheet<'_>) -> RowError {
    RowError::file(format!(
        "Urutan baris dalam lembar {} tidak wajar (berkas rusak atau dibuat tidak lazim). \
         Buka di Excel lalu simpan ulang sebagai Excel Workbook (.xlsx).",
        sheet.limits.list
    ))
}

/// Row 1 must be exactly `headers` from column A on, and nothing after.
fn check_header(header: &BTreeMap<u32, String>, headers: &[&str], errors: &mut Errors) {
    for (col, expected) in (0u32..).zip(headers) {
        match header.get(&col) {
            Some(got) if got.trim().to_lowercase() == expected.to_lowercase() => {}
            Some(got) => errors.push(RowError::at(
                1,
                format!("Judul kolom {} harus \"{expected}\", bukan {}. Jangan mengubah judul kolom templat.", column_name(col), shown(got)),
            )),
            None => errors.push(RowError::at(1, format!("Judul kolom {} \"{expected}\" tidak ada. Jangan mengubah judul kolom templat.", column_name(col)))),
        }
    }
    for (&col, got) in header.range(u32::try_from(headers.len()).unwrap_or(u32::MAX)..) {
        errors.push(RowError::at(
            1,
            format!(
                "Kolom {} ({}) tidak dikenal: daftar hanya berisi kolom {}. Hapus kolom tambahan.",
                column_name(col),
                shown(got),
                headers.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
}
