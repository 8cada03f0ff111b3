//! The checks an upload passes before any spreadsheet code opens it: a zip,
//! of few entries, of bounded inflated size and ratio, with the parts of a
//! workbook, each entry inflating cleanly to its declared size.
use std::io::{self, Cursor, Read};

use super::{RowError, MAX_CELLS, MAX_RATIO, MAX_UNCOMPRESSED, MAX_ZIP_ENTRIES, NOT_XLSX, RATIO_GRACE};

/// Refuses anything that is not a plausible `.xlsx` before calamine opens it.
///
/// In order: the bytes must start like a zip ("Berkas bukan file Excel
/// .xlsx", with a hint for a PDF or an old `.xls` / password-protected file);
/// the archive may hold at most [`MAX_ZIP_ENTRIES`] entries; the unzipped
/// sizes it declares may add up to at most [`MAX_UNCOMPRESSED`]; no entry
/// larger than [`RATIO_GRACE`] may compress better than [`MAX_RATIO`]:1 (zip
/// bomb); `[Content_Types].xml` and `xl/workbook.xml` must be present (a
/// renamed Word, `PowerPoint`, `OpenDocument` or `.xlsb` file is named as such).
/// Last, every entry is inflated once into nothing, stopping one byte past
/// its declared size, because inflating does not stop at the declared size by
/// itself: an entry that lies about its size, is damaged (CRC), encrypted or
/// compressed with a method other than deflate is refused here rather than
/// blowing up in the reader. On the way the shared strings (`<si>`), cells
/// (`<c>`) and rows (`<row>`) of every entry are counted: more than
/// [`MAX_CELLS`] of any is refused the moment the count passes it (a 7 MB
/// file of millions of one-letter strings would otherwise keep the reader
/// busy for half a minute), and so is a `uniqueCount` the items do not back.
///
/// # Errors
/// One file-level [`RowError`] (`row: None`) saying what is wrong.
pub fn precheck(bytes: &[u8]) -> Result<(), RowError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(RowError::file(not_zip_message(bytes)));
    }
    if eocd_entry_count(bytes).is_some_and(|n| n > MAX_ZIP_ENTRIES) {
        return Err(too_many_entries());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| RowError::file(format!("{NOT_XLSX}: arsipnya rusak atau tidak lengkap.")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(too_many_entries());
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
    if total > MAX_UNCOMPRESSED {
        return Err(RowError::file(format!(
            "Berkas ditolak: isinya setelah diekstrak sebesar {} MB, melebihi batas {} MB.",
            total.div_ceil(1024 * 1024),
            MAX_UNCOMPRESSED / (1024 * 1024)
        )));
    }
    if bomb {
        return Err(RowError::file("Berkas ditolak: rasio kompresi isinya tidak wajar (kemungkinan zip bomb). Simpan ulang daftar dari Excel sebagai .xlsx."));
    }
    check_parts(&names)?;

    // Inflate each entry once, at most one byte past its declared size,
    // counting the elements the reader would build on the way.
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| damaged())?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let mut scan = Scan::for_entry(entry.name());
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
    fn for_entry(name: &str) -> Self {
        let shared = name.rsplit('/').next().is_some_and(|file| file.eq_ignore_ascii_case("sharedStrings.xml"));
        Self { shared, prev: b' ', name: Name::Idle, claim: Claim::Key(0), strings: 0, cells: 0, rows: 0, claimed: 0 }
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
    /// cells or rows than [`MAX_CELLS`], or a `uniqueCount` beyond it.
    fn check(&self) -> Result<(), RowError> {
        let claimed = match self.claim {
            Claim::Digits(v) => self.claimed.max(v),
            _ => self.claimed,
        };
        if self.strings > MAX_CELLS {
            Err(too_many("teks berbeda"))
        } else if claimed > MAX_CELLS.saturating_add(UNIQUE_COUNT_SLACK) {
            Err(implausible_claim())
        } else if self.cells > MAX_CELLS {
            Err(too_many("sel dalam satu lembar"))
        } else if self.rows > MAX_CELLS {
            Err(too_many("baris dalam satu lembar"))
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

/// More than [`MAX_CELLS`] of `what`: no list of [`super::MAX_ROWS`] rows
/// holds that many, and reading them all would only keep the server busy.
fn too_many(what: &str) -> RowError {
    RowError::file(format!(
        "Berkas ditolak: berisi lebih dari {} {what}, tidak wajar untuk daftar kartu (paling banyak {} baris). \
         Salin hanya data daftar kartu ke templat, lalu simpan sebagai Excel Workbook (.xlsx).",
        super::thousands(usize::try_from(MAX_CELLS).unwrap_or(usize::MAX)),
        super::thousands(super::MAX_ROWS)
    ))
}

/// True when every `uniqueCount` in `xml` claims at most
/// [`UNIQUE_COUNT_SLACK`] more strings than the string items found.
#[cfg(test)]
pub(super) fn unique_count_plausible(xml: &[u8]) -> bool {
    let mut scan = Scan::for_entry("xl/sharedStrings.xml");
    scan.feed(xml);
    scan.claim_step(b' ');
    scan.claimed <= scan.strings.saturating_add(UNIQUE_COUNT_SLACK)
}

fn not_zip_message(bytes: &[u8]) -> String {
    if bytes.starts_with(b"%PDF-") {
        format!("{NOT_XLSX} (tampaknya dokumen PDF). Gunakan templat daftar kartu dan simpan sebagai .xlsx.")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        format!(
            "{NOT_XLSX}: tampaknya file Excel lama (.xls) atau berkas yang dilindungi kata sandi. \
             Simpan ulang sebagai Excel Workbook (.xlsx) tanpa kata sandi."
        )
    } else {
        format!("{NOT_XLSX}. Gunakan templat daftar kartu dan simpan sebagai .xlsx.")
    }
}

fn too_many_entries() -> RowError {
    RowError::file(format!("Berkas ditolak: arsip berisi lebih dari {MAX_ZIP_ENTRIES} bagian, tidak wajar untuk daftar kartu."))
}

pub(super) fn damaged() -> RowError {
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
fn check_parts(names: &[String]) -> Result<(), RowError> {
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
        Some(kind) => format!("{NOT_XLSX}: tampaknya {kind} yang diganti namanya. Isi templat daftar kartu lalu simpan sebagai Excel Workbook (.xlsx)."),
        None => format!("{NOT_XLSX}: arsip tidak berisi buku kerja Excel. Gunakan templat daftar kartu."),
    }))
}
