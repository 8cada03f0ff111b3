//! The checks an upload passes before any spreadsheet code opens it: a zip,
//! of few entries, of bounded inflated size and ratio, with the parts of a
//! workbook, each entry inflating cleanly to its declared size.
use std::io::{self, Cursor, Read};

use super::{RowError, MAX_RATIO, MAX_UNCOMPRESSED, MAX_ZIP_ENTRIES, NOT_XLSX, RATIO_GRACE};

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
/// blowing up in the reader.
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

    // Inflate each entry once, at most one byte past its declared size.
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| damaged())?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let is_shared_strings = entry.name().rsplit('/').next().is_some_and(|f| f.eq_ignore_ascii_case("sharedStrings.xml"));
        let mut limited = Read::by_ref(&mut entry).take(declared.saturating_add(1));
        let mut xml = Vec::new();
        let seen =
            if is_shared_strings { limited.read_to_end(&mut xml).map(|n| n as u64) } else { io::copy(&mut limited, &mut io::sink()) }.map_err(|_| damaged())?;
        if seen != declared {
            return Err(RowError::file("Berkas ditolak: ukuran isi arsip tidak sesuai dengan yang tercatat (berkas rusak atau dimanipulasi)."));
        }
        if is_shared_strings && !unique_count_plausible(&xml) {
            return Err(RowError::file("Berkas ditolak: daftar teks di dalamnya menyatakan jumlah yang tidak sesuai isinya (berkas rusak atau dimanipulasi)."));
        }
    }
    Ok(())
}

/// Extra strings that `uniqueCount` may claim beyond the `<si>` items found.
const UNIQUE_COUNT_SLACK: u64 = 10_000;

/// calamine reserves room for `uniqueCount` strings (the `uniqueCount`
/// attribute of `<sst>` in `sharedStrings.xml`) before reading them, and a
/// failed allocation aborts the whole process: a 7 KB file claiming 10^11
/// strings would take the server down. So every `uniqueCount="N"` found
/// (wherever it is, comments included) may exceed the number of string items
/// (an upper bound: `<si` or `:si` followed by `>`, `/` or white space) by at
/// most [`UNIQUE_COUNT_SLACK`].
pub(super) fn unique_count_plausible(xml: &[u8]) -> bool {
    const KEY: &[u8] = b"uniqueCount";
    let mut items: u64 = 0;
    let mut claimed: u64 = 0;
    for i in 1..xml.len().saturating_sub(2) {
        match xml[i] {
            b's' if xml[i + 1] == b'i' && matches!(xml[i - 1], b'<' | b':') && matches!(xml[i + 2], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n') => {
                items += 1;
            }
            b'u' if xml[i..].starts_with(KEY) => {
                let rest = xml[i + KEY.len()..].trim_ascii_start();
                let Some(rest) = rest.strip_prefix(b"=") else { continue };
                let Some((&(b'"' | b'\''), value)) = rest.trim_ascii_start().split_first() else {
                    continue;
                };
                let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits > 0 {
                    let n = std::str::from_utf8(&value[..digits]).ok().and_then(|d| d.parse::<u64>().ok());
                    claimed = claimed.max(n.unwrap_or(u64::MAX));
                }
            }
            _ => {}
        }
    }
    claimed <= items.saturating_add(UNIQUE_COUNT_SLACK)
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
